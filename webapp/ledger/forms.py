"""Flask-WTF forms built from the ledger field table (CSRF on every form).

Fields are plain text inputs (dates as ``type=date``): the ledger's own parser validates them
and gives the Chinese reasons, so the rules live in one place.
"""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField

from webapp.core.messages import Form
from webapp.ledger.fields import Kind, display


class ImportForm(Form):
    file = FileField("Excel 文件（.xlsx）")
    org_code = SelectField("导入到单位")


class EmptyForm(Form):
    """Only the CSRF token (delete buttons)."""


def record_form(kind: Kind, record: Any = None, **kwargs: Any) -> Form:
    attrs: dict[str, Any] = {}
    for f in kind.fields:
        if f.kind == "bool":
            attrs[f.name] = BooleanField(f.label)
        elif f.kind == "choice":
            blank = [] if f.required else [SelectChoice("", "（未填）")]
            choices = blank + [SelectChoice(c, c) for c in f.choices]
            attrs[f.name] = SelectField(f.label, choices=choices)
        elif f.kind == "text":
            attrs[f.name] = TextAreaField(f.label)
        else:
            render = {"type": "date"} if f.kind == "date" else {}
            attrs[f.name] = StringField(f.label, render_kw=render)
    attrs["org_code"] = SelectField("监督机构")
    form_class = type(f"{kind.name.title()}Form", (Form,), attrs)
    form = form_class(**kwargs)
    if record is not None and not form.is_submitted():
        for f in kind.fields:
            value = getattr(record, f.name)
            getattr(form, f.name).data = value if f.kind == "bool" else display(f, value)
    return form


def form_values(kind: Kind, form: Form) -> dict[str, Any]:
    return {f.name: getattr(form, f.name).data for f in kind.fields}

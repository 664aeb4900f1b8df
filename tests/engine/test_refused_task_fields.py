"""A refused task form shows every field as it was posted (found from outside: a city reviewer
chose 退回类别 数据差错, clicked 退回 without an opinion, and the 422 page kept the opinion box but
showed the kind blank again, so the next 退回 was refused for the kind).

The sweep renders every registered task form the way the task page does — its feature's
template, or the schema's fields — with a value for each of its scalar fields and checks that
each value shows: typed back into its box, its option selected, its box ticked.  Array and
object fields (the assessment's awards and measures) are edited by their features' own pages
and are not swept here.
"""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

from flask import Flask, render_template_string
from jinja2 import ChainableUndefined

from webapp.engine.registry import FORMS

SCALARS = ("string", "integer", "number", "boolean")


def sample(prop: dict[str, Any]) -> Any:
    """A value a user might post for the property, never its first (preselectable) choice."""
    if prop.get("enum"):
        return prop["enum"][-1]
    kind = prop.get("type", "string")
    if kind == "boolean":
        return True
    if kind == "integer":
        return 7
    if kind == "number":
        return 2.5
    if prop.get("format") == "date":
        return "2026-11-30"
    return "保留的输入"


class Fields(HTMLParser):
    """What each ``f_<name>`` field shows: input value / checked, selected option, textarea."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = (a.get("name") or "")[2:] if (a.get("name") or "").startswith("f_") else None
        if tag == "input" and name:
            checkbox = a.get("type") == "checkbox"
            self.shown[name] = ("checked" in a) if checkbox else a.get("value")
        elif tag == "select" and name:
            self._select = name
            self.shown.setdefault(name, None)
        elif tag == "option" and self._select and "selected" in a:
            self.shown[self._select] = a.get("value")
        elif tag == "textarea" and name:
            self._textarea = name
            self.shown[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.shown[self._textarea] += data


def render_form(key: str, values: dict[str, Any]) -> str:
    spec = FORMS[key]
    org = SimpleNamespace(name="中原区")
    instance = SimpleNamespace(
        subject={}, data={}, org=org, definition=None, process_key=key, business_key=""
    )
    task = SimpleNamespace(id=1, form_key=key, instance=instance, data=None)
    source = (
        f'{{% include "{spec.template}" %}}'
        if spec.template
        else '{% from "engine/_form.html" import schema_fields %}'
        "{{ schema_fields(schema, values, errors) }}"
    )
    return render_template_string(
        source, task=task, schema=spec.schema, values=values, errors={}, extra={}
    )


class _View:
    """A feature's read model for a task that exists only here: present, every part empty."""

    def __getattr__(self, name: str) -> Any:
        return ChainableUndefined(name=name)


def test_every_task_form_shows_its_fields_as_posted(app: Flask, monkeypatch):
    monkeypatch.setitem(app.jinja_env.globals, "assessment_task_view", lambda task: _View())
    swept, lost = [], []
    with app.test_request_context("/tasks/1/complete", method="POST"):
        for key, spec in sorted(FORMS.items()):
            properties = spec.schema.get("properties") or {}
            values = {
                n: sample(p) for n, p in properties.items() if p.get("type", "string") in SCALARS
            }
            if not values:
                continue
            parser = Fields()
            parser.feed(render_form(key, values))
            for name, value in values.items():
                swept.append((key, name))
                shown = parser.shown.get(name)
                expected = value if isinstance(value, bool) else str(value)
                if shown != expected:
                    lost.append((key, name, value, shown))
    assert ("report.accept", "return_kind") in swept and len(swept) >= 8
    assert lost == [], lost

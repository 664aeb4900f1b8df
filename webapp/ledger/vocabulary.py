"""The ledgers' audit vocabulary: every code ``ledger.<kind>.<verb>`` the operations write,
the ledger tables as object types, and each ledger's fields (labels scoped to its table, since
two ledgers name different things ``fact``)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.audit.naming import Namer, int_ids, register_object_namer
from webapp.audit.vocabulary import (
    register_actions,
    register_families,
    register_fields,
    register_object_types,
)
from webapp.extensions import db
from webapp.ledger.fields import KINDS, ORG_LABEL, Kind, display

#: Verbs of ``webapp.ledger.operations`` (save_record, delete_record, import_records) and of
#: the list's Excel export (``webapp.ledger.views.export``).
VERBS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "import": "导入",
    "export": "导出",
}

#: Fields of the records besides the ledger's own (snapshot and import summary).
COMMON_FIELDS = {
    "org": ORG_LABEL.removesuffix("代码"),
    "level": "事故等级",
    "counts": "导入结果",
    "counts.created": "新增条数",
    "counts.updated": "更新条数",
    "counts.unchanged": "未变条数",
    "counts.warnings": "有提示的行数",
    "created": "新增记录",
    "updated": "更新记录",
}


def action_labels(kind: Kind) -> dict[str, str]:
    return {f"ledger.{kind.name}.{verb}": f"{label}{kind.label}" for verb, label in VERBS.items()}


def record_namer(kind: Kind) -> Namer:
    """A ledger row by its key (监督注册号, 记录编号...), as the import summary names it."""

    def names(ids: list[str]) -> dict[str, str]:
        cols = [kind.model.id, *(getattr(kind.model, k) for k in kind.key)]
        rows = db.session.execute(select(*cols).where(kind.model.id.in_(int_ids(ids))))
        return {
            str(row[0]): " / ".join(
                display(kind.field(k), v) for k, v in zip(kind.key, row[1:], strict=True)
            )
            for row in rows
        }

    return names


def register() -> None:
    register_families({"ledger": "台账"})
    register_actions({"ledger.demo_seed": "加载演示台账"})
    for kind in KINDS.values():
        table = kind.model.__tablename__
        register_actions(action_labels(kind))
        register_object_types({table: kind.label})
        register_object_namer(table, record_namer(kind))
        register_fields(
            {**COMMON_FIELDS, **{f.name: f.label for f in kind.fields}}, object_type=table
        )

"""engine: a fixed subject per instance, and business status codes instead of labels

Revision ID: 7c2d9e4f1a60
Revises: 15926e5abc78
Create Date: 2026-12-06 06:00:00

What a process instance is about (its report, publication, campaign, deadlines) becomes a
column fixed at start (``process_instance.subject``); it is filled for existing instances from
their start data (the root task's data in the serialized state).

The BPMN ``status``/``returnedStatus`` properties and ``engine.set_status`` parameters name a code
(``in_review``) instead of a display label (审核中): every stored definition version is rewritten
(with its content hash), and the stored statuses of instances and tasks are mapped.  The tables
are frozen here so that later code changes do not change what this migration did.
"""
from __future__ import annotations

import hashlib
import json
import re

import sqlalchemy as sa
from alembic import op

revision = "7c2d9e4f1a60"
down_revision = "15926e5abc78"
branch_labels = None
depends_on = None

LABEL_TO_CODE = {
    "草稿": "drafting",
    "填报中": "drafting",
    "拟稿中": "drafting",
    "自评填报中": "drafting",
    "已退回": "returned",
    "已退回修改": "returned",
    "审核中": "in_review",
    "已上报": "submitted",
    "自评已上报": "submitted",
    "已接收": "accepted",
    "待领导审批": "awaiting_approval",
    "待领导审核": "awaiting_approval",
    "已公开": "published",
    "撤回审批中": "withdrawal_requested",
    "已撤回": "withdrawn",
    "逾期": "overdue",
    "已取消": "cancelled",
    "单位自评中": "self_assessment",
    "自评已截止（未上报）": "self_closed",
    "现场抽查": "sampling",
    "考核评分中": "scoring",
    "评分复核中": "score_review",
    "按审批意见修改": "rescoring",
    "结果已通报": "results_published",
}
CODE_TO_LABEL = {
    "drafting": "填报中",
    "returned": "已退回",
    "in_review": "审核中",
    "submitted": "已上报",
    "accepted": "已接收",
    "awaiting_approval": "待领导审批",
    "published": "已公开",
    "withdrawal_requested": "撤回审批中",
    "withdrawn": "已撤回",
    "overdue": "逾期",
    "cancelled": "已取消",
    "self_assessment": "单位自评中",
    "self_closed": "自评已截止（未上报）",
    "sampling": "现场抽查",
    "scoring": "考核评分中",
    "score_review": "评分复核中",
    "rescoring": "按审批意见修改",
    "results_published": "结果已通报",
}
ENGINE_SUBJECT = ("org_code", "business_key", "process_key")
FIXED = {
    "quarterly_report": ("report_id", "kind", "period", "has_parent", "due_at", "remind_at"),
    "publication": ("publication_id", "period"),
    "year_end_assessment": ("campaign_id", "kind", "year"),
    "year_end_self_assessment": ("campaign_id", "unit_id", "province_key", "self_due"),
}
_PROPERTY = re.compile(r'(name="(?:status|returnedStatus)"\s+value=")([^"]*)(")')
_SET_STATUS = re.compile(r"""(<spiffworkflow:parameter id="status" type="str" value="')([^']*)(')""")


def _rewrite(xml: str, table: dict[str, str]) -> str:
    def swap(match: re.Match[str]) -> str:
        value = match.group(2)
        return match.group(1) + table.get(value, value) + match.group(3)

    return _SET_STATUS.sub(swap, _PROPERTY.sub(swap, xml))


def _start_data(state_json: str | None, data: dict | None) -> dict:
    try:
        state = json.loads(state_json or "{}")
        return dict(state["tasks"][state["root"]]["data"])
    except (ValueError, KeyError, TypeError):
        return dict(data or {})


def _definitions(table: dict[str, str]) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, content FROM process_definition")).all()
    for row_id, content in rows:
        raw = bytes(content)
        new = _rewrite(raw.decode("utf-8"), table).encode("utf-8")
        if new != raw:
            conn.execute(
                sa.text("UPDATE process_definition SET content = :c, content_hash = :h WHERE id = :i"),
                {"c": new, "h": hashlib.sha256(new).hexdigest(), "i": row_id},
            )


def _statuses(table: dict[str, str]) -> None:
    conn = op.get_bind()
    for name in ("process_instance", "human_task"):
        for old, new in table.items():
            conn.execute(
                sa.text(f"UPDATE {name} SET business_status = :new WHERE business_status = :old"),
                {"new": new, "old": old},
            )


def upgrade():
    op.add_column("process_instance", sa.Column("subject", sa.JSON(), nullable=True))
    conn = op.get_bind()
    instance = sa.table(
        "process_instance",
        sa.column("id", sa.Integer),
        sa.column("process_key", sa.String),
        sa.column("state_json", sa.Text),
        sa.column("data", sa.JSON),
        sa.column("subject", sa.JSON),
    )
    rows = conn.execute(
        sa.select(instance.c.id, instance.c.process_key, instance.c.state_json, instance.c.data)
    ).all()
    for row_id, key, state_json, data in rows:
        start = _start_data(state_json, data)
        names = ENGINE_SUBJECT + FIXED.get(key, ())
        subject = {k: start[k] for k in names if k in start}
        conn.execute(
            instance.update().where(instance.c.id == row_id).values(subject=subject)
        )
    _definitions(LABEL_TO_CODE)
    _statuses(LABEL_TO_CODE)


def downgrade():
    _statuses(CODE_TO_LABEL)
    _definitions(CODE_TO_LABEL)
    # SQLite (3.35+) drops a column in place; a batch copy would trip the foreign keys.
    op.execute("ALTER TABLE process_instance DROP COLUMN subject")

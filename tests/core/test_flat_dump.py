"""``flat_dump`` writes what marshmallow's dump writes, for every flat API schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, fields

from webapp.core.schemas import _flat_plan, flat_dump
from webapp.engine.schemas import InstanceSchema, TaskSchema

_VALUES = {
    fields.String: st.one_of(st.none(), st.text(max_size=30), st.text(max_size=8).map(str.encode)),
    fields.Integer: st.one_of(st.none(), st.integers(), st.booleans()),
    fields.DateTime: st.one_of(
        st.none(),
        st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=8))])),
    ),
}


def _documents(schema: type[Schema]) -> st.SearchStrategy[dict]:
    """Dicts with any subset of the schema's keys, each a value its field may be given, and
    a key the schema does not know."""
    entries = {name: _VALUES[type(field)] for name, field in schema._declared_fields.items()}
    return st.fixed_dictionaries({}, optional={**entries, "unknown_key": st.text(max_size=5)})


@given(_documents(TaskSchema))
def test_a_task_answer_is_what_marshmallow_writes(document):
    assert flat_dump(TaskSchema, document) == TaskSchema().dump(document)


def test_the_task_schema_is_written_flat():
    # the completion's answer: every field plain, so the fast writer is the one used
    assert _flat_plan(TaskSchema) is not None
    assert len(_flat_plan(TaskSchema)) == len(TaskSchema._declared_fields)


class _Renamed(Schema):
    name = fields.String(data_key="名称")


class _Nested(Schema):
    task = fields.Nested(TaskSchema)


class _Formatted(Schema):
    at = fields.DateTime(format="%Y-%m-%d")


def test_a_schema_that_is_not_flat_is_dumped_by_marshmallow():
    now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    for schema, document in (
        (_Renamed, {"name": "中原区"}),
        (_Nested, {"task": {"id": 1, "name": "填报"}}),
        (_Formatted, {"at": now}),
        (InstanceSchema, {"id": 1, "current_tasks": [], "history": []}),
    ):
        assert _flat_plan(schema) is None
        assert flat_dump(schema, document) == schema().dump(document)

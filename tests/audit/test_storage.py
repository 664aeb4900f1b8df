"""An audit record's ``before``/``after`` read back exactly as written, on SQLite and PostgreSQL.

A column declared JSON has NUMERIC affinity on SQLite: a bare number was stored as a number,
so ``1.0`` came back ``1``, ``-0.0`` as ``0`` and an integer beyond 64 bits as a float, and
:func:`verify_chain` then called an untouched record broken (its hash covers the JSON text).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from webapp.core import audit
from webapp.core.models import AuditRecord
from webapp.extensions import db

#: JSON values: big integers (beyond 64 bits both ways), finite floats (incl. -0.0), unicode,
#: nested lists and objects.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.integers(min_value=-(2**70), max_value=-(2**63) + 2)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


def _text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _round_trip(values: list[object]) -> None:
    made = [audit.record("test.value", actor_name="t", before=v, after=[v]) for v in values]
    db.session.commit()
    db.session.expire_all()
    for rec in made:
        row = db.session.execute(
            select(AuditRecord.before, AuditRecord.after).where(AuditRecord.id == rec.id)
        ).one()
        assert _text(row.before) == _text(rec.before)
        assert _text(row.after) == _text(rec.after)
    assert audit.verify_chain().ok


@pytest.mark.parametrize(
    "value", [2**64, 2**63, -(2**63) - 1, 10**30, 1.0, -0.0, 1e300, 12345678901234567890.5]
)
def test_a_bare_number_reads_back_as_written_and_the_chain_holds(value):
    _round_trip([value])


@settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(_json, min_size=1, max_size=3))
def test_any_json_value_reads_back_as_written_and_the_chain_holds(values):
    _round_trip(values)


@pytest.fixture
def old_app(tmp_path):
    """An app on a database of its own, migrated up to just before before/after became TEXT."""
    from tests.migration_db import app_at

    yield from app_at("5e0b3c9d1a47", "h1_audit_text_migration", tmp_path)


def test_the_migration_keeps_the_records_and_their_chain(old_app):
    from flask_migrate import upgrade

    from tests.migration_db import write_old_record

    with old_app.app_context():
        write_old_record("test.old", before={"n": [2**64, 1.0]}, after="文本")
        db.session.commit()
        upgrade()
        audit.record("test.new", actor_name="t", before=2**64, after=1.0)
        db.session.commit()
        rows = db.session.execute(
            select(AuditRecord.before, AuditRecord.after).order_by(AuditRecord.id)
        ).all()
        assert [(_text(r.before), _text(r.after)) for r in rows] == [
            ('{"n": [18446744073709551616, 1.0]}', '"文本"'),
            ("18446744073709551616", "1.0"),
        ]
        assert audit.verify_chain().ok
        db.session.remove()

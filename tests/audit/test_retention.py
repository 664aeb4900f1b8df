"""Retention: nothing in the product changes or deletes an audit record."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, event, select, text, update
from werkzeug.routing import IntegerConverter

from tests.audit.helpers import write
from tests.conftest import ROOT, csrf_token, login
from webapp.audit.guard import AuditTrailIsAppendOnly
from webapp.core import audit
from webapp.core.models import AuditRecord
from webapp.extensions import db, execute_plain

#: Ways code could remove or rewrite audit records.
FORBIDDEN = [
    re.compile(r"(delete|update)\s*\(\s*AuditRecord", re.I),
    re.compile(r"AuditRecord\.__table__\.(delete|update)", re.I),
    re.compile(r"\b(DELETE\s+FROM|UPDATE|TRUNCATE(\s+TABLE)?)\s+\"?audit_record", re.I),
    re.compile(r"query\(\s*AuditRecord\s*\)[^\n]*\.(delete|update)\(", re.I),
]


def test_no_product_code_deletes_or_rewrites_audit_records():
    offenders = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for pattern in FORBIDDEN:
            for match in pattern.finditer(source):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not offenders, offenders


def test_the_scan_would_see_one():
    sample = (
        "db.session.execute(delete(AuditRecord).where(AuditRecord.id < 5))\n"
        '"DELETE FROM audit_record"'
    )
    assert sum(bool(p.search(sample)) for p in FORBIDDEN) == 2


def test_orm_refuses_to_delete_or_change_a_record():
    rec = write("test.event", message="original")
    db.session.delete(rec)
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    rec = db.session.get(AuditRecord, rec.id)
    rec.message = "edited"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    for stmt in (
        delete(AuditRecord).where(AuditRecord.id == rec.id),
        update(AuditRecord).values(message="x"),
    ):
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.execute(stmt)
        db.session.rollback()
        with pytest.raises(AuditTrailIsAppendOnly):  # past the ORM session's hooks too
            execute_plain(stmt)
        db.session.rollback()
    assert db.session.get(AuditRecord, rec.id).message == "original"
    assert audit.verify_chain().ok


def _all_routes(app):
    for rule in app.url_map.iter_rules():
        args = {
            name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x"
            for name in rule.arguments
        }
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, args


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_no_route_deletes_audit_records(app, make_user, role):
    """Every route, every method, with placeholder arguments: the trail only grows."""
    from flask import url_for

    make_user(role, "410000")
    for i in range(3):
        write("test.event", object_id=i)
    statements: list[str] = []

    def _watch(conn, cursor, statement, *args):
        sql = " ".join(statement.split()).lower()
        if "audit_record" in sql and sql.startswith(("update", "delete", "truncate", "drop")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _watch)
    try:
        count = lambda: db.session.execute(select(AuditRecord.id)).all().__len__()  # noqa: E731
        for rule, method, args in _all_routes(app):
            db.session.commit()
            before = count()
            client = app.test_client()
            login(client, f"{role}_410000")
            token = csrf_token(client, "/")
            with app.test_request_context():
                url = url_for(rule.endpoint, **args)
            client.open(
                url, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token}
            )
            db.session.commit()
            assert count() >= before, f"{method} {url} removed audit records"
    finally:
        event.remove(db.engine, "before_cursor_execute", _watch)
    assert not statements, statements
    assert audit.verify_chain().ok


def test_postgres_trigger_is_installed_and_guards_every_row():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only (SQLite: the ORM guard)")
    row = db.session.execute(
        text(
            "SELECT tgenabled, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "WHERE tgrelid = 'audit_record'::regclass AND tgname = 'audit_record_no_change'"
        )
    ).one()
    assert row[0] == "O"  # enabled in normal operation
    assert "BEFORE DELETE OR UPDATE" in row[1] and "FOR EACH ROW" in row[1]
    rec = write("test.event")
    from sqlalchemy.exc import DBAPIError

    for sql in (
        "UPDATE audit_record SET hash = hash WHERE id = :id",  # even a no-op rewrite
        "DELETE FROM audit_record WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(sql), {"id": rec.id})
    write("test.event")  # appending still works
    assert audit.verify_chain().ok

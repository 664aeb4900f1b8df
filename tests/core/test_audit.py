from __future__ import annotations

import pytest
from sqlalchemy import select, text

from webapp.core import audit
from webapp.core.models import AuditRecord
from webapp.extensions import db


def _chain(n: int = 5) -> list[AuditRecord]:
    for i in range(n):
        audit.record(
            "test.event",
            actor_name="tester",
            org="410102",
            object_type="thing",
            object_id=i,
            before={"n": i},
            after={"n": i + 1, "名称": "中原区"},
        )
    db.session.commit()
    return list(db.session.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars())


def _raw(sql: str, **params: object) -> None:
    """Tamper below the application, as an attacker with database access would."""
    db.session.commit()  # end the test's read snapshot so it sees the tampering
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_no_change"))
        conn.execute(text(sql), params)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_no_change"))


def test_chain_verifies_and_links():
    records = _chain()
    assert records[0].prev_hash == audit.GENESIS
    for prev, rec in zip(records, records[1:], strict=False):
        assert rec.prev_hash == prev.hash
    report = audit.verify_chain()
    assert report.ok and report.records == 5 and report.first_broken is None


def test_edited_record_is_detected():
    records = _chain()
    _raw("UPDATE audit_record SET after = :v WHERE id = :id", v='{"n": 999}', id=records[2].id)
    db.session.expire_all()
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == records[2].id


def test_deleted_record_is_detected():
    records = _chain()
    _raw("DELETE FROM audit_record WHERE id = :id", id=records[1].id)
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == records[2].id


def test_inserted_record_is_detected():
    records = _chain(3)
    _raw(
        "INSERT INTO audit_record (id, created_at, actor_name, action, prev_hash, hash) "
        "VALUES (:id, :ts, 'intruder', 'fake', :prev, :h)",
        id=records[-1].id + 10,
        ts=records[-1].created_at,
        prev=records[-1].hash,
        h="f" * 64,
    )
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == records[-1].id + 10


def test_cli_verify(app):
    _chain(2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify", "--json"])
    assert result.exit_code == 0 and '"ok": true' in result.output


def test_postgres_trigger_refuses_update_and_delete():
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "the append-only trigger exists on PostgreSQL only (SQLite relies on the chain)"
        )
    records = _chain(1)
    from sqlalchemy.exc import DBAPIError

    for sql in ("UPDATE audit_record SET action = 'x'", "DELETE FROM audit_record"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(sql))
    assert audit.verify_chain().records == len(records)


# Records deleted from the end, or all of them (found from outside, 2026-12-07): the chain
# walk alone saw nothing to break; the chain's head (audit_head) says records were there.


def test_an_emptied_trail_does_not_verify(app):
    _chain(3)
    _raw("DELETE FROM audit_record")
    report = audit.verify_chain()
    assert not report.ok and report.deleted and report.records == 0
    assert report.first_broken == 1
    assert "审计记录被删除" in report.reason and "id=3" in report.reason
    assert "审计链头记载共 3 条记录、最后一条为 id=3，现存 0 条记录" in report.reason
    out = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert out.exit_code == 1 and "审计链被破坏：审计记录被删除" in out.output
    assert "审计链完整" not in out.output


def test_a_fresh_trail_with_no_record_ever_written_verifies(app):
    assert audit.read_head() == audit.Head(0, audit.GENESIS, 0, 0)
    report = audit.verify_chain()
    assert report.ok and report.records == 0 and report.first_broken is None
    out = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert out.exit_code == 0 and "审计链完整：共 0 条记录" in out.output


@pytest.mark.parametrize("cut", [1, 2])
def test_records_deleted_from_the_end_are_detected(app, cut):
    ids = [rec.id for rec in _chain(5)]
    last_kept = ids[-cut - 1]
    _raw("DELETE FROM audit_record WHERE id > :id", id=last_kept)
    report = audit.verify_chain()
    assert not report.ok and report.deleted
    assert report.records == 5 - cut and report.first_broken == last_kept + 1
    assert f"最后一条为 id={last_kept}" in report.reason
    assert f"其后 id={last_kept + 1}" in report.reason
    assert f"{ids[-1]} 的记录不存在" in report.reason
    out = app.test_cli_runner().invoke(args=["audit", "verify", "--json"])
    assert out.exit_code == 1 and '"ok": false' in out.output and "审计记录被删除" in out.output


def test_a_gap_left_by_deleted_records_is_detected():
    """Ids come from the chain's head without a gap, on both databases: records cut off the end
    and a record written after the cut are seen (the new record links to the head, whose
    record is gone; tests/audit/test_head.py covers a cut whose later records were rehashed)."""
    ids = [rec.id for rec in _chain(4)]
    _raw("DELETE FROM audit_record WHERE id > :id", id=ids[1])
    _chain(1)
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == ids[3] + 1
    assert report.reason == audit.UNLINKED


def test_the_first_record_present_must_be_the_chains_first():
    records = _chain(3)
    _raw("DELETE FROM audit_record WHERE id = :id", id=records[0].id)
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == records[1].id
    assert "不是审计链的第一条记录" in report.reason


def test_the_api_and_the_page_say_the_trail_was_emptied(logged_in):
    client = logged_in("auditor", "410000")  # its login is recorded too
    _chain(2)
    _raw("DELETE FROM audit_record")
    page = client.get("/audit/verify?run=1").get_data(as_text=True)
    assert "审计链被破坏" in page and "审计记录被删除" in page and "现存 0 条记录" in page
    answer = client.get("/api/v1/audit/verify").get_json()
    assert answer["ok"] is False and answer["first_broken"] == 1
    assert "审计记录被删除" in answer["reason"]

"""Anchors: the chain head kept outside the database proves nothing after it was truncated
and nothing before it was rewritten."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from tests.audit.helpers import write
from webapp.audit import anchor as anchors
from webapp.core import audit
from webapp.core.models import AuditRecord
from webapp.extensions import db, write_intent


def _chain(n: int) -> list[AuditRecord]:
    return [write("test.event", org="410102", object_type="thing", object_id=i) for i in range(n)]


def _raw(sql: str, **params: object) -> None:
    """Tamper below the application, as someone with database access would."""
    db.session.commit()
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_no_change"))
        conn.execute(text(sql), params)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_no_change"))
    db.session.expire_all()


def test_head_round_trips_through_json_and_text():
    records = _chain(3)
    head = anchors.chain_head()
    assert head.id == records[-1].id and head.hash == records[-1].hash
    assert head.records == db.session.execute(select(AuditRecord)).scalars().all().__len__()
    for form in (head.to_json(), head.to_text()):
        back = anchors.parse_anchor(form)
        assert (back.id, back.hash, back.records, back.created_at) == (
            head.id,
            head.hash,
            head.records,
            head.created_at,
        )
    assert anchors.check_anchor(head).ok


def test_truncation_after_the_anchor_is_detected():
    _chain(3)
    head = anchors.chain_head()
    _chain(2)
    assert anchors.check_anchor(head).ok  # the chain grew: fine
    # cut off the anchored record and everything after it: the links still hold; the id
    # counter (docs/audit.md) and the anchor both say records are gone
    _raw("DELETE FROM audit_record WHERE id >= :id", id=head.id)
    report = audit.verify_chain()
    assert not report.ok and report.deleted and report.first_broken == head.id
    check = anchors.check_anchor(head)
    assert not check.ok and check.status == "truncated" and "截断" in check.message
    result = anchors.verify(head)
    assert not result.chain.ok and not result.ok


def test_a_rebuilt_chain_is_detected():
    records = _chain(3)
    head = anchors.chain_head()
    # rewrite record 2's content and recompute every hash from there: the chain verifies again
    _raw("UPDATE audit_record SET message = 'rewritten' WHERE id = :id", id=records[1].id)
    prev = records[0].hash
    for rec in db.session.execute(
        select(AuditRecord).where(AuditRecord.id > records[0].id).order_by(AuditRecord.id)
    ).scalars():
        new_hash = audit.compute_hash(prev, rec)
        _raw(
            "UPDATE audit_record SET prev_hash = :p, hash = :h WHERE id = :id",
            p=prev,
            h=new_hash,
            id=rec.id,
        )
        prev = new_hash
    # The chain's head still holds the old last hash: verify sees the rebuild by itself.
    report = audit.verify_chain()
    assert not report.ok and "审计链头与最后一条记录" in report.reason
    # Rewriting the head too makes the chain verify again: only the anchor, kept outside, tells.
    _raw("UPDATE audit_head SET last_hash = :h", h=prev)
    assert audit.verify_chain().ok
    check = anchors.check_anchor(head)
    assert not check.ok and check.status == "mismatch"


def test_bad_anchor_text_is_refused_in_chinese():
    from webapp.core.errors import InvalidInput

    for bad in ("", "hello", '{"id": 3, "hash": "xyz"}', "id=abc\nhash=" + "0" * 64):
        with pytest.raises(InvalidInput):
            anchors.parse_anchor(bad)


def test_cli_anchor_then_verify_with_it(app, tmp_path):
    _chain(2)
    runner = app.test_cli_runner()
    out = tmp_path / "anchor.json"
    result = runner.invoke(args=["audit", "anchor", "--output", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    assert saved["kind"] == "hqr-audit-anchor" and len(saved["hash"]) == 64
    db.session.expire_all()
    # taking the anchor is itself recorded, by the system, after the anchored head
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "audit.anchor")
    ).scalar_one()
    assert rec.actor_name == "system" and rec.id > saved["id"]
    printed = runner.invoke(args=["audit", "anchor", "--format", "text"])
    assert printed.exit_code == 0 and "HQR-AUDIT-ANCHOR v1" in printed.output

    write_intent.set(False)  # the command's transaction() set it in this test's context
    ok = runner.invoke(args=["audit", "verify", "--json", "--anchor", str(out)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output) == {
        "ok": True,
        "records": saved["records"] + 2,
        "first_broken": None,
        "anchor": {"ok": True, "status": "ok"},
    }
    _raw("DELETE FROM audit_record WHERE id >= :id", id=saved["id"])
    cut = runner.invoke(args=["audit", "verify", "--anchor", str(out)])
    assert cut.exit_code == 1 and "审计记录被删除" in cut.output and "截断" in cut.output


def test_page_verify_and_anchor_download(logged_in):
    records = _chain(3)
    client = logged_in("auditor", "410000")
    page = client.get("/audit/anchor").get_data(as_text=True)
    assert records[-1].hash in page or "末条记录编号" in page
    download = client.get("/audit/anchor.txt")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    anchor_text = download.get_data(as_text=True)
    assert "HQR-AUDIT-ANCHOR" in anchor_text
    ok = client.get("/audit/verify", query_string={"run": "1", "anchor": anchor_text})
    body = ok.get_data(as_text=True)
    assert "审计链完整" in body and "锚点核对通过" in body
    _raw("UPDATE audit_record SET message = 'x' WHERE id = :id", id=records[1].id)
    broken = client.get("/audit/verify?run=1").get_data(as_text=True)
    assert "审计链被破坏" in broken and f"id={records[1].id}" in broken
    bad = client.get("/audit/verify", query_string={"run": "1", "anchor": "nonsense"})
    assert "锚点格式不正确" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    ("tamper", "broken_at", "reason"),
    [
        ("UPDATE audit_record SET message = 'x' WHERE id = :b", 1, "被改动过"),
        ("DELETE FROM audit_record WHERE id = :b", 2, "被删除、插入或调换"),
        # reorder: two records swap places (their contents keep their own hashes)
        (
            "UPDATE audit_record SET id = -id WHERE id IN (:b, :c);"
            "UPDATE audit_record SET id = :c WHERE id = -:b;"
            "UPDATE audit_record SET id = :b WHERE id = -:c",
            1,
            "被删除、插入或调换",
        ),
    ],
    ids=["edit", "delete", "reorder"],
)
def test_verify_says_why_the_first_broken_record_is_broken(app, tamper, broken_at, reason):
    """A DBA's tampering is named: which record, and whether it was edited or unlinked (the
    command and the page said only 第一条异常记录 id=…, found from outside)."""
    records = _chain(4)
    ids = {"b": records[1].id, "c": records[2].id}
    for statement in tamper.split(";"):
        _raw(statement, **{k: v for k, v in ids.items() if f":{k}" in statement})
    expected = records[broken_at].id
    report = audit.verify_chain()
    assert report.first_broken == expected and reason in (report.reason or "")
    out = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert out.exit_code == 1
    assert f"id={expected}（" in out.output and reason in out.output


def test_a_different_count_before_the_anchor_says_which_way():
    """An anchor whose count differs from the records up to it (its file edited, or records
    before it deleted or inserted and the chain recomputed): the message says how many and
    which way, not "only n" whichever it is."""
    from dataclasses import replace

    _chain(3)
    head = anchors.chain_head()
    fewer = anchors.check_anchor(replace(head, records=head.records + 2))
    assert not fewer.ok and fewer.status == "count"
    assert f"id={head.id}" in fewer.message and "2 条记录被删除" in fewer.message
    more = anchors.check_anchor(replace(head, records=head.records - 1))
    assert not more.ok and more.status == "count" and "1 条记录被插入" in more.message

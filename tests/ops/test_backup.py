"""flask backup create|restore: identical rows and a verified audit chain, on SQLite (online
backup API) and PostgreSQL (pg_dump/pg_restore, custom format) (issue 19)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.engine.conftest import bpmn_bytes
from webapp.core import audit
from webapp.core.models import AuditRecord
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn, start_instance
from webapp.extensions import db


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    db.session.commit()
    out = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        out[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*order))]
    return out


def _some_work(make_user, name: str) -> None:
    make_user("clerk", "410102", username=name)
    deploy_bpmn(None, None, bpmn_bytes("demo_two_tier"))
    start_instance(None, "demo_two_tier", get_org("410102"), f"demo:{name}")
    db.session.commit()


def test_restore_gives_back_every_row_and_a_verified_chain(app, make_user, tmp_path):
    _some_work(make_user, "before_backup")
    target = tmp_path / "backups" / "one.bak"
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "create", str(target)])
    assert made.exit_code == 0, made.output
    assert target.is_file() and "已备份" in made.output
    saved = _rows()
    assert saved["audit_record"][-1][saved_action_index()] == "backup.create"

    _some_work(make_user, "after_backup")  # changes the backup must undo
    assert _rows() != saved

    done = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert done.exit_code == 0, done.output
    assert "审计链校验通过" in done.output
    restored = _rows()
    # Every table as it was; the audit trail as it was plus the record of the restore.
    trail = ("audit_record", "audit_head")
    assert {k: v for k, v in restored.items() if k not in trail} == {
        k: v for k, v in saved.items() if k not in trail
    }
    assert restored["audit_record"][:-1] == saved["audit_record"]
    last = db.session.execute(select(AuditRecord).order_by(AuditRecord.id.desc())).scalars().first()
    # The chain's head came back with the backup and moved on with the restore's record.
    head = audit.read_head()
    assert head is not None and (head.last_id, head.last_hash) == (last.id, last.hash)
    assert head.records == len(restored["audit_record"])
    assert last.action == "backup.restore" and last.after["chain_ok"] is True
    assert last.after["file"] == "one.bak" and len(last.after["sha256"]) == 64
    assert audit.verify_chain().ok


def saved_action_index() -> int:
    return [c.name for c in AuditRecord.__table__.columns].index("action")


def test_a_backup_never_overwrites_and_a_restore_checks_its_file(app, tmp_path):
    runner = app.test_cli_runner()
    existing = tmp_path / "exists.bak"
    existing.write_bytes(b"precious")
    refused = runner.invoke(args=["backup", "create", str(existing)])
    assert refused.exit_code != 0 and "已存在" in refused.output
    assert existing.read_bytes() == b"precious"

    rows = _rows()
    bad = runner.invoke(args=["backup", "restore", str(existing), "--yes"])
    assert bad.exit_code != 0
    assert _rows() == rows  # nothing touched


def test_restore_asks_first(app, make_user, tmp_path):
    _some_work(make_user, "asked")
    target = tmp_path / "b.bak"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(target)]).exit_code == 0
    rows = _rows()
    answer = runner.invoke(args=["backup", "restore", str(target)], input="n\n")
    assert answer.exit_code != 0
    assert _rows() == rows


def test_restoring_an_old_backup_says_which_audit_records_it_dropped(app, make_user, tmp_path):
    """The records written after the backup go with the restore; the chain it brings back still
    verifies, so the restore's own record must say what the trail lost (found from outside)."""
    _some_work(make_user, "kept")
    target = tmp_path / "old.bak"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(target)]).exit_code == 0
    _some_work(make_user, "dropped")  # audited work the old backup does not hold
    head = db.session.execute(select(AuditRecord).order_by(AuditRecord.id.desc())).scalars().first()
    replaced = {"head_id": head.id, "head_hash": head.hash, "records": _count()}

    done = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert done.exit_code == 0, done.output
    assert "随恢复被丢弃" in done.output
    last = db.session.execute(select(AuditRecord).order_by(AuditRecord.id.desc())).scalars().first()
    assert last.action == "backup.restore"
    assert last.before == replaced
    assert last.after["records_lost"] is True
    assert last.after["records"] == _count() - 1  # the restored chain, before this record
    dropped = replaced["records"] - last.after["records"]
    assert dropped > 0
    assert f"最后一条 id={replaced['head_id']}" in last.message
    assert f"至少 {dropped} 条" in last.message
    assert audit.verify_chain().ok

    # Restoring a backup that holds the whole current trail drops nothing and says so.
    fresh = tmp_path / "fresh.bak"
    assert runner.invoke(args=["backup", "create", str(fresh)]).exit_code == 0
    again = runner.invoke(args=["backup", "restore", str(fresh), "--yes"])
    assert again.exit_code == 0 and "丢弃" not in again.output
    last = db.session.execute(select(AuditRecord).order_by(AuditRecord.id.desc())).scalars().first()
    assert last.after["records_lost"] is False and last.message is None


def _count() -> int:
    db.session.commit()
    return len(db.session.execute(select(AuditRecord.id)).all())

"""Backups of the whole database: SQLite through its online backup API, PostgreSQL through
``pg_dump``/``pg_restore`` in their custom format (docs/deploy.md, "Backup and restore").

``create`` audits the backup (the record is inside the file it makes); ``restore`` replaces every
row of the configured database with the file's, verifies the audit chain it brought back and
then audits the restore.  Stop the web and timer processes before a restore.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump / pg_restore, arguments never from a shell
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url

from webapp.core import audit
from webapp.core.errors import DomainError, InvalidInput
from webapp.core.models import AuditRecord
from webapp.extensions import db, write_intent


class BackupFailed(DomainError):
    status_code = 500
    code = "backup_failed"


@dataclass
class Restored:
    records: int
    chain_ok: bool
    first_broken: int | None
    #: The audit records of the replaced database that the restored one does not hold: the
    #: replaced chain's head is not in the restored chain (None: nothing of the trail was lost).
    lost: str | None = None


def _chain_head() -> dict[str, object]:
    """The audit chain's last record (id, hash) and its number of records."""
    last = db.session.execute(
        select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    ).first()
    count = db.session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    return {
        "head_id": last.id if last else None,
        "head_hash": last.hash if last else None,
        "records": count,
    }


def _lost(replaced: dict[str, object], restored: dict[str, object]) -> str | None:
    """What a restore dropped from the trail, in words: the records written after the backup
    (the replaced chain's head is no longer in the chain), or None when none was dropped."""
    if replaced["head_id"] is None:
        return None
    kept = db.session.execute(
        select(AuditRecord.id).where(
            AuditRecord.id == replaced["head_id"], AuditRecord.hash == replaced["head_hash"]
        )
    ).first()
    if kept is not None:
        return None
    dropped = int(replaced["records"]) - int(restored["records"])  # type: ignore[call-overload]
    at_least = f"至少 {dropped} 条" if dropped > 0 else "若干条"
    return (
        f"恢复前的审计链共 {replaced['records']} 条记录（最后一条 id={replaced['head_id']}），"
        f"恢复后共 {restored['records']} 条；恢复前的最后一条记录已不在审计链中："
        f"备份之后写入的审计记录（{at_least}）随恢复被丢弃。"
    )


def suffix() -> str:
    """The file suffix a backup of the configured database gets."""
    return ".dump" if _url().get_backend_name() == "postgresql" else ".sqlite3"


def _url() -> URL:
    return make_url(str(db.engine.url.render_as_string(hide_password=False)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it (a
    password on a command line is visible to every user of the machine)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(args: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupFailed(f"找不到 {args[0]}，请安装 PostgreSQL 客户端工具。")
    done = subprocess.run([tool, *args[1:]], env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"{args[0]} 失败：{done.stderr.strip()[:2000]}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidInput("内存中的 SQLite 数据库不能备份。")
    return Path(url.database)


def _audit(
    action: str,
    path: Path,
    after: dict[str, object],
    *,
    before: dict[str, object] | None = None,
    message: str | None = None,
) -> None:
    """Audited and committed at once (a backup's record is inside the file it makes)."""
    write_intent.set(True)
    audit.record(
        action,
        actor_name="system",
        object_type="backup",
        object_id=path.name,
        before=before,
        after=after,
        message=message,
    )
    db.session.commit()


def create(target: Path) -> Path:
    """Write a backup of the configured database to ``target`` (refused if it exists)."""
    if target.exists():
        raise InvalidInput(f"备份文件已存在：{target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    url = _url()
    _audit("backup.create", target, {"file": target.name, "database": url.get_backend_name()})
    if url.get_backend_name() == "postgresql":
        uri, env = _libpq(url)
        _run(["pg_dump", "--format=custom", f"--file={target}", f"--dbname={uri}"], env)
    else:
        _sqlite_copy(str(_sqlite_path(url)), target)
    return target


def _sqlite_copy(source: str, target: Path) -> None:
    """SQLite's online backup API: a consistent copy page by page, writers go on meanwhile."""
    origin = sqlite3.connect(source, uri=source.startswith("file:"))
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        copy.close()
        origin.close()


def _check_file(path: Path, postgres: bool) -> None:
    if not path.is_file():
        raise InvalidInput(f"备份文件不存在：{path}")
    if postgres:
        uri, env = _libpq(_url())
        _run(["pg_restore", "--list", str(path)], env)
        return
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise InvalidInput(f"不是 SQLite 数据库备份：{path}")
    check = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (result,) = check.execute("PRAGMA integrity_check").fetchone()
    finally:
        check.close()
    if result != "ok":
        raise InvalidInput(f"备份文件已损坏：{result}")


def restore(source: Path) -> Restored:
    """Replace the configured database's contents with the backup ``source``, verify the
    audit chain it holds, and audit the restore (in the restored chain)."""
    url = _url()
    postgres = url.get_backend_name() == "postgresql"
    _check_file(source, postgres)
    # The trail being replaced, so that the restore's record says what of it was dropped (an
    # old backup silently takes the records written since with it; only an anchor would tell).
    replaced = _chain_head()
    db.session.rollback()
    # Every pooled connection goes: pg_restore's DROPs would wait for their locks, and SQLite's
    # backup into the live file needs no other connection in it.
    db.session.remove()
    db.engine.dispose()
    if postgres:
        uri, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={uri}",
                str(source),
            ],
            env,
        )
    else:
        _sqlite_copy(f"file:{source}?mode=ro", _sqlite_path(url))
    report = audit.verify_chain()
    restored = _chain_head()
    lost = _lost(replaced, restored)
    after = {"file": source.name, "sha256": _sha256(source), "chain_ok": report.ok}
    _audit(
        "backup.restore",
        source,
        {**after, **restored, "records_lost": lost is not None},
        before=replaced,
        message=lost,
    )
    return Restored(report.records, report.ok, report.first_broken, lost)

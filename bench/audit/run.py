"""Audit trail at scale: search, count, timeline, export and verification on N records.

``python -m bench audit`` (N = HQR_BENCH_AUDIT_RECORDS, default 300,000) on a fresh SQLite file,
or on PostgreSQL with BENCH_DATABASE_URL (the database's tables are dropped and rebuilt).
Records are bulk-inserted with a correct hash chain (writing them one by one through
``audit.record`` would measure the insert, not the reading).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any


def _timed(label: str, fn: Callable[[], Any], repeat: int = 3) -> Any:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<58} {best * 1000:9.1f} ms")
    return result


def main() -> None:
    n = int(os.environ.get("HQR_BENCH_AUDIT_RECORDS", "300000"))
    url = os.environ.get("BENCH_DATABASE_URL")
    tmp = tempfile.mkdtemp(prefix="bench-audit-")
    os.environ["HQR_INSTANCE_PATH"] = tmp
    if url:
        from tests.conftest import _reset_postgres_schema

        _reset_postgres_schema(url)
    else:
        url = f"sqlite:///{tmp}/bench.sqlite3"

    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    with app.app_context():
        upgrade()
        _run(n)


def _run(n: int) -> None:
    from sqlalchemy import insert, select, text

    from webapp.audit import anchor, reporting, search
    from webapp.audit.export import csv_rows
    from webapp.core import audit, clock
    from webapp.core.demo import ORGS_CSV
    from webapp.core.models import AuditRecord, Org
    from webapp.core.operations import load_orgs_csv
    from webapp.extensions import db, write_intent

    write_intent.set(True)
    load_orgs_csv(ORGS_CSV)
    db.session.commit()
    codes = list(db.session.execute(select(Org.code)).scalars())
    actions = [
        "auth.login",
        "user.update",
        "ledger.project.update",
        "task.complete",
        "report.submit",
        "report.return",
        "document.generate",
        "ledger.import",
    ]
    rng = random.Random(8)
    start = clock.now() - timedelta(days=365)
    prev = (
        db.session.execute(
            select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
        ).scalar()
        or audit.GENESIS
    )
    first_id = (
        db.session.execute(select(AuditRecord.id).order_by(AuditRecord.id.desc())).scalar() or 0
    ) + 1
    t0 = time.perf_counter()
    rows = []
    for i in range(n):
        action = rng.choice(actions)
        org = rng.choice(codes)
        after: dict[str, Any] = {"value": i, "subject": f"report:{i % 5000}"}
        if action == "report.submit":
            after.update(
                period=f"2026Q{rng.randint(1, 4)}",
                kind="quarterly",
                due_at="2026-03-31",
                on_time=rng.random() < 0.8,
            )
        rec = SimpleNamespace(
            id=first_id + i,
            created_at=start + timedelta(seconds=i * (365 * 86400 // max(n, 1))),
            actor_id=None,
            actor_name=f"clerk_{org}",
            org_code=org,
            action=action,
            object_type="report" if action.startswith("report") else "project",
            object_id=str(i % 20000),
            before={"value": i - 1},
            after=after,
            message=f"第{i}次操作" + ("：退回，附表5合计不符" if action == "report.return" else ""),
            client_addr="10.0.0.1",
            prev_hash=prev,
        )
        rec.hash = audit.compute_hash(prev, rec)
        prev = rec.hash
        rows.append(dict(vars(rec)))
        if len(rows) == 5000:
            db.session.execute(insert(AuditRecord), rows)
            rows = []
    if rows:
        db.session.execute(insert(AuditRecord), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE audit_record"))  # as autovacuum would, in production
        db.session.commit()
    write_intent.set(False)
    print(f"  inserted {n} records in {time.perf_counter() - t0:.1f} s ({db.engine.dialect.name})")

    F = search.AuditFilter
    mid = (start + timedelta(days=180)).astimezone(clock.LOCAL_TZ).date()
    cases = {
        "first page, no filter": F(),
        "org subtree 郑州 (410100)": F(org="410100"),
        "action prefix report.": F(action="report."),
        "exact actor": F(actor="clerk_410102"),
        "one week": F(date_from=mid, date_to=mid + timedelta(days=6)),
        "object report/123": F(object_type="report", object_id="123"),
        "free text 退回 + org 410100": F(q="退回", org="410100"),
        "free text, rare (第12345次)": F(q="第12345次"),
    }
    for label, flt in cases.items():
        _timed(f"page: {label}", lambda flt=flt: search.page(flt))
        _timed(f"count (cap 10000): {label}", lambda flt=flt: search.count(flt))
    deep = search.page(F(), before=first_id + n // 2)
    _timed(
        "page 'before' the middle id (keyset)", lambda: search.page(F(), before=first_id + n // 2)
    )
    assert deep.items
    _timed("timeline report:123 (subject join)", lambda: search.timeline("report", "123"), 1)
    _timed("reporting_record(2026)", lambda: reporting.reporting_record(2026), 1)
    flt = F(action="report.")
    _timed(
        f"CSV of 'report.' (~{n // 4} rows)",
        lambda: sum(len(csv_rows(b)) for b in _batches(search, flt)),
        1,
    )
    report = _timed("verify_chain (whole chain)", audit.verify_chain, 1)
    assert report.ok, report
    _timed("chain head (anchor)", anchor.chain_head)


def _batches(search: Any, flt: Any) -> Any:
    last = 0
    while rows := search.batch(flt, after_id=last, limit=2000):
        yield rows
        last = rows[-1].id

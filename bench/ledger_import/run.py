"""Benchmark of a big ledger import and of what it does to everyone else's saves.

Builds a 60,000-row projects workbook (``BENCH_IMPORT_ROWS``) and posts it to the import page
``/ledger/projects/import`` of a fresh application, as a clerk of 中原区 would in the browser,
while a clerk of 二七区 saves one new project every 0.2 s through the project form.  It prints:

- the import request's time, and its rows;
- the longest writing transaction of the import request (on SQLite: how long it held the
  database's write lock), from its BEGIN to its COMMIT;
- the slowest and the median save of the other unit during the import, and how many failed
  (what that lock cost them: a save that waits past SQLite's 30 s busy timeout fails).

The import is done twice: into an empty ledger (all created) and again with every row's name
changed (all updated).  SQLite by default (a file in a temporary folder); PostgreSQL when
``BENCH_DATABASE_URL`` is set (its public schema is dropped and rebuilt: point it at a database
of its own).  To measure another version of the code, put its checkout first on PYTHONPATH.
"""

from __future__ import annotations

import io
import os
import re
import statistics
import tempfile
import threading
import time
from datetime import date, timedelta
from typing import Any

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "60000"))
START = date(2025, 1, 1)
PASSWORD = "Bench@pass1"


def _workbook(n: int, prefix: str = "导入工程") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("工程")
    ws.append(
        [
            "监督注册号",
            "工程名称",
            "结构类型",
            "建筑面积（平方米）",
            "工程造价（万元）",
            "施工单位",
            "监督注册日期",
            "住宅",
            "保障性安居",
            "公共建筑",
        ]
    )
    for i in range(n):
        ws.append(
            [
                f"IMP{i:06d}",
                f"{prefix}{i}",
                "框架",
                1000 + i % 5000,
                300 + i % 1000,
                "河南一建",
                START + timedelta(days=i % 700),
                "是" if i % 2 else "否",
                "否",
                "否",
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class WriteClock:
    """Durations of writing transactions per thread (BEGIN IMMEDIATE on SQLite → COMMIT)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.started: dict[int, float] = {}
        self.longest: dict[int, float] = {}
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, conn: Any) -> None:
        from webapp.extensions import write_intent

        if write_intent.get() or conn.dialect.name != "sqlite":
            self.started[threading.get_ident()] = time.perf_counter()

    def _end(self, conn: Any) -> None:
        began = self.started.pop(threading.get_ident(), None)
        if began is not None:
            key = threading.get_ident()
            self.longest[key] = max(self.longest.get(key, 0.0), time.perf_counter() - began)


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _login(client: Any, username: str) -> None:
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302


def _csrf(client: Any, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def _measure(importer: Any, other: Any, data: bytes, case: str) -> dict[str, Any]:
    """Post the import while the other unit saves a project every 0.2 s."""
    saves: list[float] = []
    failed: list[int] = []
    done = threading.Event()
    box: dict[str, Any] = {}
    import_token = _csrf(importer, "/ledger/projects/import")

    def do_import() -> None:
        box["thread"] = threading.get_ident()
        t0 = time.perf_counter()
        response = importer.post(
            "/ledger/projects/import",
            data={
                "csrf_token": import_token,
                "org_code": "410102",
                "file": (io.BytesIO(data), "工程.xlsx"),
            },
            content_type="multipart/form-data",
        )
        box["seconds"] = time.perf_counter() - t0
        box["status"] = response.status_code
        box["body"] = response.get_data(as_text=True)
        done.set()

    def other_unit_saves() -> None:
        i = 0
        token = _csrf(other, "/ledger/projects/new")
        while not done.is_set():
            t0 = time.perf_counter()
            response = other.post(
                "/ledger/projects/new",
                data={
                    "csrf_token": token,
                    "org_code": "410103",
                    "registration_no": f"OTHER-{case}-{i}",
                    "name": "二七区工程",
                    "structure_type": "框架",
                    "area_m2": "1000",
                    "cost_10k_yuan": "300",
                    "registered_on": "2026-07-01",
                    "user_rating": "未评价",
                    "acceptance_result": "",
                    "filing_result": "",
                },
            )
            saves.append(time.perf_counter() - t0)
            if response.status_code != 302:  # the old import made them fail ("database is locked")
                failed.append(response.status_code)
            i += 1
            time.sleep(0.2)

    worker = threading.Thread(target=do_import)
    neighbour = threading.Thread(target=other_unit_saves)
    worker.start()
    neighbour.start()
    worker.join()
    neighbour.join()
    expected = {"created": f"新增 {ROWS}", "updated": f"更新 {ROWS}"}[case]
    assert box["status"] == 200 and expected in box["body"], box["body"][-3000:]
    return {
        "thread": box["thread"],
        "request_s": box["seconds"],
        "saves": len(saves),
        "failed": len(failed),
        "save_max_s": max(saves),
        "save_median_s": statistics.median(saves),
    }


def run_one(url: str, label: str) -> list[dict[str, Any]]:
    os.environ["HQR_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-import-")
    from sqlalchemy import text

    from webapp import create_app
    from webapp.config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench-only"
        MAX_CONTENT_LENGTH = 100 * 1024 * 1024
        LEDGER_IMPORT_MAX_ROWS = max(ROWS, 50_000)

    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        from webapp import _normalise_db_url

        engine = create_engine(_normalise_db_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()

    app = create_app(BenchConfig)
    results = []
    with app.app_context():
        from flask_migrate import upgrade

        from webapp.core.demo import ORGS_CSV
        from webapp.core.operations import create_user, load_orgs_csv
        from webapp.extensions import db

        upgrade()
        load_orgs_csv(ORGS_CSV)
        for name, code in (("bench_importer", "410102"), ("bench_other", "410103")):
            create_user(
                None,
                username=name,
                full_name=name,
                org_code=code,
                roles=["clerk"],
                password=PASSWORD,
            )
        db.session.commit()
        clock = WriteClock(db.engine)
        engine = db.engine
    importer, other = app.test_client(), app.test_client()
    _login(importer, "bench_importer")
    _login(other, "bench_other")
    for case, prefix in (("created", "导入工程"), ("updated", "改名工程")):
        data = _workbook(ROWS, prefix)
        figures = _measure(importer, other, data, case)
        figures["lock_s"] = clock.longest.get(figures.pop("thread"), 0.0)
        results.append({"db": label, "case": case, **figures})
    engine.dispose()
    return results


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-import-db-")
    runs = [(f"sqlite:///{tmp}/bench.sqlite3", "SQLite")]
    if os.environ.get("BENCH_DATABASE_URL"):
        runs.append((os.environ["BENCH_DATABASE_URL"], "PostgreSQL"))
    print(f"{ROWS:,} rows per import", flush=True)
    for url, label in runs:
        for r in run_one(url, label):
            print(
                f"{r['db']:<10} {r['case']:<8} request {r['request_s']:6.1f} s   "
                f"longest write transaction {r['lock_s']:6.2f} s   other unit's saves: "
                f"{r['saves']} (median {r['save_median_s'] * 1000:.0f} ms, "
                f"slowest {r['save_max_s']:.2f} s, failed {r['failed']})",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Benchmark of the home page (issue 18) on the 100,000-project data of ``bench/stats``.

The same projects as the statistics benchmark (``bench.stats.run._rows``: every unit of the demo
province, 2025Q1–2026Q4), the clock on 2026-12-06 (current quarter 2026Q4), and what a leader's
home reads in the demo after two years of reporting:

- the accepted snapshot of every past quarter (2025Q1–2026Q3) of the province and of each city
  (the province's frozen with every table of the report, as ``report.submit`` does; the cities'
  with 附表5);
- 2026Q4 opened for every unit through the real flow (``open_period``: a process instance and a
  clerk's task each), so that the board, the clerk's tasks and the live quarter are all there.

Then ``GET /`` through the Flask test client, logged in (cookie session), for the province's
leader (board of 28 units, approvals, eight quarters of figures, the cities compared), a city's
reviewer and a county's clerk; 5 warm-up requests, then 60 timed, median and p95.

PostgreSQL is used when ``BENCH_DATABASE_URL`` is set (its public schema is dropped and rebuilt).
Results are printed and written to the "home" section of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.fresh import run_on_databases
from bench.stats.run import PROJECTS, _rows

ROOT = Path(__file__).resolve().parents[2]
WARMUP = 5
TIMED = int(os.environ.get("BENCH_HOME_REQUESTS", "60"))
PASSWORD = "Bench@home2026"
PAST = ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
USERS = [
    ("home_leader", "410000", ["leader"], "省厅主要领导"),
    ("home_reviewer", "410100", ["reviewer"], "郑州市审核人"),
    ("home_clerk", "410102", ["clerk"], "中原区填表人"),
]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def run_one(url: str, label: str) -> dict[str, Any]:
    from sqlalchemy import insert, select, text

    from bench.fresh import fresh_app

    app = fresh_app(
        url,
        "bench-home-",
        WTF_CSRF_ENABLED=False,
        SESSION_COOKIE_SECURE=False,
        RATELIMIT_ENABLED=False,
    )
    figures: dict[str, Any] = {"db": label}
    with app.app_context():
        from datetime import timedelta

        from flask_migrate import upgrade

        from webapp.core import clock
        from webapp.core.demo import ORGS_CSV
        from webapp.core.models import Org, User
        from webapp.core.operations import create_user, get_org, load_orgs_csv
        from webapp.engine import deploy_bpmn
        from webapp.extensions import db
        from webapp.ledger.models import Project
        from webapp.reports.models import Report
        from webapp.reports.operations import open_period
        from webapp.stats.compute import freeze_tables
        from webapp.stats.periods import parse_period
        from webapp.stats.tables import summary_table

        upgrade()
        load_orgs_csv(ORGS_CSV)
        db.session.commit()
        orgs = list(db.session.execute(select(Org)).scalars())
        rows = _rows([o.id for o in orgs], PROJECTS)
        for i in range(0, len(rows), 5000):
            db.session.execute(insert(Project), rows[i : i + 5000])
        db.session.commit()
        figures["projects"] = len(rows)

        clock.set_now(datetime(2026, 12, 6, 10, 0, tzinfo=clock.LOCAL_TZ))
        t0 = time.perf_counter()
        province = get_org("410000")
        cities = [o for o in orgs if o.depth == 1]
        for code in PAST:
            period = parse_period(code)
            snapshots = [(province, freeze_tables(province, period))]
            snapshots += [
                (city, {"tables": {"table5": summary_table(city, period)}}) for city in cities
            ]
            for org, snapshot in snapshots:
                due = datetime.combine(period.end, datetime.min.time(), tzinfo=clock.UTC)
                db.session.add(
                    Report(
                        org_id=org.id,
                        period=code,
                        kind="quarterly",
                        due_at=due,
                        remind_at=due - timedelta(days=5),
                        submitted_at=due,
                        accepted_at=due,
                        locked=True,
                        snapshot=snapshot,
                        accepted_snapshot=snapshot,
                    )
                )
            db.session.commit()
        figures["snapshots_s"] = time.perf_counter() - t0
        deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
        db.session.commit()
        t0 = time.perf_counter()
        open_period(None, "2026Q4")
        db.session.commit()
        figures["open_s"] = time.perf_counter() - t0
        for username, code, roles, name in USERS:
            create_user(
                None,
                username=username,
                full_name=name,
                org_code=code,
                roles=roles,
                password=PASSWORD,
            )
        db.session.commit()
        if label == "PostgreSQL":
            # What autovacuum does within a minute of a bulk load (insert threshold): statistics,
            # and the visibility map that lets the live key figures read their covering indexes
            # only (index-only scans). VACUUM cannot run inside a transaction.
            db.session.commit()
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))

        # Where the leader's time goes, block by block (each in the state a request meets).
        from webapp.engine import tasks_for
        from webapp.main.home import accepted_summaries, board_home
        from webapp.reports.deadlines import current_period_code
        from webapp.stats.key_figures import key_figures

        leader = db.session.execute(select(User).where(User.username == "home_leader")).scalar_one()
        current = parse_period(current_period_code())
        blocks = {
            "tasks": lambda: tasks_for(leader, "todo"),
            "board": lambda: board_home(leader),
            "past": lambda: accepted_summaries(province, PAST),
            "live": lambda: key_figures(province, current),
        }
        for name, block in blocks.items():
            block()
            times = []
            for _ in range(15):
                t0 = time.perf_counter()
                block()
                times.append(time.perf_counter() - t0)
                db.session.rollback()
            figures[f"block_{name}"] = statistics.median(times)
        db.session.remove()

    # Each request in its own app context, as under a server (a request reuses an app context
    # already pushed: its g, its login, its database session).
    for username, *_ in USERS:
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        times = []
        for i in range(WARMUP + TIMED):
            t0 = time.perf_counter()
            page = client.get("/")
            elapsed = time.perf_counter() - t0
            assert page.status_code == 200, page.status_code
            if i >= WARMUP:
                times.append(elapsed)
        body = page.get_data(as_text=True)
        name = dict((u[0], u[3]) for u in USERS)[username]
        assert f"欢迎，{name}" in body, body[:500]
        if username != "home_clerk":
            assert 'id="home-board"' in body and 'id="home-figures"' in body
        figures[username] = {
            "median": statistics.median(times),
            "p95": _percentile(times, 95),
            "max": max(times),
            "bytes": len(page.data),
        }
    clock.set_now(None)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return figures


def _section(results: list[dict[str, Any]]) -> str:
    lines = [
        "## home",
        "",
        f"`python -m bench home` — `GET /` on the statistics benchmark's {PROJECTS:,} projects,",
        "the clock on 2026-12-06 (2026Q4 opened for every unit through the flow), the accepted",
        "snapshots of the seven past quarters for the province (every table) and each city",
        f"(附表5); {TIMED} requests after {WARMUP} warm-ups, through the Flask test client",
        "(rendering included, no network); 2-core machine shared with other work.",
        "",
        "| user (blocks) | " + " | ".join(f"{r['db']} median / p95 (ms)" for r in results) + " |",
        "| --- | " + " | ".join("---:" for _ in results) + " |",
    ]
    names = {
        "home_leader": "province leader (board of 28 units, approvals, figures, cities compared)",
        "home_reviewer": "city reviewer (board of its counties, queue, figures)",
        "home_clerk": "county clerk (tasks, figures)",
    }
    for key, title in names.items():
        cells = [f"{r[key]['median'] * 1000:.0f} / {r[key]['p95'] * 1000:.0f}" for r in results]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    blocks = [
        ("block_tasks", "inbox query (`tasks_for`)"),
        ("block_board", "board of 28 units (`board_home`)"),
        ("block_past", "seven accepted quarters (`accepted_summaries`, cached)"),
        ("block_live", "live quarter (`key_figures`)"),
    ]
    for key, title in blocks:
        cells = [f"{r[key] * 1000:.0f}" for r in results]
        lines.append(f"| leader's block alone: {title} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Per block: the inbox is one query (the engine's `tasks_for`); the board one query",
        "(`webapp/reports/board.py`: units, reports and business status joined); past quarters",
        "one query reading only `tables.table5` out of each accepted snapshot (JSON path in SQL);",
        "the live quarter `webapp/stats/key_figures.py`: one `UNION ALL` of three",
        "`GROUP BY org_id` over the projects registered / accepted 合格 / granted 备案 in the",
        "quarter, each read from its partial covering index only (`ix_ledger_project_*_cover`;",
        "on PostgreSQL once vacuumed, which the benchmark does after the bulk load, as",
        "autovacuum would).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    run_on_databases(run_one, _section, "home")


if __name__ == "__main__":
    main()

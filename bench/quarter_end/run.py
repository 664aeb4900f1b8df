"""Goal 5 of issue 19: quarter-end load with locust, headless, on loopback, against the
production mode on PostgreSQL (``make bench-quarter-end``; not part of ``make test``).

A scratch database ``hqr_scale_qe`` (created and dropped here, :mod:`bench.prod`) gets the demo
province (``flask demo seed``: a 填表人 and a 审核人 for each of the 62 units), the BPMN files
deployed, the current quarter opened for every unit (its quarterly report at 填报) and
``BENCH_QE_INSTANCES`` (default 20) ``demo_two_tier`` instances per unit below the province, so
that completions have work (clerk 填报 → unit reviewer 审核 → upper reviewer 接收).  The server
is gunicorn with ``HQR_WEB_PROCESSES`` (default 2) processes and one timer worker, as
``make run-prod`` runs it.  Then ``locust --headless`` (bench/quarter_end/locustfile.py) with
``BENCH_QE_USERS`` (default 200) people for ``DURATION`` (default ``10m``), spawning 5 a second;
locust runs on the same 2 cores as the server and the database.  Printed: per request kind the
count, failures, median, p95 and p99, the no-op's beside them; the run fails on any failure.
"""

from __future__ import annotations

import csv
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench import prod

USERS = int(os.environ.get("BENCH_QE_USERS") or 200)
DURATION = os.environ.get("DURATION") or "10m"
PROCESSES = int(os.environ.get("HQR_WEB_PROCESSES") or 2)
INSTANCES = int(os.environ.get("BENCH_QE_INSTANCES") or 20)
PASSWORD = "QuarterEnd#2026"  # noqa: S105 - the scratch database's demo users
HERE = Path(__file__).resolve().parent


def prepare(url: str, instances: int) -> list[str]:
    """The demo province on ``url``; returns ``username:role:report_id`` of every clerk and
    reviewer (their unit's report of the current quarter)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from bench.fresh import fresh_app
    from webapp.core.demo import seed_demo
    from webapp.core.models import Org, User
    from webapp.engine import deploy_bpmn, start_instance
    from webapp.extensions import db, write_intent
    from webapp.reports.deadlines import current_period_code
    from webapp.reports.models import Report
    from webapp.reports.operations import open_period

    app = fresh_app(url, "bench-qe-")
    accounts = []
    with app.app_context():
        write_intent.set(True)
        upgrade()
        seed_demo(PASSWORD)
        for path in sorted((prod.ROOT / "workflows").glob("*.bpmn")):
            deploy_bpmn(None, None, path.read_bytes())
        period = current_period_code()
        open_period(None, period)
        db.session.commit()
        orgs = db.session.execute(select(Org).order_by(Org.path)).scalars().all()
        for org in orgs:
            report = db.session.execute(
                select(Report).where(Report.org_id == org.id, Report.period == period)
            ).scalar_one_or_none()
            if report is None:
                continue
            if org.parent_id is not None:
                for i in range(instances):
                    start_instance(None, "demo_two_tier", org, f"qe:{org.code}:{i}")
            db.session.commit()
            for role in ("clerk", "reviewer"):
                user = db.session.execute(
                    select(User).where(User.username == f"{role}_{org.code}")
                ).scalar_one_or_none()
                if user is not None:
                    accounts.append(f"{user.username}:{role}:{report.id}")
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return accounts


def _stats(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main() -> None:
    prod.stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="bench-qe-") as tmp:
        os.environ["HQR_INSTANCE_PATH"] = tmp
        t0 = time.monotonic()
        with prod.scratch_database("qe") as url:
            accounts = prepare(url, INSTANCES)
            print(
                f"prepared {len(accounts)} accounts of {len(accounts) // 2} units in "
                f"{time.monotonic() - t0:.0f} s",
                flush=True,
            )
            log = Path(tmp) / "server.log"
            with prod.production_server(url, PROCESSES, log, timer_workers=1) as server:
                cpu0 = server.cpu_seconds()
                result = subprocess.run(
                    [
                        str(prod.BIN / "locust"),
                        "-f",
                        str(HERE / "locustfile.py"),
                        "--headless",
                        "--users",
                        str(USERS + 1),
                        "--spawn-rate",
                        "5",
                        "--run-time",
                        DURATION,
                        "--host",
                        server.base,
                        "--csv",
                        f"{tmp}/qe",
                        "--only-summary",
                        # Figures of the steady state: the spawn's logins (a password hash
                        # each) queue everything for its first ~40 s.
                        "--reset-stats",
                        "--loglevel",
                        "WARNING",
                    ],
                    env={
                        **os.environ,
                        "HQR_QE_ACCOUNTS": ",".join(accounts),
                        "HQR_QE_PASSWORD": PASSWORD,
                    },
                    capture_output=True,
                    text=True,
                    check=False,
                )
                cpu = server.cpu_seconds() - cpu0
            rows = _stats(Path(f"{tmp}/qe_stats.csv"))
            failures = _stats(Path(f"{tmp}/qe_failures.csv"))
            errors = sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
            print(
                f"{USERS} people + 1 no-op prober, {DURATION}, {PROCESSES} web processes on "
                f"PostgreSQL, locust on the same cores; server CPU {cpu:.0f} s; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            print(f"{'kind':<14}{'requests':>9}{'fail':>6}{'median':>8}{'p95':>7}{'p99':>7}  ms")
            for r in rows:
                print(
                    f"{r['Name']:<14}{r['Request Count']:>9}{r['Failure Count']:>6}"
                    f"{float(r['Median Response Time']):>8.0f}{r['95%']:>7}{r['99%']:>7}"
                )
            for f in failures[:10]:
                print(f"failure: {f['Method']} {f['Name']} ×{f['Occurrences']}: {f['Error']}")
            if result.returncode and not errors:
                print(result.stdout[-2000:], result.stderr[-3000:])
            if errors or result.returncode:
                print(f"server log (tail): {log.read_text()[-3000:]}")
                raise SystemExit(f"{errors} failed requests under the quarter-end load")


if __name__ == "__main__":
    main()

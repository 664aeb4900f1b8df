"""The production-mode benchmarks of issue 19 (bench/processes, bench/quarter_end,
bench/simulate) in a tiny version each, so that the scripts keep working: each starts gunicorn
on a scratch PostgreSQL database it creates and drops, drives it over HTTP and must end with
exit status 0 (no 5xx, no failed request, the checks it makes passed).  No figure is asserted.

PostgreSQL only (``TEST_DATABASE_URL``: the scratch databases go to the same server, named
``hqr_scale_*_t<pid>``); Redis when one answers, else the login limits in memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.reliability.server import ROOT

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql"), reason="the production mode runs on PostgreSQL"
)


def _redis() -> str:
    url = "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - any failure means no Redis here
        return ""
    return url


def _run(name: str, **env: str) -> str:
    server = urlunsplit(urlsplit(URL)._replace(path="/postgres"))
    result = subprocess.run(
        [sys.executable, "-m", "bench", name],
        cwd=ROOT,
        env={
            **os.environ,
            "BENCH_PG_URL": server,
            "BENCH_DB_SUFFIX": f"_t{os.getpid()}",
            "BENCH_REDIS_URL": _redis(),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


def test_two_processes_against_one() -> None:
    out = _run(
        "processes",
        BENCH_PROC_SECONDS="3",
        BENCH_PROC_WARMUP="1",
        BENCH_PROC_ROUNDS="1",
        BENCH_PROC_CLIENTS="4",
    )
    assert "ratio" in out
    # The accounting of every CPU consumer and the ceiling it implies.
    assert out.count("CPU ms/request: web") == 2
    assert "best possible on" in out


def test_quarter_end_load() -> None:
    out = _run("quarter_end", DURATION="8s", BENCH_QE_USERS="4", BENCH_QE_INSTANCES="1")
    assert "no-op" in out


def test_a_year_of_two_units_for_one_quarter_and_the_assessment() -> None:
    """One quarter of two units, then the year's assessment (its 28 units scored; one unit
    self-assesses, the others are closed unreported, the sites short and accepted)."""
    out = _run("simulate", BENCH_SIM_UNITS="2", BENCH_SIM_QUARTERS="1", BENCH_SIM_ASSESS="1")
    assert "'ok': True" in out
    assert "'ranking_matches': True" in out and "'closed_by_hand': True" in out

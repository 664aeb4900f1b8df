"""bench.prod's CPU accounting (the ceiling of issue 19 goal 4 rests on it): which processes it
counts as a request's, and that a process ending during a round does not subtract its CPU."""

from __future__ import annotations

import os
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from bench import prod

URL = os.environ.get("TEST_DATABASE_URL", "")


def _sample(per_pid: dict[int, tuple[str, int]], client: float = 0.0) -> prod.CpuSample:
    return prod.CpuSample(per_pid, client, machine_busy=0.0)


def test_a_round_counts_new_processes_from_zero_and_ended_ones_not_at_all() -> None:
    tick = os.sysconf("SC_CLK_TCK")
    before = _sample({1: ("web", 10 * tick), 2: ("pg", 5 * tick), 3: ("pg", 7 * tick)}, 1.0)
    # pid 3 ended during the round; pid 4 started in it.
    after = _sample({1: ("web", 12 * tick), 2: ("pg", 6 * tick), 4: ("pg", 3 * tick)}, 1.5)
    cpu = after - before
    assert cpu["web"] == pytest.approx(2.0)
    assert cpu["pg"] == pytest.approx(1.0 + 3.0)
    assert cpu["client"] == pytest.approx(0.5)
    assert cpu["redis"] == 0


@pytest.mark.skipif(
    not URL.startswith("postgresql"),
    reason="counts a PostgreSQL server process: runs in make test's PostgreSQL leg",
)
def test_the_backends_of_the_rounds_database_are_counted_and_no_other() -> None:
    import psycopg

    libpq = URL.replace("postgresql+psycopg://", "postgresql://")
    database = urlsplit(libpq).path.lstrip("/")
    with psycopg.connect(libpq) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        if not os.path.exists(f"/proc/{backend}/stat"):
            pytest.skip("the PostgreSQL server runs on another machine")
        # Some CPU in the backend so that its ticks are not all zero.
        conn.execute("SELECT count(*) FROM generate_series(1, 300000)").fetchone()
        server = SimpleNamespace(pids=lambda: [os.getpid()])
        ours = prod.cpu_sample(server, database)
        other = prod.cpu_sample(server, database + "_not_this_one")
    assert ours.per_pid[backend][0] == "pg"
    assert backend not in other.per_pid
    assert ours.per_pid[os.getpid()][0] == "web"

"""The PostgreSQL leg's scope (tests/pg_scope.py) leaves out only what cannot tell the engines
apart: every entry exists and has a reason, none is in a folder that always runs on
PostgreSQL or is a migration test, and no file it leaves out speaks SQL beyond the ORM's
basics.  A new test file is on PostgreSQL unless listed, so nothing is left out silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg_scope import (
    ALWAYS_POSTGRES,
    DB_AGNOSTIC,
    REFUSAL_SWEEPS,
    database_sensitive,
    is_agnostic,
)

TESTS = Path(__file__).resolve().parents[1]


def _agnostic_files() -> list[str]:
    files = sorted(p.relative_to(TESTS).as_posix() for p in TESTS.rglob("*.py"))
    here = Path(__file__).relative_to(TESTS).as_posix()  # its samples of raw SQL are strings
    return [f for f in files if is_agnostic(f) and f != here]


def test_every_entry_exists_and_says_why() -> None:
    for entry, reason in DB_AGNOSTIC.items():
        assert (TESTS / entry).exists(), f"tests/pg_scope.py lists a missing path: {entry}"
        assert len(reason) > 20, f"say why {entry} cannot tell SQLite from PostgreSQL"


def test_no_entry_in_a_folder_that_always_runs_on_postgres() -> None:
    for entry in DB_AGNOSTIC:
        assert not entry.startswith(ALWAYS_POSTGRES), entry
        assert not any(folder.startswith(entry) for folder in ALWAYS_POSTGRES), entry
        assert "migration" not in entry, entry


def test_the_refusal_sweeps_run_on_postgres() -> None:
    """Every refused write they try is rolled back on PostgreSQL too, and what a refusal keeps
    (its audit record, a released form token) is written there too."""
    sweeps = [
        p.relative_to(TESTS).as_posix()
        for p in TESTS.rglob("test_*.py")
        if any(part in p.name for part in REFUSAL_SWEEPS)
    ]
    assert "core/test_page_refusals.py" in sweeps and "core/test_form_errors.py" in sweeps
    assert [f for f in sweeps if is_agnostic(f)] == []


@pytest.mark.parametrize("relative", _agnostic_files())
def test_left_out_files_use_only_the_orm_basics(relative: str) -> None:
    found = database_sensitive((TESTS / relative).read_text(encoding="utf-8"))
    assert found is None, (
        f"tests/{relative} uses {found!r}: it can tell the database engines apart, "
        "so it must run on PostgreSQL (remove it from tests/pg_scope.py)"
    )


def test_the_rule_catches_raw_sql() -> None:
    for sample in (
        "from sqlalchemy import select, text\n",
        "conn.execute(sa.text('select 1'))",
        "q.with_for_update()",
        "if engine.dialect.name == 'postgresql':",
        "os.environ['TEST_DATABASE_URL']",
        "db.session.commit()\nthreading.Thread(target=f)",
    ):
        assert database_sensitive(sample), sample
    assert database_sensitive("db.session.execute(select(User)).scalars()") is None
    assert database_sensitive("with ThreadPoolExecutor(2) as pool: pool.map(to_pdf, files)") is None


def test_the_marker_follows_the_list(request: pytest.FixtureRequest) -> None:
    # This very file is listed (architecture/), so collection marked it.
    assert request.node.get_closest_marker("db_agnostic") is not None

"""Tests never see each other's rows, with the copied builds of tests/snapshots.py too.

Runs on both engines (SQLite, then PostgreSQL in ``make test``'s second leg).  The last two
tests are a pair in file order (``--dist loadfile`` keeps a file on one worker, in order): the
first leaves rows and advanced ids behind, the second must start from an empty database whose
ids start again at 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from tests.conftest import _empty_tables, data_tables
from tests.snapshots import built
from webapp.core.models import User
from webapp.extensions import db


def dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a test may fill, in the order a plain SELECT returns them."""
    db.session.commit()  # a new transaction: see what other connections committed
    rows = {
        name: [tuple(r) for r in db.session.execute(text(f'SELECT * FROM "{name}"'))]
        for name in data_tables()
    }
    db.session.commit()
    return {name: found for name, found in rows.items() if found}


def between_tests() -> None:
    """What tests/conftest.py's ``_ctx`` does after a test."""
    db.session.rollback()
    db.session.remove()
    _empty_tables()


def test_a_copied_build_is_the_build_and_nothing_the_last_test_added(
    make_user: Callable[..., User],
) -> None:
    key = ("isolation", object())  # new for this run: the first call builds
    builds: list[int] = []

    def build() -> dict[str, Any]:
        builds.append(1)
        users = [make_user("clerk", "410102", "iso_a"), make_user("reviewer", "410100", "iso_b")]
        db.session.delete(users[1])  # a row written and deleted: its id is used up
        db.session.commit()
        return {"ids": [users[0].id]}

    first = built(key, build)
    after_build = dump()
    assert builds == [1] and after_build["app_user"]
    next_id = make_user("leader", "410000", "iso_c").id  # the test's own row
    between_tests()
    assert dump() == {}

    second = built(key, build)
    assert builds == [1], "restored from the copy, not built again"
    assert second == first
    assert dump() == after_build, "the rows of the build, same ids, same order, nothing more"
    assert make_user("leader", "410000", "iso_c").id == next_id, "ids go on as after the build"
    between_tests()
    assert dump() == {}


def test_a_build_on_a_database_with_rows_is_built_and_not_kept(
    make_user: Callable[..., User],
) -> None:
    key = ("isolation", object())
    builds: list[int] = []

    def build() -> dict[str, Any]:
        builds.append(1)
        return {"id": make_user("clerk", "410102", "iso_built").id}

    make_user("reviewer", "410100", "iso_before")  # not an empty database
    assert built(key, build) == {"id": 2}
    between_tests()
    assert built(key, build) == {"id": 1}
    assert builds == [1, 1], "the first build was not kept: it held another test's row"
    assert [u.username for u in db.session.query(User)] == ["iso_built"]


def test_rows_and_ids_are_left_behind_for_the_teardown(make_user: Callable[..., User]) -> None:
    built(("isolation", "left behind"), lambda: {"id": make_user("clerk", "410102", "iso_x").id})
    make_user("reviewer", "410100", "iso_y")
    assert len(dump()["app_user"]) == 2


def test_the_next_test_starts_empty_with_ids_from_1(make_user: Callable[..., User]) -> None:
    assert dump() == {}
    assert make_user("clerk", "410102", "iso_z").id == 1

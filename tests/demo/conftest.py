"""The demo province as ``make db`` builds it, built once for this folder's tests.

Building a province's year through the flow takes minutes (about 470 reports, each rendered to
Word when it is submitted), so the tests here share one build: this folder overrides the
autouse ``_ctx`` of tests/conftest.py, which empties the tables after every test, and empties
them once, after the last test of the folder.  The tests only read.  They are one module, which
pytest-xdist's ``--dist loadfile`` (make test) gives to one worker: the build is made once per
run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from flask import Flask

from tests.conftest import ROOT, _empty_tables
from webapp.core import clock
from webapp.extensions import db, limiter, write_intent

#: The day the demo is built on: in December, so the annual report's window is open.
TODAY = datetime(2026, 12, 6, 9, 0, tzinfo=clock.LOCAL_TZ)


def make_db_commands() -> list[list[str]]:
    """The ``flask`` commands of the Makefile's ``db`` target, in order (``db upgrade`` aside:
    the test database is migrated already)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^db:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe, "the Makefile has no db target"
    commands = [line.split("/flask ", 1)[1].split() for line in recipe.group(1).splitlines()]
    return [args for args in commands if args[:2] != ["db", "upgrade"]]


@pytest.fixture(scope="package")
def demo(app: Flask) -> Iterator[dict[str, str]]:
    """Run ``make db``'s commands on ``TODAY``; their outputs by command."""
    outputs: dict[str, str] = {}
    clock.set_now(TODAY)
    try:
        with app.app_context():
            runner = app.test_cli_runner()
            for args in make_db_commands():
                result = runner.invoke(args=args, env={"DEMO_PASSWORD": "Demo@2026"})
                assert result.exit_code == 0, (args, result.output, result.exception)
                outputs[" ".join(args)] = result.output
            db.session.remove()
        yield outputs
    finally:
        with app.app_context():
            db.session.remove()
            _empty_tables()
        clock.set_now(None)


@pytest.fixture(autouse=True)
def _ctx(app: Flask, demo: dict[str, str]) -> Iterator[None]:
    """Each test reads the shared build on ``TODAY``, in a context of its own."""
    write_intent.set(False)
    clock.set_now(TODAY)
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
    limiter.reset()

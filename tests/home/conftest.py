"""Home page test helpers: the report fixtures, and the clock in 2026's third quarter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.reports.conftest import api, oracle, workflows  # noqa: F401 (fixtures)
from webapp.core import clock

#: Inside 2026Q3's reporting window (it opens 15 days before the quarter's end, due 09-30).
IN_WINDOW = datetime(2026, 9, 20, 10, 0, tzinfo=clock.LOCAL_TZ)
#: After 2026Q3's due time; 2026Q4 not yet opened, so the board still shows 2026Q3.
AFTER_DUE = datetime(2026, 10, 8, 10, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def in_window() -> Iterator[None]:
    clock.set_now(IN_WINDOW)
    yield
    clock.set_now(None)

"""publication_schedule.bpmn opens each half year by itself; `flask publication schedule` and
`flask publication open` (what `make db` runs)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.publication.conftest import at
from webapp.core import clock
from webapp.engine import find_instance, run_timers
from webapp.engine.models import ProcessInstance
from webapp.extensions import db
from webapp.publication.models import Publication

pytestmark = pytest.mark.usefixtures("workflows")


def _opened(period: str) -> int:
    return db.session.execute(
        select(func.count(Publication.id)).where(
            Publication.period == period, Publication.instance_id.is_not(None)
        )
    ).scalar_one()


def test_the_scheduler_opens_each_half_year(app):
    clock.set_now(at("2026-06-20"))
    result = app.test_cli_runner().invoke(args=["publication", "schedule"])
    assert result.exit_code == 0, result.output
    assert "2026H1" in result.output
    instance = find_instance("publication_schedule", "publication-schedule")
    assert instance.data["next_open_at"] == "2026-06-30T16:00:00+00:00"  # 07-01 00:00 +08:00
    run_timers()
    db.session.commit()
    assert _opened("2026H1") == 0
    clock.set_now(at("2026-07-01", 0))
    while run_timers()["instances"]:
        db.session.commit()
    db.session.commit()
    assert _opened("2026H1") == 62  # province, cities, direct counties and counties
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance.id).data["next_period"] == "2026H2"
    # Running the command again is harmless (one scheduler).
    assert app.test_cli_runner().invoke(args=["publication", "schedule"]).exit_code == 0
    assert (
        db.session.query(ProcessInstance).filter_by(process_key="publication_schedule").count() == 1
    )


def test_open_by_hand_is_idempotent(app):
    clock.set_now(at("2027-01-03"))
    result = app.test_cli_runner().invoke(args=["publication", "open", "--last"])
    assert result.exit_code == 0 and "2026H2：新开启 62" in result.output, result.output
    result = app.test_cli_runner().invoke(args=["publication", "open", "2026H2"])
    assert "新开启 0 个单位，已开启 62 个" in result.output
    assert _opened("2026H2") == 62

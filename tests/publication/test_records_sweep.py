"""The timer worker withdraws records whose publicity has ended, daily, with no command run.

domain.md §6 Decision (records): a published record "stays published for a period … and is then
withdrawn automatically".  Reports whose process has no records timer were left to ``flask
publication expire-records``, which nothing ran in production; publication_records_sweep.bpmn
(started by ``flask publication schedule``) now runs the same sweep every day shortly after
midnight, so such a record is withdrawn within a day of its end, audited, once.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.publication.conftest import at, run_to_publication
from tests.publication.test_publicity import records_data  # noqa: F401 (fixture)
from tests.publication.test_publicity_untimed import _bad_record, publication_before_the_timers
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import deploy_bpmn, find_instance, run_timers
from webapp.extensions import db
from webapp.publication.publicity import EXPIRED, UNTIMED
from webapp.publication.sweep import BUSINESS_KEY, PROCESS

pytestmark = pytest.mark.usefixtures("workflows", "records_data")
SWEEP = (ROOT / "workflows" / "publication_records_sweep.bpmn").read_bytes()


def _expire_audits() -> list[AuditRecord]:
    return list(db.session.query(AuditRecord).filter_by(action="publication.record_expire"))


def _tick(moment: str, hour: int) -> None:
    """The worker's cycle once, at that local time."""
    clock.set_now(at(moment, hour))
    run_timers()
    db.session.commit()


def test_the_worker_withdraws_an_expired_record_within_a_day(app, make_user):
    deploy_bpmn(None, "publication", publication_before_the_timers())  # no records timer
    deploy_bpmn(None, None, SWEEP)
    db.session.commit()
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    started = app.test_cli_runner().invoke(args=["publication", "schedule"])
    assert started.exit_code == 0, started.output
    assert "公示期满记录每日自动撤下" in started.output
    sweep = find_instance(PROCESS, BUSINESS_KEY)
    assert sweep is not None and sweep.state == "running"

    _tick("2027-07-06", 23)  # the bad record's last day of publicity (public_until 07-06)
    assert _bad_record().withdrawn_at is None and not _expire_audits()
    _tick("2027-07-07", 0)  # 00:00: before the day's sweep (00:10)
    assert _bad_record().withdrawn_at is None
    _tick("2027-07-07", 1)  # the day's sweep has run: withdrawn, by the system, audited
    rec = _bad_record()
    assert rec.withdrawn_at is not None and rec.withdrawal_reason == EXPIRED
    [audit] = _expire_audits()
    assert audit.object_id == str(rec.id) and audit.message == UNTIMED
    assert audit.actor_id is None and audit.after["public_until"] == "2027-07-06"

    _tick("2027-07-08", 1)  # the next day's sweep finds nothing more: idempotent
    _tick("2027-07-08", 2)
    assert len(_expire_audits()) == 1
    sweep = find_instance(PROCESS, BUSINESS_KEY)
    assert sweep.state == "running" and sweep.data["swept_on"] == "2027-07-08"
    assert sweep.data["swept_records"] == 0
    # running the command again starts nothing new
    again = app.test_cli_runner().invoke(args=["publication", "schedule"])
    assert again.exit_code == 0
    assert db.session.query(type(sweep)).filter_by(process_key=PROCESS).count() == 1


def test_an_instance_hands_over_to_its_successor_after_its_days(app, org):
    deploy_bpmn(
        None,
        None,
        SWEEP.replace(
            b'id="sweeps_per_instance" type="str" value="90"',
            b'id="sweeps_per_instance" type="str" value="2"',
        ),
    )
    db.session.commit()
    clock.set_now(at("2027-03-01"))
    assert app.test_cli_runner().invoke(args=["publication", "schedule"]).exit_code == 0
    _tick("2027-03-02", 1)
    _tick("2027-03-03", 1)  # the second sweep: this instance's last
    first = find_instance(PROCESS, BUSINESS_KEY)
    assert first.state == "completed"
    successor = find_instance(PROCESS, f"{BUSINESS_KEY}:2027-03-03")
    assert successor is not None and successor.state == "running"
    assert successor.next_timer_at == at("2027-03-04", 0).replace(minute=10)
    _tick("2027-03-04", 1)
    db.session.refresh(successor)
    assert successor.data["swept_on"] == "2027-03-04"

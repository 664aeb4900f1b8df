"""Reports published before publication.bpmn had its records timers are brought under the rule.

domain.md §6 Decision (records): a published behaviour record "stays published for a period
(settings; defaults … 6 months for a bad record, 3 years for a good one) and is then withdrawn
automatically".  An instance keeps the BPMN version it started on, so a report published by a
version without the records timers never withdraws its records: ``flask publication
expire-records`` (``publicity.expire_untimed``) withdraws them, audited; reports whose process
has the timers are left to them.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.publication.conftest import at, run_to_publication
from tests.publication.test_publicity import records_data  # noqa: F401 (fixture)
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import deploy_bpmn, run_timers
from webapp.extensions import db
from webapp.publication.models import PublishedRecord
from webapp.publication.publicity import EXPIRED, UNTIMED, expire_untimed

pytestmark = pytest.mark.usefixtures("workflows", "records_data")

#: The records branch publication.bpmn gained with the rule (timers and their service steps).
RECORDS_BRANCH = (
    "wait_records_bad",
    "svc_records_bad",
    "wait_records_good",
    "svc_records_good",
    "f_records_bad",
    "f_records_bad_done",
    "f_records_good",
    "f_records_good_done",
)


def publication_before_the_timers() -> bytes:
    """publication.bpmn as it was before the rule: the published branch ends at once."""
    xml = (ROOT / "workflows" / "publication.bpmn").read_text("utf-8")
    for element in RECORDS_BRANCH:
        xml = re.sub(
            rf'\s*<bpmn:(intermediateCatchEvent|serviceTask) id="{element}".*?</bpmn:\1>',
            "",
            xml,
            flags=re.S,
        )
        xml = re.sub(rf'\s*<bpmn:sequenceFlow id="{element}"[^>]*/>', "", xml)
        xml = re.sub(rf"\s*<bpmn:flowNodeRef>{element}</bpmn:flowNodeRef>", "", xml)
        xml = re.sub(
            rf'\s*<bpmndi:BPMN(Shape|Edge) id="{element}_di".*?</bpmndi:BPMN\1>',
            "",
            xml,
            flags=re.S,
        )
    xml = xml.replace('targetRef="wait_records_bad"', 'targetRef="end_records"')
    xml = xml.replace(
        "<bpmn:incoming>f_records_good_done</bpmn:incoming>",
        "<bpmn:incoming>f_to_records</bpmn:incoming>",
    )
    assert 'publication.records_expire"' not in xml
    return xml.encode("utf-8")


def _bad_record() -> PublishedRecord:
    db.session.expire_all()
    return db.session.query(PublishedRecord).filter_by(record_no="ZZ-BAD-1").one()


def test_records_of_a_report_published_before_the_timers_are_withdrawn_audited(make_user):
    deploy_bpmn(None, "publication", publication_before_the_timers())
    db.session.commit()
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)  # the instance runs the old version
    assert expire_untimed(None) == {"reports": 0, "withdrawn": 0}  # nothing has ended yet

    clock.set_now(at("2027-07-08"))  # the bad record's publicity ended on 07-06
    run_timers()
    db.session.commit()
    assert _bad_record().withdrawn_at is None  # no timer in that version: nothing withdrew it

    assert expire_untimed(None) == {"reports": 1, "withdrawn": 1}
    db.session.commit()
    rec = _bad_record()
    assert rec.withdrawn_at is not None and rec.withdrawal_reason == EXPIRED
    audit = db.session.query(AuditRecord).filter_by(action="publication.record_expire").one()
    assert audit.object_id == str(rec.id) and audit.message == UNTIMED
    assert audit.after["untimed"] is True and audit.after["public_until"] == "2027-07-06"
    # the good record (3 years) is still public; a second pass changes nothing
    assert expire_untimed(None) == {"reports": 0, "withdrawn": 0}
    good = db.session.query(PublishedRecord).filter_by(kind="good").one()
    assert good.withdrawn_at is None


def test_reports_whose_process_has_the_timers_are_left_to_them(make_user):
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    clock.set_now(at("2027-07-08"))
    assert expire_untimed(None) == {"reports": 0, "withdrawn": 0}
    assert _bad_record().withdrawn_at is None
    run_timers()  # the BPMN timer withdraws it
    db.session.commit()
    assert _bad_record().withdrawal_reason == EXPIRED
    audit = db.session.query(AuditRecord).filter_by(action="publication.record_expire").one()
    assert "untimed" not in audit.after and audit.message is None


def test_the_command_reports_what_it_withdrew(app, make_user):
    deploy_bpmn(None, "publication", publication_before_the_timers())
    db.session.commit()
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    clock.set_now(at("2030-01-08"))
    result = app.test_cli_runner().invoke(args=["publication", "expire-records"])
    assert result.exit_code == 0, result.output
    assert "1 份报告，撤下记录 2 条" in result.output

"""Business states are codes carried by the BPMN, never display labels (issue 14, item 4):
renaming a label in the editor cannot turn reports in review back into drafts, because the
BPMN names ``in_review`` and the label comes from webapp.core.states."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from webapp.core.errors import InvalidInput
from webapp.core.states import LEGACY_LABELS, STATUS_LABELS, ProcessStatus, status_label
from webapp.engine import deploy_bpmn, validate_bpmn
from webapp.publication.models import STATUS_TO_STATE as PUBLICATION_STATES
from webapp.reports.models import STATUS_TO_STATE as REPORT_STATES


def _quarterly() -> str:
    return (ROOT / "workflows" / "quarterly_report.bpmn").read_text()


def test_every_code_has_a_label_and_every_old_label_a_code():
    assert set(STATUS_LABELS) == set(ProcessStatus)
    assert all(code in ProcessStatus for code in LEGACY_LABELS.values())
    assert status_label("in_review") == "审核中"
    assert status_label("自定义") == "自定义" and status_label(None) == ""


@pytest.mark.parametrize("path", sorted((ROOT / "workflows").glob("*.bpmn")), ids=lambda p: p.stem)
def test_the_shipped_workflows_name_only_codes(app, path):
    assert validate_bpmn(path.read_bytes()) == []
    for label in LEGACY_LABELS:
        assert f'name="status" value="{label}"' not in path.read_text()


def test_a_label_in_place_of_a_code_is_refused_with_the_allowed_codes(app):
    xml = _quarterly().replace('value="in_review"', 'value="审核中"')
    with pytest.raises(InvalidInput) as refused:
        deploy_bpmn(None, None, xml.encode())
    text = str(refused.value.details)
    assert "审核中" in text and "in_review（审核中）" in text and "drafting（填报中）" in text


def test_an_unknown_code_in_set_status_is_refused(app):
    xml = (ROOT / "workflows" / "year_end_self_assessment.bpmn").read_text()
    bad = xml.replace("value=\"'overdue'\"", "value=\"'late'\"")
    assert bad != xml
    problems = validate_bpmn(bad.encode())
    assert any("status" in p.message and "overdue" in p.message for p in problems)


def test_renaming_a_step_changes_no_state(app):
    """The editor's rename of 本级审核 keeps the code; the report state reads the code."""
    xml = _quarterly().replace('name="本级审核"', 'name="科室负责人审核"')
    assert validate_bpmn(xml.encode()) == []
    assert REPORT_STATES["in_review"].value == "in_review"


def test_reports_and_publication_read_the_same_codes():
    shared = set(REPORT_STATES) & set(PUBLICATION_STATES)
    assert {"drafting", "returned", "in_review"} <= shared
    for state_map in (REPORT_STATES, PUBLICATION_STATES):
        assert all(isinstance(code, ProcessStatus) for code in state_map)

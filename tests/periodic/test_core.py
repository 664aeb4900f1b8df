"""The periodic drafted-document core shared by the reports and the public report
(webapp.periodic): state model, row lookup, form-check numbering, and the features' commands."""

from __future__ import annotations

import enum

import pytest

from webapp.core.errors import NotFound
from webapp.core.models import Org
from webapp.core.states import ProcessStatus
from webapp.periodic.flow import numbered
from webapp.periodic.operations import get_document
from webapp.periodic.state import StateModel
from webapp.publication.state import STATES as PUBLICATION_STATES
from webapp.reports.state import STATES as REPORT_STATES


class Colour(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


MODEL = StateModel(
    by_status={ProcessStatus.DRAFTING: Colour.GREEN, ProcessStatus.IN_REVIEW: Colour.AMBER},
    default=Colour.RED,
    editable=(Colour.GREEN,),
)


def test_a_state_model_maps_codes_and_says_what_is_editable():
    assert MODEL.of_status("drafting") is Colour.GREEN
    assert MODEL.of_status("in_review") is Colour.AMBER
    # No status yet, or a code the feature does not map: the default.
    assert MODEL.of_status(None) is Colour.RED
    assert MODEL.of_status("published") is Colour.RED
    assert MODEL.of_instance(None) is Colour.RED
    assert MODEL.is_editable(Colour.GREEN) and not MODEL.is_editable(Colour.AMBER)


def test_the_features_state_models():
    assert REPORT_STATES.of_status("in_review").value == "in_review"
    assert REPORT_STATES.of_status(None).value == "drafting"
    assert {s.value for s in REPORT_STATES.editable} == {"drafting", "returned", "overdue"}
    assert PUBLICATION_STATES.of_status("awaiting_approval").value == "awaiting_approval"
    assert PUBLICATION_STATES.of_status(None).value == "drafting"
    assert {s.value for s in PUBLICATION_STATES.editable} == {"drafting", "returned"}


def test_get_document_refuses_ids_that_cannot_exist(org):
    row = org("410000")
    assert get_document(Org, row.id, "没有") is row
    for bad in (0, -1, 2**31, 10**20):
        with pytest.raises(NotFound, match="没有"):
            get_document(Org, bad, "没有")


def test_numbered_problems():
    assert numbered("report", ["甲", "乙"]) == {"report_1": "甲", "report_2": "乙"}
    assert numbered("publication", []) == {}


@pytest.mark.parametrize(
    ("group", "flag", "missing"),
    [("reports", "--current", "请给出报告期"), ("publication", "--last", "请给出半年度")],
)
def test_each_feature_has_the_open_and_schedule_commands(app, group, flag, missing):
    runner = app.test_cli_runner()
    assert flag in runner.invoke(args=[group, "open", "--help"]).output
    result = runner.invoke(args=[group, "open"])
    assert result.exit_code != 0 and missing in result.output
    assert "scheduler process" in runner.invoke(args=[group, "schedule", "--help"]).output

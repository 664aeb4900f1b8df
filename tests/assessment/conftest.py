"""Fixtures of the assessment tests: the bundled sheets, users and a campaign factory.

A campaign always runs through its BPMN processes: ``open_campaign`` opens it the way the pages
and the API do (``flow.start_campaign``: the province's instance, which starts each unit's);
``tests/assessment/flow_helpers.py`` completes the engine tasks of the later steps.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from webapp.assessment.sampling import CandidateProject
from webapp.assessment.sheet import SHEETS_DIR
from webapp.core.models import Org, User
from webapp.extensions import db


def sheet_data(kind: str = "fujian2") -> dict[str, Any]:
    return copy.deepcopy(json.loads((SHEETS_DIR / f"{kind}_2026.json").read_text("utf-8")))


@pytest.fixture
def sheets() -> None:
    from webapp.assessment.operations import install_bundled_sheets

    install_bundled_sheets(None)
    db.session.commit()


@pytest.fixture
def province_staff(make_user: Callable[..., User]) -> dict[str, User]:
    return {
        "admin": make_user("admin", "410000"),
        "assessor": make_user("assessor", "410000"),
        "assessor2": make_user("assessor", "410000", "assessor2_410000"),
        "leader": make_user("leader", "410000"),
        "reviewer": make_user("reviewer", "410000"),
    }


@pytest.fixture
def open_campaign(
    sheets: None, workflows: None, province_staff: dict[str, User]
) -> Callable[..., Any]:
    """Open a campaign as the province's admin and start its process (as production does)."""
    from webapp.assessment.flow import start_campaign

    def _open(kind: str = "fujian3", year: int = 2025, **kw: Any) -> Any:
        campaign = start_campaign(province_staff["admin"], kind, year, **kw)
        db.session.commit()
        return campaign

    return _open


def unit_of(campaign: Any, code: str) -> Any:
    return next(u for u in campaign.units if u.org.code == code)


def fake_candidates(own: int = 8, county: int = 4, direct: int = 5) -> Callable[..., Any]:
    """A ledger stand-in: each city has ``own`` projects and ``county`` in its first 县 or 县级市
    (a made-up code of kind 县, ending in 21, for a city without one in the data)."""

    def source(org: Org, as_of: date, since: date | None = None) -> list[CandidateProject]:
        if org.tier == "city":
            out = [
                CandidateProject(f"{org.code}-{n:03d}", f"{org.name}保障房{n}号", org.code)
                for n in range(own)
            ]
            counties = [c.code for c in org.children if int(c.code[-2:]) > 20]
            child = counties[0] if counties else org.code[:4] + "21"
            out += [
                CandidateProject(f"{child}-{n:03d}", f"县保障房{n}号", child) for n in range(county)
            ]
            return out
        return [
            CandidateProject(f"{org.code}-{n:03d}", f"{org.name}安置房{n}号", org.code)
            for n in range(direct)
        ]

    return source


@pytest.fixture
def workflows() -> None:
    """Deploy the year-end processes (the pages and the API start them when opening)."""
    from tests.conftest import ROOT
    from webapp.engine import deploy_bpmn

    for name in ("year_end_self_assessment", "year_end_materials", "year_end_assessment"):
        deploy_bpmn(None, name, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    db.session.commit()


@pytest.fixture
def ledger_stub() -> Any:
    """Candidates from :func:`fake_candidates` instead of the ledger, restored afterwards."""
    from webapp.assessment import sampling

    registered = sampling.candidate_source()
    sampling.set_candidate_source(fake_candidates())
    yield
    sampling.set_candidate_source(registered)

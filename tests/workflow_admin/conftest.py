"""Fixtures of the BPMN administration tests: the real quarterly_report and its instances."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.workflow_admin.bpmn_edits import quarterly
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn, start_instance
from webapp.engine.models import ProcessInstance
from webapp.extensions import db


@pytest.fixture
def deployed() -> Callable[..., object]:
    def _deploy(content: bytes | None = None) -> object:
        definition = deploy_bpmn(None, None, content or quarterly()).definition
        db.session.commit()
        return definition

    return _deploy


@pytest.fixture
def report(deployed) -> Callable[..., ProcessInstance]:
    """Start a quarterly report of a county (deploying the real file first if needed)."""

    def _start(bkey: str = "quarterly:410102:2026Q1", org_code: str = "410102") -> ProcessInstance:
        from webapp.engine.models import ProcessDefinition

        if db.session.query(ProcessDefinition).count() == 0:
            deployed()
        instance = start_instance(None, "quarterly_report", get_org(org_code), bkey)
        db.session.commit()
        return instance

    return _start

"""Engine test helpers: deploy BPMN fixtures, start instances, find open tasks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

# The real report workflow, the oracle ledger and per-user API clients, for the inbox tests
# (test_inbox.py) that walk quarterly reports.
from tests.reports.conftest import api, oracle, workflows  # noqa: F401
from webapp.engine import deploy_bpmn, start_instance
from webapp.engine.models import HumanTask, ProcessInstance
from webapp.engine.queries import current_tasks
from webapp.extensions import db

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def bpmn_bytes(name: str) -> bytes:
    for folder in (FIXTURES, WORKFLOWS):
        path = folder / f"{name}.bpmn"
        if path.exists():
            return path.read_bytes()
    raise FileNotFoundError(name)


@pytest.fixture
def deploy() -> Callable[[str], object]:
    def _deploy(name: str) -> object:
        result = deploy_bpmn(None, None, bpmn_bytes(name))
        db.session.commit()
        return result.definition

    return _deploy


@pytest.fixture
def start(deploy, org) -> Callable[..., ProcessInstance]:
    def _start(
        name: str, org_code: str = "410102", business_key: str | None = None, data=None, actor=None
    ):
        deploy(name)
        instance = start_instance(
            actor, name, org(org_code), business_key or f"{name}:{org_code}", data
        )
        db.session.commit()
        return instance

    return _start


def open_task(instance: ProcessInstance) -> HumanTask:
    db.session.expire_all()
    tasks = current_tasks(db.session.get(ProcessInstance, instance.id))
    assert len(tasks) == 1, tasks
    return tasks[0]

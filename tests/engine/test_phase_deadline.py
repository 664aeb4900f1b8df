"""A deadline attached to an embedded sub-process is the due time of the tasks inside it; a
task's name can carry a value of its data (titleVariable); task_data reads a task's data."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.engine.conftest import open_task
from webapp.engine.queries import task_data


def test_subprocess_deadline_title_and_task_data(start):
    instance = start("phase_deadline", data={"subject": {"name": "郑州市", "id": 7}})
    task = open_task(instance)
    assert task.due_at == datetime(2099, 11, 30, 16, tzinfo=UTC)
    assert task.name == "填报 · 郑州市"
    assert task_data([task])[task.id]["subject"] == {"name": "郑州市", "id": 7}


def test_without_the_variable_the_name_is_the_elements(start):
    task = open_task(start("phase_deadline", data={}))
    assert task.name == "填报"

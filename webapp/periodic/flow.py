"""What a periodic document's flow module needs to adapt the engine's context.

- :class:`SubjectLoader`: the feature's row from the instance's fixed subject (never task data);
- :func:`numbered` and :func:`drafted_by`: a form check's problems, and separation of duties;
- :func:`register_document_process`: what the engine knows of the document's process (its fixed
  subject, the period its tasks read, who may read a copy of them);
- :func:`register_scheduler`: the scheduler's process and service operations (report_schedule.bpmn,
  publication_schedule.bpmn).  Each feature registers them under its own prefix with its own
  calendar: the scheduler asks ``<prefix>.next_window`` which period opens next, and when, waits
  on a timer until then, and calls ``<prefix>.open_scheduled`` to open it for every unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from webapp.core import clock
from webapp.core.errors import NotFound
from webapp.core.models import User
from webapp.core.permissions import can
from webapp.engine import (
    ServiceContext,
    last_completer,
    register_start_form,
    register_subject_label,
    register_subject_viewer,
    service_operation,
)
from webapp.extensions import db

D = TypeVar("D")


@dataclass(frozen=True)
class SubjectLoader(Generic[D]):
    """Loads the row an instance is about from its fixed subject (``subject[key]`` is its id)."""

    model: type[D]
    key: str
    #: The error when the row is gone
    missing: str

    def __call__(self, subject: dict[str, Any]) -> D:
        row = db.session.get(self.model, int(subject.get(self.key) or 0))
        if row is None:
            raise NotFound(self.missing)
        return row

    def of_task(self, task: Any) -> D:
        return self(task.instance.subject or {})


def numbered(prefix: str, problems: list[str]) -> dict[str, str]:
    """A form check's problems as field errors ``<prefix>_1``, ``<prefix>_2``…"""
    return {f"{prefix}_{i}": p for i, p in enumerate(problems, 1)}


def drafted_by(instance_id: int | None, element_id: str, actor: User) -> bool:
    """Whether ``actor`` completed the drafting step last (职责分离: no one reviews their own)."""
    drafter = last_completer(instance_id, element_id)
    return drafter is not None and drafter.id == actor.id


def register_document_process(
    process: str,
    subject: dict[str, Any],
    *,
    label: str,
    period_label: Callable[[Any], str],
    view_action: str,
) -> None:
    """Register the process ``process`` of a periodic document: the fixed subject of its
    instances (``subject``: the start form's properties), the period its tasks read
    (``period_label(instance)``, never the key) and who may read a copy (抄送) of its tasks: only
    those allowed ``view_action`` in the instance's unit."""
    register_start_form(process, {"type": "object", "properties": subject}, label=label)
    register_subject_label(process, period_label)
    register_subject_viewer(process, lambda user, instance: can(user, view_action, instance.org))


#: ``next_opening(after)`` → the next (period code, aware opening time) strictly after ``after``.
NextOpening = Callable[[datetime], tuple[str, datetime]]
#: ``open_period(actor, period_code)`` → the counts (``opened``, ``existing``…).
OpenPeriod = Callable[[User | None, str], dict[str, int]]


def register_scheduler(
    prefix: str,
    next_opening: NextOpening,
    open_period: OpenPeriod,
    *,
    process: str,
    label: str,
) -> None:
    """Register the scheduler's process ``process`` (it starts with no data) and its service
    operations ``<prefix>.next_window`` and ``<prefix>.open_scheduled``."""
    register_start_form(process, {"type": "object", "properties": {}}, label=label)

    def next_window(ctx: ServiceContext) -> dict[str, Any]:
        """Which period opens next, and when (aware ISO)."""
        period, opens = next_opening(clock.now())
        return {"next_period": period, "next_open_at": opens.isoformat(), "stop_schedule": False}

    def open_scheduled(ctx: ServiceContext) -> dict[str, Any]:
        """The period's window opened: start it for every unit (idempotent)."""
        counts = open_period(None, str(ctx.data["next_period"]))
        return {"opened_period": ctx.data["next_period"], "opened_units": counts["opened"]}

    service_operation(f"{prefix}.next_window")(next_window)
    service_operation(f"{prefix}.open_scheduled")(open_scheduled)

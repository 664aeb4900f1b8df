"""Workflow tables: definitions (versions), instances, human tasks, history, copies, messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core import clock
from webapp.core.models import Org, User, UTCDateTime
from webapp.core.states import LabelledEnum
from webapp.extensions import db


# The states of an instance and of a task (their ``state`` columns) ----------------------------
class InstanceState(LabelledEnum):
    RUNNING = "running", "进行中"
    COMPLETED = "completed", "已完成"
    ERROR = "error", "异常"
    CANCELLED = "cancelled", "已取消"


class TaskState(LabelledEnum):
    READY = "ready", "待签收"
    CLAIMED = "claimed", "已签收"
    COMPLETED = "completed", "已办结"
    CANCELLED = "cancelled", "已取消"


OPEN_STATES = (TaskState.READY.value, TaskState.CLAIMED.value)


# Tables -----------------------------------------------------------------------------------------
class ProcessDefinition(db.Model):
    """One deployed version of a BPMN process (an unchanged file is not a new version)."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_definition_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The BPMN process id, e.g. quarterly_report
    key: Mapped[str] = mapped_column(String(100), index=True)
    #: The process name from the BPMN (shown in the UI)
    name: Mapped[str] = mapped_column(String(200))
    #: 1, 2, ... per key
    version: Mapped[int] = mapped_column(Integer)
    #: SHA-256 of the BPMN bytes
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    deployed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ProcessDefinition {self.key} v{self.version}>"


class ProcessInstance(db.Model):
    """A running (or finished) process for one org and business key."""

    __tablename__ = "process_instance"
    __table_args__ = (
        UniqueConstraint("process_key", "business_key", name="uq_process_instance_key_bkey"),
        Index("ix_process_instance_state_timer", "state", "next_timer_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    #: e.g. quarterly:410102:2026Q3 — unique per process key
    business_key: Mapped[str] = mapped_column(String(200), index=True)
    #: The workflow data after the last step (plain JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: What the instance is about, fixed at start: its start data (report_id, due_at...) and
    #: org_code/business_key/process_key.  No task or script changes it; services read their
    #: business object from here.  Changed only by an audited operation (延期).
    subject: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: SpiffWorkflow's serialized state (without the spec: it comes from the definition)
    state_json: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=InstanceState.RUNNING, index=True)
    #: 业务状态: a webapp.core.states.ProcessStatus code from the BPMN (in_review, returned...)
    business_status: Mapped[str | None] = mapped_column(String(40))
    #: Optimistic lock: every save is UPDATE ... WHERE version = expected
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The earliest pending timer, for the timer worker
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: Return-for-correction rounds so far (capped by MAX_RETURN_LOOPS)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    definition: Mapped[ProcessDefinition] = relationship()
    org: Mapped[Org] = relationship()
    started_by: Mapped[User | None] = relationship()

    @property
    def state_label(self) -> str:
        return InstanceState(self.state).label

    def __repr__(self) -> str:
        return f"<ProcessInstance {self.id} {self.business_key}>"


class HumanTask(db.Model):
    """One BPMN user task that is (or was) ready: a line in somebody's inbox."""

    __tablename__ = "human_task"
    __table_args__ = (Index("ix_human_task_inbox", "state", "candidate_org_id", "candidate_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    #: SpiffWorkflow's task id (UUID) in the serialized state
    spiff_task_id: Mapped[str] = mapped_column(String(36), index=True)
    #: BPMN element id, e.g. review
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(200))
    candidate_role: Mapped[str] = mapped_column(String(20))
    candidate_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    form_key: Mapped[str | None] = mapped_column(String(100))
    #: [{"value": "approve", "label": "同意"}, ...]
    outcomes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: Business status of the instance while this task is open
    business_status: Mapped[str | None] = mapped_column(String(40))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(20), default=TaskState.READY, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(40))
    #: 审批意见
    comment: Mapped[str | None] = mapped_column(Text)
    #: The form data submitted with the completion
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instance: Mapped[ProcessInstance] = relationship()
    candidate_org: Mapped[Org] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])

    @property
    def org(self) -> Org:
        """The org whose permission rules apply (the candidate org)."""
        return self.candidate_org

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_label(self) -> str:
        return TaskState(self.state).label

    def outcome_label(self, value: str | None = None) -> str:
        value = value if value is not None else self.outcome
        for item in self.outcomes or []:
            if item.get("value") == value:
                return item.get("label", value or "")
        return value or ""


class WorkflowEvent(db.Model):
    """History of an instance: who did what, when, with which outcome and opinion."""

    __tablename__ = "workflow_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"), index=True)
    element_id: Mapped[str | None] = mapped_column(String(100))
    #: start, claim, unclaim, complete, withdraw, transfer, remind, cc, reassign, timer,
    #: message, error, retry, cancel, end
    action: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_label: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class TaskCopy(db.Model):
    """抄送: a read-only copy of a task for a user."""

    __tablename__ = "task_copy"
    __table_args__ = (UniqueConstraint("task_id", "user_id", name="uq_task_copy_task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[HumanTask] = relationship()


class Notification(db.Model):
    """A message for a user: a new task, a return, 催办, 抄送, a deadline reminder or overdue
    notice (webapp/engine/notices.py).  Cleared (and so read) once the task it is about is done."""

    __tablename__ = "notification"
    #: The navbar's unread count on every page: one index-only count.
    #: Clearing at each step reads an instance's uncleared notices.
    __table_args__ = (
        Index("ix_notification_user_unread", "user_id", "read_at"),
        Index("ix_notification_instance_uncleared", "instance_id", "cleared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: remind, cc, reminder, overdue, ...
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the task (or the instance step) it is about was done: no longer to act on.
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkflowMessage(db.Model):
    """A BPMN message thrown by one instance, routed to another by business key."""

    __tablename__ = "workflow_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    #: The receiving instance's business key (payload key ``target``)
    target_business_key: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sender_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    receiver_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)

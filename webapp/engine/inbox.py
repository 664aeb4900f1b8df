"""The inbox's read model (issue 18): task titles in words, who must claim, why a step came
back, and the filtered, sorted, paged list the 待办 page and ``GET /api/v1/tasks`` both show.

A task is named by its step, what its instance is about and the unit ("填报数据 · 2026年第一季度 ·
中原区"): the feature registers how its instances read (``register_subject_label``), so no
business key (``report:410102:2026Q1``) reaches the screen.  签收 is offered only where a task
has several candidates: a task a single person can do is theirs already.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from webapp.core import clock
from webapp.core.models import Org, User, UserRole
from webapp.core.states import status_label
from webapp.engine.models import (
    HumanTask,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
    TaskCopy,
    TaskState,
)
from webapp.engine.naming import step_name, subject_label, task_title
from webapp.engine.operations import RETURN_OUTCOMES, can_work, may_view_subject
from webapp.engine.queries import VIEW_LABELS, VIEWS, open_tasks, view_statement
from webapp.engine.registry import TASK_PAGES, form_schema
from webapp.extensions import db

#: Orders the inbox offers: by deadline (soonest first), by arrival (newest first).
SORTS = {"due": "按期限", "received": "按到达时间"}
PER_PAGE = 20


def task_page_url(task: HumanTask) -> str | None:
    """The feature page where the task is worked on (None: the engine's task page)."""
    page = TASK_PAGES.get(task.instance.process_key)
    return page(task) if page is not None else None


def next_step(user: User, done: HumanTask) -> HumanTask | None:
    """After ``done``: the instance's next open task that ``user`` may do (the clerk's 撰写分析报告
    after 数据已核对), else None (back to the inbox)."""
    for task in open_tasks(done.instance_id):
        if task.id != done.id and can_work(user, task):
            return task
    return None


def cc_candidates(actor: User, task: HumanTask) -> list[User]:
    """Whom ``actor`` may copy the task to (抄送), for the picker: the enabled users of the
    instance's unit and the units above it who may see what the instance is about (the rule
    ``cc`` enforces), not the actor, not those already copied; by unit (upper first), name."""
    path = task.instance.org.path
    prefixes = [path[: i + 1] for i, ch in enumerate(path) if ch == "/"]
    copied = select(TaskCopy.user_id).where(TaskCopy.task_id == task.id)
    users = db.session.execute(
        select(User)
        .join(Org, Org.id == User.org_id)
        .where(
            Org.path.in_(prefixes),
            User.is_enabled.is_(True),
            User.id != actor.id,
            User.id.not_in(copied),
        )
        .order_by(Org.path, User.full_name, User.username)
    ).scalars()
    return [u for u in users if may_view_subject(u, task.instance)]


# Claim ----------------------------------------------------------------------------------------
def candidate_counts(tasks: list[HumanTask]) -> dict[tuple[int, str], int]:
    """How many enabled users may take each (candidate org, role) of ``tasks``: one query."""
    pairs = {(t.candidate_org_id, t.candidate_role) for t in tasks}
    if not pairs:
        return {}
    orgs = {org for org, _ in pairs}
    roles = {role for _, role in pairs}
    rows = db.session.execute(
        select(User.org_id, UserRole.role, func.count(User.id))
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.org_id.in_(orgs), UserRole.role.in_(roles), User.is_enabled.is_(True))
        .group_by(User.org_id, UserRole.role)
    )
    return {(org, role): n for org, role, n in rows}


def needs_claim(task: HumanTask, candidates: int) -> bool:
    """签收 only where it decides something: an unclaimed task several people could do."""
    return task.state == TaskState.READY.value and candidates > 1


def state_label(task: HumanTask, candidates: int) -> str:
    """待签收 only for a task several may claim; an unclaimed task of one person is 待办理."""
    if task.state == TaskState.READY.value and not needs_claim(task, candidates):
        return "待办理"
    return task.state_label


# Returns --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReturnNote:
    """Why the work came back: the step that returned it, who, when, the reason and its kind."""

    step: str
    by: str
    by_org: str
    at: datetime
    reason: str
    #: the return form's choices as their labels, e.g. ["退回类别：数据差错"]
    kinds: list[str] = field(default_factory=list)

    @property
    def who(self) -> str:
        """The unit and the person, the unit once: 中原区 张三, but 中原区审核人 (a demo or
        role account already named after its unit), not 中原区 中原区审核人."""
        if not self.by or self.by.startswith(self.by_org):
            return self.by or self.by_org
        return f"{self.by_org} {self.by}"

    @property
    def kind(self) -> str:
        """The kind alone ("数据差错"), '' when the step asks none."""
        return self.kinds[0].split("：", 1)[-1] if self.kinds else ""


def choice_labels(task: HumanTask) -> list[str]:
    """The form's enumerated fields of the return, as "title：label" (退回类别：数据差错)."""
    out = []
    props = form_schema(task.form_key).get("properties") or {}
    for name, value in (task.data or {}).items():
        prop = props.get(name) or {}
        values, names = prop.get("enum") or [], prop.get("enumNames") or []
        if value in values:
            label = names[values.index(value)] if len(names) == len(values) else str(value)
            out.append(f"{prop.get('title', name)}：{label}" if prop.get("title") else label)
    return out


def _note(task: HumanTask) -> ReturnNote:
    by = task.completed_by
    return ReturnNote(
        step=step_name(task),
        by=by.full_name if by is not None else "",
        by_org=task.candidate_org.name,
        at=task.completed_at or task.created_at,
        reason=task.comment or "",
        kinds=choice_labels(task),
    )


def current_returns(instance_ids: list[int]) -> dict[int, ReturnNote]:
    """The return each running instance is still answering, by instance id (two queries).

    A return stays current until the step that returned the work is reached again (a new task
    of that step: the work was resubmitted, or the return was withdrawn); a finished instance
    has none.
    """
    if not instance_ids:
        return {}
    returns = db.session.execute(
        select(HumanTask)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            HumanTask.instance_id.in_(set(instance_ids)),
            HumanTask.state == TaskState.COMPLETED.value,
            HumanTask.outcome.in_(RETURN_OUTCOMES),
            ProcessInstance.state == InstanceState.RUNNING.value,
        )
        .order_by(HumanTask.id)
    ).scalars()
    latest = {t.instance_id: t for t in returns}
    if not latest:
        return {}
    later = db.session.execute(
        select(HumanTask.instance_id, HumanTask.element_id, func.max(HumanTask.id))
        .where(HumanTask.instance_id.in_(latest))
        .group_by(HumanTask.instance_id, HumanTask.element_id)
    )
    newest = {(i, e): n for i, e, n in later}
    return {i: _note(t) for i, t in latest.items() if newest.get((i, t.element_id), t.id) <= t.id}


def current_return(instance_id: int | None) -> ReturnNote | None:
    """Why the instance's work came back, while it is still being answered (else None)."""
    if instance_id is None:
        return None
    return current_returns([instance_id]).get(instance_id)


# The inbox ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxQuery:
    """What the user asked the inbox for (view = 状态: 待办/已办/我发起的/抄送我的)."""

    view: str = "todo"
    q: str = ""
    process: str = ""
    period: str = ""
    org: str = ""
    sort: str = "due"
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_args(cls, args: Any, *, per_page: int = PER_PAGE) -> InboxQuery:
        """From query arguments, forgiving: an unknown view or sort falls back to the default,
        a bad page number to 1 (the page never fails on a hand-edited URL)."""
        view = args.get("view") or "todo"
        sort = args.get("sort") or ("due" if view == "todo" else "received")
        try:
            page = max(int(args.get("page") or 1), 1)
        except (TypeError, ValueError):
            page = 1
        try:
            size = min(max(int(args.get("per_page") or per_page), 1), 200)
        except (TypeError, ValueError):
            size = per_page
        return cls(
            view=view if view in VIEWS else "todo",
            q=str(args.get("q") or "").strip()[:50],
            process=str(args.get("process") or "").strip()[:100],
            period=str(args.get("period") or "").strip()[:20],
            org=str(args.get("org") or "").strip()[:20],
            sort=sort if sort in SORTS else "due",
            page=min(page, 100000),
            per_page=size,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query as URL arguments (defaults left out), with ``changes`` applied."""
        values = {
            "view": self.view,
            "q": self.q,
            "process": self.process,
            "period": self.period,
            "org": self.org,
            "sort": self.sort,
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.process or self.period or self.org)


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox (and one item of the API's list)."""

    task: HumanTask
    title: str
    process_name: str
    subject_label: str
    org_name: str
    business_status_label: str
    state_label: str
    needs_claim: bool
    overdue: bool
    returned: ReturnNote | None


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class InboxPage:
    query: InboxQuery
    rows: list[InboxRow]
    total: int
    #: what the filters may choose among, from the user's whole view
    processes: list[Choice]
    periods: list[Choice]
    orgs: list[Choice]

    @property
    def pages(self) -> int:
        return max((self.total + self.query.per_page - 1) // self.query.per_page, 1)

    @property
    def view_label(self) -> str:
        return VIEW_LABELS[self.query.view]


def _filtered(stmt: Select[Any], query: InboxQuery) -> Select[Any]:
    if query.process:
        stmt = stmt.where(ProcessInstance.process_key == query.process)
    if query.period:
        stmt = stmt.where(ProcessInstance.subject["period"].as_string() == query.period)
    if query.org:
        stmt = stmt.where(ProcessInstance.org_id.in_(select(Org.id).where(Org.code == query.org)))
    if query.q:
        like = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                HumanTask.name.ilike(like, escape="\\"),
                ProcessInstance.org_id.in_(
                    select(Org.id).where(
                        or_(Org.name.ilike(like, escape="\\"), Org.code.ilike(like, escape="\\"))
                    )
                ),
                ProcessInstance.definition_id.in_(
                    select(ProcessDefinition.id).where(
                        ProcessDefinition.name.ilike(like, escape="\\")
                    )
                ),
            )
        )
    return stmt


def _ordered(stmt: Select[Any], query: InboxQuery) -> Select[Any]:
    if query.sort == "due":
        return stmt.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    received = HumanTask.completed_at if query.view == "done" else HumanTask.created_at
    return stmt.order_by(received.desc(), HumanTask.id.desc())


def _choices(user: User, view: str) -> tuple[list[Choice], list[Choice], list[Choice]]:
    """The processes, periods and units of the user's view (one query), for the filters."""
    base = view_statement(user, view).subquery()
    # The period is a JSON field: grouped through a subquery's column, because PostgreSQL sees the
    # same JSON expression in SELECT and GROUP BY as two (each with its own bound key).
    inner = (
        select(
            ProcessInstance.process_key.label("key"),
            ProcessInstance.subject["period"].as_string().label("period"),
            ProcessInstance.org_id.label("org_id"),
            ProcessDefinition.name.label("name"),
            ProcessInstance.id.label("id"),
        )
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id.in_(select(base.c.instance_id)))
        .subquery()
    )
    rows = db.session.execute(
        select(
            inner.c.key, inner.c.period, inner.c.org_id, inner.c.name, func.min(inner.c.id)
        ).group_by(inner.c.key, inner.c.period, inner.c.org_id, inner.c.name)
    ).all()
    processes = {key: name for key, _, _, name, _ in rows}
    sample = {period: instance for _, period, _, _, instance in rows if period}
    periods = []
    for period, instance_id in sorted(sample.items(), reverse=True):
        instance = db.session.get(ProcessInstance, instance_id)
        periods.append(Choice(period, subject_label(instance) if instance else period))
    org_ids = {org for _, _, org, _, _ in rows}
    orgs = (
        db.session.execute(select(Org).where(Org.id.in_(org_ids)).order_by(Org.path)).scalars()
        if org_ids
        else []
    )
    return (
        sorted((Choice(k, n) for k, n in processes.items()), key=lambda c: c.label),
        periods,
        [Choice(o.code, o.name) for o in orgs],
    )


def rows_for(tasks: list[HumanTask]) -> list[InboxRow]:
    """The inbox lines of ``tasks``: titles, claim, overdue, current returns (three queries)."""
    counts = candidate_counts(tasks)
    returns = current_returns([t.instance_id for t in tasks])
    now = clock.now()
    rows = []
    for t in tasks:
        instance = t.instance
        n = counts.get((t.candidate_org_id, t.candidate_role), 0)
        rows.append(
            InboxRow(
                task=t,
                title=task_title(t),
                process_name=instance.definition.name,
                subject_label=subject_label(instance),
                org_name=instance.org.name,
                business_status_label=status_label(instance.business_status),
                state_label=state_label(t, n),
                needs_claim=t.is_open and needs_claim(t, n),
                overdue=t.is_open and t.due_at is not None and t.due_at < now,
                returned=returns.get(t.instance_id),
            )
        )
    return rows


def inbox_page(user: User, query: InboxQuery) -> InboxPage:
    """The user's inbox as asked: filtered, sorted, one page of it, and the filters' choices."""
    stmt = _filtered(view_statement(user, query.view), query)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    offset = (query.page - 1) * query.per_page
    tasks = list(
        db.session.execute(_ordered(stmt, query).offset(offset).limit(query.per_page)).scalars()
    )
    processes, periods, orgs = _choices(user, query.view)
    return InboxPage(
        query=query,
        rows=rows_for(tasks),
        total=total,
        processes=processes,
        periods=periods,
        orgs=orgs,
    )

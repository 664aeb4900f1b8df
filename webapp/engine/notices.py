"""Notifications (站内消息): what a user is told, the unread count, clearing, reading.

Kinds: a new task (``task``), a task back after a return (``return``), 催办 (``remind``), a
deadline reminder (``reminder``), overdue (``overdue``), 抄送 (``cc``), 转办 (``transfer``), 改派
(``reassign``) and any kind a feature adds.  Every notice names the period and the unit of what
it is about (:func:`webapp.engine.naming.subject_title`), each unit once
(:func:`unit_unless_named`).

A notice about a task is *cleared* (and so read) when that task is no longer open (done,
withdrawn, cancelled by a timer); a notice about an instance without a task (逾期) is cleared at
a step of the instance once its user held a step of it that is done and holds none open (a
leader who approved no longer sees 自评逾期; the upper reviewer told of a late report keeps the
notice until the report reaches it and is accepted); every notice about an instance is cleared
once the instance is finished (completed, or cancelled by the administrator).  A notice about
neither a task nor an instance never clears: every notice of a process names one of them.
Notices made in an engine step (by its automatic steps: the results notice of an assessment
whose process then ends) are never cleared by that step.  Each notice also queues an e-mail
(webapp.mail) in the same transaction when mail is on; :func:`notify_many` tells many users in
one INSERT.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import bindparam, event, func, insert, select, text, update
from sqlalchemy.orm import Session, lazyload

from webapp.core import audit, clock
from webapp.core.errors import NotFound
from webapp.core.models import User, UserRole
from webapp.core.operations import users_in_role
from webapp.engine.models import (
    OPEN_STATES,
    HumanTask,
    InstanceState,
    Notification,
    ProcessInstance,
)
from webapp.engine.naming import subject_title
from webapp.extensions import db, execute_plain, insert_row
from webapp.mail import operations as mail

KIND_LABELS = {
    "task": "新待办",
    "return": "退回",
    "remind": "催办",
    "reminder": "期限提醒",
    "overdue": "逾期",
    "cc": "抄送",
    "transfer": "转办",
    "reassign": "改派",
    "assessment_notice": "考核通知",
}
#: An instance in these states has no step left to act on.
FINISHED_STATES = (InstanceState.COMPLETED.value, InstanceState.CANCELLED.value)
#: Keys of the session's info: the notices made in the current transaction (rows added one by
#: one, ids of those inserted together).
_FRESH = "engine_fresh_notices"
_FRESH_IDS = "engine_fresh_notice_ids"
#: Key of the session's info: the new tasks' notices collected by :func:`told_together`.
_TOLD_TOGETHER = "engine_told_together"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, "通知")


def about(instance: ProcessInstance | None) -> str:
    """The period and unit an instance is about: 2026年第一季度 · 中原区."""
    return subject_title(instance) if instance is not None else ""


def unit_unless_named(unit: str, rest: str) -> str:
    """``unit``'s name for a notice, or "" when ``rest`` (the rest of its text) already names
    it: every notice names each unit once.  催办 by a unit's own staff names the actor's unit
    and :func:`about` the same one; an accident's project is often named after its unit."""
    return "" if unit and unit in rest else unit


def actor_mention(actor: User, rest: str) -> str:
    """张三（郑州市）: who acted, and their unit unless ``rest`` names it (张三)."""
    unit = unit_unless_named(actor.org.name if actor.org is not None else "", rest)
    return f"{actor.full_name}（{unit}）" if unit else actor.full_name


def _fresh() -> list[Notification]:
    return db.session.info.setdefault(_FRESH, [])


def _fresh_ids() -> list[int]:
    return db.session.info.setdefault(_FRESH_IDS, [])


def notify(
    user: User,
    kind: str,
    message: str,
    task: HumanTask | None = None,
    *,
    instance: ProcessInstance | int | None = None,
) -> Notification:
    """Tell ``user`` something (in the app, and by e-mail when mail is on), about ``task`` or,
    without one, about ``instance``."""
    instance_id = instance.id if isinstance(instance, ProcessInstance) else instance
    row = Notification(
        user_id=user.id,
        kind=kind,
        message=message,
        task_id=task.id if task else None,
        instance_id=task.instance_id if task else instance_id,
        created_at=clock.now(),
    )
    insert_row(row)  # written at once: the mail names its notice, clear_done skips it by id
    _fresh().append(row)
    if mail.enabled() and user.email:
        subject = f"【{kind_label(kind)}】{message}"[:200]
        mail.enqueue(user, subject, _mail_body(message), notification_id=row.id)
    return row


class Notice(NamedTuple):
    """One notice of :func:`notify_many`: ``user`` told ``message`` about ``task`` (or, without
    one, about the instance given to notify_many)."""

    user: User
    message: str
    task: HumanTask | None = None


def notify_many(kind: str, notices: Sequence[Notice], *, instance: int | None = None) -> int:
    """Tell many users, each their own ``message``, in one INSERT: the same rows (and e-mails
    when mail is on) as :func:`notify` for each, without a flush per row.  How many notices."""
    if not notices:
        return 0
    now = clock.now()
    # The mails name their notices: only then are the ids needed in the rows' order (SQLite
    # then inserts row by row); without mail the notices go in one statement.
    by_order = mail.enabled()
    ids = (
        db.session.execute(
            insert(Notification).returning(Notification.id, sort_by_parameter_order=by_order),
            [
                {
                    "user_id": n.user.id,
                    "kind": kind,
                    "message": n.message,
                    "task_id": n.task.id if n.task else None,
                    "instance_id": n.task.instance_id if n.task else instance,
                    "created_at": now,
                }
                for n in notices
            ],
        )
        .scalars()
        .all()
    )
    _fresh_ids().extend(ids)
    if by_order:
        for notice, notification_id in zip(notices, ids, strict=True):
            if notice.user.email:
                subject = f"【{kind_label(kind)}】{notice.message}"[:200]
                body = _mail_body(notice.message)
                mail.enqueue(notice.user, subject, body, notification_id=notification_id)
    return len(ids)


def _mail_body(message: str) -> str:
    site = (current_app.config.get("MAIL_SITE_URL") or "").rstrip("/")
    lines = [message, ""]
    if site:
        lines.append(f"请登录系统查看：{site}/notifications/")
    lines.append("（本邮件由建设工程质量分析报告系统自动发送，请勿回复。）")
    return "\n".join(lines)


def begin_step() -> None:
    """An engine step begins (:func:`webapp.engine.runtime.advance`): the notices made so far
    are no longer fresh; those the step's automatic steps make are, until its end."""
    db.session.info.pop(_FRESH, None)
    db.session.info.pop(_FRESH_IDS, None)


def forget_fresh(session: Any, transaction: Any) -> None:
    """When the session's outermost transaction ends (commit or rollback): no notice is fresh
    any more.  Not at the end of a SAVEPOINT: the engine's automatic steps run in one, and a
    notice they made (the results notice of an assessment whose process then ends) would
    otherwise be cleared, and so marked read, by the end of the process in the same step."""
    if transaction.parent is None:
        session.info.pop(_FRESH, None)
        session.info.pop(_FRESH_IDS, None)


event.listen(Session, "after_transaction_end", forget_fresh)


# Made by the engine ----------------------------------------------------------------------------
def holders(task: HumanTask) -> list[User]:
    """Who holds the task: its assignee, or every enabled candidate while it is unclaimed."""
    if task.assignee_id is not None:
        return [task.assignee] if task.assignee is not None else []
    return users_in_role(task.candidate_org_id, task.candidate_role, with_roles=False)


@functools.cache
def _holders_statement() -> Any:
    """The candidates' read of :func:`holders_of`, built once: built per call, keying it (its
    loader option above all) for SQLAlchemy's statement cache cost more than running it."""
    return (
        select(User, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.org_id.in_(bindparam("orgs", expanding=True)),
            User.is_enabled.is_(True),
            UserRole.role.in_(bindparam("roles", expanding=True)),
        )
        .order_by(User.username)
        .options(lazyload(User.role_rows))
    )


def holders_of(tasks: Sequence[HumanTask]) -> dict[int, list[User]]:
    """:func:`holders` of many tasks (by task id), the candidates of all of them in one query:
    a multi-instance step that opens 28 units' tasks reads their staff once."""
    wanted = {(t.candidate_org_id, t.candidate_role) for t in tasks if t.assignee_id is None}
    found: dict[tuple[int | None, str | None], list[User]] = {key: [] for key in wanted}
    if wanted:
        rows = db.session.execute(
            _holders_statement(),
            {
                "orgs": sorted({org for org, _ in wanted if org is not None}),
                "roles": sorted({role for _, role in wanted if role is not None}),
            },
        )
        for user, role in rows:
            if (user.org_id, role) in found and user not in found[(user.org_id, role)]:
                found[(user.org_id, role)].append(user)
    return {
        t.id: holders(t)
        if t.assignee_id is not None
        else found[(t.candidate_org_id, t.candidate_role)]
        for t in tasks
    }


def notify_new_tasks(
    instance: ProcessInstance, created: Iterable[HumanTask], returned_with: str | None
) -> int:
    """Tell whoever may take each new task; a task back after a return says why
    (``returned_with``: the return's opinion; None: no return).  One query for who holds them
    and one INSERT of the notices, however many tasks the step opened; inside
    :func:`told_together`, those of all its steps together; for one new unclaimed step without
    mail (most steps), one INSERT that reads its candidates itself.  How many tasks were told
    of."""
    where = about(instance)
    kind = "return" if returned_with is not None else "task"
    told = [(kind, task, _new_task_text(task, where, returned_with)) for task in created]
    pending = db.session.info.get(_TOLD_TOGETHER)
    if pending is not None:
        pending.extend(told)
    else:
        _tell(told)
    return len(told)


def _tell(told: list[tuple[str, HumanTask, str]]) -> None:
    """The notices of new tasks (kind, task, text): their holders in one query, one INSERT per
    kind; one unclaimed task without mail, one INSERT that reads its candidates."""
    if not told:
        return
    if len(told) == 1 and told[0][1].assignee_id is None and not mail.enabled():
        _notify_candidates(*told[0])
        return
    held = holders_of([task for _, task, _ in told])
    for kind in dict.fromkeys(kind for kind, _, _ in told):
        notify_many(
            kind,
            [Notice(u, text, task) for k, task, text in told if k == kind for u in held[task.id]],
        )


@contextmanager
def told_together() -> Iterator[None]:
    """Within: the new tasks' notices of every engine step are collected and, at the end,
    told with one query for their holders and one INSERT (a batch start: the first tasks of a
    period's 62 units).  Nested, the outermost tells; on an error nothing is told (the
    transaction is rolled back)."""
    if _TOLD_TOGETHER in db.session.info:
        yield
        return
    pending: list[tuple[str, HumanTask, str]] = []
    db.session.info[_TOLD_TOGETHER] = pending
    try:
        yield
    finally:
        db.session.info.pop(_TOLD_TOGETHER, None)
    _tell(pending)


def _new_task_text(task: HumanTask, where: str, returned_with: str | None) -> str:
    if returned_with is not None:
        text = f"“{task.name}”（{where}）已被退回，请修改后重新办理。"
        if returned_with.strip():
            text += f"退回意见：{returned_with.strip()[:200]}"
        return text
    text = f"新待办：“{task.name}”（{where}）"
    if task.due_at is not None:
        text += f"，办理期限 {clock.to_local(task.due_at):%Y-%m-%d %H:%M}"
    return text + "。"


@functools.cache
def _candidates_notice_statement() -> Any:
    """INSERT one notice for each candidate of a task (enabled, the task's role in its org, by
    username: the rows :func:`holders_of` and :func:`notify_many` would write), the candidates
    read by the same statement.  Built once."""
    user, role, notice = User.__table__, UserRole.__table__, Notification.__table__
    candidates = (
        select(
            user.c.id,
            bindparam("b_kind", type_=notice.c.kind.type),
            bindparam("b_message", type_=notice.c.message.type),
            bindparam("b_task", type_=notice.c.task_id.type),
            bindparam("b_instance", type_=notice.c.instance_id.type),
            bindparam("b_now", type_=notice.c.created_at.type),
        )
        .join(role, role.c.user_id == user.c.id)
        .where(
            user.c.org_id == bindparam("b_org"),
            user.c.is_enabled.is_(True),
            role.c.role == bindparam("b_role"),
        )
        .order_by(user.c.username)
    )
    columns = ["user_id", "kind", "message", "task_id", "instance_id", "created_at"]
    return insert(notice).from_select(columns, candidates).returning(notice.c.id)


def _notify_candidates(kind: str, task: HumanTask, message: str) -> int:
    """Tell every candidate of the unclaimed ``task`` ``message``, in one statement (no mail:
    a mail needs the user's address, and :func:`notify_many` reads the users for it)."""
    if task.candidate_org_id is None or task.candidate_role is None:
        return 0
    ids = (
        execute_plain(
            _candidates_notice_statement(),
            {
                "b_kind": kind,
                "b_message": message,
                "b_task": task.id,
                "b_instance": task.instance_id,
                "b_now": clock.now(),
                "b_org": task.candidate_org_id,
                "b_role": task.candidate_role,
            },
        )
        .scalars()
        .all()
    )
    _fresh_ids().extend(ids)
    return len(ids)


#: The open states as SQL, written into the statements below: a constant list, where a bound
#: list is expanded by SQLAlchemy on every execution (its post-compile step).
assert all(state.isalpha() for state in OPEN_STATES)
_OPEN_SQL = "(" + ", ".join(f"'{state}'" for state in OPEN_STATES) + ")"


def _holds(alias: str, negate: str) -> str:
    """EXISTS a task of the instance (``:b_instance``), open or (``negate``: NOT) not, that the
    notice's user holds or held: assignee, completer, or candidate (role in the org)."""
    # Only this module's literals are put together here: no value reaches the SQL text.
    return f"""EXISTS (SELECT 1 FROM human_task AS {alias}
        WHERE {alias}.instance_id = :b_instance AND {alias}.state {negate} IN {_OPEN_SQL}
        AND ({alias}.assignee_id = notification.user_id
             OR {alias}.completed_by_id = notification.user_id
             OR ({alias}.assignee_id IS NULL AND EXISTS (
                 SELECT 1 FROM user_role JOIN app_user ON app_user.id = user_role.user_id
                 WHERE user_role.user_id = notification.user_id
                 AND app_user.org_id = {alias}.candidate_org_id
                 AND user_role.role = {alias}.candidate_role))))"""  # noqa: S608


@functools.cache
def _clear_statement(done: bool, with_fresh: bool) -> Any:
    """The UPDATE of :func:`clear_done`, per shape.  Written as SQL: an expression of this
    size cost SQLAlchemy more to key for its statement cache on every call (~0.3 ms) than the
    database to run it."""
    done_held, open_held = _holds("done_task", "NOT"), _holds("open_task", "")
    acted = (
        "notification.task_id IN (SELECT id FROM human_task"  # noqa: S608
        f" WHERE instance_id = :b_instance AND state NOT IN {_OPEN_SQL})"
        f" OR (notification.task_id IS NULL AND {done_held} AND NOT {open_held})"
    )
    where = "instance_id = :b_instance AND cleared_at IS NULL"
    where += "" if done else f" AND ({acted})"
    where += " AND id NOT IN :b_fresh" if with_fresh else ""
    sets = "read_at = coalesce(read_at, :b_now), cleared_at = :b_now"
    sql = f"UPDATE notification SET {sets} WHERE {where}"  # noqa: S608
    params = [
        bindparam("b_now", type_=Notification.cleared_at.type),
        bindparam("b_instance"),
    ]
    if with_fresh:
        params.append(bindparam("b_fresh", expanding=True))
    return text(sql).bindparams(*params)


def clear_done(instance: ProcessInstance) -> int:
    """Clear, in one statement, the instance's notices whose task is no longer open, and its
    notices without a task whose user held a step of it that is done and holds none open now
    (the leader who approved; the upper reviewer once the late report is accepted); all of
    them once the instance is finished (completed or cancelled); never those made in this
    engine step (:func:`begin_step`)."""
    if any(n.id is None for n in _fresh()):
        db.session.flush()
    fresh = [n.id for n in _fresh() if n.id is not None] + _fresh_ids()
    # A finished instance leaves nothing to act on: every notice about it clears, also those
    # of users who never hold a step of it (an information copy, a leader told to 督办).
    done = instance.state in FINISHED_STATES
    params: dict[str, Any] = {"b_instance": instance.id, "b_now": clock.now()}
    if fresh:
        params["b_fresh"] = fresh
    return execute_plain(_clear_statement(done, bool(fresh)), params).rowcount


# Read by pages ---------------------------------------------------------------------------------
def unread_count(user: User) -> int:
    """The navbar's badge: one count over the (user_id, read_at) index."""
    return db.session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def notifications_for(
    user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 30
) -> tuple[list[Notification], int]:
    """The user's notices, newest first, one page; and how many there are in all."""
    where = [Notification.user_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = db.session.execute(
        select(func.count()).select_from(Notification).where(*where)
    ).scalar_one()
    rows = db.session.execute(
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return list(rows), total


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notices read (audited); someone else's is not found."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("没有这条通知。")
    if row.read_at is None:
        row.read_at = clock.now()
        audit.record(
            "notification.read",
            actor=user,
            object_type="notification",
            object_id=row.id,
            after={"kind": row.kind},
        )
    return row


def mark_all_read(user: User) -> int:
    """Mark every unread notice of the user read; how many (audited when any)."""
    count = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if count:
        audit.record(
            "notification.read_all",
            actor=user,
            object_type="notification",
            after={"count": count},
        )
    return count

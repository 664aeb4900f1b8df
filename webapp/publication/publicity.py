"""Publicity of behaviour records (第八条(三); 附件3 item 5 "及时公示相关责任单位和责任人").

domain.md §6 **Decision** (records): a published behaviour record — approved records only —
shows 责任单位, 责任人 姓名 and 职务, the fact and the clause, at the tier that approved it; never
an ID number, phone or address.  It stays published for a period (settings; defaults 6 months
for a bad record, 3 years for a good one) and is then withdrawn automatically; a named unit or
person can raise an objection (异议) that the approving tier answers, audited.

Here: each unit's half-year report publishes the records its own tier approved in that half
year (bad: the approved 附表1 rows of its accepted quarterly snapshots recorded by the unit
itself; good: its ledger's approved good-behaviour records of the half year).  Publicity runs
from the report's publication date through ``public_until``; publication.bpmn's timers call
:func:`expire` when it ends.  :func:`public_records` is the one query of what is public: the
portal's 信用记录 page and the count on a public report both read it.
"""

from __future__ import annotations

import calendar
import os
import re
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from flask import current_app, has_app_context
from sqlalchemy import Select, and_, or_, select

from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound
from webapp.core.models import Org, User
from webapp.core.permissions import require, require_visible
from webapp.engine import InstanceState, ProcessDefinition, ProcessInstance
from webapp.extensions import db
from webapp.ledger.models import GoodBehaviourRecord
from webapp.periodic.operations import get_document
from webapp.publication.figures import accepted_bad_records
from webapp.publication.models import (
    ObjectionOutcome,
    Publication,
    PublishedRecord,
    RecordKind,
    RecordObjection,
)
from webapp.publication.periods import parse_half_year

DEFAULT_MONTHS = {RecordKind.BAD: 6, RecordKind.GOOD: 36}
MIN_OBJECTION = 10
OBJECTOR_KINDS = {"unit": "单位", "person": "个人"}
EXPIRED = "公示期满，自动撤下"
UPHELD = "异议成立，撤下"

#: What must never reach the public even when typed into a free-text field: ID-card numbers
#: (18 or 15 digits), mobile numbers and landlines.  Addresses have no field to copy from.
_PERSONAL = re.compile(
    r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)"  # 身份证号
    r"|(?<!\d)1[3-9]\d{9}(?!\d)"  # 手机
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"  # 固定电话
)
HIDDEN = "［已隐去］"


def settings_from_env() -> dict[str, int]:
    out = {}
    for kind, default in DEFAULT_MONTHS.items():
        name = f"HQR_RECORD_PUBLICITY_{kind.name}_MONTHS"
        months = int(os.environ.get(name, default) or default)
        if months < 1:
            raise ValueError(f"{name} must be at least 1")
        out[f"RECORD_PUBLICITY_{kind.name}_MONTHS"] = months
    return out


def months(kind: RecordKind | str) -> int:
    kind = RecordKind(kind)
    if has_app_context():
        return (
            int(current_app.config.get(f"RECORD_PUBLICITY_{kind.name}_MONTHS", 0))
            or (DEFAULT_MONTHS[kind])
        )
    return DEFAULT_MONTHS[kind]


def add_months(day: date, n: int) -> date:
    """The same calendar day ``n`` months later (or that month's last day: 08-31 → 02-28)."""
    year, month = divmod(day.month - 1 + n, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def public_until(kind: RecordKind | str, published: date) -> date:
    """The last day of a record's publicity: published + the kind's months (that day included)."""
    return add_months(published, months(kind))


def ends_at(until: date) -> datetime:
    """When publicity ends: 00:00 Asia/Shanghai of the day after ``until`` (aware, UTC)."""
    end = datetime.combine(until + timedelta(days=1), time(0, 0), tzinfo=clock.LOCAL_TZ)
    return end.astimezone(clock.UTC)


def scrub(text: Any) -> str:
    """Free text as the public may read it: ID, mobile and phone numbers hidden."""
    return _PERSONAL.sub(HIDDEN, str(text or ""))


class PublicRecordFields(TypedDict):
    """What the public reads of a behaviour record, on the portal and in the Word file."""

    record_no: str
    enterprise: str
    unit_type: str
    person_name: str
    person_title: str
    project_name: str
    fact: str
    clause: str
    recorded_on: str
    authority: str


class PublishedRecordJSON(PublicRecordFields):
    """A behaviour record as a snapshot freezes it: the public fields only."""

    approved_on: str
    authority_code: str


class RecordsJSON(TypedDict):
    bad: list[PublishedRecordJSON]
    good: list[PublishedRecordJSON]


def records_to_publish(org: Org, period: str) -> RecordsJSON:
    """The records ``org`` approved in the half year, to be published with its report."""
    half = parse_half_year(period)
    bad: list[PublishedRecordJSON] = [
        {
            "record_no": scrub(r.get("record_no")),
            "enterprise": scrub(r.get("responsible_unit")),
            "unit_type": scrub(r.get("unit_type")),
            "person_name": scrub(r.get("person_name")),
            "person_title": scrub(r.get("person_title")),
            "project_name": scrub(r.get("project_name")),
            "fact": scrub(r.get("fact")),
            "clause": scrub(r.get("clause")),
            "recorded_on": str(r.get("recorded_on") or ""),
            "approved_on": str(r.get("approved_on") or ""),
            "authority": org.name,
            "authority_code": org.code,
        }
        for r in accepted_bad_records(org, half)
        if r.get("org_code") == org.code
    ]
    good_rows = db.session.execute(
        select(GoodBehaviourRecord)
        .where(
            GoodBehaviourRecord.org_id == org.id,
            GoodBehaviourRecord.recorded_on.between(half.start, half.end),
            GoodBehaviourRecord.approver != "",
        )
        .order_by(GoodBehaviourRecord.recorded_on, GoodBehaviourRecord.id)
    ).scalars()
    good: list[PublishedRecordJSON] = [
        {
            "record_no": "",
            "enterprise": scrub(rec.enterprise),
            "unit_type": "",
            "person_name": "",
            "person_title": "",
            "project_name": "",
            "fact": scrub(rec.fact),
            "clause": "",
            "recorded_on": rec.recorded_on.isoformat(),
            "approved_on": "",
            "authority": org.name,
            "authority_code": org.code,
        }
        for rec in good_rows
    ]
    return {"bad": bad, "good": good}


def _day(value: str) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def publish_records(pub: Publication, records: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Publish the frozen records with the report; the aware ISO times their publicity ends
    (``records_bad_until``/``records_good_until``, the timers of publication.bpmn)."""
    assert pub.publication_date is not None
    ends = {}
    for kind in RecordKind:
        until = public_until(kind, pub.publication_date)
        ends[f"records_{kind.value}_until"] = ends_at(until).isoformat()
        for r in records.get(kind.value, []):
            db.session.add(
                PublishedRecord(
                    publication=pub,
                    kind=kind.value,
                    org_id=pub.org_id,
                    record_no=r["record_no"],
                    enterprise=r["enterprise"],
                    unit_type=r["unit_type"],
                    person_name=r.get("person_name", ""),
                    person_title=r.get("person_title", ""),
                    project_name=r["project_name"],
                    fact=r["fact"],
                    clause=r["clause"],
                    recorded_on=date.fromisoformat(r["recorded_on"][:10]),
                    approved_on=_day(r.get("approved_on", "")),
                    authority=r["authority"],
                    public_until=until,
                )
            )
    return ends


def is_public(rec: PublishedRecord, today: date | None = None) -> bool:
    today = today or clock.today_local()
    return (
        rec.publication.published_at is not None
        and rec.withdrawn_at is None
        and (rec.public_until is None or rec.public_until >= today)
    )


def public_condition(today: date | None = None) -> Any:
    """A record is public: its report was published, it was not withdrawn and its period runs
    (the date is checked too, so nothing stays public between midnight and the worker's pass)."""
    today = today or clock.today_local()
    return and_(
        Publication.published_at.is_not(None),
        PublishedRecord.withdrawn_at.is_(None),
        or_(PublishedRecord.public_until.is_(None), PublishedRecord.public_until >= today),
    )


def public_records(
    kind: str | None = None,
    enterprise: str | None = None,
    period: str | None = None,
    under: str | None = None,
) -> Select[tuple[PublishedRecord]]:
    """THE query of public records (the 信用记录 page, the API and the count on a public
    report): ``under`` = the approving tier is this unit or below it."""
    stmt = (
        select(PublishedRecord)
        .join(Publication, PublishedRecord.publication_id == Publication.id)
        .where(public_condition())
    )
    if kind:
        stmt = stmt.where(PublishedRecord.kind == RecordKind(kind).value)
    if enterprise:
        words = enterprise.strip()[:100]
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            or_(
                PublishedRecord.enterprise.like(f"%{escaped}%", escape="\\"),
                PublishedRecord.project_name.like(f"%{escaped}%", escape="\\"),
                PublishedRecord.person_name.like(f"%{escaped}%", escape="\\"),
            )
        )
    if period:
        stmt = stmt.where(Publication.period == parse_half_year(period).code)
    if under:
        unit = db.session.execute(select(Org).where(Org.code == under)).scalar_one_or_none()
        if unit is None:
            return stmt.where(PublishedRecord.id.is_(None))
        stmt = stmt.join(Org, PublishedRecord.org_id == Org.id).where(
            Org.path.like(unit.path + "%")
        )
    return stmt


# Automatic withdrawal (publication.bpmn's timers) -------------------------------------------
def expire(pub: Publication, actor: User | None = None, *, untimed: bool = False) -> int:
    """Withdraw the report's records whose publicity has ended (audited, one record each).

    ``untimed``: withdrawn by :func:`expire_untimed` for a report whose process has no records
    timer (said in the audit record)."""
    today = clock.today_local()
    now = clock.now()
    count = 0
    for rec in pub.records:
        if rec.withdrawn_at is None and rec.public_until is not None and rec.public_until < today:
            rec.withdrawn_at = now
            rec.withdrawal_reason = EXPIRED
            after: dict[str, Any] = {"public_until": str(rec.public_until)}
            _audit(
                "publication.record_expire",
                rec,
                actor,
                after | {"untimed": True} if untimed else after,
                UNTIMED if untimed else None,
            )
            count += 1
    return count


#: The records timer's service operation: an instance whose BPMN version has it withdraws its
#: records itself.
TIMED_BY = b'serviceTaskOperator id="publication.records_expire"'
UNTIMED = "公示期满，自动撤下（该报告的流程启动于公示期满自动撤下规则之前，由定期检查补办）"


def _timed(instance: ProcessInstance | None) -> bool:
    """The report's process runs a version with the records timers (it will withdraw them)."""
    return (
        instance is not None
        and instance.state == InstanceState.RUNNING.value
        and TIMED_BY in db.session.get(ProcessDefinition, instance.definition_id).content
    )


def expire_untimed(actor: User | None = None) -> dict[str, int]:
    """Bring the reports published before the records timers existed under the rule.

    A report whose process was started on an older publication.bpmn (or has no process, or
    whose process has ended) has no timer to withdraw its records: every record of it whose
    publicity has ended is withdrawn now, audited like the timer's withdrawal (plus
    ``untimed``).  Reports whose process has the timers are left to it.  Idempotent; run by
    ``flask publication expire-records`` (``make db`` and daily)."""
    today = clock.today_local()
    overdue = (
        select(PublishedRecord.publication_id)
        .where(
            PublishedRecord.withdrawn_at.is_(None),
            PublishedRecord.public_until.is_not(None),
            PublishedRecord.public_until < today,
        )
        .distinct()
    )
    pubs = db.session.execute(
        select(Publication)
        .where(Publication.id.in_(overdue), Publication.published_at.is_not(None))
        .order_by(Publication.id)
    ).scalars()
    counts = {"reports": 0, "withdrawn": 0}
    for pub in pubs:
        instance = db.session.get(ProcessInstance, pub.instance_id) if pub.instance_id else None
        if _timed(instance):
            continue
        counts["reports"] += 1
        counts["withdrawn"] += expire(pub, actor, untimed=True)
    db.session.flush()
    return counts


def _audit(
    action: str,
    rec: PublishedRecord,
    actor: User | None,
    after: dict[str, Any],
    message: str | None = None,
) -> None:
    audit.record(
        action,
        actor=actor,
        message=message,
        org=rec.org or rec.publication.org,
        object_type="published_record",
        object_id=rec.id,
        after={
            "record_no": rec.record_no,
            "kind": rec.kind,
            "subject": f"publication:{rec.publication_id}",
            **after,
        },
    )


# Objections (异议) -----------------------------------------------------------------------------
def public_record(record_id: int) -> PublishedRecord:
    if not 0 < record_id <= 2**31 - 1:
        raise NotFound("未找到该记录。")
    rec = db.session.execute(
        public_records().where(PublishedRecord.id == record_id)
    ).scalar_one_or_none()
    if rec is None:
        raise NotFound("未找到该记录。")
    return rec


def raise_objection(
    record_id: int, objector: str, objector_kind: str, reason: str, contact: str = ""
) -> RecordObjection:
    """A named unit or person objects to a public record (no login; the portal rate-limits)."""
    rec = public_record(record_id)
    errors = {}
    objector = " ".join((objector or "").split())[:100]
    reason = (reason or "").strip()
    if not objector:
        errors["objector"] = "请填写提出异议的单位名称或本人姓名。"
    if objector_kind not in OBJECTOR_KINDS:
        errors["objector_kind"] = "请选择“单位”或“个人”。"
    if len(reason) < MIN_OBJECTION:
        errors["reason"] = f"请说明异议的事实和理由（至少 {MIN_OBJECTION} 个字）。"
    if errors:
        raise InvalidInput("；".join(errors.values()), details=errors)
    objection = RecordObjection(
        record=rec,
        org_id=rec.org_id or rec.publication.org_id,
        objector=objector,
        objector_kind=objector_kind,
        contact=(contact or "").strip()[:100],
        reason=reason[:2000],
        raised_at=clock.now(),
    )
    db.session.add(objection)
    db.session.flush()
    _audit(
        "publication.objection_raise",
        rec,
        None,
        {"objection": objection.id, "objector": objector, "objector_kind": objector_kind},
        objection.reason,
    )
    return objection


def get_objection(objection_id: int, actor: User | None = None) -> RecordObjection:
    """The objection; with ``actor``, only if theirs to answer (the approving tier: nobody else
    sees it), otherwise answered as a missing one."""
    objection = get_document(RecordObjection, objection_id, "异议不存在。")
    if actor is not None:
        require_visible(actor, "publication.objection_answer", objection.org, "异议不存在。")
    return objection


def answer_objection(
    actor: User, objection: RecordObjection, outcome: str, answer: str
) -> RecordObjection:
    """The approving tier answers: upheld withdraws the record at once, dismissed keeps it."""
    require(actor, "publication.objection_answer", objection.org)
    if objection.answered_at is not None:
        raise Conflict("该异议已经答复。")
    try:
        result = ObjectionOutcome(outcome)
    except ValueError:
        raise InvalidInput("请选择答复结论。", details={"outcome": "必选"}) from None
    answer = (answer or "").strip()
    if len(answer) < MIN_OBJECTION:
        raise InvalidInput(
            f"请填写答复意见（至少 {MIN_OBJECTION} 个字）。", details={"answer": "必填"}
        )
    objection.outcome = result.value
    objection.answer = answer[:2000]
    objection.answered_at = clock.now()
    objection.answered_by_id = actor.id
    rec = objection.record
    if result is ObjectionOutcome.UPHELD and rec.withdrawn_at is None:
        rec.withdrawn_at = objection.answered_at
        rec.withdrawal_reason = UPHELD
    _audit(
        "publication.objection_answer",
        rec,
        actor,
        {
            "objection": objection.id,
            "outcome": result.value,
            "withdrawn": rec.withdrawn_at is not None,
        },
        objection.answer,
    )
    return objection


def objections_for(actor: User, org: Org) -> list[RecordObjection]:
    """The objections the unit answers (its own tier's records), open ones first."""
    require(actor, "publication.objection_answer", org)
    return list(
        db.session.execute(
            select(RecordObjection)
            .where(RecordObjection.org_id == org.id)
            .order_by(RecordObjection.answered_at.is_not(None), RecordObjection.raised_at.desc())
        ).scalars()
    )

"""通报 of the reporting work (第八条(五): "对…报送工作…进行通报表扬或批评"; 第十八条).

Once a year the province judges the reporting work of the units that report to it (the cities
and the directly administered counties; a county's work is its city's business).  The system
proposes, from the reporting record (:mod:`webapp.audit.reporting`):

- to commend (表扬) every unit whose every expected report was submitted on time with no error,
  and the individuals of those units who drafted or approved its reports (发挥突出作用);
- to criticise (批评) every unit with an error (重大失误: a return for 数据差错 / 内容失误, or a
  correction after acceptance) or a report missing or first submitted late (上报不及时).

The province's clerk edits the three lists (each change with its reason, audited
``notice.edit``) and submits; workflows/reporting_notice.bpmn takes it through the province's
reviewer to its principal leader, whose approval issues the Word notice (archived unchanged).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from webapp.archive import operations as archive
from webapp.audit.reporting import reporting_people, reporting_record
from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from webapp.core.models import Org, User
from webapp.core.operations import get_row
from webapp.core.permissions import require
from webapp.documents import Rendered, render_laid_out
from webapp.engine import (
    HumanTask,
    ServiceContext,
    open_tasks,
    register_form,
    register_start_form,
    register_subject_label,
    service_operation,
    start_instance,
)
from webapp.extensions import db
from webapp.reports.models import Report, ReportingNotice
from webapp.reports.templates_source import active_template

PROCESS_KEY = "reporting_notice"
TEMPLATE = "reporting_notice"
LISTS = {
    "commend_units": "表扬单位",
    "commend_people": "表扬个人",
    "criticise_units": "批评单位",
}
#: characters: a reason must say something
MIN_REASON = 4

register_start_form(
    PROCESS_KEY,
    {
        "type": "object",
        "properties": {
            "notice_id": {"type": "integer", "title": "通报"},
            "year": {"type": "integer", "title": "年度"},
        },
    },
    label="报送工作通报",
)
register_subject_label(
    PROCESS_KEY, lambda instance: f"{(instance.subject or {}).get('year', '')}年度"
)
_EMPTY = {"type": "object", "properties": {}}
for _key, _label in (
    ("notice.draft", "拟定表扬和批评名单"),
    ("notice.review", "审核通报"),
    ("notice.approve", "主要领导审批通报"),
):
    register_form(_key, _EMPTY, label=_label, template="reports/_notice_task.html")


def province() -> Org:
    return db.session.execute(select(Org).where(Org.parent_id.is_(None))).scalars().one()


def _units_judged() -> list[str]:
    """The units reporting to the province (cities, directly administered counties)."""
    codes = db.session.execute(select(Org.code).where(Org.depth == 1).order_by(Org.path))
    return list(codes.scalars())


def propose(year: int) -> dict[str, list[dict[str, Any]]]:
    """The system's proposal from the reporting record of ``year``."""
    judged = set(_units_judged())
    records = [r for r in reporting_record(year) if r.org_code in judged]
    pending = _not_yet_due(year)
    commend, criticise = [], []
    for r in records:
        # a report not yet due is not missing (a notice drafted before the year is over)
        missing = max(0, r.missing - pending.get(r.org_code, 0))
        if r.expected and not missing and not r.late_reports and r.errors == 0:
            commend.append(
                {
                    "org_code": r.org_code,
                    "org_name": r.org_name,
                    "reason": f"应报 {r.expected} 份，均按时报送，无差错",
                }
            )
            continue
        reasons = []
        if r.errors:
            reasons.append(f"重大失误（报送差错 {r.errors} 次）")
        if missing or r.late_reports:
            parts = [f"未报 {missing} 份"] if missing else []
            parts += [f"首报逾期 {r.late_reports} 份"] if r.late_reports else []
            reasons.append(f"上报不及时（{'、'.join(parts)}）")
        if reasons:
            criticise.append(
                {"org_code": r.org_code, "org_name": r.org_name, "reason": "；".join(reasons)}
            )
    names = {r.org_code: r.org_name for r in records}
    people = []
    for person in reporting_people(year, [u["org_code"] for u in commend]):
        user = db.session.get(User, person.user_id)
        if user is None:
            continue
        roles = (["填表"] if person.drafted else []) + (["审核"] if person.approved else [])
        people.append(
            {
                "user_id": user.id,
                "name": user.full_name,
                "org_code": person.org_code,
                "org_name": names.get(person.org_code, person.org_code),
                "reason": f"{'、'.join(roles)}本单位报告，均按时报送、无差错",
            }
        )
    return {"commend_units": commend, "commend_people": people, "criticise_units": criticise}


def _not_yet_due(year: int) -> dict[str, int]:
    """Per unit: reports of ``year`` not submitted whose due time is still ahead."""
    rows = db.session.execute(
        select(Org.code, func.count(Report.id))
        .join(Report, Report.org_id == Org.id)
        .where(
            Report.period.like(f"{int(year):04d}%"),
            Report.first_submitted_at.is_(None),
            Report.due_at > clock.now(),
        )
        .group_by(Org.code)
    ).all()
    return {code: int(n) for code, n in rows}


def find_notice(year: int) -> ReportingNotice | None:
    return db.session.execute(
        select(ReportingNotice).where(ReportingNotice.year == year)
    ).scalar_one_or_none()


def get_notice(notice_id: int) -> ReportingNotice:
    return get_row(ReportingNotice, notice_id, "通报不存在。")


def require_view(actor: User) -> Org:
    """The province's staff read the notice (and the proposal)."""
    root = province()
    require(actor, "report.notice", root)
    return root


def start_notice(actor: User, year: int) -> ReportingNotice:
    """The province's clerk starts the year's notice from the system's proposal."""
    root = require_view(actor)
    require(actor, "report.draft", root)
    if year > clock.today_local().year:
        raise InvalidInput("不能为未来的年度拟定通报。")
    if find_notice(year) is not None:
        raise Conflict(f"{year}年度的通报已经拟定。")
    lists = propose(year)
    notice = ReportingNotice(year=year, created_by_id=actor.id, **lists)
    db.session.add(notice)
    db.session.flush()
    instance = start_instance(
        actor,
        PROCESS_KEY,
        root,
        f"reporting-notice:{year}",
        {"notice_id": notice.id, "year": year},
    )
    notice.instance_id = instance.id
    audit.record_on(
        "notice.start",
        notice,
        actor,
        org=root,
        after={"year": year, **{k: len(v) for k, v in lists.items()}},
    )
    return notice


def open_task(notice: ReportingNotice) -> HumanTask | None:
    tasks = open_tasks(notice.instance_id)
    return tasks[0] if tasks else None


def editable(notice: ReportingNotice) -> bool:
    task = open_task(notice)
    return task is not None and task.form_key == "notice.draft"


def edit_list(
    actor: User, notice: ReportingNotice, name: str, op: str, target: str, reason: str
) -> ReportingNotice:
    """Add a unit (or a person, by user id) to one list, or remove one, with the reason."""
    root = require_view(actor)
    require(actor, "report.draft", root)
    if not editable(notice):
        raise Conflict("通报已提交审核或已印发，名单不能再修改；如需修改请由审核人或领导退回。")
    if name not in LISTS or op not in ("add", "remove"):
        raise InvalidInput("名单或操作有误。")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(f"请填写理由（至少 {MIN_REASON} 个字）。", details={"reason": "必填"})
    current: list[dict[str, Any]] = list(getattr(notice, name) or [])
    key = "user_id" if name == "commend_people" else "org_code"
    target = (target or "").strip()
    present = [e for e in current if str(e[key]) == target]
    if op == "remove":
        if not present:
            raise NotFound("名单中没有该项。")
        after = [e for e in current if str(e[key]) != target]
        entry = present[0]
    else:
        if present:
            raise Conflict("名单中已有该项。", details={"target": "已在名单中"})
        entry = _entry(name, target, reason)
        after = [*current, entry]
    setattr(notice, name, after)
    audit.record_on(
        "notice.edit",
        notice,
        actor,
        org=root,
        before={"list": name, "count": len(current)},
        after={"list": name, "op": op, "entry": entry, "count": len(after), "year": notice.year},
        message=reason,
    )
    return notice


def _entry(name: str, target: str, reason: str) -> dict[str, Any]:
    if name == "commend_people":
        user = db.session.get(User, int(target)) if target.isdigit() else None
        if user is None or user.org is None or user.org.depth != 1:
            raise InvalidInput("请选择省辖市或省直管县的工作人员。")
        return {
            "user_id": user.id,
            "name": user.full_name,
            "org_code": user.org.code,
            "org_name": user.org.name,
            "reason": reason,
        }
    org = db.session.execute(select(Org).where(Org.code == target)).scalar_one_or_none()
    if org is None or org.depth != 1:
        raise InvalidInput("请选择省辖市或省直管县（市）。")
    return {"org_code": org.code, "org_name": org.name, "reason": reason}


# The Word notice --------------------------------------------------------------------------------


def document_context(notice: ReportingNotice) -> dict[str, Any]:
    """The whitelisted context of docs_templates/reporting_notice.docx."""
    issued = clock.to_local(notice.issued_at or clock.now())
    return {
        "year": notice.year,
        "commend_units": [
            {"name": e["org_name"], "reason": e["reason"]} for e in notice.commend_units or []
        ],
        "commend_people": [
            {"name": e["name"], "org_name": e["org_name"]} for e in notice.commend_people or []
        ],
        "criticise_units": [
            {"name": e["org_name"], "reason": e["reason"]} for e in notice.criticise_units or []
        ],
        "issued_date": f"{issued.year}年{issued.month}月{issued.day}日",
    }


def render_notice(notice: ReportingNotice) -> Rendered:
    """The notice's Word file, with the PDF of its 版记 layout when LibreOffice made one."""
    return render_laid_out(active_template(TEMPLATE), document_context(notice))


def filename(notice: ReportingNotice) -> str:
    return f"关于{notice.year}年度工程质量分析报告报送工作的通报.docx"


def _notice_of(subject: dict[str, Any]) -> ReportingNotice:
    return get_notice(int(subject.get("notice_id") or 0))


@service_operation("notice.issue")
def issue(ctx: ServiceContext) -> dict[str, Any]:
    """The principal leader approved: render the notice and archive it unchanged."""
    notice = _notice_of(ctx.subject)
    if ctx.actor is None:
        raise PermissionDenied("通报须由主要领导审批。")
    notice.issued_at = clock.now()
    notice.approved_by_id = ctx.actor.id
    rendered = render_notice(notice)
    doc = archive.store(
        "reporting_notice",
        notice.id,
        rendered.docx,
        filename=filename(notice),
        stage="issued",
        actor=ctx.actor,
        pdf=rendered.pdf,  # its first PDF download then renders nothing
    )
    notice.document_sha256 = doc.sha256
    audit.record_on(
        "notice.issue",
        notice,
        ctx.actor,
        org=province(),
        after={
            "year": notice.year,
            "document": notice.document_sha256,
            **{k: len(getattr(notice, k) or []) for k in LISTS},
        },
    )
    return {"issued_at": notice.issued_at.isoformat()}


def sample_context() -> dict[str, Any]:
    """What an uploaded reporting_notice.docx is tested with (文书模板)."""
    return {
        "year": 2026,
        "commend_units": [{"name": "郑州市", "reason": "应报 5 份，均按时报送，无差错"}],
        "commend_people": [{"name": "张三", "org_name": "郑州市"}],
        "criticise_units": [{"name": 'R&D <部门> "x"', "reason": "上报不及时（首报逾期 1 份）"}],
        "issued_date": "2027年1月15日",
    }

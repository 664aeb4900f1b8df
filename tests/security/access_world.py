"""The access walk's world: users of every role at orgs of every relation, and objects of every
kind at a county, a city and (where they exist) the province.

Orgs: the province 410000; 郑州 410100 and its counties 中原区 410102 and 二七区 410103; 开封
410200 and its county 龙亭区 410202.  Seen from an object of 中原区 they are its own org, its
parent, its grandparent, a sibling county, a peer county of another city and another city; seen
from an object of 郑州: own, child, parent, peer city and another city's county.  Clerks,
reviewers and leaders exist at all six; assessors, administrators and auditors only at the
province (the only tier that has them).  Every object carries a marker naming its org so that
lists can be checked for what they show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import ROOT, login
from webapp.extensions import db

PROVINCE, CITY, COUNTY, SIBLING, OTHER_CITY, OTHER_COUNTY = (
    "410000",
    "410100",
    "410102",
    "410103",
    "410200",
    "410202",
)
ORGS = (PROVINCE, CITY, OTHER_CITY, COUNTY, SIBLING, OTHER_COUNTY)
UNIT_ROLES = ("clerk", "reviewer", "leader")
PROVINCE_ROLES = ("assessor", "admin", "auditor")
PERIOD = "2026Q3"
#: The quarter before: 中原区's report of it is accepted (its summary is its peers' to read).
ACCEPTED_PERIOD = "2026Q2"


def marker(code: str) -> str:
    return f"访问标记{code}"


@dataclass
class World:
    #: (role, org code) → a logged-in client; ("anonymous", None) → a client without session.
    clients: dict[tuple[str, str | None], FlaskClient] = field(default_factory=dict)
    #: object kind → org code → id
    ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: values that do not depend on an org (a workflow key, an audit record id...)
    globals: dict[str, Any] = field(default_factory=dict)

    def at(self, code: str | None) -> dict[str, Any]:
        values = dict(self.globals)
        if code is not None:
            values["org"] = code
            for kind, by_org in self.ids.items():
                if code in by_org:
                    values[kind] = by_org[code]
        return values


def users(app: Flask, make_user: Any, world: World) -> None:
    people = [(r, c) for r in UNIT_ROLES for c in ORGS] + [(r, PROVINCE) for r in PROVINCE_ROLES]
    for role, code in people:
        user = make_user(role, code, f"{role}_{code}")
        client = app.test_client()
        assert login(client, user.username).status_code == 302
        world.clients[(role, code)] = client
    world.clients[("anonymous", None)] = app.test_client()


def ledger(world: World) -> None:
    from webapp.core.models import User
    from webapp.core.operations import get_org
    from webapp.ledger.fields import KINDS
    from webapp.ledger.operations import save_record

    world.ids["project"] = {}
    for code in ORGS:
        owner = db.session.execute(select(User).filter_by(username=f"clerk_{code}")).scalar_one()
        saved = save_record(
            owner,
            KINDS["projects"],
            get_org(code),
            {
                "registration_no": f"ACC-{code}",
                "name": marker(code),
                "structure_type": "框架",
                "area_m2": "1000",
                "cost_10k_yuan": "300",
                "registered_on": "2026-07-01",
            },
        )
        world.ids["project"][code] = saved.record.id
    db.session.commit()


def reports(world: World) -> None:
    """Open 2026Q3 for every unit; 中原区's report drafted and approved (a Word file archived)."""
    from webapp.core.models import User
    from webapp.core.operations import get_org
    from webapp.engine import complete_task, deploy_bpmn
    from webapp.engine.models import HumanTask
    from webapp.reports.operations import find_report, open_period, save_narrative
    from webapp.reports.sections import sections

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    open_period(None, PERIOD)
    db.session.commit()
    world.ids["report"], world.ids["instance"], world.ids["task"] = {}, {}, {}
    for code in ORGS:
        report = find_report(get_org(code), PERIOD, "quarterly")
        if report is None:
            continue
        world.ids["report"][code] = report.id
        world.ids["instance"][code] = report.instance_id

    def user(name: str) -> User:
        return db.session.execute(select(User).filter_by(username=name)).scalar_one()

    def open_task(instance_id: int) -> HumanTask:
        return db.session.execute(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.state.in_(("ready", "claimed"))
            )
        ).scalar_one()

    county = find_report(get_org(COUNTY), PERIOD, "quarterly")
    save_narrative(
        user(f"clerk_{COUNTY}"), county, {k: "情况良好。" for k, _ in sections("quarterly")}
    )
    for name, outcome in (
        (f"clerk_{COUNTY}", "next"),
        (f"clerk_{COUNTY}", "submit"),
        (f"reviewer_{COUNTY}", "approve"),
    ):
        complete_task(user(name), open_task(county.instance_id).id, outcome)
    db.session.commit()
    world.ids["report_doc"] = {COUNTY: county.documents[0].id}
    # 中原区's previous quarter, accepted: its peers read the summary tables (第七条 互访), so
    # they may know that it exists (``reports.operations.may_know``).
    from tests.publication.conftest import accept_quarter

    world.ids["accepted_report"] = {COUNTY: accept_quarter(COUNTY, ACCEPTED_PERIOD).id}
    for code, instance_id in world.ids["instance"].items():
        world.ids["task"][code] = open_task(instance_id).id


def assessment(world: World) -> None:
    from webapp.assessment import flow, operations
    from webapp.assessment.evidence import add_evidence
    from webapp.assessment.models import SampledSite, SiteSample
    from webapp.core.models import User
    from webapp.engine import deploy_bpmn

    for name in ("year_end_assessment", "year_end_self_assessment", "year_end_materials"):
        deploy_bpmn(None, None, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    admin = db.session.execute(select(User).filter_by(username=f"admin_{PROVINCE}")).scalar_one()
    operations.install_bundled_sheets(None)
    db.session.commit()
    campaign = flow.start_campaign(admin, "fujian3", 2025)
    db.session.commit()
    world.globals["campaign"] = campaign.id
    world.globals["sheet"] = campaign.sheet_id
    world.ids["unit"] = {u.org.code: u.id for u in campaign.units if u.org.code in ORGS}
    world.ids["evidence"] = {}
    for code in (CITY, OTHER_CITY):
        clerk = db.session.execute(select(User).filter_by(username=f"clerk_{code}")).scalar_one()
        world.ids["evidence"][code] = add_evidence(
            clerk, world.ids["unit"][code], f"{marker(code)}.pdf", b"%PDF-1.4 evidence"
        ).id
    # One sampled site per city (as a drawn sample leaves them: the unit's page lists them, the
    # score page records their visit); written as rows, the draw itself is tests/assessment's.
    sample = SiteSample(campaign_id=campaign.id, seed="access", candidates={}, drawn_by=admin)
    db.session.add(sample)
    db.session.flush()
    world.ids["site"] = {}
    for position, code in enumerate((CITY, OTHER_CITY), start=1):
        site = SampledSite(
            sample_id=sample.id,
            unit_id=world.ids["unit"][code],
            position=position,
            project_ref=f"ACC-{code}",
            project_name=f"抽查工程{code}",
            org_code=code,
        )
        db.session.add(site)
        db.session.flush()
        world.ids["site"][code] = site.id
    db.session.commit()


def publications(world: World) -> None:
    """Open 2026H1 for every unit: each has a draft (nothing is published).  郑州市's draft
    holds a behaviour record (not in publicity: the draft is not published) to which an
    objection was raised, to be answered by 郑州市 (the approving tier)."""
    from datetime import date

    from webapp.core.operations import get_org
    from webapp.engine import deploy_bpmn
    from webapp.publication.models import PublishedRecord, RecordObjection
    from webapp.publication.operations import find_publication, open_period

    deploy_bpmn(None, None, (ROOT / "workflows" / "publication.bpmn").read_bytes())
    open_period(None, "2026H1")
    db.session.commit()
    world.ids["publication"] = {code: find_publication(get_org(code), "2026H1").id for code in ORGS}
    record = PublishedRecord(
        publication_id=world.ids["publication"][CITY],
        org=get_org(CITY),
        kind="bad",
        record_no=f"ACC-BAD-{CITY}",
        enterprise=marker(CITY),
        fact="未按图施工",
        recorded_on=date(2026, 5, 5),
    )
    objection = RecordObjection(
        record=record,
        org=get_org(CITY),
        objector=marker(CITY),
        objector_kind="unit",
        reason="该记录所述事实与实际不符，请核实。",
    )
    db.session.add_all([record, objection])
    db.session.commit()
    world.ids["published_record"] = {CITY: record.id}
    world.ids["objection"] = {CITY: objection.id}


def accidents(world: World) -> None:
    """A 一般 accident recorded by 中原区 and one by 郑州市 (each going up its chain)."""
    from webapp.accidents.operations import record_accident
    from webapp.core.models import User
    from webapp.core.operations import get_org
    from webapp.engine import deploy_bpmn

    deploy_bpmn(None, None, (ROOT / "workflows" / "accident_report.bpmn").read_bytes())
    world.ids["accident"] = {}
    for code in (COUNTY, CITY):
        clerk = db.session.execute(select(User).filter_by(username=f"clerk_{code}")).scalar_one()
        accident = record_accident(
            clerk,
            get_org(code),
            {
                "occurred_at": "2026-05-01T14:10:00+08:00",
                "received_at": "2026-05-01T14:40:00+08:00",
                "place": "事故地点",
                "project_name": marker(code),
                "units": ["施工单位"],
                "deaths": 1,
                "loss_10k_yuan": "10",
                "reporting_unit": "报告单位",
                "contact": "联系人",
                "phone": "0371-1",
            },
        )
        world.ids["accident"][code] = accident.id
    db.session.commit()


def build(app: Flask, make_user: Any) -> World:
    from webapp.core.models import AuditRecord, User

    world = World()
    users(app, make_user, world)
    ledger(world)
    reports(world)
    assessment(world)
    publications(world)
    accidents(world)
    world.globals["record"] = db.session.execute(select(AuditRecord.id).limit(1)).scalar_one()
    world.globals["user"] = db.session.execute(select(User.id).limit(1)).scalar_one()
    return world

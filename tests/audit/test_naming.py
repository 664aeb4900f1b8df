"""The features name their objects on the audit pages (registered namers)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from webapp.audit.naming import object_names
from webapp.core.models import AuditRecord
from webapp.extensions import db

DEMO = Path(__file__).resolve().parents[2] / "workflows" / "demo_two_tier.bpmn"


def test_ledger_engine_and_assessment_objects_have_names(make_user, org):
    from tests.conftest import ROOT
    from webapp.assessment.flow import start_campaign
    from webapp.assessment.operations import install_bundled_sheets
    from webapp.engine import claim, complete_task, deploy_bpmn, start_instance
    from webapp.engine.queries import current_tasks
    from webapp.ledger.fields import KINDS
    from webapp.ledger.operations import save_record

    clerk = make_user("clerk", "410102")
    reviewer = make_user("reviewer", "410102")
    admin = make_user("admin", "410000")
    save_record(
        clerk,
        KINDS["projects"],
        org("410102"),
        {
            "registration_no": "ZY-9",
            "name": "中原小区",
            "structure_type": "框架",
            "area_m2": "100",
            "cost_10k_yuan": "10",
            "registered_on": "2026-07-01",
        },
    )
    deploy_bpmn(admin, None, DEMO.read_bytes())
    instance = start_instance(clerk, "demo_two_tier", org("410102"), "demo:2026Q2")
    complete_task(clerk, current_tasks(instance)[0].id, "submit", data={"title": "t"})
    claim(reviewer, current_tasks(instance)[0].id)
    install_bundled_sheets(None)
    for name in ("year_end_self_assessment", "year_end_materials", "year_end_assessment"):
        deploy_bpmn(None, name, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    start_campaign(admin, "fujian3", 2025)
    db.session.commit()
    records = list(db.session.execute(select(AuditRecord)).scalars())
    names = object_names(records)
    by_action: dict = {}  # the first record of each action (the campaign starts processes too)
    for r in records:
        by_action.setdefault(r.action, names.get((r.object_type, r.object_id)))
    assert by_action["ledger.projects.create"] == "ZY-9"
    # issue 18: an instance is named by its process, unit and period, never its business key
    assert by_action["workflow.start"] == "两级审批演示 · 中原区"
    assert by_action["task.claim"] == "县级审核（中原区）"
    assert by_action["workflow.deploy"].endswith("第1版")
    assert "2025" in by_action["assessment.campaign_open"]

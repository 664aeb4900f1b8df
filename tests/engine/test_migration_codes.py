"""The data migration 7c2d9e4f1a60 (issue 14 item 4 with issue 13's fixed subject): a
definition and a running instance stored before it (status labels, no subject) are loaded
after it with codes, a subject taken from their start data, and the flow goes on.

The pre-migration rows are made by the real downgrade on a separate SQLite database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import ROOT
from webapp import create_app
from webapp.config import TestingConfig
from webapp.extensions import db

BEFORE = "15926e5abc78"


@pytest.fixture
def own_app(tmp_path) -> Iterator[Flask]:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migration.sqlite3'}"

    application = create_app(Config)
    with application.app_context():
        upgrade()
        from webapp.core.demo import ORGS_CSV
        from webapp.core.operations import load_orgs_csv

        load_orgs_csv(ORGS_CSV)
        db.session.commit()
        yield application
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def test_a_pre_migration_instance_is_loaded_and_goes_on(own_app):
    from webapp.core.operations import create_user, get_org
    from webapp.engine import complete_task, deploy_bpmn
    from webapp.engine.models import HumanTask, ProcessDefinition, ProcessInstance
    from webapp.reports.operations import find_report, open_period, save_narrative
    from webapp.reports.sections import sections

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    open_period(None, "2026Q3")
    db.session.commit()
    report = find_report(get_org("410102"), "2026Q3", "quarterly")
    instance_id, report_id = report.instance_id, report.id
    db.session.commit()  # the migration runs on its own connection

    downgrade(revision=BEFORE)
    conn = db.session.connection()
    content = conn.execute(text("SELECT content FROM process_definition")).scalar_one()
    assert 'name="status" value="填报中"' in bytes(content).decode()  # as stored before
    status = conn.execute(
        text("SELECT business_status FROM process_instance WHERE id = :i"), {"i": instance_id}
    ).scalar_one()
    assert status == "填报中"
    columns = [c[1] for c in conn.execute(text("PRAGMA table_info(process_instance)"))]
    assert "subject" not in columns
    db.session.commit()

    upgrade()
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance.business_status == "drafting"
    assert instance.subject["report_id"] == report_id
    assert instance.subject["has_parent"] is True
    assert instance.subject["org_code"] == "410102"
    definition = db.session.get(ProcessDefinition, instance.definition_id)
    assert 'value="in_review"' in definition.content.decode()
    assert definition.content_hash == hashlib.sha256(definition.content).hexdigest()
    task = db.session.query(HumanTask).filter_by(instance_id=instance_id, state="ready").one()
    assert task.business_status == "drafting"

    clerk = create_user(
        None,
        username="clerk_m",
        full_name="测试",
        org_code="410102",
        roles=["clerk"],
        password="Test@pass1",
    )
    save_narrative(clerk, report, {k: "情况良好。" for k, _ in sections("quarterly")})
    complete_task(clerk, task.id, "next")
    complete_task(
        clerk,
        db.session.query(HumanTask).filter_by(instance_id=instance_id, state="ready").one().id,
        "submit",
    )
    db.session.commit()
    assert db.session.get(ProcessInstance, instance_id).business_status == "in_review"

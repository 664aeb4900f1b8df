"""The public report's draft shares the report's section store: generated as version 1, two
clerks refused like the report's, regenerate and restore keep every text."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import ROOT
from tests.drafts.conftest import two_clerks
from tests.publication.conftest import accept_quarter, at, load_records
from tests.stats.oracle import load_oracle
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.core.operations import get_org
from webapp.drafts import operations as drafts
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.publication.drafting import DRAFT
from webapp.publication.models import Publication


@pytest.fixture
def pub() -> Any:
    """郑州市's 2026H2 report opened, its draft generated from two accepted quarters."""
    from webapp.publication.operations import find_publication, open_period

    clock.set_now(at("2027-01-05"))
    deploy_bpmn(None, None, (ROOT / "workflows" / "publication.bpmn").read_bytes())
    load_oracle()
    load_records()
    for period in ("2026Q3", "2026Q4"):
        accept_quarter("410100", period)
    open_period(None, "2026H2")
    db.session.commit()
    return find_publication(get_org("410100"), "2026H2")


def path(pub: Any) -> str:
    return f"/api/v1/publications/{pub.id}/sections"


def test_generated_draft_is_version_1_by_the_system(pub, api):
    detail = api("clerk", "410100").get(f"/api/v1/publications/{pub.id}")
    assert detail["versions"] == {"overview": 1, "trends": 1, "problems": 1, "measures": 1}
    history = api("clerk", "410100").get(f"/api/v1/drafts/publication_draft/{pub.id}")
    assert {s["saved_by"] for s in history["sections"]} == {"系统"}
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "publication.generate")
    ).scalar_one()
    assert rec.actor_name == "system" and set(rec.after["sections"]) == set(detail["versions"])


def test_two_clerks_of_the_city_one_wins_one_merges(pub, client, make_user):
    zhang, li = two_clerks(client, make_user, "410100")
    versions = zhang.get(f"/api/v1/publications/{pub.id}")["versions"]
    zhang.send(
        "PUT", path(pub), {"sections": {"measures": "张三：专项检查。"}, "base_versions": versions}
    )
    refused = li.send(
        "PUT",
        path(pub),
        {"sections": {"measures": "李四：约谈企业。"}, "base_versions": versions},
        status=409,
    )
    [conflict] = refused["errors"]["conflicts"]
    assert conflict["title"] == "下一步工作措施" and conflict["saved_by"] == "张三"
    assert (conflict["current_text"], conflict["submitted_text"]) == (
        "张三：专项检查。",
        "李四：约谈企业。",
    )
    saved = li.send(
        "PUT",
        path(pub),
        {
            "sections": {"measures": "张三：专项检查。李四：约谈企业。"},
            "base_versions": {"measures": conflict["current_version"]},
        },
    )
    assert saved["versions"] == {"measures": 3}
    db.session.expire_all()
    assert drafts.divergence(DRAFT, db.session.get(Publication, pub.id)) == {}


def test_regenerate_and_restore_keep_every_text(pub, api):
    clerk = api("clerk", "410100")
    versions = clerk.get(f"/api/v1/publications/{pub.id}")["versions"]
    clerk.send(
        "PUT", path(pub), {"sections": {"problems": "亲手写的问题。"}, "base_versions": versions}
    )
    assert clerk.send("POST", f"/api/v1/publications/{pub.id}/regenerate")["changed"] == [
        "problems"
    ]
    base = f"/api/v1/drafts/publication_draft/{pub.id}/problems/versions"
    items = clerk.get(base)["items"]
    assert [i["version"] for i in items] == [3, 2, 1]
    assert clerk.get(f"{base}/2")["text"] == "亲手写的问题。"
    assert clerk.send("POST", f"{base}/2/restore")["version"] == 4
    db.session.expire_all()
    restored = db.session.get(Publication, pub.id)
    assert restored.sections["problems"] == "亲手写的问题。"
    assert drafts.divergence(DRAFT, restored) == {}
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "publication.sections_restore")
    ).scalar_one()
    assert rec.after["subject"] == f"publication:{pub.id}"


def test_the_workspace_carries_versions_and_history_links(pub, logged_in):
    page = logged_in("clerk", "410100").get(f"/publication/{pub.id}").get_data(as_text=True)
    assert 'data-autosave="on"' in page and "js/drafts.js" in page
    assert 'data-section="measures" data-version="1"' in page
    assert f'href="/drafts/publication_draft/{pub.id}/"' in page

"""A public report is approved and published with the figures that are the accepted ones.

Found from outside (a leader): the report freezes its figures when the clerk submits it; a
quarter corrected and accepted again before the leader approved was published with the old
figures.  The reviewer and the leader approve what they read, so neither the old figures nor
new ones nobody approved may go out: approval waits until the drafting unit submits again.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from tests.conftest import login
from tests.publication.conftest import awaiting_leader, open_task
from webapp.core import clock
from webapp.core.errors import Conflict, InvalidInput
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.reports.models import Report

pytestmark = pytest.mark.usefixtures("workflows", "h2_data")


def _correct_q4(registered_more: int = 1) -> Report:
    """郑州市's 2026Q4 report corrected and accepted again: 二七区 registered one more project."""
    report = (
        db.session.query(Report)
        .filter_by(org_id=get_org("410100").id, period="2026Q4", kind="quarterly")
        .one()
    )
    snap = copy.deepcopy(report.accepted_snapshot)
    table = snap["tables"]["table5"]
    for row in [*(r for r in table["rows"] if r["org_code"] == "410103"), table["total"]]:
        row["registered"]["count"] += registered_more
    report.accepted_snapshot = snap
    report.accepted_at = clock.now() + timedelta(minutes=1)
    db.session.commit()
    return report


def _leader(pub):
    from webapp.core.models import User

    return db.session.query(User).filter_by(username="zz_leader").one()


def test_the_leader_cannot_approve_figures_superseded_after_submission(make_user, client):
    from webapp.engine import complete_task

    pub = awaiting_leader(make_user, username="zz_leader")
    frozen = pub.snapshot["figures"]["total"]["registered"]["count"]
    _correct_q4()

    with pytest.raises(InvalidInput) as refused:
        complete_task(_leader(pub), open_task(pub, "approve").id, "approve")
    assert "2026Q4 季度报告已更正或重新接收" in str(refused.value)
    db.session.rollback()
    db.session.refresh(pub)
    assert pub.published_at is None

    # the leader sees why before pressing anything, above the approval form
    login(client, "zz_leader")
    page = client.get(f"/publication/{pub.id}").get_data(as_text=True)
    assert 'id="publication-stale"' in page and "2026Q4 季度报告已更正或重新接收" in page
    assert page.index('id="publication-stale"') < page.index('value="approve"')

    # returning stays possible; submitted again, the new figures are frozen and approved
    complete_task(
        _leader(pub), open_task(pub, "approve").id, "return", comment="数据已更正，请刷新后重报。"
    )
    db.session.commit()
    clerk = db.session.query(type(_leader(pub))).filter_by(username="clerk_410100").one()
    reviewer = db.session.query(type(_leader(pub))).filter_by(username="reviewer_410100").one()
    # the text generated from the old figures is refreshed too (test_outdated_text.py)
    from tests.publication.conftest import FILLED
    from webapp.publication.operations import regenerate, save_sections

    regenerate(clerk, pub)
    save_sections(clerk, pub, FILLED | {"trends": "与上期基本持平。"})
    db.session.commit()
    complete_task(clerk, open_task(pub, "draft").id, "submit")
    complete_task(reviewer, open_task(pub, "review").id, "approve")
    db.session.commit()
    page = client.get(f"/publication/{pub.id}").get_data(as_text=True)
    assert 'id="publication-stale"' not in page
    complete_task(_leader(pub), open_task(pub, "approve").id, "approve")
    db.session.commit()
    db.session.refresh(pub)
    assert pub.is_public
    assert pub.snapshot["figures"]["total"]["registered"]["count"] == frozen + 1


def test_the_reviewer_is_stopped_too(make_user):
    from tests.publication.conftest import FILLED, at
    from webapp.engine import complete_task
    from webapp.publication.operations import find_publication, open_period, save_sections

    clock.set_now(at("2027-01-05"))
    open_period(None, "2026H2")
    db.session.commit()
    clerk, reviewer = make_user("clerk", "410100"), make_user("reviewer", "410100")
    pub = find_publication(get_org("410100"), "2026H2")
    save_sections(clerk, pub, FILLED | {"trends": "与上期基本持平。"})
    db.session.commit()
    complete_task(clerk, open_task(pub, "draft").id, "submit")
    db.session.commit()
    _correct_q4()
    with pytest.raises(InvalidInput, match="2026Q4 季度报告已更正或重新接收"):
        complete_task(reviewer, open_task(pub, "review").id, "approve")


def test_publishing_refuses_stale_figures_even_if_a_bpmn_skipped_the_check(make_user):
    """The service operation checks again (an edited BPMN must not publish them)."""
    from webapp.publication.operations import publish

    pub = awaiting_leader(make_user, username="zz_leader")
    _correct_q4()
    with pytest.raises(Conflict, match="已不是最新"):
        publish(pub, _leader(pub))


def test_accepted_again_with_the_same_figures_changes_nothing(make_user):
    """A quarter re-accepted unchanged (only its time moves) does not hold the approval."""
    from webapp.engine import complete_task

    pub = awaiting_leader(make_user, username="zz_leader")
    _correct_q4(registered_more=0)
    complete_task(_leader(pub), open_task(pub, "approve").id, "approve")
    db.session.commit()
    db.session.refresh(pub)
    assert pub.is_public

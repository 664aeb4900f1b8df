"""The behaviour records published with a report are those its tier approves at publication.

Found from outside (a leader): the records are frozen with the report when the clerk submits it.
A record corrected, or its approval withdrawn, before the leader approved was still published as
frozen: a person's or company's record made public that the approving tier no longer stands
behind.  As for superseded figures (test_stale_figures.py), approval waits for a new submission.
"""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.publication.conftest import awaiting_leader, open_task
from webapp.core.errors import InvalidInput
from webapp.core.models import User
from webapp.engine import complete_task
from webapp.extensions import db
from webapp.ledger.models import GoodBehaviourRecord

pytestmark = pytest.mark.usefixtures("workflows", "h2_data")


def _user(name: str) -> User:
    return db.session.query(User).filter_by(username=name).one()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"approver": ""}, id="approval-withdrawn"),
        pytest.param({"fact": "获评市级安全文明标准化工地"}, id="fact-corrected"),
    ],
)
def test_a_record_changed_after_submission_is_not_published_as_frozen(make_user, client, change):
    pub = awaiting_leader(make_user)
    frozen = pub.snapshot["records"]["good"]
    assert [r["fact"] for r in frozen] == ["获评省级安全文明标准化工地"]
    record = db.session.query(GoodBehaviourRecord).one()
    for key, value in change.items():
        setattr(record, key, value)
    db.session.commit()

    with pytest.raises(InvalidInput) as refused:
        complete_task(_user("leader_410100"), open_task(pub, "approve").id, "approve")
    assert "信用记录" in str(refused.value) and "重新提交" in str(refused.value)
    db.session.rollback()
    db.session.refresh(pub)
    assert pub.published_at is None and not pub.records

    # The leader reads why on the workspace, above the approval buttons.
    login(client, "leader_410100")
    page = client.get(f"/publication/{pub.id}").get_data(as_text=True)
    assert 'id="publication-stale"' in page and "信用记录" in page
    client.get("/logout")

    # Returned and submitted again, the records in force are frozen, approved and published.
    complete_task(
        _user("leader_410100"), open_task(pub, "approve").id, "return", comment="记录已变更。"
    )
    complete_task(_user("clerk_410100"), open_task(pub, "draft").id, "submit")
    complete_task(_user("reviewer_410100"), open_task(pub, "review").id, "approve")
    complete_task(_user("leader_410100"), open_task(pub, "approve").id, "approve")
    db.session.commit()
    db.session.refresh(pub)
    assert pub.is_public
    published = [r.fact for r in pub.records]
    assert published == ([] if change.get("approver") == "" else [change["fact"]])

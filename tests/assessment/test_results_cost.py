"""The leader's approval of the results does work proportional to what it must: counted, not
timed (issue 19, the simulated year's slowest request).

It ranks 28 units and tells every clerk, reviewer and leader of each its score and rank. Before
this, each unit cost its own queries (its org, scores and overrides for the ranking, its staff)
and each notice its own INSERT: 253 statements on SQLite with three staff per unit. Now the
units, their orgs, scores and overrides are read once, their staff in one query and the notices
inserted in one statement, so the count does not grow with the units or their staff.
"""

from __future__ import annotations

from sqlalchemy import event, select

from tests.assessment import flow_helpers as step
from webapp.assessment.models import AssessmentCampaign
from webapp.core.models import User
from webapp.engine import Notice, notify_many
from webapp.engine.models import Notification
from webapp.extensions import db
from webapp.mail.models import MailMessage

#: Measured: 39 on SQLite, 42 on PostgreSQL while each audit record took the chain's lock, read
#: its last hash and inserted itself; 33 and 34 since the chain is linked once at commit (the
#: lock, the last hash, one INSERT for the approval's records; branch auditlink).
#: The bound leaves a few statements of room; an N+1 over the 28 units would add at least 28.
MAX_STATEMENTS = 38
ROLES = ("clerk", "reviewer", "leader")


def test_approving_the_results_costs_a_bounded_number_of_statements(
    app, open_campaign, province_staff, make_user, ledger_stub
):
    campaign = open_campaign("fujian2", 2026)
    for unit in campaign.units:
        for role in ROLES:
            make_user(role, unit.org.code)
    make_user("clerk", "410100", "clerk2_410100").is_enabled = False  # disabled: not told
    db.session.commit()
    step.score_every_unit(province_staff, campaign)
    db.session.commit()
    campaign_id, leader_id = campaign.id, province_staff["leader"].id
    units = len(campaign.units)
    db.session.expunge_all()  # the request starts from nothing, as in production
    leader = db.session.get(User, leader_id)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        step.approve_results(leader, db.session.get(AssessmentCampaign, campaign_id), "同意")
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO NOTIFICATION")]
    assert len(inserts) == 1
    campaign = db.session.get(AssessmentCampaign, campaign_id)
    assert campaign.state == "approved"
    # Every enabled staff member of every unit is told their own unit's score and rank, once;
    # the finished process did not clear (and so mark read) the notices its last step made.
    notices = db.session.execute(
        select(Notification).where(Notification.kind == "assessment_notice")
    ).scalars()
    notices = list(notices)
    names = {u.id: u.username for u in db.session.execute(select(User)).scalars()}
    got = {(names[n.user_id], n.message) for n in notices if n.read_at is n.cleared_at is None}
    expected = {f"{role}_{u.org.code}" for u in campaign.units for role in ROLES}
    assert {name for name, _ in got} == expected and len(got) == 3 * units
    for unit in campaign.units:
        text = f"本单位得分 {unit.final_score}，名次 {unit.rank}。"
        for role in ROLES:
            (message,) = [m for name, m in got if name == f"{role}_{unit.org.code}"]
            assert text in message and message.startswith(campaign.title)


def test_notices_inserted_together_are_mailed_each_with_its_own_notice(app, make_user):
    """With mail on, each notice of :func:`notify_many` queues its user's mail naming it."""
    users = [make_user("clerk", code) for code in ("410102", "410103", "410104")]
    users[0].email, users[2].email = "a@example.org", "c@example.org"
    saved = app.config.get("SMTP_HOST")
    app.config["SMTP_HOST"] = "127.0.0.1"
    try:
        told = notify_many(
            "assessment_notice",
            [Notice(u, f"第{i}条") for i, u in enumerate(users)],
            instance=None,
        )
        db.session.flush()
    finally:
        app.config["SMTP_HOST"] = saved
    assert told == 3
    mails = db.session.execute(select(MailMessage).order_by(MailMessage.id)).scalars().all()
    assert [m.to_address for m in mails] == ["a@example.org", "c@example.org"]
    for mail in mails:
        notice = db.session.get(Notification, mail.notification_id)
        assert notice.user_id == mail.user_id
        assert notice.message in mail.subject and notice.message in mail.body

"""Saves at the same moment, in real threads (each its own connection and transaction), on
SQLite and PostgreSQL: the document's row lock makes them one after the other, so a stale save
is refused and two sections saved at once both reach the report's own columns."""

from __future__ import annotations

import threading
from typing import Any

from webapp.core.errors import Conflict
from webapp.core.models import User
from webapp.drafts import operations as drafts
from webapp.extensions import db, write_intent
from webapp.reports.drafting import NARRATIVE
from webapp.reports.models import Report
from webapp.reports.operations import save_narrative


def race(app: Any, report_id: int, saves: list[tuple[int, dict, dict]]) -> list[str]:
    """Run each (user id, texts, base versions) save in its own thread, released together."""
    barrier = threading.Barrier(len(saves))
    results: list[str] = []

    def worker(user_id: int, texts: dict, bases: dict) -> None:
        with app.app_context():
            try:
                # Load as a reader first: on SQLite a writer's BEGIN IMMEDIATE would hold the
                # lock while the other thread waits at the barrier.
                write_intent.set(False)
                user = db.session.get(User, user_id)
                report = db.session.get(Report, report_id)
                db.session.commit()
                write_intent.set(True)
                barrier.wait(timeout=30)
                save_narrative(user, report, texts, bases)
                db.session.commit()
                results.append("ok")
            except Conflict as err:
                db.session.rollback()
                results.append(str(err.status_code))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=save) for save in saves]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.rollback()  # the test's own reads start after the threads' commits
    return sorted(results)


def test_same_section_same_base_at_once_one_wins(app, report, make_user):
    users = [make_user("clerk", "410102", username=f"clerk{i}").id for i in range(2)]
    results = race(
        app,
        report.id,
        [(uid, {"s01": f"第{i}位的文字"}, {"s01": 0}) for i, uid in enumerate(users)],
    )
    assert results == ["409", "ok"]
    saved = db.session.get(Report, report.id)
    assert drafts.current_versions(NARRATIVE, saved) == {"s01": 1}
    assert drafts.divergence(NARRATIVE, saved) == {}


def test_two_sections_at_once_both_reach_the_report(app, report, make_user):
    users = [make_user("clerk", "410102", username=f"clerk{i}").id for i in range(2)]
    results = race(
        app,
        report.id,
        [(users[0], {"s01": "第一章"}, {}), (users[1], {"s02": "第二章"}, {})],
    )
    assert results == ["ok", "ok"]
    saved = db.session.get(Report, report.id)
    assert saved.narrative == {"s01": "第一章", "s02": "第二章"}
    assert drafts.divergence(NARRATIVE, saved) == {}

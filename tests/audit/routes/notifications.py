"""Expectations for the 通知 page's buttons and their API: mark one notice read, mark all read."""

from __future__ import annotations

from tests.audit.routes import Case, Env, Route
from webapp.extensions import db


def _noticed(env: Env) -> None:
    from webapp.engine import notify

    user = env.make_user("clerk", "410102", "clerk_notices")
    note = notify(user, "remind", "请尽快办理")
    db.session.commit()
    env.data["note"] = note.id
    env.sign_in("clerk_notices")


def _nothing_unread(env: Env) -> None:
    env.make_user("clerk", "410102", "clerk_quiet")
    env.sign_in("clerk_quiet")


def _noticed_api(env: Env) -> None:
    _noticed(env)
    env.sign_in("clerk_notices", api=True)


def _nothing_unread_api(env: Env) -> None:
    _nothing_unread(env)
    env.sign_in("clerk_quiet", api=True)


EXPECTATIONS = {
    "POST notifications.read": Route(
        cases=(
            Case(
                "mark one read",
                setup=_noticed,
                exercise=lambda env: env.post_form(
                    f"/notifications/{env.data['note']}/read", {}, token_from="/notifications/"
                ),
                writes=("notification.read",),
                status=302,
            ),
        ),
    ),
    "POST notifications.read_all": Route(
        cases=(
            Case(
                "mark all read",
                setup=_noticed,
                exercise=lambda env: env.post_form(
                    "/notifications/read-all", {}, token_from="/notifications/"
                ),
                writes=("notification.read_all",),
                status=302,
            ),
            Case(
                "nothing unread",
                setup=_nothing_unread,
                exercise=lambda env: env.post_form(
                    "/notifications/read-all", {}, token_from="/notifications/"
                ),
                no_audit="no unread notice: nothing changes",
                status=302,
            ),
        ),
    ),
    "POST api_notifications.read": Route(
        cases=(
            Case(
                "mark one read",
                setup=_noticed_api,
                exercise=lambda env: env.call("POST", "/api/v1/notifications/{note}/read"),
                writes=("notification.read",),
                status=200,
            ),
        ),
    ),
    "POST api_notifications.read_all": Route(
        cases=(
            Case(
                "mark all read",
                setup=_noticed_api,
                exercise=lambda env: env.call("POST", "/api/v1/notifications/read-all"),
                writes=("notification.read_all",),
                status=200,
            ),
            Case(
                "nothing unread",
                setup=_nothing_unread_api,
                exercise=lambda env: env.call("POST", "/api/v1/notifications/read-all"),
                no_audit="no unread notice: nothing changes",
                status=200,
            ),
        ),
    ),
}

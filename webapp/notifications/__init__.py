"""Notifications page (通知) and the navbar's unread count on every page.

The notices themselves are the engine's (``webapp.engine.notify``, docs/notifications.md):
this package shows them, marks them read, and puts the count in the navbar; the same through
``/api/v1/notifications`` (``api.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

ACTION_LABELS = {
    "notification.read": "通知标为已读",
    "notification.read_all": "通知全部标为已读",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.audit.vocabulary import register_actions, register_object_types
    from webapp.notifications import api as notifications_api
    from webapp.notifications import views

    app.register_blueprint(views.bp)
    api.register_blueprint(notifications_api.bp)
    app.context_processor(views.navbar_count)
    register_actions(ACTION_LABELS)
    register_object_types({"notification": "通知"})

"""Drafted documents (草稿): autosaved sections of text with a version per save.

One store for every feature that lets people write (issue 14, item 3: "share, don't copy"):
the report's narrative and explanations (webapp.reports.drafting), the public report's draft
(webapp.publication.drafting).  A feature registers a :class:`~webapp.drafts.kinds.DraftKind`
and saves through :func:`webapp.drafts.operations.save`; the history pages, the API and the
audit's text diff then work for it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.core.models import Role
from webapp.core.permissions import ANY, register
from webapp.drafts import models  # noqa: F401 (tables for Alembic)

#: Who may restore a version at all (checked before the body is read; the kind's own draft
#: permission then decides on the document).
register("drafts.restore", {Role.CLERK}, ANY, label="恢复文稿历史版本")


def init_app(app: Flask, api: Any) -> None:
    from webapp.audit.record_parts import register_record_part
    from webapp.drafts import api as drafts_api
    from webapp.drafts import views

    app.register_blueprint(views.bp)
    api.register_blueprint(drafts_api.bp)
    register_record_part("drafts", views.audit_part)

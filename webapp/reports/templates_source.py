"""Where a report's Word template comes from: the administrators' active uploaded version
(文书模板, ``webapp.workflow_admin``), else the file in ``docs_templates/``."""

from __future__ import annotations


def active_template(name: str) -> bytes:
    from webapp.workflow_admin.doc_templates import active_template as active

    return active(name.removesuffix(".docx"))

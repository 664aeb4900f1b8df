"""Where a report's Word template comes from.

The administrators' uploaded version when the template administration feature provides one
(``webapp.workflow_admin``), else the file in ``docs_templates/``.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "docs_templates"


def active_template(name: str) -> bytes:
    try:
        from webapp.workflow_admin.templates import active_template as uploaded
    except ImportError:
        return (TEMPLATES / name).read_bytes()
    return uploaded(name)

"""Whether a public report's draft may go to review: its quarters accepted, its text finished."""

from __future__ import annotations

from webapp.publication.document import live_figures
from webapp.publication.draft import drafting_problems
from webapp.publication.models import Publication


def draft_problems(pub: Publication) -> list[str]:
    """Why the draft cannot go to review yet (empty when it can)."""
    problems = []
    fig = live_figures(pub)
    missing = [q["period"] for q in fig["quarters"] if not q["accepted"]]
    if missing:
        problems.append(
            f"{'、'.join(missing)} 季度报告尚未被上级接收：公开报告只能依据已接收的统计数据。"
        )
    return problems + drafting_problems(pub.sections or {})


def publishing_problems(pub: Publication) -> list[str]:
    """Why the frozen text may not be approved for publishing or published (empty when it may):
    第十五条 publishes the report, never the template's drafting instructions."""
    return drafting_problems((pub.snapshot or {}).get("sections") or {})

"""Whether a public report's draft may go to review: its quarters accepted, its text finished."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from webapp.core import audit
from webapp.publication.document import live_figures, previous_figures
from webapp.publication.draft import SECTIONS, drafting_problems, generate
from webapp.publication.models import Publication
from webapp.publication.publicity import records_to_publish


def draft_problems(pub: Publication) -> list[str]:
    """Why the draft cannot go to review yet (empty when it can)."""
    problems = []
    fig = live_figures(pub)
    missing = [q["period"] for q in fig["quarters"] if not q["accepted"]]
    if missing:
        problems.append(
            f"{'、'.join(missing)} 季度报告尚未被上级接收：公开报告只能依据已接收的统计数据。"
        )
    return problems + drafting_problems(pub.sections or {}) + outdated_text(pub)


def publishing_problems(pub: Publication) -> list[str]:
    """Why the frozen report may not be approved for publishing or published (empty when it
    may): 第十五条 publishes the report, never the template's drafting instructions, and never
    figures that are no longer the accepted ones."""
    sections = (pub.snapshot or {}).get("sections") or {}
    return stale_figures(pub) + stale_records(pub) + drafting_problems(sections)


def _comparable(figures: Mapping[str, Any]) -> str:
    """The figures as JSON without the acceptance times (a quarter accepted again with the same
    figures changes nothing that is published)."""
    plain = json.loads(json.dumps(figures, default=str))
    for quarter in plain.get("quarters") or []:
        quarter.pop("accepted_at", None)
    return json.dumps(plain, sort_keys=True, ensure_ascii=False)


def stale_figures(pub: Publication) -> list[str]:
    """Why the figures frozen at submission are no longer those to publish (empty when they
    are): a quarter's correction was accepted again, or a quarter's acceptance re-opened, after
    the draft was submitted.  The reviewer and the leader approve what they read; publishing the
    frozen figures would publish superseded statistics, publishing the new ones would publish
    what nobody approved.  So approval waits for the drafting unit to submit again."""
    frozen = (pub.snapshot or {}).get("figures")
    if frozen is None or pub.published_at is not None:
        return []
    live = live_figures(pub)
    if _comparable(frozen) == _comparable(live):
        return []
    before = {q["period"]: q for q in frozen.get("quarters") or []}
    changed = [
        q["period"]
        for q in live["quarters"]
        if not q["accepted"] or before.get(q["period"], {}).get("accepted_at") != q["accepted_at"]
    ]
    which = f"{'、'.join(changed)} 季度报告" if changed else "据以公开的季度统计数据"
    return [
        f"送审后，{which}已更正或重新接收，本公开报告中的统计数据（送审时冻结）已不是最新："
        "请退回起草单位，刷新数据后重新提交审核。"
    ]


def _same(a: Any, b: Any) -> bool:
    def plain(value: Any) -> str:
        return json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)

    return plain(a) == plain(b)


def stale_records(pub: Publication) -> list[str]:
    """Why the behaviour records frozen at submission are no longer those to publish (empty
    when they are): a record of the unit's own approval was corrected (in a quarter accepted
    again, or in the good-behaviour ledger), its approval withdrawn, or one approved since.
    Publishing the frozen ones would name a company or a person the tier no longer stands
    behind; publishing the new ones, records nobody approved.  So approval waits, as for
    superseded figures."""
    frozen = (pub.snapshot or {}).get("records")
    if frozen is None or pub.published_at is not None:
        return []
    if _same(frozen, records_to_publish(pub.org, pub.period)):
        return []
    return [
        "送审后，随本报告公示的信用记录已更正、新增或撤销批准，本公开报告中的信用记录（送审时冻结）"
        "已不是最新：请退回起草单位，重新提交审核。"
    ]


GENERATED = ("publication.generate", "publication.regenerate")
ORDINALS = "一二三四五六七八九十"


def _last_generated(pub: Publication) -> Mapping[str, str] | None:
    """The texts of the draft's latest generation (kept in its audit record, which nobody can
    edit), or None when it was never generated."""
    found = audit.afters("publication", pub.id, GENERATED)
    return next((after["generated"] for after in found if after.get("generated")), None)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[。；\n])", text or "") if s.strip("，。；\n ")]


def outdated_text(pub: Publication) -> list[str]:
    """Sentences of the generated draft that state figures the accepted quarters no longer give
    (a quarter corrected and accepted again after the draft was generated) and that are still
    in the text word for word: submitted, the text would contradict the figures frozen with
    it.  A sentence the clerk rewrote is theirs and passes."""
    basis = _last_generated(pub)
    fig = live_figures(pub)
    if not basis or not fig["complete"]:
        return []
    now = generate(fig, previous_figures(pub))
    problems = []
    for number, (key, heading) in enumerate(SECTIONS):
        text = (pub.sections or {}).get(key) or ""
        old = audit.stale_sentences(
            _sentences(basis.get(key, "")), _sentences(now.get(key, "")), text
        )
        if old:
            problems.append(
                f"“{ORDINALS[number]}、{heading}”仍有生成草稿时的统计数字，季度数据已更正或重新接收："
                f"“{old[0]}”，请重新生成草稿或改写该句后再提交。"
            )
    return problems

"""Figures of a generated first draft that the tables no longer hold (初稿数字已过时).

A first draft (``webapp.reports.narrative``) writes the figures of the tables as they are when
it is made; the clerk rewrites it and the ledger may change afterwards (a project registered, an
accident corrected, a lower unit accepted).  The submitted text would then disagree with the
submitted 附表 — a public error in an official document.  So every generated draft keeps the
figures it was written from (its :meth:`SectionDraft.basis`, in the ``after.figures`` of its
``report.first_draft`` audit record, which nobody can edit), and the checks compare them with the
draft the current tables would give.

The rule (docs/reports.md "初稿数字与报表不一致"):

* a figure of the section's latest draft differs from the current one, and the sentence that
  states it is still in the text **word for word** (the clerk kept the draft's sentence, even if
  they rewrote the rest): the text certainly states the old figure — **blocks** submission (and
  the reviewer's approval) until the clerk regenerates the section or rewrites that sentence;
* the clerk has rewritten every sentence that stated a changed figure: the text is the clerk's
  own and no machine can read which figure it states — a **notice** (old → new) for the clerk
  and the reviewer to check, not a block.

We cannot know when the ledger changed, but we can know whether the words that state an old
figure are still there; that is the exact form of "the clerk edited the text after the change".
Text the clerk wrote is never replaced here: 重新生成该部分草稿 is the first-draft button, which
shows both texts and asks before replacing (the old text stays in the section's history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webapp.core import audit
from webapp.reports.models import Report
from webapp.reports.narrative import DRAFT_SECTIONS, first_draft
from webapp.reports.operations import FIRST_DRAFT
from webapp.reports.readiness import (
    NARRATIVE_TAB,
    Problem,
    data_problems,
    narrative_problems,
)
from webapp.reports.rollup import build_tables
from webapp.reports.sections import sections

#: Written for a figure the draft did not state (or that the tables no longer give).
NOT_WRITTEN = "（未写）"


@dataclass(frozen=True)
class FigureChange:
    #: where the figure comes from (附表5合计 本期新注册项数 …)
    source: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.source} {self.old} → {self.new}"


@dataclass(frozen=True)
class OutdatedSection:
    """A section whose latest generated draft states figures the tables no longer give."""

    section: str
    title: str
    changes: list[FigureChange]
    #: the text still holds, word for word, a draft sentence stating a changed figure
    blocking: bool

    @property
    def anchor(self) -> str:
        return self.section

    @property
    def message(self) -> str:
        changed = "；".join(str(c) for c in self.changes)
        if self.blocking:
            return (
                f"分析报告“{self.title}”仍含系统初稿中已过时的数字（初稿生成后报表数据已变化："
                f"{changed}）。请重新生成该部分草稿，或改写含旧数字的语句后再提交"
            )
        return (
            f"分析报告“{self.title}”的初稿生成后报表数据已变化（{changed}）；"
            f"含这些数字的语句已改写，请核对正文数字与报表一致"
        )


def draft_bases(report: Report) -> dict[str, dict[str, Any]]:
    """Each section's latest generated draft's figures (section → basis), from the audit
    records of ``report.first_draft`` (committed ones: the checks run in later requests)."""
    out: dict[str, dict[str, Any]] = {}
    for after in audit.afters("report", report.id, [FIRST_DRAFT]):
        for section, basis in (after.get("figures") or {}).items():
            out.setdefault(section, basis)
    return out


def _keyed(facts: list[list[Any]]) -> dict[tuple[str, int], tuple[str, int]]:
    """(source, n-th time it is stated) → (value, sentence index)."""
    seen: dict[str, int] = {}
    out = {}
    for value, source, sentence in facts:
        n = seen[source] = seen.get(source, 0) + 1
        out[(source, n)] = (str(value), int(sentence))
    return out


def compare(
    basis: Mapping[str, Any], now: Mapping[str, Any], text: str
) -> tuple[list[FigureChange], bool]:
    """The changes between a draft's kept figures and today's draft's, and whether ``text``
    (the section as it stands) still holds a sentence of that draft the tables no longer give
    (it blocks).  No change: ``([], False)``."""
    old, new = _keyed(basis.get("facts") or []), _keyed(now.get("facts") or [])
    changes = [
        FigureChange(
            key[0],
            old[key][0] if key in old else NOT_WRITTEN,
            new[key][0] if key in new else NOT_WRITTEN,
        )
        for key in list(old) + [k for k in new if k not in old]
        if key not in old or key not in new or old[key][0] != new[key][0]
    ]
    if not changes:
        return [], False
    # The draft is deterministic: a sentence of it that today's draft would not write says
    # what the tables no longer say (a changed figure, or "未记录…" / "无竣工…" once there is
    # one).  Still in the text word for word, it is the draft's, not the clerk's.
    kept = audit.stale_sentences(basis.get("sentences") or [], now.get("sentences") or [], text)
    return changes, bool(kept)


def outdated_sections(
    report: Report, data: Mapping[str, Any], texts: Mapping[str, str] | None = None
) -> list[OutdatedSection]:
    """The sections whose latest generated draft's figures differ from those of ``data`` (the
    figures being submitted or reviewed), in section order; ``texts``: the narrative as it
    stands (the report's, or the frozen one the reviewer reads)."""
    bases = draft_bases(report)
    if not bases:
        return []
    texts = report.narrative or {} if texts is None else texts
    out = []
    for key, title in sections(report.kind):
        basis = bases.get(key)
        if key not in DRAFT_SECTIONS or not basis:
            continue
        now = first_draft(report, key, data).basis()
        changes, blocking = compare(basis, now, texts.get(key) or "")
        if changes:
            out.append(OutdatedSection(key, title, changes, blocking))
    return out


def outdated_problems(outdated: list[OutdatedSection]) -> list[Problem]:
    """The blocking ones, as problems linked to the section in the 分析报告 tab."""
    return [
        Problem(o.message, NARRATIVE_TAB, anchor=o.anchor, section=o.section)
        for o in outdated
        if o.blocking
    ]


def submission_problems(report: Report) -> list[Problem]:
    """What blocks submitting the narrative (and the reviewer's approval): the data's
    problems, the narrative's, and figures of a generated draft the tables no longer give."""
    built = build_tables(report.org, report.period, report.kind)
    return (
        data_problems(report, built)
        + narrative_problems(report)
        + outdated_problems(outdated_sections(report, built))
    )

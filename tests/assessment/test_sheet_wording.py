"""Decision texts shown to users state the rule in Chinese; changing one is a new sheet version.

domain.md §7: "附件2 施工企业 带班制度 says 记5分 (five duties, 扣1分 each) while its 分值 is 4 and
the section total 20 needs 4 — the score is min(4, max(0, 5 − unmet))".  The page shows that
rule in words, not as an expression.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.assessment.conftest import sheet_data
from webapp.assessment import sheet_store
from webapp.assessment.models import ScoreSheet
from webapp.assessment.scoring import Judgment, score_item
from webapp.assessment.sheet import SHEETS_DIR, content_hash, parse_sheet, read_sheet_file
from webapp.extensions import db

#: What a user must never read in a sheet's text: a programming expression.
EXPRESSION = re.compile(r"\b(min|max|round)\s*\(|[<>]=?|==|\bunmet\b")
#: The 带班制度 decision as shipped before this change (a raw expression).
OLD_DECISION = (
    "原文记5分（五项、每项扣1分）而分值为4分、本节合计20分须为4分：得分 = min(4, max(0, 5 − "
    "不满足项数))，即不满足一项仍得4分。"
)


def test_no_sheet_text_shows_an_expression():
    for kind in ("fujian2", "fujian3"):
        for item in parse_sheet(sheet_data(kind)).items:
            for text in (item.name, item.wording, item.decision or ""):
                assert not EXPRESSION.search(text), (kind, item.id, text)


def test_the_banban_decision_states_the_rule_the_scoring_applies():
    item = parse_sheet(sheet_data("fujian2")).item("2.4")
    assert "从5分起每项不满足扣1分" in item.decision and "最高4分、最低0分" in item.decision
    # the words match the scores: 0 unmet 4, 1 unmet 4, 2 unmet 3, 5 unmet 0
    duties = [d.id for d in item.rule.duties]
    scores = [str(score_item(item, Judgment(unmet=frozenset(duties[:n])))) for n in (0, 1, 2, 5)]
    assert scores == ["4", "4", "3", "0"]


def test_a_changed_decision_is_a_new_version_and_stored_hashes_stay(app):
    """A database holding the sheet with the old text keeps that version (its hash unchanged, a
    campaign opened with it keeps it); the changed file is loaded beside it as a new inactive
    version that an administrator activates."""
    shipped = read_sheet_file(SHEETS_DIR / "fujian2_2026.json")
    old = read_sheet_file(SHEETS_DIR / "fujian2_2026.json")
    banban = next(i for s in old["sections"] for i in s["items"] if i["id"] == "2.4")
    banban["decision"] = OLD_DECISION
    v1 = sheet_store._store_sheet(None, old, "fujian2_2026.json", active=True)
    v1_hash = v1.content_hash
    assert v1_hash == content_hash(old)

    created = sheet_store.install_bundled_sheets(None)
    db.session.commit()
    v2 = next(s for s in created if s.kind == "fujian2")
    assert (v2.version, v2.is_active) == (2, False)
    assert v2.content_hash == content_hash(shipped) != v1_hash
    stored = db.session.execute(select(ScoreSheet).where(ScoreSheet.id == v1.id)).scalar_one()
    assert stored.content_hash == v1_hash and stored.is_active
    assert stored.parsed().item("2.4").decision == OLD_DECISION
    assert sheet_store.choose_sheet("fujian2", 2026).id == v1.id
    assert sheet_store.install_bundled_sheets(None) == []  # idempotent

"""Every audit code the ledger operations compute (ledger.<kind>.<verb>) has a Chinese label."""

from __future__ import annotations

from tests.audit.codescan import WILDCARD, scan
from tests.conftest import ROOT
from webapp.audit.diff import diff
from webapp.audit.vocabulary import ACTION_LABELS, object_type_label
from webapp.ledger.fields import KINDS


def test_every_computed_ledger_code_is_labelled_for_every_kind():
    patterns = [c for c in scan(ROOT).codes if c.startswith("ledger.") and WILDCARD in c]
    assert sorted(patterns) == [
        "ledger.*.create",
        "ledger.*.delete",
        "ledger.*.export",
        "ledger.*.import",
        "ledger.*.update",
    ]
    codes = {p.replace(WILDCARD, kind) for p in patterns for kind in KINDS}
    assert len(codes) == 5 * len(KINDS) == 30  # six ledgers, complaints included
    assert not codes - set(ACTION_LABELS), sorted(codes - set(ACTION_LABELS))
    assert ACTION_LABELS["ledger.projects.update"] == "修改工程项目"
    assert ACTION_LABELS["ledger.accidents.import"] == "导入质量事故"
    assert ACTION_LABELS["ledger.penalties.export"].startswith("导出")
    for kind in KINDS.values():
        assert object_type_label(kind.model.__tablename__) == kind.label


def test_ledger_fields_are_labelled_per_ledger():
    good = {r.path: r.label for r in diff(None, {"fact": "x"}, "ledger_good_record")}
    bad = {r.path: r.label for r in diff(None, {"fact": "x"}, "ledger_bad_record")}
    assert good["fact"] == "良好行为事实" and bad["fact"] == "不良行为事实"
    rows = {r.path: r.label for r in diff(None, {"counts": {"created": 2}}, "ledger_project")}
    assert rows == {"counts.created": "新增条数"}

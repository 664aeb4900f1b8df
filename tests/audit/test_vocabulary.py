"""Every action code the product writes has a Chinese label."""

from __future__ import annotations

import ast

from tests.audit.routes import load
from tests.conftest import ROOT
from webapp.audit.diff import diff
from webapp.audit.vocabulary import ACTION_LABELS, action_label, register_actions


def _written_codes() -> dict[str, str]:
    """Literal action codes passed to ``audit.record(...)`` anywhere in webapp/."""
    found = {}
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and node.args
            ):
                for sub in ast.walk(node.args[0]):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        found[sub.value] = str(path.relative_to(ROOT))
    return found


def test_every_written_action_has_a_label():
    codes = _written_codes()
    assert {"auth.login", "user.disable", "permission.denied", "audit.export"} <= set(codes)
    missing = {code: where for code, where in codes.items() if code not in ACTION_LABELS}
    assert not missing, (
        f"label these in webapp/audit/vocabulary.py (or register_actions): {missing}"
    )


def test_every_expected_action_has_a_label():
    expected = {a for route in load().values() for case in route.cases for a in case.writes}
    assert expected <= set(ACTION_LABELS), expected - set(ACTION_LABELS)


def test_labels_fall_back_to_the_family_and_can_be_registered():
    assert action_label("auth.login_failed") == "登录失败"
    assert action_label("ledger.project.create") == "台账：ledger.project.create"
    assert action_label("unknown.thing") == "unknown.thing"
    register_actions({"ledger.project.create": "新建工程项目"})
    try:
        assert action_label("ledger.project.create") == "新建工程项目"
    finally:
        del ACTION_LABELS["ledger.project.create"]


def test_diff_rows():
    rows = {
        r.path: r
        for r in diff(
            {"org": "410102", "roles": ["clerk"], "nested": {"a": 1, "b": 2}},
            {"org": "410102", "roles": ["clerk", "leader"], "nested": {"a": 1, "c": 3}},
        )
    }
    assert rows["org"].status == "same" and rows["org"].label == "所属单位"
    assert rows["roles"].after == "填表人、主要领导" and rows["roles"].status == "changed"
    assert rows["nested.b"].status == "removed" and rows["nested.c"].status == "added"
    assert [r.path for r in diff(None, 5)] == [""] and diff(None, None) == []

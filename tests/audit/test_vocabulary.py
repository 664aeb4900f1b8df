"""Every action code the product writes has a Chinese label."""

from __future__ import annotations

from pathlib import Path

from tests.audit.codescan import WILDCARD, pattern_regex, scan
from tests.audit.routes import load
from tests.conftest import ROOT
from webapp.audit.diff import diff
from webapp.audit.vocabulary import ACTION_LABELS, action_label, register_actions


def test_every_written_action_has_a_label():
    found = scan(ROOT)
    assert not found.unreadable, (
        "action codes the vocabulary scan cannot read (pass a literal, a conditional of "
        f"literals or an f-string to audit.record): {found.unreadable}"
    )
    codes = found.codes
    assert {"auth.login", "user.disable", "permission.denied", "audit.export"} <= set(codes)
    assert {"task.claim", "ledger.*.create", "ledger.*.update"} <= set(codes), sorted(codes)
    missing = {
        code: where
        for code, where in codes.items()
        if WILDCARD not in code and code not in ACTION_LABELS
    }
    assert not missing, f"label these (register_actions in the feature): {missing}"
    # A computed code (ledger.{kind}.create): every value it takes at run time must be labelled;
    # the scan cannot enumerate them, so at least one must be, and the feature's own tests
    # check the rest (and the completeness walk checks every code it sees written).
    unmatched = {
        code: where
        for code, where in codes.items()
        if WILDCARD in code and not any(pattern_regex(code).fullmatch(a) for a in ACTION_LABELS)
    }
    assert not unmatched, f"no label for any code of these computed codes: {unmatched}"


def test_the_scan_reads_wrappers_conditionals_and_fstrings(tmp_path: Path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "ops.py").write_text(
        """
def _audit(action, actor, task):
    audit.record(action, actor=actor, object_id=task)

def change_state(action, subject, state):
    subject.state = state
    _audit(action, None, subject)

def go(kind, created, enabled):
    other = kind.code()
    _audit("task.claim", None, 1)
    change_state("campaign.close", kind, "closed")
    audit.record("user.enable" if enabled else "user.disable")
    audit.record(f"ledger.{kind.name}.{'create' if created else 'update'}")
    audit.record(action=f"x.{kind}")
    audit.record(other)
""",
        encoding="utf-8",
    )
    found = scan(tmp_path, "pkg")
    assert set(found.codes) == {
        "task.claim",
        "campaign.close",  # through a wrapper of a wrapper
        "user.enable",
        "user.disable",
        "ledger.*.create",
        "ledger.*.update",
        "x.*",
    }
    assert [u.split(": ", 1)[1] for u in found.unreadable] == ["other"]
    assert pattern_regex("ledger.*.create").fullmatch("ledger.projects.create")
    assert not pattern_regex("ledger.*.create").fullmatch("ledger.a.b.create")


def test_the_scan_reads_declared_kind_codes_and_optional_wrapper_codes(tmp_path: Path):
    """The drafts' store writes the codes its kinds declare, or one its caller names."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "store.py").write_text(
        """
NARRATIVE = DraftKind(code="n", save_action="report.narrative_save", restore_action="r.back")

def save(kind, texts, *, action=None):
    audit.record(action or kind.save_action)

def restore(kind):
    audit.record(kind.restore_action)

def go(doc, fmt):
    save(NARRATIVE, {})
    save(NARRATIVE, {}, action="publication.regenerate")
    doc.save(fmt)
    audit.record(doc.label)
""",
        encoding="utf-8",
    )
    found = scan(tmp_path, "pkg")
    assert set(found.codes) == {"report.narrative_save", "r.back", "publication.regenerate"}
    assert [u.split(": ", 1)[1] for u in found.unreadable] == ["doc.label"]


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

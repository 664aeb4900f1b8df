"""The API's role gate (assessment.view) must never refuse someone another rule allows."""

from __future__ import annotations

from webapp.core.permissions import RULES


def test_every_assessment_permission_is_within_the_view_gate():
    gate = RULES["assessment.view"].roles
    for action, rule in RULES.items():
        if action.startswith("assessment."):
            assert rule.roles <= gate, f"{action}: {rule.roles - gate} would be refused by the gate"


def test_task_work_is_everyone_but_auditors():
    from webapp.core.models import Role

    assert RULES["task.work"].roles == frozenset(Role) - {Role.AUDITOR}
    assert RULES["ledger.edit"].roles <= RULES["ledger.view"].roles

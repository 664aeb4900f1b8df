"""Ledger operations: validation with Chinese messages, audit with before/after, subtree scope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.core.errors import Conflict, Hidden, InvalidInput, PermissionDenied
from webapp.core.models import AuditRecord
from webapp.extensions import db
from webapp.ledger import operations
from webapp.ledger.fields import KINDS
from webapp.ledger.models import AccidentLevel, Decimal2, accident_level

PROJECTS = KINDS["projects"]


def raw(**over):
    base = {
        "registration_no": "ZY-1",
        "name": "中原小区1号楼",
        "structure_type": "框架",
        "area_m2": "10000",
        "cost_10k_yuan": "3000",
        "registered_on": "2026-07-01",
    }
    base.update(over)
    return base


def test_create_update_delete_are_audited(make_user, org):
    clerk = make_user("clerk", "410102")
    saved = operations.save_record(clerk, PROJECTS, org("410102"), raw())
    assert saved.created and saved.warnings == []
    project = saved.record
    assert project.area_m2 == Decimal("10000.00") and project.user_rating == "未评价"
    operations.save_record(clerk, PROJECTS, org("410102"), raw(name="改名"), project)
    operations.delete_record(clerk, PROJECTS, project)
    db.session.commit()
    records = (
        db.session.execute(select(AuditRecord).where(AuditRecord.object_type == "ledger_project"))
        .scalars()
        .all()
    )
    assert [r.action for r in records] == [
        "ledger.projects.create",
        "ledger.projects.update",
        "ledger.projects.delete",
    ]
    assert records[1].before["name"] == "中原小区1号楼" and records[1].after["name"] == "改名"
    assert records[2].before["registration_no"] == "ZY-1"


def test_saving_unchanged_leaves_the_record_alone(make_user, org):
    """No edit, no trace: the editor and time stay those of the last real change."""
    from datetime import datetime

    from webapp.core import clock

    clerk = make_user("clerk", "410102")
    other = make_user("clerk", "410100")
    clock.set_now(datetime(2026, 7, 1, 8, tzinfo=clock.UTC))
    project = operations.save_record(clerk, PROJECTS, org("410102"), raw()).record
    db.session.commit()
    clock.set_now(datetime(2026, 7, 2, 8, tzinfo=clock.UTC))
    again = operations.save_record(other, PROJECTS, org("410102"), raw(), project)
    db.session.commit()
    assert not again.created
    assert project.updated_by_id == clerk.id and project.updated_at.day == 1
    actions = db.session.execute(select(AuditRecord.action)).scalars().all()
    assert actions.count("ledger.projects.update") == 0
    moved = operations.save_record(other, PROJECTS, org("410100"), raw(), project)
    assert moved.record.org.code == "410100" and project.updated_by_id == other.id


@pytest.mark.parametrize(
    ("over", "label", "reason"),
    [
        ({"area_m2": "0"}, "建筑面积（平方米）", "建筑面积必须大于0"),
        ({"cost_10k_yuan": "-1"}, "工程造价（万元）", "工程造价必须大于0"),
        (
            {"accepted_on": "2026-06-30", "acceptance_result": "合格"},
            "竣工验收日期",
            "竣工验收日期不能早于监督注册日期",
        ),
        (
            {
                "accepted_on": "2026-08-01",
                "acceptance_result": "合格",
                "filed_on": "2026-07-31",
                "filing_result": "准予备案",
            },
            "备案日期",
            "备案日期不能早于竣工验收日期",
        ),
        (
            {"filed_on": "2026-08-01", "filing_result": "准予备案"},
            "备案日期",
            "未竣工验收的工程不能备案",
        ),
        ({"accepted_on": "2026-08-01"}, "竣工验收结论", "须同时填写"),
        ({"structure_type": "木结构"}, "结构类型", "应为砖混"),
        ({"registered_on": "07/01/2026"}, "监督注册日期", "格式应为 2026-10-01"),
        ({"name": ""}, "工程名称", "不能为空"),
        ({"area_m2": "很大"}, "建筑面积（平方米）", "应为数字"),
        # Past 28 digits rounding to cents raised InvalidOperation (found by the import fuzz).
        ({"area_m2": 1.000000025377643e26}, "建筑面积（平方米）", "数值过大"),
        ({"cost_10k_yuan": "1e30"}, "工程造价（万元）", "数值过大"),
        ({"area_m2": "999999999999.995"}, "建筑面积（平方米）", "数值过大"),
    ],
)
def test_validation_messages(make_user, org, over, label, reason):
    clerk = make_user("clerk", "410102")
    with pytest.raises(InvalidInput) as info:
        operations.save_record(clerk, PROJECTS, org("410102"), raw(**over))
    assert reason in info.value.details[label]


def test_unit_cost_outside_range_is_a_warning(make_user, org):
    clerk = make_user("clerk", "410102")
    saved = operations.save_record(clerk, PROJECTS, org("410102"), raw(cost_10k_yuan="10"))
    assert saved.record.id and "每平方米造价 10 元" in saved.warnings[0]


def test_duplicate_registration_number_conflicts(make_user, org):
    clerk = make_user("clerk", "410102")
    operations.save_record(clerk, PROJECTS, org("410102"), raw())
    with pytest.raises(Conflict):
        operations.save_record(clerk, PROJECTS, org("410102"), raw(name="另一个"))


def test_subtree_permissions(make_user, org):
    county_clerk = make_user("clerk", "410102")
    city_clerk = make_user("clerk", "410100")
    reviewer = make_user("reviewer", "410102", "rev")
    p = operations.save_record(
        city_clerk, PROJECTS, org("410102"), raw()
    ).record  # city edits below
    with pytest.raises(PermissionDenied):
        operations.save_record(county_clerk, PROJECTS, org("410103"), raw(registration_no="X"))
    with pytest.raises(PermissionDenied):
        operations.save_record(county_clerk, PROJECTS, org("410100"), raw(registration_no="Y"))
    with pytest.raises(PermissionDenied):
        operations.save_record(reviewer, PROJECTS, org("410102"), raw(registration_no="Z"))
    assert operations.get_record(reviewer, PROJECTS, p.id) is p  # reviewers read
    gongyi = make_user("clerk", "410181")
    with pytest.raises(Hidden):  # 巩义 is not under 郑州 and vice versa: as if missing
        operations.get_record(gongyi, PROJECTS, p.id)


@pytest.mark.parametrize(
    ("deaths", "injuries", "loss", "level"),
    [
        (2, 9, "999.99", AccidentLevel.ORDINARY),
        (3, 0, "0", AccidentLevel.LARGER),
        (0, 10, "0", AccidentLevel.LARGER),
        (0, 0, "1000", AccidentLevel.LARGER),
        (9, 49, "4999.99", AccidentLevel.LARGER),
        (10, 0, "0", AccidentLevel.MAJOR),
        (0, 50, "0", AccidentLevel.MAJOR),
        (0, 0, "5000", AccidentLevel.MAJOR),
        (29, 99, "9999.99", AccidentLevel.MAJOR),
        (30, 0, "0", AccidentLevel.EXTRAORDINARY),
        (0, 100, "0", AccidentLevel.EXTRAORDINARY),
        (0, 0, "10000", AccidentLevel.EXTRAORDINARY),
    ],
)
def test_accident_levels_per_jianzhi_2010_111(deaths, injuries, loss, level):
    assert accident_level(deaths, injuries, Decimal(loss)) is level


def test_larger_accident_is_flagged_for_the_two_hour_rule(make_user, org):
    clerk = make_user("clerk", "410102")
    saved = operations.save_record(
        clerk,
        KINDS["accidents"],
        org("410102"),
        {"occurred_on": "2026-08-01", "project_name": "某工程", "deaths": 3, "loss_10k_yuan": "10"},
    )
    assert saved.record.level == "较大" and saved.record.needs_fast_report
    assert "2小时内逐级上报" in saved.warnings[0]


def test_decimal_column_round_trips_exactly(make_user, org):
    clerk = make_user("clerk", "410102")
    p = operations.save_record(
        clerk, PROJECTS, org("410102"), raw(area_m2="123456789012.34", cost_10k_yuan="0.01")
    ).record
    db.session.commit()
    db.session.expire_all()
    fresh = db.session.get(type(p), p.id)
    assert fresh.area_m2 == Decimal("123456789012.34") and fresh.cost_10k_yuan == Decimal("0.01")
    assert isinstance(Decimal2().process_result_value(0.1, None), Decimal)


TEXT_FIELDS = [
    (kind.name, f.name)
    for kind in KINDS.values()
    for f in kind.fields
    if f.kind in ("str", "text", "choice")
]


@pytest.mark.parametrize(("kind", "name"), TEXT_FIELDS)
@pytest.mark.parametrize("wrong", [["x"], {"a": "x"}, True], ids=["list", "object", "bool"])
def test_text_fields_refuse_other_json_types(kind: str, name: str, wrong: object):
    """Every text and choice field of every ledger: a JSON list, object or true/false sent through
    the API is refused with a Chinese reason, never stored as its Python repr ("['x']")."""
    from webapp.ledger.fields import FieldError, parse_value

    with pytest.raises(FieldError) as err:
        parse_value(KINDS[kind].field(name), wrong)
    assert str(err.value) == "应为文字"

"""The audit vocabulary: Chinese labels of action codes, object types and record fields.

This is the one place where action codes get their readable names.  Another feature adds its
own from its ``init_app`` (or by editing the tables below, keeping them sorted by family)::

    from webapp.audit.vocabulary import register_actions, register_fields, register_object_types

    register_actions({"ledger.project.create": "新建工程项目", "ledger.import": "导入台账"})
    register_object_types({"project": "工程项目"})
    register_fields({"area_m2": "建筑面积（㎡）"})
    register_fields({"fact": "良好行为事实"}, object_type="ledger_good_record")
    register_values("state", {"draft": "草稿"})

Field labels registered for an ``object_type`` win over the global ones for that type's records
(two features may use the same field name for different things).

An action without a label still shows: its family's label (the part before the first dot) and
the code itself.  ``tests/audit/test_vocabulary.py`` fails for an ``audit.record("...")`` call in
``webapp/`` whose literal action code has no label here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webapp.core.models import ROLE_LABELS, TIER_LABELS

#: Action code → label.  Codes are ``family.verb`` (``family.thing.verb`` when a family has
#: several kinds of object); families are listed in :data:`FAMILY_LABELS`.
ACTION_LABELS: dict[str, str] = {
    # authentication (webapp/auth, webapp/api)
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.login_throttled": "登录被限流（失败次数过多）",
    "auth.logout": "退出登录",
    "auth.change_password": "修改本人密码",
    "auth.token_issued": "签发接口访问令牌",
    # user administration (webapp/admin)
    "user.create": "新建用户",
    "user.update": "修改用户",
    "user.enable": "启用用户",
    "user.disable": "停用用户",
    "user.reset_password": "重置用户密码",
    # organisations (flask org load)
    "org.create": "新增组织机构",
    "org.update": "修改组织机构",
    # the request edge (webapp/web.py)
    "permission.denied": "越权操作被拒绝",
    "security.csrf_refused": "缺少或伪造表单安全令牌，请求被拒绝",
    "security.upload_refused": "上传的文件被拒绝（过大、无效或含危险内容）",
    # the audit trail itself (webapp/audit)
    "audit.export": "导出审计日志",
    "audit.anchor": "导出审计锚点",
    # reporting work (第八条(五)); emitted by the report feature, see docs/audit.md
    "report.submit": "报送报告",
    "report.return": "退回报告",
    "report.accept": "接收报告",
}

#: Family (first segment of an action code) → label, the fallback for unlabelled codes.
FAMILY_LABELS: dict[str, str] = {
    "auth": "认证",
    "user": "用户管理",
    "org": "组织机构",
    "permission": "权限",
    "security": "安全",
    "audit": "审计",
    "report": "报表",
    "ledger": "台账",
    "stats": "统计",
    "workflow": "流程",
    "task": "待办任务",
    "timer": "定时任务",
    "document": "文书",
    "template": "文书模板",
    "publication": "公开",
    "assessment": "考核",
}

#: object_type → label.
OBJECT_TYPE_LABELS: dict[str, str] = {
    "user": "用户",
    "org": "组织机构",
    "route": "页面或接口",
    "audit_record": "审计日志",
    "report": "报告",
}

#: Field of ``before``/``after`` (dotted for nested values) → label, for the diff view.
FIELD_LABELS: dict[str, str] = {
    "username": "用户名",
    "full_name": "姓名",
    "org": "所属单位",
    "roles": "角色",
    "enabled": "启用",
    "via": "登录方式",
    "limit": "触发的限制",
    "code": "代码",
    "name": "名称",
    "tier": "层级",
    "parent_id": "上级单位（内部编号）",
    "path": "层级路径",
    "depth": "层级深度",
    "action": "权限动作",
    "subject": "业务对象",
    "business_key": "业务键",
    "period": "报告期",
    "kind": "报告类型",
    "due_at": "截止时间",
    "on_time": "是否按时",
    "reason": "原因",
    "format": "格式",
    "rows": "记录数",
    "filters": "筛选条件",
    "anchor": "锚点",
    "anchor.id": "锚点记录编号",
    "anchor.hash": "锚点哈希",
    "anchor.created_at": "锚点记录时间",
    "anchor.records": "锚点时记录总数",
}

#: object_type → field → label, for fields whose meaning depends on the object.
TYPE_FIELD_LABELS: dict[str, dict[str, str]] = {}

#: Readable values of a few well-known fields (codes → labels).
VALUE_LABELS: dict[str, Mapping[str, str]] = {
    "roles": {r.value: label for r, label in ROLE_LABELS.items()},
    "tier": {t.value: label for t, label in TIER_LABELS.items()},
    "via": {"password": "网页登录", "api": "接口令牌"},
    "limit": {"account": "按账号（失败次数过多）", "address": "按网络地址（失败次数过多）"},
    "kind": {"quarterly": "季度分析报告", "annual": "年度分析报告"},
}


def register_actions(labels: Mapping[str, str]) -> None:
    """Add (or correct) the labels of action codes."""
    ACTION_LABELS.update(labels)


def register_families(labels: Mapping[str, str]) -> None:
    FAMILY_LABELS.update(labels)


def register_object_types(labels: Mapping[str, str]) -> None:
    OBJECT_TYPE_LABELS.update(labels)


def register_fields(labels: Mapping[str, str], *, object_type: str | None = None) -> None:
    """Field labels, for every record or only for records about ``object_type``."""
    if object_type is None:
        FIELD_LABELS.update(labels)
    else:
        TYPE_FIELD_LABELS.setdefault(object_type, {}).update(labels)


def register_values(field: str, labels: Mapping[str, str]) -> None:
    """Readable values of a field (``{"draft": "草稿"}`` for ``state``), added to any known."""
    VALUE_LABELS[field] = {**VALUE_LABELS.get(field, {}), **labels}


def action_label(code: str | None) -> str:
    """The Chinese label of an action code; the family label and the code when unknown."""
    if not code:
        return ""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    family = FAMILY_LABELS.get(code.split(".", 1)[0])
    return f"{family}：{code}" if family else code


#: Who acts when nobody does: timers, the worker, commands (``webapp.core.audit``).
SYSTEM_ACTOR = "system"


def actor_label(name: str | None) -> str:
    """An audit record's actor as people read it: the user name, or 系统 for the system."""
    return "系统" if name in (None, "", SYSTEM_ACTOR) else name


def object_type_label(code: str | None) -> str:
    if not code:
        return ""
    return OBJECT_TYPE_LABELS.get(code, code)


def field_label(path: str, object_type: str | None = None) -> str:
    """Label of a dotted field path: the whole path, else its last segment, else the path;
    the labels of the record's object type first."""
    last = path.rsplit(".", 1)[-1]
    for table in (TYPE_FIELD_LABELS.get(object_type or "", {}), FIELD_LABELS):
        if path in table:
            return table[path]
        if last in table:
            return table[last]
    return path


def format_value(path: str, value: Any) -> str:
    """A value as an auditor reads it: 是/否, role names, lists joined by 、."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    names = VALUE_LABELS.get(path.rsplit(".", 1)[-1], {})
    if isinstance(value, list):
        return "、".join(names.get(str(v), str(v)) for v in value) if value else "（空）"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return names.get(text, text)


@dataclass(frozen=True)
class ActionGroup:
    """One family of the search form's 操作 picker: its prefix (``report.``), label and actions."""

    prefix: str
    label: str
    actions: list[tuple[str, str]]


def action_groups() -> list[ActionGroup]:
    """The 操作 picker: every known action under its family's Chinese label, families in the
    order of :data:`FAMILY_LABELS` (unlisted families last, by code)."""
    by_family: dict[str, list[tuple[str, str]]] = {}
    for code, label in sorted(ACTION_LABELS.items(), key=lambda item: item[0]):
        by_family.setdefault(code.split(".", 1)[0], []).append((code, label))
    order = {family: i for i, family in enumerate(FAMILY_LABELS)}
    families = sorted(by_family, key=lambda f: (order.get(f, len(order)), f))
    return [
        ActionGroup(f"{family}.", FAMILY_LABELS.get(family, "其他"), by_family[family])
        for family in families
    ]


def action_filter_label(value: str | None) -> str:
    """What the picker shows for a filter value: a family prefix, a code, or the text given."""
    if not value:
        return ""
    family = value[:-1] if value.endswith(".") else None
    if family is not None and family in FAMILY_LABELS:
        return f"{FAMILY_LABELS[family]}（全部）"
    return action_label(value)

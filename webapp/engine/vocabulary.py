"""The engine's audit vocabulary: Chinese labels of its action codes, objects and fields."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.audit.naming import int_ids, register_object_namer
from webapp.audit.vocabulary import (
    register_actions,
    register_fields,
    register_object_types,
    register_values,
)
from webapp.engine.models import HumanTask, InstanceState, ProcessDefinition, ProcessInstance
from webapp.engine.naming import subject_title
from webapp.extensions import db

ACTIONS = {
    "workflow.deploy": "部署流程定义",
    "workflow.start": "发起流程",
    "workflow.retry": "重试异常流程",
    "workflow.cancel": "取消流程",
    "workflow.subject_change": "调整流程期限等固定数据（延期）",
    "workflow.instance_error": "流程自动步骤出错",
    "workflow.timer": "流程定时器到期",
    "workflow.message": "流程收到消息",
    "task.claim": "签收任务",
    "task.unclaim": "取消签收任务",
    "task.complete": "办理任务",
    "task.withdraw": "撤回已办任务",
    "task.transfer": "转办任务",
    "task.reassign": "改派任务",
    "task.remind": "催办任务",
    "task.cc": "抄送任务",
}

OBJECT_TYPES = {
    "process_definition": "流程定义",
    "process_instance": "流程实例",
    "human_task": "待办任务",
}

FIELDS = {
    "key": "流程标识",
    "version": "版本",
    "hash": "内容哈希（SHA-256）",
    "process": "流程",
    "error": "错误信息",
    "outcome": "办理结果（代码）",
    "outcome_label": "办理结果",
    "state": "状态",
    "data": "表单数据",
    "to": "交给",
    "assignee": "原办理人（内部编号）",
    "notified": "通知人数",
    "message": "消息名称",
    "from_instance": "发送流程实例（内部编号）",
}

#: Instance states as the timer record writes them.
STATES = {state.value: state.label for state in InstanceState}


def instance_about(instance: ProcessInstance) -> str:
    """What an instance is about, as people say it: its period and unit (2026年第三季度 · 中原区,
    as its feature names it: ``naming.subject_title``), never its business key
    (``report:410102:2026Q3``)."""
    return subject_title(instance)


def _instance_rows(ids: list[str]) -> dict[int, ProcessInstance]:
    rows = db.session.execute(
        select(ProcessInstance)
        .options(joinedload(ProcessInstance.org), joinedload(ProcessInstance.definition))
        .where(ProcessInstance.id.in_(int_ids(ids)))
    ).scalars()
    return {row.id: row for row in rows}


def _instances(ids: list[str]) -> dict[str, str]:
    return {
        str(i): f"{row.definition.name} · {instance_about(row)}"
        for i, row in _instance_rows(ids).items()
    }


def _tasks(ids: list[str]) -> dict[str, str]:
    rows = db.session.execute(
        select(HumanTask.id, HumanTask.name, HumanTask.instance_id).where(
            HumanTask.id.in_(int_ids(ids))
        )
    ).all()
    instances = _instance_rows([str(r.instance_id) for r in rows])
    return {str(i): f"{name}（{instance_about(instances[iid])}）" for i, name, iid in rows}


def _definitions(ids: list[str]) -> dict[str, str]:
    rows = db.session.execute(
        select(ProcessDefinition.id, ProcessDefinition.name, ProcessDefinition.version).where(
            ProcessDefinition.id.in_(int_ids(ids))
        )
    )
    return {str(i): f"{name} 第{version}版" for i, name, version in rows}


def register() -> None:
    register_actions(ACTIONS)
    register_object_types(OBJECT_TYPES)
    register_fields(FIELDS)
    register_values("state", STATES)
    register_object_namer("process_instance", _instances)
    register_object_namer("human_task", _tasks)
    register_object_namer("process_definition", _definitions)

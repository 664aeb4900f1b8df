"""Versions of a process: compare two of them, move running instances to the newest.

Comparison uses SpiffWorkflow's spec diff (``SpiffWorkflow.bpmn.util.diff``) for the flow
nodes, and the BPMN XML for what it does not see (lanes and sequence flows).  Migration uses
``diff_workflow`` / ``migrate_workflow``; an instance moves only when every task it is waiting in
exists in the new version, and the state is checked by a serialize/restore round trip before
anything is saved.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState as SpiffState

from webapp.core.errors import Conflict
from webapp.core.models import User
from webapp.core.permissions import require
from webapp.engine import spiff
from webapp.engine.definitions import describe_changes_with, latest_definition, specs_for
from webapp.engine.instances import get_instance
from webapp.engine.models import OPEN_STATES, HumanTask, InstanceState, ProcessDefinition
from webapp.engine.naming import instance_title
from webapp.engine.parsing import BPMN_NS, parse_xml
from webapp.engine.resets import drop_stale_events
from webapp.engine.runtime import advance, audit_instance, history
from webapp.engine.validation import task_properties
from webapp.extensions import db

#: Chinese labels of the task-spec attributes SpiffWorkflow compares.
FIELD_LABELS = {
    "typename": "元素类型",
    "bpmn_name": "名称",
    "lane": "泳道",
    "extensions": "扩展属性",
    "outputs": "后续流向",
    "inputs": "前序步骤",
    "cond_task_specs": "网关条件",
    "default_task_spec": "默认流向",
    "event_definition": "事件定义（定时器、消息）",
    "script": "脚本",
    "prescript": "前置脚本",
    "postscript": "后置脚本",
    "operation_name": "服务操作",
    "operation_params": "服务参数",
    "result_variable": "结果变量",
    "documentation": "说明",
    "cancel_activity": "是否中断",
}
#: What the diff leaves out: bookkeeping that changes with any edit of the file.
_IGNORED = {"name", "description", "manual", "lookahead", "data_input_associations"}

_TYPE_LABELS = {
    "UserTask": "用户任务",
    "ServiceTask": "服务任务",
    "ScriptTask": "脚本任务",
    "ExclusiveGateway": "排他网关",
    "ParallelGateway": "并行网关",
    "InclusiveGateway": "包容网关",
    "StartEvent": "开始事件",
    "EndEvent": "结束事件",
    "BoundaryEvent": "边界事件",
    "IntermediateCatchEvent": "中间捕获事件",
    "IntermediateThrowEvent": "中间抛出事件",
    "CallActivity": "调用活动",
    "SubWorkflowTask": "子流程",
    "lane": "泳道",
    "sequenceFlow": "顺序流",
}


@dataclass
class ElementChange:
    """One element that differs between two versions."""

    #: The element's id in the diagram it is shown on (new version; old one for removals)
    element_id: str
    name: str
    kind: str
    #: Chinese labels of what changed (for "changed")
    fields: list[str] = field(default_factory=list)
    #: The element's id in the old version when SpiffWorkflow aligned a renamed element
    old_element_id: str | None = None


@dataclass
class VersionDiff:
    old_version: int
    new_version: int
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _kind(spec: Any) -> str:
    name = type(spec).__name__
    for key, label in _TYPE_LABELS.items():
        if key in name:
            return label
    return name


def _bpmn_specs(spec: Any) -> dict[str, Any]:
    return {s.bpmn_id: s for s in spec.task_specs.values() if getattr(s, "bpmn_id", None)}


def _extension_fields(old: Any, new: Any) -> list[str]:
    a = getattr(old, "extensions", None) or {}
    b = getattr(new, "extensions", None) or {}
    out = []
    props_a, props_b = a.get("properties") or {}, b.get("properties") or {}
    for name in sorted(props_a.keys() | props_b.keys()):
        if props_a.get(name) != props_b.get(name):
            out.append(f"属性 {name}")
    for name in sorted((a.keys() | b.keys()) - {"properties"}):
        if a.get(name) != b.get(name):
            out.append(f"扩展 {name}")
    return out or [FIELD_LABELS["extensions"]]


def compare_versions(old: ProcessDefinition, new: ProcessDefinition) -> VersionDiff:
    """Elements added, removed and changed from ``old`` to ``new`` (same process key)."""
    old_parsed, new_parsed = specs_for(old), specs_for(new)
    diff = SpecDiff(spiff.SERIALIZER.registry, old_parsed.spec, new_parsed.spec)
    result = VersionDiff(old.version, new.version)
    for spec in diff.added:
        if getattr(spec, "bpmn_id", None):
            result.added.append(ElementChange(spec.bpmn_id, spec.bpmn_name or "", _kind(spec)))
    aligned_old = set()
    for orig, target in diff.alignment.items():
        if orig is None or not getattr(orig, "bpmn_id", None):
            continue
        aligned_old.add(orig.bpmn_id)
        if target is None:
            result.removed.append(ElementChange(orig.bpmn_id, orig.bpmn_name or "", _kind(orig)))
            continue
        keys = [k for k in diff.comparisons.get(orig, []) if k not in _IGNORED]
        if orig.bpmn_id != target.bpmn_id:
            keys = ["bpmn_id", *keys]
        if not keys:
            continue
        labels: list[str] = []
        for key in keys:
            if key == "extensions":
                labels += _extension_fields(orig, target)
            elif key == "bpmn_id":
                labels.append(f"元素 ID（原 {orig.bpmn_id}）")
            else:
                labels.append(FIELD_LABELS.get(key, key))
        result.changed.append(
            ElementChange(
                target.bpmn_id,
                target.bpmn_name or "",
                _kind(target),
                labels,
                orig.bpmn_id if orig.bpmn_id != target.bpmn_id else None,
            )
        )
    # Specs the traversal never reached (e.g. event subprocess starts): compare by id.
    old_specs, new_specs = _bpmn_specs(old_parsed.spec), _bpmn_specs(new_parsed.spec)
    known_new = {c.element_id for c in result.added + result.changed} | {
        t.bpmn_id for t in diff.alignment.values() if t is not None
    }
    for bpmn_id, spec in old_specs.items():
        if bpmn_id not in aligned_old and bpmn_id not in new_specs:
            result.removed.append(ElementChange(bpmn_id, spec.bpmn_name or "", _kind(spec)))
    for bpmn_id, spec in new_specs.items():
        if bpmn_id not in known_new and bpmn_id not in old_specs:
            result.added.append(ElementChange(bpmn_id, spec.bpmn_name or "", _kind(spec)))
    _compare_xml(old.content, new.content, result)
    return result


def change_summary(old: ProcessDefinition, new: ProcessDefinition) -> dict[str, list[str]]:
    """The comparison in words, as the deploy's audit record keeps it:
    ``{"added", "removed", "changed"}``, each a list of “类型“名称”：what changed”."""
    diff = compare_versions(old, new)

    def line(change: ElementChange) -> str:
        text = f"{change.kind}“{change.name or change.element_id}”"
        return f"{text}：{'、'.join(change.fields)}" if change.fields else text

    return {
        "added": [line(c) for c in diff.added],
        "removed": [line(c) for c in diff.removed],
        "changed": [line(c) for c in diff.changed],
    }


describe_changes_with(change_summary)


def _xml_elements(content: bytes) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Lanes and sequence flows by id: (kind, name, what matters about them)."""
    root = parse_xml(content)
    out: dict[str, tuple[str, str, dict[str, str]]] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        refs = sorted((r.text or "").strip() for r in lane.iterfind(f"{{{BPMN_NS}}}flowNodeRef"))
        out[lane.get("id", "")] = (
            "lane",
            lane.get("name") or "",
            {"泳道名称（角色@单位）": lane.get("name") or "", "泳道内的步骤": ",".join(refs)},
        )
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        cond = flow.find(f"{{{BPMN_NS}}}conditionExpression")
        out[flow.get("id", "")] = (
            "sequenceFlow",
            flow.get("name") or "",
            {
                "起点": flow.get("sourceRef") or "",
                "终点": flow.get("targetRef") or "",
                "条件": (cond.text or "").strip() if cond is not None else "",
                "名称": flow.get("name") or "",
            },
        )
    return out


def _compare_xml(old: bytes, new: bytes, result: VersionDiff) -> None:
    a, b = _xml_elements(old), _xml_elements(new)
    for element_id in sorted(a.keys() - b.keys()):
        kind, name, _ = a[element_id]
        result.removed.append(ElementChange(element_id, name, _TYPE_LABELS[kind]))
    for element_id in sorted(b.keys() - a.keys()):
        kind, name, _ = b[element_id]
        result.added.append(ElementChange(element_id, name, _TYPE_LABELS[kind]))
    for element_id in sorted(a.keys() & b.keys()):
        (_, _, before), (kind, name, after) = a[element_id], b[element_id]
        fields = [label for label in after if before.get(label) != after[label]]
        if fields:
            result.changed.append(ElementChange(element_id, name, _TYPE_LABELS[kind], fields))


# Migration ------------------------------------------------------------------------------------
_CURRENT = SpiffState.READY | SpiffState.WAITING | SpiffState.STARTED | SpiffState.ERROR


def _task_label(task: Any) -> str:
    spec = task.task_spec
    name = getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name
    return f"“{name}”"


def _plan(instance: Any, target: ProcessDefinition) -> tuple[list[str], Any, Any]:
    """Reasons the instance cannot move to ``target`` (empty: it can), the workflow, the diffs."""
    from webapp.engine.runtime import load

    reasons: list[str] = []
    if instance.state != InstanceState.RUNNING.value:
        reasons.append(f"流程实例状态为“{instance.state_label}”，只能迁移进行中的流程")
        return reasons, None, None
    if instance.definition_id == target.id:
        reasons.append(f"已在第 {target.version} 版上运行")
        return reasons, None, None
    wf = load(instance)
    parsed = specs_for(target)
    top, subs = diff_workflow(spiff.SERIALIZER.registry, wf, parsed.spec, parsed.subprocess_specs)
    for task in top.removed:
        if task.has_state(_CURRENT):
            reasons.append(f"当前步骤{_task_label(task)}在第 {target.version} 版中不存在")
        elif task.has_state(SpiffState.FINISHED_MASK) and getattr(task.task_spec, "bpmn_id", None):
            reasons.append(
                f"已办步骤{_task_label(task)}在第 {target.version} 版中已删除，办理记录无法对应"
            )
    for sp_id, sp_diff in subs.items():
        if sp_diff is None:
            reasons.append(f"正在运行的子流程 {sp_id} 在第 {target.version} 版中不存在")
        elif any(t.has_state(_CURRENT) for t in sp_diff.removed):
            reasons.append(f"子流程中的当前步骤在第 {target.version} 版中不存在")
    return reasons, wf, (top, subs, parsed)


def migration_problems(instance_id: int) -> list[str]:
    """Why the instance cannot move to the newest version of its process (empty: it can)."""
    instance = get_instance(instance_id)
    reasons, _, _ = _plan(instance, latest_definition(instance.process_key))
    return reasons


def _timer_states(wf: Any) -> dict[Any, tuple[str, dict[str, Any]]]:
    """Waiting timers' internal data (their start), so a migration does not restart them."""
    out = {}
    for task in wf.get_tasks(state=SpiffState.WAITING):
        event_def = getattr(task.task_spec, "event_definition", None)
        if isinstance(event_def, TimerEventDefinition):
            out[task.id] = (event_def.expression, copy.deepcopy(task.internal_data))
    return out


def _restore_timers(wf: Any, saved: dict[Any, tuple[str, dict[str, Any]]]) -> None:
    for task_id, (expression, internal) in saved.items():
        task = wf.tasks.get(task_id)
        event_def = getattr(getattr(task, "task_spec", None), "event_definition", None)
        if (
            task is not None
            and task.has_state(SpiffState.WAITING)
            and isinstance(event_def, TimerEventDefinition)
            and event_def.expression == expression
        ):
            task.internal_data = internal


def migrate_instance(actor: User, instance_id: int) -> Any:
    """Move a running instance to the newest version of its process.

    Refused (Conflict, the reasons in ``details``) when a task it is waiting in, or a step it
    already completed, does not exist in the newest version.  Timers keep their start.  Open
    tasks take the new version's lane, form and outcomes (a changed candidate unclaims them).
    """
    require(actor, "workflow.admin")
    instance = get_instance(instance_id)
    target = latest_definition(instance.process_key)
    old = instance.definition
    reasons, wf, plan = _plan(instance, target)
    if reasons:
        raise Conflict(
            f"流程实例“{instance_title(instance)}”不能迁移到第 {target.version} 版："
            + "；".join(reasons),
            details=reasons,
        )
    top, subs, parsed = plan
    timers = _timer_states(wf)

    def mutate(w: Any) -> None:
        migrate_workflow(top, w, parsed.spec)
        for sp_id, sp_diff in subs.items():
            sub = w.subprocesses[sp_id]
            migrate_workflow(sp_diff, sub, parsed.subprocess_specs[sub.spec.name])
        w.subprocess_specs = parsed.subprocess_specs
        drop_stale_events(w)  # migrate_workflow resets branches as reset_from_task_id does
        _restore_timers(w, timers)
        # The saved state must restore with the new spec: check before anything is written.
        spiff.restore(spiff.serialize(w), parsed.spec, parsed.subprocess_specs, w.script_engine)

    try:
        result = advance(instance, actor, mutate, workflow=wf, extra={"definition_id": target.id})
    except Conflict:
        raise
    except Exception as exc:  # StepFailed from a state SpiffWorkflow cannot migrate
        message = getattr(exc, "message", None) or str(exc)
        raise Conflict(
            f"流程实例“{instance_title(instance)}”不能迁移：{message}", details=[message]
        ) from exc
    db.session.expire(instance, ["definition"])
    if result is not None:
        _refresh_open_tasks(instance, result)
    history(
        instance,
        "migrate",
        actor,
        comment=f"由第 {old.version} 版迁移到第 {target.version} 版",
    )
    audit_instance(
        "workflow.migrate",
        instance,
        actor,
        before={"version": old.version, "hash": old.content_hash},
        after={
            "version": target.version,
            "hash": target.content_hash,
            "business_key": instance.business_key,
        },
        message=f"{instance.process_key}：第 {old.version} 版 → 第 {target.version} 版",
    )
    return instance


#: What an open task row takes from the new version's task spec.
_FOLLOWS_SPEC = (
    "element_id",
    "name",
    "lane",
    "candidate_role",
    "candidate_org_id",
    "form_key",
    "outcomes",
)


def _refresh_open_tasks(instance: Any, wf: Any) -> None:
    """Open task rows follow the new version's lane, name, form and outcomes."""
    from webapp.engine.runtime import _new_task_row

    tasks = {str(t.id): t for t in wf.get_tasks(state=SpiffState.READY)}
    rows = db.session.query(HumanTask).filter(
        HumanTask.instance_id == instance.id, HumanTask.state.in_(OPEN_STATES)
    )
    for row in rows:
        task = tasks.get(row.spiff_task_id)
        if task is None or not isinstance(task.task_spec, UserTask):
            continue
        fresh = _new_task_row(instance, task, returned=False)
        if (fresh.candidate_role, fresh.candidate_org_id) != (
            row.candidate_role,
            row.candidate_org_id,
        ):
            row.assignee_id = None
            row.state = "ready"
        props = task_properties(task.task_spec)
        for name in _FOLLOWS_SPEC:
            setattr(row, name, getattr(fresh, name))
        if props.get("status"):
            row.business_status = props["status"]
    db.session.flush()


__all__ = [
    "ElementChange",
    "VersionDiff",
    "compare_versions",
    "migrate_instance",
    "migration_problems",
]

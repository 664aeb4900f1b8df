"""Deploy-time validation of a BPMN document: every problem with its element id, in Chinese.

Validation never runs an expression: it compiles every script, condition, timer and parameter
found anywhere in the XML (SpiffWorkflow never parses an element without sequence flows, so the
specs alone would miss them) under the same policy, guards and constant folding as the run
(:mod:`webapp.engine.sandbox`); reads timer values only when they are literal strings (a
variable is checked by the same rules when the timer starts); and refuses flow elements that no
sequence flow reaches or leaves.
"""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.spiff.specs.mixins.service_task import ServiceTask

from webapp.core.states import ProcessStatus, allowed_codes
from webapp.engine.connections import check_connections
from webapp.engine.lanes import LaneError, parse_lane
from webapp.engine.names import assigned_names, check_names
from webapp.engine.parsing import (
    BPMN_NS,
    BpmnRejected,
    ParsedBpmn,
    TimerRules,
    build_specs,
    executable_process_ids,
    parse_xml,
)
from webapp.engine.plain_words import spiff_validation
from webapp.engine.registry import FORMS, SERVICE_OPERATIONS, fixed_names
from webapp.engine.sources import check_sources


@dataclass(frozen=True)
class Problem:
    element_id: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_outcomes(text: str | None) -> list[dict[str, str]]:
    """``approve:同意,return:退回`` → [{"value": "approve", "label": "同意"}, ...]."""
    items = []
    for part in (text or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        value, _, label = part.partition(":")
        items.append({"value": value.strip(), "label": (label or value).strip()})
    return items


def task_properties(task_spec: Any) -> dict[str, str]:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {})


def validate_bpmn(
    content: bytes, *, key: str | None = None, rules: TimerRules | None = None
) -> list[Problem]:
    """All problems of a BPMN document (empty list: deployable)."""
    problems, _ = check_bpmn(content, key=key, rules=rules)
    return problems


def check_bpmn(
    content: bytes, *, key: str | None = None, rules: TimerRules | None = None
) -> tuple[list[Problem], ParsedBpmn | None]:
    try:
        root = parse_xml(content)
    except BpmnRejected as exc:
        return [Problem(None, str(exc))], None
    ids = executable_process_ids(root)
    if len(ids) != 1:
        return [Problem(None, "BPMN 文件须恰好包含一个可执行流程（isExecutable=true）")], None
    if key is not None and ids[0] != key:
        return [Problem(ids[0], f"流程 ID 为 {ids[0]}，与要部署的流程 {key} 不一致")], None
    problems = [
        Problem(element, message)
        for element, message in [
            *check_sources(root, rules or TimerRules.from_config()),
            *check_connections(root),
            *check_names(root, ids[0]),
        ]
    ]
    try:
        parsed = build_specs(root, filename=f"{ids[0]}.bpmn")
    except ValidationException as exc:
        problem = Problem(getattr(exc, "id", None) or None, spiff_validation(exc))
        return [*problems, problem], None
    except Exception as exc:  # SpiffWorkflow raises assorted errors on malformed models
        return [*problems, Problem(None, spiff_validation(exc))], None

    problems += _check_lanes(root)
    fixed = fixed_names(ids[0])
    specs = [parsed.spec, *parsed.subprocess_specs.values()]
    for spec in specs:
        if spec is None:
            continue
        for ts in spec.task_specs.values():
            problems += _check_task_spec(ts, fixed)
    return problems, (parsed if not problems else None)


def _check_lanes(root: Any) -> list[Problem]:
    problems = []
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        try:
            parse_lane(lane.get("name"))
        except LaneError as exc:
            problems.append(Problem(lane.get("id"), str(exc)))
    return problems


def _check_status(ts: Any, element: str, label: str) -> list[Problem]:
    """The ``status``/``returnedStatus`` properties name codes of webapp.core.states."""
    problems = []
    for prop in ("status", "returnedStatus"):
        value = task_properties(ts).get(prop)
        if value is not None and value not in ProcessStatus.__members__.values():
            problems.append(
                Problem(
                    element,
                    f"“{label}”的业务状态（属性 {prop}）“{value}”不是已定义的状态代码；"
                    f"可用的代码：{allowed_codes()}",
                )
            )
    return problems


def _check_assignments(
    source: str | None, element: str, what: str, fixed: frozenset[str]
) -> list[Problem]:
    bad = sorted(assigned_names(source) & fixed)
    if not bad:
        return []
    return [
        Problem(
            element,
            f"{what}修改了流程的固定数据 {'、'.join(bad)}（启动时确定的报告、单位、期限等），"
            "不允许；期限只能通过延期操作调整",
        )
    ]


def _check_task_spec(ts: Any, fixed: frozenset[str] = frozenset()) -> list[Problem]:
    element = getattr(ts, "bpmn_id", None)
    if element is None:
        return []
    problems: list[Problem] = []
    label = ts.bpmn_name or element
    problems += _check_status(ts, element, label)
    # Every script is reachable here: unconnected elements are refused (connections.py).
    for attr, what in (("prescript", "前置脚本"), ("postscript", "后置脚本")):
        problems += _check_assignments(getattr(ts, attr, None), element, what, fixed)
    if isinstance(ts, ScriptTask):
        problems += _check_assignments(ts.script, element, f"脚本任务“{label}”的脚本", fixed)
    if isinstance(ts, UserTask):
        props = task_properties(ts)
        if ts.lane is None:
            problems.append(Problem(element, f"用户任务“{label}”不在任何泳道中，无法确定办理人"))
        form_key = props.get("formKey")
        if not form_key:
            problems.append(Problem(element, f"用户任务“{label}”未设置表单（属性 formKey）"))
        elif form_key not in FORMS:
            problems.append(Problem(element, f"用户任务“{label}”的表单 {form_key} 未注册"))
        outcomes = parse_outcomes(props.get("outcomes"))
        if not outcomes or any(not o["value"] for o in outcomes):
            problems.append(
                Problem(
                    element, f"用户任务“{label}”未设置办理结果（属性 outcomes，如 approve:同意）"
                )
            )
    if isinstance(ts, ServiceTask):
        if ts.operation_name not in SERVICE_OPERATIONS:
            problems.append(
                Problem(element, f"服务任务“{label}”调用的服务操作 {ts.operation_name} 未注册")
            )
        if ts.operation_name == "engine.set_status":
            problems += _check_set_status(ts, element, label)
    if isinstance(ts, MultiChoice):
        if ts.cond_task_specs and getattr(ts, "default_task_spec", None) is None:
            problems.append(
                Problem(element, f"网关“{label}”没有默认流向：条件都不满足时流程会出错")
            )
    return problems


def _check_set_status(ts: Any, element: str, label: str) -> list[Problem]:
    """engine.set_status names a status code as a string literal."""
    source = str(((ts.operation_params or {}).get("status") or {}).get("value") or "")
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        value = None
    if isinstance(value, str) and value in ProcessStatus.__members__.values():
        return []
    return [
        Problem(
            element,
            f"服务任务“{label}”的参数 status 须为状态代码字符串（如 'overdue'）；"
            f"可用的代码：{allowed_codes()}",
        )
    ]

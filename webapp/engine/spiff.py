"""SpiffWorkflow glue: the sandboxed script engine, service calls and the serializer.

The serialized state of an instance does not embed its spec (SpiffWorkflow's default does):
the spec comes from the instance's definition version, parsed once per process and cached
(:mod:`webapp.engine.definitions`).  That keeps the stored state small and never re-parses XML
per request; the instance still keeps its own version because it references it.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from webapp.engine import pruning, sandbox, script_pool
from webapp.engine.parsing import TimerRules, check_timer_value
from webapp.engine.registry import SERVICE_OPERATIONS, ServiceContext
from webapp.engine.script_pool import ScriptLimits


class ServiceFailed(Exception):
    """A service operation raised: carries the original error for the caller."""

    def __init__(self, element_id: str, original: BaseException) -> None:
        super().__init__(f"{element_id}: {original}")
        self.element_id = element_id
        self.original = original


class SubjectChanged(Exception):
    """A step tried to change what the instance is about (its fixed subject)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def subject_changes(subject: dict[str, Any], wf: Any) -> list[str]:
    """Fixed names whose value differs in the data of the workflow's live tasks."""
    if not subject:
        return []
    tasks = list(wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED))
    if wf.last_task is not None:
        tasks.append(wf.last_task)
    return sorted({k for t in tasks for k, v in subject.items() if k in t.data and t.data[k] != v})


@dataclass
class RunContext:
    """Who and what a run of engine steps is for (read by service calls)."""

    instance: Any
    org: Any
    actor: Any


current_run: ContextVar[RunContext | None] = ContextVar("engine_run", default=None)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Expressions in this thread under the guards and a CPU budget; scripts in a worker
    process under hard limits (webapp.engine.sandbox explains why each)."""

    def __init__(self, limits: ScriptLimits | None = None) -> None:
        super().__init__({})
        self.limits = limits or ScriptLimits()

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        return sandbox.evaluate(expression, context, external_context, cpu_ms=self.limits.cpu_ms)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        script_pool.execute(script, context, external_context, self.limits)
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:  # pragma: no cover - unused
        raise NotImplementedError


class SandboxScriptEngine(PythonScriptEngine):
    """Scripts, conditions and expressions in the sandbox; service tasks via the registry."""

    def __init__(
        self, limits: ScriptLimits | None = None, timer_rules: TimerRules | None = None
    ) -> None:
        super().__init__(environment=SandboxEnvironment(limits))
        self.timer_rules = timer_rules or TimerRules()

    def validate(self, expression: str) -> None:
        sandbox.compile_expression(expression)

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
        except sandbox.SandboxError as err:
            raise WorkflowTaskException(
                f"表达式 {expression!r}：{err.message}", task=task, line_number=err.line
            ) from err
        event_def = getattr(task.task_spec, "event_definition", None)
        if isinstance(event_def, CycleTimerEventDefinition) and expression == event_def.expression:
            # A cycle given by a variable: the deploy-time rules, applied when the timer starts.
            problem = check_timer_value(value, self.timer_rules, cycle=True)
            if problem:
                raise WorkflowTaskException(problem, task=task)
        return value

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except sandbox.SandboxError as err:
            raise WorkflowTaskException(
                f"脚本错误：{err.message}", task=task, line_number=err.line
            ) from err

    def call_service(self, task: Any, **kwargs: Any) -> str:
        name = kwargs["operation_name"]
        element_id = task.task_spec.bpmn_id or task.task_spec.name
        operation = SERVICE_OPERATIONS.get(name)
        run = current_run.get()
        if operation is None or run is None:
            raise ServiceFailed(element_id, LookupError(f"未注册的服务操作 {name}"))
        params = {k: v["value"] for k, v in (kwargs.get("operation_params") or {}).items()}
        ctx = ServiceContext(
            instance=run.instance,
            org=run.org,
            data=json.loads(json.dumps(task.data)),
            actor=run.actor,
            params=params,
            element_id=element_id,
        )
        try:
            result = operation(ctx) or {}
        except Exception as exc:
            raise ServiceFailed(element_id, exc) from exc
        if not isinstance(result, dict):
            raise ServiceFailed(element_id, TypeError(f"服务操作 {name} 应返回 dict"))
        fixed = sorted(set(result) & set(run.instance.subject or {}))
        if fixed:
            raise ServiceFailed(
                element_id,
                SubjectChanged(f"服务操作 {name} 不能写入流程的固定数据：{'、'.join(fixed)}"),
            )
        try:
            encoded = json.dumps(result)
        except (TypeError, ValueError) as exc:
            raise ServiceFailed(element_id, exc) from exc
        task.data.update(json.loads(encoded))
        return encoded


# Serializer -----------------------------------------------------------------------------------
_specs: ContextVar[tuple[Any, dict[str, Any]] | None] = ContextVar("engine_specs", default=None)


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Top-level workflow converter that leaves the spec out (it is restored from the cache)."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        pruned = pruning.pruned_elements(workflow)
        if pruned:
            dct[PRUNED_KEY] = sorted(pruned)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        specs = _specs.get()
        if specs is None:
            raise RuntimeError("restore_workflow() must provide the specs")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        setattr(workflow, pruning.PRUNED_ATTR, set(dct.pop(PRUNED_KEY, ())))
        return workflow


#: our key in a serialized state: the elements whose completed tasks pruning removed (a state
#: without it, saved before pruning existed, restores as it always did)
PRUNED_KEY = "hqr_pruned"

_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = SpeclessWorkflowConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))


def serialize(workflow: Any) -> str:
    """The state to save.  Earlier iterations of return loops are pruned from the workflow
    first (in place: :mod:`webapp.engine.pruning`), so the state does not grow with them."""
    pruning.prune(workflow)
    SERIALIZER.registry._encoder_mode = True
    try:
        dct = SERIALIZER.to_dict(workflow)
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        return json.dumps(dct, cls=SERIALIZER._encoder_cls, separators=(",", ":"))
    finally:
        SERIALIZER.registry._encoder_mode = False


def restore(state: str, spec: Any, subprocess_specs: dict[str, Any], engine: Any) -> Any:
    dct = json.loads(state, cls=SERIALIZER.json_decoder_cls)
    SERIALIZER.migrate(dct)
    token = _specs.set((spec, subprocess_specs))
    try:
        workflow = SERIALIZER.from_dict(dct)
    finally:
        _specs.reset(token)
    workflow.script_engine = engine
    return workflow


def new_workflow(spec: Any, subprocess_specs: dict[str, Any], engine: Any) -> Any:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=engine)

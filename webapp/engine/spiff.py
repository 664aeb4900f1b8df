"""SpiffWorkflow glue: the sandboxed script engine, service calls and the serializer.

The serialized state of an instance does not embed its spec (SpiffWorkflow's default does):
the spec comes from the instance's definition version, parsed once per process and cached
(:mod:`webapp.engine.definitions`).  That keeps the stored state small and never re-parses XML
per request; the instance still keeps its own version because it references it.
"""

from __future__ import annotations

import functools
import json
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
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


#: The states of a live task: what a step can still change.
LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def live_tasks(wf: Any) -> list[Any]:
    """The workflow's live tasks (:data:`LIVE`), in SpiffWorkflow's order (one walk of the
    tree; the ready ones among them are what ``get_tasks(state=READY)`` gives, in its order)."""
    return wf.get_tasks(state=LIVE)


def subject_changes(subject: dict[str, Any], wf: Any, live: list[Any] | None = None) -> list[str]:
    """Fixed names whose value differs in the data of the workflow's live tasks (``live``:
    :func:`live_tasks`, when the caller has them)."""
    if not subject:
        return []
    tasks = list(live_tasks(wf) if live is None else live)
    if wf.last_task is not None:
        tasks.append(wf.last_task)
    return sorted({k for t in tasks for k, v in subject.items() if k in t.data and t.data[k] != v})


@dataclass
class RunContext:
    """Who and what a run of engine steps is for (read by service calls), and the SAVEPOINT
    that undoes the rows its service calls write if a later step fails."""

    instance: Any
    org: Any
    actor: Any
    #: opened by :meth:`protect` when the run first writes (a service call); a run of scripts,
    #: gateways and user tasks writes nothing and needs none (SQLAlchemy sends a SAVEPOINT only
    #: once a statement runs in it, but its session transaction costs ~90 Python calls a step)
    savepoint: Any = None
    #: a function that begins a SAVEPOINT (the session's ``begin_nested``)
    begin: Any = None

    def protect(self) -> None:
        """Open the run's SAVEPOINT before its first write."""
        if self.savepoint is None and self.begin is not None:
            self.savepoint = self.begin()


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
        timed = (CycleTimerEventDefinition, DurationTimerEventDefinition)
        if isinstance(event_def, timed) and expression == event_def.expression:
            # A cycle or duration given by a variable: the deploy-time rules, applied when the
            # timer starts (before SpiffWorkflow adds up a duration of a billion years).
            cycle = isinstance(event_def, CycleTimerEventDefinition)
            problem = check_timer_value(value, self.timer_rules, cycle=cycle)
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
        run.protect()
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
            encoded = json.dumps(result, allow_nan=False)  # NaN, Infinity: not JSON values
        except (TypeError, ValueError) as exc:
            raise ServiceFailed(element_id, exc) from exc
        task.data.update(json.loads(encoded))
        return encoded


# Serializer -----------------------------------------------------------------------------------
_specs: ContextVar[tuple[Any, dict[str, Any]] | None] = ContextVar("engine_specs", default=None)


#: A task id from its text, shared: every id of a state is read three times (the task's own,
#: its parent's list of children, its children's parent) and again at the next step; a UUID
#: is immutable, and ``UUID()`` parses in Python.
_uuid = functools.lru_cache(maxsize=16384)(UUID)

#: the typename SpiffWorkflow's registry writes for a task (checked below, at import)
TASK_TYPENAME = "Task"


def _task_to_dict(registry: Any, task: Any) -> dict[str, Any]:
    """SpiffWorkflow's ``TaskConverter.to_dict`` with the typename its registry adds: the same
    dictionary, key for key (tests/engine/test_state_format.py), in fewer calls (the parent
    looked up once, the delta's comprehensions inline, no dispatch through the registry)."""
    parent = task.workflow.tasks.get(task._parent)  # ``task.parent``
    if parent is None:
        data, delta = task.data, {}
    else:
        before, after = parent.data, task.data
        data = {}
        delta = {
            "updates": {k: v for k, v in after.items() if k not in before or v != before[k]},
            "deletions": [k for k in before if k not in after],
        }
    return {
        "id": str(task.id),
        "parent": str(task._parent) if parent is not None else None,
        "children": [str(child) for child in task._children],
        "last_state_change": task.last_state_change,
        "state": task._state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": registry.convert(task.internal_data),
        "data": data,
        "delta": delta,
        "typename": TASK_TYPENAME,
    }


def _task_from_dict(registry: Any, dct: dict[str, Any], workflow: Any) -> Any:
    """SpiffWorkflow's ``TaskConverter.from_dict``, the ids shared (:data:`_uuid`) and the
    parent's data copied as ``DeepMerge.merge({}, ...)`` does (each mutable value shallowly)."""
    task_spec = workflow.spec.task_specs.get(dct["task_spec"])
    task = Task(workflow, task_spec, state=dct["state"], id=_uuid(dct["id"]))
    parent_id = dct["parent"]
    task._parent = _uuid(parent_id) if parent_id is not None else None
    task._children = [_uuid(child) for child in dct["children"]]
    task.last_state_change = dct["last_state_change"]
    task.triggered = dct["triggered"]
    task.internal_data = registry.restore(dct["internal_data"])
    if isinstance(task_spec, CatchingEvent) and task._state & TaskState.WAITING:
        workflow.top_workflow.event_manager.add_task(task)
    delta = dct.get("delta")
    parent = workflow.tasks.get(task._parent) if delta else None
    if parent is not None:
        data = {
            k: copy(v) if isinstance(v, dict | list | set) else v for k, v in parent.data.items()
        }
        data.update(registry.restore(delta.get("updates", {})))
        for key in delta.get("deletions", {}):
            if key in data:
                del data[key]
    else:
        data = registry.restore(dct["data"])
    task.data = data
    return task


class FastTaskConverter(TaskConverter):
    """The task converter (subprocesses' tasks and anything else going through the registry)."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        dct = _task_to_dict(self.registry, task)
        del dct["typename"]  # the registry adds it
        return dct

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        return _task_from_dict(self.registry, dct, workflow)


class _FastTasks:
    """A workflow's tasks to and from their dictionaries without the registry's dispatch per
    task (three calls each way), and its subprocesses found by id instead of ``str(task.id)``
    per task."""

    registry: Any

    def tasks_to_dict(self, workflow: Any) -> dict[str, Any]:
        registry = self.registry
        return {str(k): _task_to_dict(registry, v) for k, v in workflow.tasks.items()}

    def tasks_from_dict(self, tasks: dict[str, Any], workflow: Any) -> dict[Any, Any]:
        registry = self.registry
        restored = {}
        for key, value in tasks.items():
            if value.get("typename") == TASK_TYPENAME:
                restored[_uuid(key)] = _task_from_dict(registry, value, workflow)
            else:  # pragma: no cover - SpiffWorkflow writes only tasks here
                restored[_uuid(key)] = registry.restore(value, workflow=workflow)
        return restored

    def workflow_to_dict(self, workflow: Any) -> dict[str, Any]:
        """``WorkflowConverter.to_dict``, its tasks by :meth:`tasks_to_dict`."""
        registry = self.registry
        return {
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": self.tasks_to_dict(workflow),
            "root": str(workflow.task_tree.id),
        }

    def subprocesses_from_dict(
        self, dct: dict[str, Any], workflow: Any, top_workflow: Any = None
    ) -> None:
        """``BpmnWorkflowConverter.subprocesses_from_dict``, the ids compared as ids."""
        top_workflow = top_workflow or workflow
        if not dct:
            return
        wanted = {_uuid(key): key for key in dct}
        for task in list(workflow.tasks.values()):
            key = wanted.get(task.id)
            if key is not None and key in dct and isinstance(task.task_spec, SubWorkflowTask):
                sp = self.registry.restore(dct.pop(key), task=task, top_workflow=top_workflow)
                top_workflow.subprocesses[task.id] = sp
                sp.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
                self.subprocesses_from_dict(dct, sp, top_workflow)


class FastSubWorkflowConverter(_FastTasks, BpmnSubWorkflowConverter):
    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = self.workflow_to_dict(workflow)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct

    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: Any) -> Any:
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.tasks_from_dict(dct["tasks"], subprocess)
        subprocess.task_tree = subprocess.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


class SpeclessWorkflowConverter(_FastTasks, BpmnWorkflowConverter):
    """Top-level workflow converter that leaves the spec out (it is restored from the cache)."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = self.workflow_to_dict(workflow)
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
        workflow.tasks = self.tasks_from_dict(dct["tasks"], workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
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
_config[BpmnSubWorkflow] = FastSubWorkflowConverter
_config[Task] = FastTaskConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
assert SERIALIZER.registry.typenames[Task] == TASK_TYPENAME


def serialize(workflow: Any) -> str:
    """The state to save.  Earlier iterations of return loops are pruned from the workflow
    first (in place: :mod:`webapp.engine.pruning`), so the state does not grow with them."""
    pruning.prune(workflow)
    return dump(SERIALIZER, workflow)


def restore(state: str, spec: Any, subprocess_specs: dict[str, Any], engine: Any) -> Any:
    workflow = read(SERIALIZER, state, spec, subprocess_specs)
    workflow.script_engine = engine
    return workflow


#: What orjson writes itself that the serializer's encoder would write otherwise: dates and
#: times, dataclasses (both go to the encoder's ``default``: the registry's converters).
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dump(serializer: Any, workflow: Any, *, by_json: bool = False) -> str:
    """``workflow`` as JSON by ``serializer`` (no pruning).

    Written by orjson, ten times faster than json on a state (the JSON texts of a completion
    were half of its C-level work), with the serializer's encoder for what orjson does not
    write itself; what orjson refuses (an integer past 64 bits, a key that is not a string)
    is written by json as before.  The text differs from json's only in form (no ``\\u``
    escapes, ``1e16`` for ``1e+16``): the same document (tests/engine/test_state_format.py).
    NaN and Infinity, which orjson would write as null, never reach a state: neither form
    data, nor scripts, nor services may hold them.  ``by_json``: json's text (the tests'
    reference)."""
    serializer.registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        try:
            if by_json:
                raise orjson.JSONEncodeError
            return orjson.dumps(
                dct, default=_encoder(serializer).default, option=_ORJSON_OPTIONS
            ).decode()
        except orjson.JSONEncodeError:
            return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        serializer.registry._encoder_mode = False


@functools.cache
def _encoder(serializer: Any) -> Any:
    return serializer._encoder_cls(separators=(",", ":"))


def read(serializer: Any, state: str, spec: Any, subprocess_specs: dict[str, Any]) -> Any:
    """The workflow in ``state`` read by ``serializer``, with the specs given (no engine)."""
    # read by json: orjson reads an integer past 64 bits as a float, and telling such a state
    # apart (a search for long digit runs) cost more than orjson saves on reading
    dct = json.loads(state, cls=serializer.json_decoder_cls)
    serializer.migrate(dct)
    token = _specs.set((spec, subprocess_specs))
    try:
        return serializer.from_dict(dct)
    finally:
        _specs.reset(token)


class StockSpeclessWorkflowConverter(BpmnWorkflowConverter):
    """:class:`SpeclessWorkflowConverter` on SpiffWorkflow's own code for the tasks and
    subprocesses (the registry's dispatch per task): what our states were written with
    before, the reference the format is checked against (tests/engine/test_state_format.py)."""

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


@functools.cache
def stock_serializer() -> Any:
    """A serializer with SpiffWorkflow's own task and subprocess converters (see
    :class:`StockSpeclessWorkflowConverter`), for :func:`dump` and :func:`read`."""
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = StockSpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def new_workflow(spec: Any, subprocess_specs: dict[str, Any], engine: Any) -> Any:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=engine)

"""Names the expressions and scripts of a BPMN document read, and whether anything can define them.

A gateway condition ``outcom == "return"`` (for ``outcome``) compiles, deploys and fails only
when the gateway runs: the instance stops in production.  At deploy every expression the engine
evaluates over task data (conditions, timers, service parameters, message payloads,
multi-instance cardinalities, completion conditions and collections) and every script is read
for the names it loads, and each is looked up among what can put a name into task data:

- the engine: ``org_code``, ``business_key``, ``process_key`` (every start), ``outcome``,
  ``comment``, ``target`` (every completion), the sandbox's builtins (``len``, ``True``...);
- the process's registered start form (its fields are the start data);
- the forms of the document's user tasks (a completion writes only its form's fields);
- what any script of the document assigns, a service task's ``resultVariable`` and what its
  operation returns (declared with ``service_operation(..., outputs=...)`` or read from the
  operation's source: every ``return`` a dict literal with string keys, or a call of a function
  that returns one);
- names the XML declares: multi-instance input and output items and output collections, message
  variables, data objects, data inputs and outputs.

The check refuses only a name that provably nothing defines: when a source of names cannot be
known statically the document is not checked (no start form: the starter's data is free; a
service operation whose results cannot be read; a call activity of a process outside the file;
a data store).  A name read before it is assigned (order), or a script that reads a name inside
``try`` (it may be catching the NameError), is never refused.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import textwrap
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from lxml import etree

from webapp.engine import sandbox
from webapp.engine.parsing import BPMN_NS, SPIFF_NS
from webapp.engine.registry import (
    ENGINE_SUBJECT,
    RESERVED_KEYS,
    SERVICE_OPERATIONS,
    SERVICE_OUTPUTS,
    START_FORMS,
    declared_fields,
)
from webapp.engine.sandbox import SAFE_BUILTINS
from webapp.engine.sources import owner_of, sources

#: Source kinds (webapp.engine.sources) evaluated over task data; a correlation retrieval
#: expression is evaluated over the message payload instead.
_CHECKED_LABELS_SKIPPED = frozenset({"消息关联表达式"})
_ALWAYS = frozenset(SAFE_BUILTINS) | ENGINE_SUBJECT | RESERVED_KEYS


def _bpmn(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _spiff(local: str) -> str:
    return f"{{{SPIFF_NS}}}{local}"


# Service operations' results ------------------------------------------------------------------


def _returned_keys(fn: Any, depth: int = 0) -> frozenset[str] | None:
    """The keys of every dict ``fn`` can return, read from its source; None when unknown."""
    if depth > 3 or not inspect.isfunction(fn):
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    func = tree.body[0] if tree.body else None
    if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    keys: set[str] = set()
    for node in _own_returns(func):
        value = node.value
        if isinstance(value, ast.Name):  # ``result = helper(...)`` … ``return result``
            value = _single_assignment(func, value.id)
            if value is None:
                return None
        found = _value_keys(value, fn, depth)
        if found is None:
            return None
        keys |= found
    return frozenset(keys)


def _own_returns(func: ast.AST) -> Iterable[ast.Return]:
    """The return statements of ``func`` itself (not of functions defined inside it)."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Return):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _single_assignment(func: ast.AST, name: str) -> ast.expr | None:
    """The value of ``name = value`` when it is the only thing that binds or changes ``name``
    in ``func`` (an item set or a second assignment: unknown)."""
    values = []
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            if len(node.targets) != 1:
                return None
            values.append(node.value)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.With | ast.NamedExpr):
            if name in {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}:
                return None
        elif isinstance(node, ast.Subscript | ast.Attribute) and not isinstance(node.ctx, ast.Load):
            root = node.value
            while isinstance(root, ast.Subscript | ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id == name:
                return None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            root = node.func.value
            if isinstance(root, ast.Name) and root.id == name:  # ``result.update(...)``
                return None
    return values[0] if len(values) == 1 else None


def _value_keys(value: ast.expr | None, fn: Any, depth: int) -> frozenset[str] | None:
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        return frozenset()
    if isinstance(value, ast.Dict):
        if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in value.keys):
            return frozenset(k.value for k in value.keys if isinstance(k, ast.Constant))
        return None
    if isinstance(value, ast.BoolOp):  # ``result or {}``
        return None
    if isinstance(value, ast.Call):
        target = _resolve(value.func, fn)
        return _returned_keys(target, depth + 1) if target is not None else None
    return None


def _resolve(node: ast.expr, fn: Any) -> Any:
    """The object a called name (``helper``, ``operations.route``) refers to in ``fn``'s module."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    obj = fn.__globals__.get(node.id)
    for part in reversed(parts):
        obj = getattr(obj, part, None)
    return obj


@lru_cache(maxsize=512)
def _inferred(name: str, fn: Callable[..., Any]) -> frozenset[str] | None:
    return _returned_keys(inspect.unwrap(fn))


def service_outputs(name: str) -> frozenset[str] | None:
    """The task-data names service operation ``name`` can write; None when not known."""
    if name in SERVICE_OUTPUTS:
        return SERVICE_OUTPUTS[name]
    fn = SERVICE_OPERATIONS.get(name)
    return _inferred(name, fn) if fn is not None else None


# What the document defines -------------------------------------------------------------------


def assigned_names(source: str | None) -> set[str]:
    """Every name a script binds, deletes or mutates in place (``x =``, ``x[k] =``,
    ``x.a =``, ``del x``, ``for x in``, ``except … as x``...)."""
    if not source or not source.strip():
        return set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()  # reported by the compile check
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.Subscript | ast.Attribute) and isinstance(
            node.ctx, ast.Store | ast.Del
        ):
            root: Any = node
            while isinstance(root, ast.Subscript | ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name):
                names.add(root.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def defined_names(root: Any, process_key: str) -> tuple[set[str], str | None]:
    """(names something can put into task data, why that is not knowable or None)."""
    start = START_FORMS.get(process_key)
    if start is None:
        return set(), "no start form"
    names = set(_ALWAYS) | set(start.schema.get("properties", {}))
    process_ids = {p.get("id") for p in root.iter(_bpmn("process"))}
    for element in root.iter(etree.Element):
        tag = element.tag
        if tag in (_bpmn("script"), _spiff("preScript"), _spiff("postScript")):
            names |= assigned_names(element.text)
        elif tag == _spiff("property") and element.get("name") == "formKey":
            names |= declared_fields(element.get("value"))
        elif tag == _spiff("serviceTaskOperator"):
            if element.get("resultVariable"):
                names.add(element.get("resultVariable"))
            outputs = service_outputs(element.get("id") or "")
            if outputs is None:
                return names, f"service operation {element.get('id')}"
            names |= outputs
        elif tag in (_bpmn("inputDataItem"), _bpmn("outputDataItem")):
            names.update(v for v in (element.get("name"), element.get("id")) if v)
        elif tag in (_bpmn("loopDataOutputRef"), _spiff("messageVariable")):
            if element.text and element.text.strip():
                names.add(element.text.strip())
        elif tag in (_bpmn("dataObject"), _bpmn("dataInput"), _bpmn("dataOutput")):
            names.update(v for v in (element.get("name"), element.get("id")) if v)
        elif tag == _bpmn("dataObjectReference"):
            names.update(v for v in (element.get("dataObjectRef"), element.get("id")) if v)
        elif tag == _bpmn("dataStoreReference"):
            return names, "data store"
        elif tag == _bpmn("callActivity") and element.get("calledElement") not in process_ids:
            return names, f"call activity {element.get('id')}"
    return names, None


# What the sources read -----------------------------------------------------------------------


def _loaded(tree: ast.AST) -> list[str]:
    seen: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in seen:
            seen.append(node.id)
    return seen


def read_names(source: str, *, script: bool) -> list[str]:
    """Names ``source`` reads that it does not define itself (a script's own assignments,
    function arguments); [] for a script with ``try`` and for text that does not parse (the
    compile check reports it)."""
    try:
        tree = ast.parse(source if script else source.strip(), mode="exec" if script else "eval")
    except SyntaxError:
        return []
    if not script:
        return _loaded(tree)
    if any(isinstance(node, ast.Try | ast.TryStar) for node in ast.walk(tree)):
        return []
    local = assigned_names(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            local.add(node.arg)
    return [name for name in _loaded(tree) if name not in local]


def _describe(root: Any, element_id: str | None) -> str:
    if element_id is None:
        return ""
    for element in root.iter(etree.Element):
        if element.get("id") == element_id:
            name = element.get("name")
            return f"“{name}”（{element_id}）" if name else f"（{element_id}）"
    return f"（{element_id}）"


def check_names(root: Any, process_key: str) -> list[tuple[str | None, str]]:
    """A problem for every name an expression or script reads that nothing can define."""
    names, unknowable = defined_names(root, process_key)
    if unknowable is not None:
        return []
    problems: list[tuple[str | None, str]] = []
    for element, kind, label, source in sources(root):
        if label in _CHECKED_LABELS_SKIPPED or source is None or not source.strip():
            continue
        try:  # a source the sandbox refuses is reported by that check alone
            if kind == "script":
                sandbox.compile_script(source)
            else:
                sandbox.compile_expression(source)
        except sandbox.SandboxError:
            continue
        unknown = [n for n in read_names(source, script=kind == "script") if n not in names]
        if not unknown:
            continue
        owner = owner_of(element)
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(names - set(SAFE_BUILTINS)), n=1)
            hints.append(f"{name}（是否应为 {close[0]}？）" if close else name)
        text = source.strip()
        shown = "" if kind == "script" else " " + (text if len(text) <= 80 else text[:77] + "…")
        problems.append(
            (
                owner,
                f"元素{_describe(root, owner)}的{label}{shown} 使用了未定义的名称 "
                f"{'、'.join(hints)}：流程中没有任何表单字段、脚本、服务操作结果或启动数据"
                "提供它，运行到这里时流程会出错",
            )
        )
    return problems

"""The script sandbox: every BPMN script, condition and expression is compiled here.

SpiffWorkflow evaluates scripts and conditions with bare ``exec``/``eval`` over task data; an
uploaded BPMN could then run any code (``import os``).  Restricting ``__builtins__`` alone is
escapable through ``().__class__.__base__.__subclasses__()``.  So every piece of source is
compiled with RestrictedPython's ``compile_restricted_*`` (which rejects names and attributes
starting with ``_``, ``exec``/``eval``) under a stricter policy (no import, no dangerous names or
``str.format``, no ``**``, no classes), and runs with guarded attribute and item access and a
short list of safe builtins.

Limits (issue 13) are enforced from outside the code being run, never by a trace function the
code could switch off by catching its exception:

- operators and methods that can make a huge value are routed to :mod:`webapp.engine.guards`,
  which refuse it before computing (``'a' * 2_000_000_000``, the product of two 30-million-bit
  integers...);
  constant bombs are refused at compile time by :mod:`webapp.engine.folding`;
- an **expression** (condition, timer, parameter, payload) runs here, in the caller's thread:
  no loop, comprehension, lambda, walrus or mutating method can appear in it and it is at most
  :data:`MAX_EXPRESSION_LENGTH` characters, so it performs a bounded number of guarded operations,
  and a CPU budget is checked after every call and comparison (an expression cannot catch);
- a **script** runs in a worker process (:mod:`webapp.engine.script_pool`) with RLIMIT_AS and a
  kernel CPU timer, killed from outside on a wall-clock timeout: :func:`run_script` below is what
  that process runs.

Compile errors are turned into :class:`SandboxError` (RestrictedPython's SyntaxError carries
``lineno=None``, which breaks SpiffWorkflow's own error formatting).
"""

from __future__ import annotations

import ast
import json
import reprlib
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
)
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from webapp.engine import folding, guards
from webapp.engine.guards import LimitExceeded, SandboxError
from webapp.engine.plain_words import source_refusals

__all__ = [
    "DEFAULT_CPU_MS",
    "LimitExceeded",
    "SandboxError",
    "compile_expression",
    "compile_script",
    "evaluate",
    "execute",
    "run_script",
]

#: Default CPU budget of one script or expression, in milliseconds (setting HQR_SCRIPT_CPU_MS).
DEFAULT_CPU_MS = 100
#: Longest expression (condition, timer, parameter, payload), in characters.
MAX_EXPRESSION_LENGTH = 1_000

#: Names refused at compile time (most are absent from the builtins anyway: refusing them at
#: upload gives the administrator a clear message instead of a run-time NameError).
FORBIDDEN_NAMES = frozenset(
    {
        "open",
        "getattr",
        "setattr",
        "delattr",
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "dir",
        "type",
        "object",
        "breakpoint",
        "input",
        "help",
        "memoryview",
        "bytearray",
        "print",
    }
)
FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map", "mro", "gi_frame", "f_globals"})
#: Methods that change their object: an expression only reads (and a chain of ``l.append(l[:])``
#: would build a value exponentially larger than the expression's text).
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "sort",
        "reverse",
        "update",
        "setdefault",
        "add",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)

_GUARDED_BINOPS = {ast.Mult: "_mul_", ast.LShift: "_lshift_", ast.Add: "_add_", ast.Mod: "_mod_"}
_INPLACE_ALLOWED = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    func = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), like)
    return ast.copy_location(ast.Call(func=func, args=args, keywords=[]), like)


class _ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: no import, no dangerous names or ``str.format``, no
    exponentiation, no class; the operators that can build huge values go to the guards."""

    def visit_Import(self, node: ast.Import) -> ast.AST:  # noqa: N802 (ast API)
        self.error(node, "不允许 import（脚本不能导入模块）")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:  # noqa: N802
        self.error(node, "不允许 import（脚本不能导入模块）")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:  # noqa: N802
        self.error(node, "不允许定义类")
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f"不允许使用 {node.id}")
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:  # noqa: N802
        if node.attr in FORBIDDEN_ATTRIBUTES:
            self.error(node, f"不允许使用 .{node.attr}")
        return super().visit_Attribute(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802
        if isinstance(node.op, ast.Pow):
            self.error(node, "不允许乘方运算 **（需要时请用乘法）")
            return node
        node = self.node_contents_visit(node)
        name = _GUARDED_BINOPS.get(type(node.op))
        return _call(name, [node.left, node.right], node) if name else node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:  # noqa: N802
        if isinstance(node.op, ast.Pow):
            self.error(node, "不允许乘方运算 **（需要时请用乘法）")
            return node
        if not isinstance(node.op, _INPLACE_ALLOWED):
            self.error(node, "只支持 += -= *= /= //= %= 这几种复合赋值")
            return node
        return super().visit_AugAssign(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:  # noqa: N802
        """``f"a{x!r:>5}"`` → ``_fstring_("a", (x, 114, ">5"))``: widths and sizes checked."""
        node = self.node_contents_visit(node)
        parts: list[ast.expr] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                spec = value.format_spec
                spec_node: ast.expr = (
                    spec if spec is not None else ast.copy_location(ast.Constant(""), value)
                )
                if isinstance(spec_node, ast.JoinedStr):  # a nested f-string: the width
                    spec_node = self.visit_JoinedStr(spec_node)
                items = [value.value, ast.copy_location(ast.Constant(value.conversion), value)]
                parts.append(
                    ast.copy_location(ast.Tuple(elts=[*items, spec_node], ctx=ast.Load()), value)
                )
            else:
                parts.append(value)
        return _call("_fstring_", parts, node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:  # noqa: N802
        # The format spec is itself a JoinedStr: leave it for visit_JoinedStr of the parent.
        node.value = self.visit(node.value)
        return node


class _ExpressionPolicy(_ScriptPolicy):
    """Expressions run in the web process: nothing in them may loop or build values beyond the
    size of their text, and every call or comparison checks the CPU budget afterwards."""

    def _refuse(self, node: ast.AST, what: str) -> ast.AST:
        self.error(node, f"表达式中不允许使用{what}（需要时请改用脚本任务）")
        return node

    def visit_ListComp(self, node: ast.ListComp) -> ast.AST:  # noqa: N802
        return self._refuse(node, "推导式")

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp  # noqa: N815

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:  # noqa: N802
        return self._refuse(node, " lambda")

    def visit_NamedExpr(self, node: ast.NamedExpr) -> ast.AST:  # noqa: N802
        return self._refuse(node, "赋值表达式 :=")

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:  # noqa: N802
        if node.attr in MUTATING_METHODS:
            return self._refuse(node, f"会修改数据的方法 .{node.attr}")
        return super().visit_Attribute(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802
        return _call("_tick_", [super().visit_Call(node)], node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:  # noqa: N802
        return _call("_tick_", [self.node_contents_visit(node)], node)


def _guarded_getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    return guards.guard_method(obj, name, safer_getattr(obj, name, *default))


def _apply(func: Any, *args: Any, **kwargs: Any) -> Any:
    """RestrictedPython's hook for ``f(*args, **kwargs)``."""
    return func(*args, **kwargs)


SAFE_BUILTINS: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "enumerate": enumerate,
    "float": float,
    "int": int,
    "isinstance": isinstance,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "range": guards.limited_range,
    "round": round,
    "sorted": sorted,
    "str": guards.SafeStr,
    "sum": guards.safe_sum,
    "tuple": tuple,
    "zip": zip,
    "ValueError": ValueError,
    "KeyError": KeyError,
}

_GLOBALS: dict[str, Any] = {
    "__builtins__": SAFE_BUILTINS,
    "__name__": "bpmn_script",
    "_getattr_": _guarded_getattr,
    "_getitem_": _guarded_getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": guards.inplacevar,
    "_apply_": _apply,
    "_mul_": guards.mul,
    "_lshift_": guards.lshift,
    "_add_": guards.add,
    "_mod_": guards.mod,
    "_fstring_": guards.fstring,
    "_tick_": guards.tick,
}
#: Names the sandbox itself provides; never copied back into task data.
RESERVED = frozenset({*_GLOBALS, "__metaclass__"})


def _first_line(errors: tuple[str, ...] | list[str]) -> int | None:
    for err in errors:
        if err.startswith("Line "):
            try:
                return int(err.split(":", 1)[0][5:])
            except ValueError:
                return None
    return None


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> CodeType:
    """Compile an expression (condition, timer, parameter); raise SandboxError if refused."""
    if source is None or not str(source).strip():
        raise SandboxError("表达式为空")
    text = str(source).strip()
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise SandboxError(f"表达式过长（{len(text)} 个字符，上限 {MAX_EXPRESSION_LENGTH}）")
    try:
        result = compile_restricted_eval(text, "<bpmn>", policy=_ExpressionPolicy)
    except (RecursionError, MemoryError, ValueError) as exc:
        raise SandboxError("表达式无法编译（嵌套过深或过长）") from exc
    if result.errors or result.code is None:
        raise SandboxError(
            "表达式不被允许或有语法错误：" + source_refusals(result.errors),
            line=_first_line(result.errors),
        )
    folding.check_constants(text, "eval")
    return result.code


@lru_cache(maxsize=2048)
def compile_script(source: str) -> CodeType:
    """Compile a script task / pre- or post-script; raise SandboxError if refused."""
    try:
        result = compile_restricted_exec(source or "", "<bpmn>", policy=_ScriptPolicy)
    except (RecursionError, MemoryError, ValueError) as exc:
        raise SandboxError("脚本无法编译（嵌套过深或过长）") from exc
    if result.errors or result.code is None:
        raise SandboxError(
            "脚本不被允许或有语法错误：" + source_refusals(result.errors),
            line=_first_line(result.errors),
        )
    folding.check_constants(source or "", "exec")
    return result.code


_describe = reprlib.Repr()
_describe.maxstring = _describe.maxother = 200


def _error_text(exc: BaseException) -> str:
    """``Type: message`` of an error raised by sandboxed code, never longer than a few hundred
    characters (``str()`` of a KeyError holding a huge key would print all of it)."""
    args = exc.args
    if len(args) == 1 and isinstance(args[0], str):
        detail = args[0][:300]
    else:
        detail = ", ".join(_describe.repr(a) for a in args[:3])
    return f"{type(exc).__name__}: {detail}"


def _run(code: CodeType, glb: dict[str, Any], mode: str) -> Any:
    try:
        if mode == "eval":
            return eval(code, glb)  # noqa: S307 - compiled by RestrictedPython, guarded globals
        exec(code, glb)  # noqa: S102 - compiled by RestrictedPython, guarded globals
        return None
    except (SandboxError, MemoryError):
        raise  # a MemoryError is reported by the caller, who knows the limit
    except Exception as exc:
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<bpmn>":
                line = tb.tb_lineno
            tb = tb.tb_next
        raise SandboxError(f"脚本执行出错：{_error_text(exc)}", line=line) from exc


def evaluate(
    expression: str,
    context: dict[str, Any],
    extra: dict[str, Any] | None = None,
    *,
    cpu_ms: int = DEFAULT_CPU_MS,
) -> Any:
    """Evaluate an expression in this thread under the guards and a CPU budget."""
    code = compile_expression(expression)
    glb = dict(_GLOBALS)
    glb.update(extra or {})
    glb.update(context)
    try:
        with guards.cpu_budget(cpu_ms):
            return _run(code, glb, "eval")
    except MemoryError as exc:
        raise LimitExceeded("表达式超出内存限制，已终止") from exc


def run_script(
    script: str, context: dict[str, Any], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run ``script`` over a copy of ``context`` in THIS process; return the new task data.

    Only the script worker process calls this (it is what runs under the process limits); the
    engine calls :func:`execute`.  Only plain JSON values may come back into task data (a module
    or object would make the serialized state unsaveable after the workflow already advanced).
    """
    code = compile_script(script)
    glb = dict(_GLOBALS)
    extra = extra or {}
    glb.update(extra)
    glb.update(context)
    _run(code, glb, "exec")
    result = {
        k: v for k, v in glb.items() if k not in RESERVED and k not in extra and not callable(v)
    }
    try:
        json.dumps(result, allow_nan=False)  # NaN and Infinity are not JSON values either
    except (TypeError, ValueError) as exc:
        raise SandboxError(f"脚本产生了无法保存的数据（只允许 JSON 值）：{exc}") from exc
    return result


def execute(
    script: str,
    context: dict[str, Any],
    extra: dict[str, Any] | None = None,
    **limits: Any,
) -> None:
    """Run ``script`` over ``context`` (task data) in a script worker process, updating the
    context in place only on success.  ``limits``: see :class:`script_pool.ScriptLimits`."""
    from webapp.engine import script_pool  # the worker process never imports the pool

    script_pool.execute(script, context, extra, script_pool.ScriptLimits(**limits))

"""The script sandbox: every BPMN script, condition and expression runs here.

SpiffWorkflow evaluates scripts and conditions with bare ``exec``/``eval`` over task data; an
uploaded BPMN could then run any code (``import os``).  Restricting ``__builtins__`` alone is
escapable through ``().__class__.__base__.__subclasses__()``.  So every piece of source is
compiled with RestrictedPython's ``compile_restricted_*`` (which rejects imports, names and
attributes starting with ``_``, ``exec``/``eval``) and runs with guarded attribute and item
access, a short list of safe builtins and a time budget enforced by a per-thread trace function
(no signals: works in the web server's threads).

Compile errors are turned into :class:`SandboxError` (RestrictedPython's SyntaxError carries
``lineno=None``, which breaks SpiffWorkflow's own error formatting).
"""

from __future__ import annotations

import ast
import json
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from types import CodeType, FrameType
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

#: Default wall-clock budget of one script or expression, in seconds.
DEFAULT_TIME_LIMIT = 1.0


class SandboxError(Exception):
    """A script or expression refused by the sandbox or failing in it (message in Chinese)."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class ScriptTimeout(SandboxError):
    pass


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
    }
)
FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map", "mro", "gi_frame", "f_globals"})


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: no import at all, no dangerous names or ``str.format``,
    no exponentiation (``9**9**9`` blocks without a line event, so the time limit cannot stop it).
    """

    def visit_Import(self, node: ast.Import) -> ast.AST:  # noqa: N802 (ast API)
        self.error(node, "import is not allowed.")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:  # noqa: N802
        self.error(node, "import is not allowed.")
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not allowed.')
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:  # noqa: N802
        if node.attr in FORBIDDEN_ATTRIBUTES:
            self.error(node, f'".{node.attr}" is not allowed.')
        return super().visit_Attribute(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802 (ast API)
        if isinstance(node.op, ast.Pow):
            self.error(node, "Exponentiation (**) is not allowed.")
        return super().visit_BinOp(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:  # noqa: N802
        if isinstance(node.op, ast.Pow):
            self.error(node, "Exponentiation (**) is not allowed.")
        return super().visit_AugAssign(node)


def _guarded_getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b,
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": lambda a, b: a % b,
    }
    if op not in ops:
        raise SandboxError(f"不支持的运算 {op}")
    return ops[op](x, y)


def _limited_range(*args: int) -> range:
    r = range(*args)
    if len(r) > 100_000:
        raise SandboxError("range 范围过大（上限 100000）")
    return r


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
    "range": _limited_range,
    "round": round,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
    "ValueError": ValueError,
    "KeyError": KeyError,
}

#: Names the sandbox itself provides; never copied back into task data.
RESERVED = frozenset(
    {
        "__builtins__",
        "_getattr_",
        "_getitem_",
        "_getiter_",
        "_write_",
        "_iter_unpack_sequence_",
        "_unpack_sequence_",
        "_inplacevar_",
        "__name__",
        "__metaclass__",
    }
)


def _base_globals() -> dict[str, Any]:
    return {
        "__builtins__": SAFE_BUILTINS,
        "__name__": "bpmn_script",
        "_getattr_": safer_getattr,
        "_getitem_": _guarded_getitem,
        "_getiter_": iter,
        "_write_": full_write_guard,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": _inplacevar,
    }


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
    result = compile_restricted_eval(str(source).strip(), "<bpmn>", policy=_Policy)
    if result.errors or result.code is None:
        raise SandboxError(
            "表达式不被允许或有语法错误：" + "；".join(result.errors),
            line=_first_line(result.errors),
        )
    return result.code


@lru_cache(maxsize=2048)
def compile_script(source: str) -> CodeType:
    """Compile a script task / pre- or post-script; raise SandboxError if refused."""
    result = compile_restricted_exec(source or "", "<bpmn>", policy=_Policy)
    if result.errors or result.code is None:
        raise SandboxError(
            "脚本不被允许或有语法错误：" + "；".join(result.errors), line=_first_line(result.errors)
        )
    return result.code


class _Budget:
    """A trace function that aborts the traced thread once its deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > self.deadline:
            raise ScriptTimeout(f"脚本运行超过时间限制（{self.seconds:g} 秒），已终止")
        return self


def _run(code: CodeType, glb: dict[str, Any], mode: str, time_limit: float) -> Any:
    previous = sys.gettrace()
    sys.settrace(_Budget(time_limit))
    try:
        if mode == "eval":
            return eval(code, glb)  # noqa: S307 - compiled by RestrictedPython, guarded globals
        exec(code, glb)  # noqa: S102 - compiled by RestrictedPython, guarded globals
        return None
    except SandboxError:
        raise
    except Exception as exc:
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<bpmn>":
                line = tb.tb_lineno
            tb = tb.tb_next
        raise SandboxError(f"脚本执行出错：{type(exc).__name__}: {exc}", line=line) from exc
    finally:
        sys.settrace(previous)


def evaluate(
    expression: str,
    context: dict[str, Any],
    extra: dict[str, Any] | None = None,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Any:
    code = compile_expression(expression)
    glb = _base_globals()
    glb.update(extra or {})
    glb.update(context)
    return _run(code, glb, "eval", time_limit)


def execute(
    script: str,
    context: dict[str, Any],
    extra: dict[str, Any] | None = None,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> None:
    """Run ``script`` over ``context`` (task data), updating it in place only on success.

    Only plain JSON values may come back into task data (a module or object would make the
    serialized state unsaveable after the workflow already advanced in memory).
    """
    code = compile_script(script)
    glb = _base_globals()
    extra = extra or {}
    glb.update(extra)
    glb.update(context)
    _run(code, glb, "exec", time_limit)
    result = {
        k: v for k, v in glb.items() if k not in RESERVED and k not in extra and not callable(v)
    }
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        raise SandboxError(f"脚本产生了无法保存的数据（只允许 JSON 值）：{exc}") from exc
    context.clear()
    context.update(result)

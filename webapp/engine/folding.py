"""Deploy-time detection of size bombs: constant sub-expressions are folded with the guards.

``'a' * 2_000_000_000`` or ``((1 << 30_000_000) - 1) * ((1 << 30_000_000) - 1)`` in a script,
condition or timer is refused when it is compiled (at upload, and again at run time) with the
same message the guarded operator would give.  Folding only ever calls the guarded operations of
:mod:`webapp.engine.guards`, which refuse a huge result before computing it, and it stops after a
fixed amount of work: it never runs an expression unbounded.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from webapp.engine import guards

#: Total printed size of the constants folded in one source; past it, folding just stops.
FOLD_BUDGET = 10 * guards.MAX_SIZE

_UNKNOWN = object()
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Mult: guards.mul,
    ast.LShift: guards.lshift,
    ast.Add: guards.add,
    ast.Mod: guards.mod,
    ast.Sub: lambda a, b: a - b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitXor: lambda a, b: a ^ b,
    ast.RShift: lambda a, b: a >> b,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: lambda a: -a,
    ast.UAdd: lambda a: +a,
    ast.Invert: lambda a: ~a,
}
_PLAIN = (str, bytes, int, float, bool, type(None))


class _Folder:
    def __init__(self) -> None:
        self.spent = 0
        self.memo: dict[int, Any] = {}  # each node is folded once (the walk meets it again)

    def fold(self, node: ast.AST) -> Any:
        """The constant value of ``node``, or _UNKNOWN; raises LimitExceeded for a bomb."""
        if id(node) in self.memo:
            return self.memo[id(node)]
        if self.spent > FOLD_BUDGET:
            return _UNKNOWN
        try:
            value = self._fold(node)
        except guards.LimitExceeded as exc:
            if exc.line is None:
                exc.line = getattr(node, "lineno", None)
            raise
        self.memo[id(node)] = value
        if value is not _UNKNOWN:
            self.spent += guards.printed_size(value, FOLD_BUDGET)
        return value

    def _fold(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, _PLAIN) else _UNKNOWN
        if isinstance(node, ast.List | ast.Tuple) and isinstance(node.ctx, ast.Load):
            items = [self.fold(e) for e in node.elts]
            if any(i is _UNKNOWN for i in items):
                return _UNKNOWN
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return self._apply(_BINOPS[type(node.op)], node.left, node.right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return self._apply(_UNARY[type(node.op)], node.operand)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node)
        if isinstance(node, ast.Call) and not node.keywords:
            return self._call(node)
        return _UNKNOWN

    def _apply(self, function: Callable[..., Any], *nodes: ast.AST) -> Any:
        values = [self.fold(n) for n in nodes]
        if any(v is _UNKNOWN for v in values):
            return _UNKNOWN
        try:
            return function(*values)
        except guards.LimitExceeded:
            raise
        except Exception:  # a type error or division by zero: the run will report it
            return _UNKNOWN

    def _fstring(self, node: ast.JoinedStr) -> Any:
        parts: list[Any] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(value.value)
                continue
            assert isinstance(value, ast.FormattedValue)
            spec = self.fold(value.format_spec) if value.format_spec is not None else ""
            folded = self.fold(value.value)
            if spec is _UNKNOWN or folded is _UNKNOWN:
                if isinstance(spec, str):
                    guards.check_format_spec(spec)  # a constant width is checked on its own
                return _UNKNOWN
            parts.append((folded, value.conversion, spec))
        return self._apply_values(guards.fstring, parts)

    def _apply_values(self, function: Callable[..., Any], values: list[Any]) -> Any:
        try:
            return function(*values)
        except guards.LimitExceeded:
            raise
        except Exception:
            return _UNKNOWN

    def _call(self, node: ast.Call) -> Any:
        args = [self.fold(a) for a in node.args]
        if any(a is _UNKNOWN for a in args):
            return _UNKNOWN
        func = node.func
        if isinstance(func, ast.Name) and func.id == "range":
            return self._apply_values(guards.limited_range, args)
        if isinstance(func, ast.Name) and func.id == "str":
            return self._apply_values(guards.SafeStr, args)
        if isinstance(func, ast.Attribute):
            owner = self.fold(func.value)
            if owner is _UNKNOWN or func.attr.startswith("_"):
                return _UNKNOWN
            method = getattr(owner, func.attr, None)
            if method is None:
                return _UNKNOWN
            guarded = guards.guard_method(owner, func.attr, method)
            if guarded is method:
                return _UNKNOWN  # not a size-taking method: leave it to the run
            return self._apply_values(guarded, args)
        return _UNKNOWN


def check_constants(source: str, mode: str) -> None:
    """Raise LimitExceeded (with the line) when a constant sub-expression is a size bomb."""
    try:
        tree = ast.parse(source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # compile reports it
    folder = _Folder()
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp | ast.Call | ast.JoinedStr):
            try:
                folder.fold(node)
            except RecursionError:
                return
        if folder.spent > FOLD_BUDGET:
            return

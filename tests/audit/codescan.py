"""Read, from the source, every action code ``webapp/`` can pass to ``audit.record``.

A code is found where ``audit.record(<code>, ...)`` (or ``audit.record_on``) is called, and
where a wrapper that hands one of its parameters to ``audit.record``
(``def _audit(action, ...): audit.record(action, ...)``)
is called with a code.  The code expression is read statically:

- a string literal is one code;
- ``a if cond else b`` gives the codes of both branches;
- an f-string gives the product of its parts: a literal part is itself, a placeholder holding
  literals (``{'create' if created else 'update'}``) gives each of them, any other placeholder
  (``{kind.name}``) is a wildcard ``*`` standing for one run-time segment.

A wrapper may also take the code as an optional parameter and fall back on another code
(``def save(..., action=None): audit.record(action or kind.save_action, ...)``): its callers'
literals are codes, a caller that leaves it out adds none, and the fallback is read as usual.

A kind of drafted text declares its codes (``DraftKind(save_action="report.narrative_save",
restore_action=...)``): each literal given to a ``*_action`` keyword of a ``DraftKind(...)`` call
is a code, and reading that attribute (``kind.restore_action``) stands for all of them.

Anything else (a variable that is not a wrapper's parameter, a call) cannot be read and is
reported, so that a new way of computing codes cannot slip past the vocabulary test.
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

WILDCARD = "*"
#: Calls whose ``*_action`` keywords declare codes that ``<object>.<keyword>`` later reads.
DECLARING_CALLS = {"DraftKind"}


@dataclass
class Scan:
    #: code or pattern (with ``*``) → "path:line" of one place that writes it
    codes: dict[str, str] = field(default_factory=dict)
    #: "path:line: expression" of code expressions that could not be read
    unreadable: list[str] = field(default_factory=list)


def _is_audit_record(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("record", "record_on")
        and isinstance(func.value, ast.Name)
        and func.value.id == "audit"
    )


def _first_arg(call: ast.Call, param: str | None = None, index: int | None = 0) -> ast.expr | None:
    if index is not None and len(call.args) > index:
        return call.args[index]
    for kw in call.keywords:
        if kw.arg == (param or "action"):
            return kw.value
    return None


def codes_of(expr: ast.expr, declared: dict[str, list[str]] | None = None) -> list[str] | None:
    """The codes an expression can evaluate to (``*`` for a run-time segment); None if unknown."""
    declared = declared or {}
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        body, orelse = codes_of(expr.body, declared), codes_of(expr.orelse, declared)
        return None if body is None or orelse is None else body + orelse
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
        parts = [codes_of(value, declared) for value in expr.values]
        return None if any(p is None for p in parts) else [c for p in parts if p for c in p]
    if isinstance(expr, ast.Attribute) and expr.attr in declared:
        return list(declared[expr.attr])
    if isinstance(expr, ast.JoinedStr):
        parts: list[list[str]] = []
        for value in expr.values:
            if isinstance(value, ast.FormattedValue):
                parts.append(codes_of(value.value, declared) or [WILDCARD])
            else:
                parts.append(codes_of(value, declared) or [WILDCARD])
        return ["".join(p) for p in itertools.product(*parts)]
    return None


@dataclass(frozen=True)
class Wrapper:
    #: Position of the parameter (None: keyword-only), its name, and whether it may be left out
    index: int | None
    param: str
    optional: bool


def _param_of(arg: ast.expr | None, names: set[str]) -> tuple[str, ast.expr | None] | None:
    """``action`` → (action, None); ``action or <fallback>`` → (action, <fallback>)."""
    if isinstance(arg, ast.Name) and arg.id in names:
        return arg.id, None
    if (
        isinstance(arg, ast.BoolOp)
        and isinstance(arg.op, ast.Or)
        and isinstance(arg.values[0], ast.Name)
        and arg.values[0].id in names
    ):
        rest = arg.values[1:]
        fallback = rest[0] if len(rest) == 1 else ast.BoolOp(op=ast.Or(), values=rest)
        return arg.values[0].id, fallback
    return None


def _wrappers(tree: ast.Module, known: dict[str, Wrapper] | None = None) -> dict[str, Wrapper]:
    """Functions that pass their own parameter to audit.record, or to a ``known`` wrapper (a
    wrapper of a wrapper): name → how it is passed."""
    known = known or {}
    found: dict[str, Wrapper] = {}
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        positional = [a.arg for a in fn.args.args]
        keyword_only = [a.arg for a in fn.args.kwonlyargs]
        first_default = len(positional) - len(fn.args.defaults)
        defaults = {p for i, p in enumerate(positional) if i >= first_default} | {
            a.arg for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True) if d
        }
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            if _is_audit_record(node):
                arg = _first_arg(node)
            elif _called_name(node) in known and _called_name(node) != fn.name:
                inner = known[_called_name(node) or ""]
                arg = _first_arg(node, inner.param, inner.index)
            else:
                continue
            passed = _param_of(arg, set(positional) | set(keyword_only))
            if passed is not None:
                param = passed[0]
                index = positional.index(param) if param in positional else None
                found[fn.name] = Wrapper(index, param, param in defaults)
    return found


def _declared(trees: dict[Path, ast.Module]) -> dict[str, list[str]]:
    """``*_action`` keyword → the literal codes given to it in DraftKind(...) calls."""
    declared: dict[str, list[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) in DECLARING_CALLS:
                for kw in node.keywords:
                    if (
                        kw.arg
                        and kw.arg.endswith("_action")
                        and isinstance(kw.value, ast.Constant)
                        and isinstance(kw.value.value, str)
                    ):
                        declared.setdefault(kw.arg, []).append(kw.value.value)
    return declared


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def scan(root: Path, package: str = "webapp") -> Scan:
    result = Scan()
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted((root / package).rglob("*.py"))
    }
    wrappers: dict[str, Wrapper] = {}
    while True:  # wrappers of wrappers, to a fixed point
        found: dict[str, Wrapper] = {}
        for tree in trees.values():
            found.update(_wrappers(tree, wrappers))
        if found == wrappers:
            break
        wrappers = found
    declared = _declared(trees)
    for path, tree in trees.items():
        where = str(path.relative_to(root))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if _is_audit_record(node):
                arg = _first_arg(node)
            elif _called_name(node) in wrappers:
                wrapper = wrappers[_called_name(node) or ""]
                arg = _first_arg(node, wrapper.param, wrapper.index)
                if arg is None and wrapper.optional:
                    continue  # left out: the wrapper's fallback code is written
            else:
                continue
            inside = _enclosing_wrapper(tree, node, wrappers)
            passed = _param_of(arg, {inside.param}) if inside else None
            if passed is not None:
                arg = passed[1]  # the wrapper's own parameter: its callers are scanned
                if arg is None:
                    continue
            if arg is None:
                result.unreadable.append(f"{where}:{node.lineno}: no action code")
                continue
            codes = codes_of(arg, declared)
            if codes is None:
                result.unreadable.append(f"{where}:{node.lineno}: {ast.unparse(arg)}")
                continue
            for code in codes:
                result.codes.setdefault(code, f"{where}:{node.lineno}")
    return result


def _enclosing_wrapper(
    tree: ast.Module, call: ast.Call, wrappers: dict[str, Wrapper]
) -> Wrapper | None:
    for fn in ast.walk(tree):
        if (
            isinstance(fn, ast.FunctionDef)
            and fn.name in wrappers
            and any(node is call for node in ast.walk(fn))
        ):
            return wrappers[fn.name]
    return None


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """``ledger.*.create`` → a regex where ``*`` is one code segment."""
    return re.compile(
        "".join("[a-z0-9_]+" if part == WILDCARD else re.escape(part) for part in _split(pattern))
    )


def _split(pattern: str) -> list[str]:
    return [p for p in re.split(r"(\*)", pattern) if p]

"""Read, from the source, every action code ``webapp/`` can pass to ``audit.record``.

A code is found where ``audit.record(<code>, ...)`` is called, and where a wrapper that hands
one of its parameters to ``audit.record`` (``def _audit(action, ...): audit.record(action, ...)``)
is called with a code.  The code expression is read statically:

- a string literal is one code;
- ``a if cond else b`` gives the codes of both branches;
- an f-string gives the product of its parts: a literal part is itself, a placeholder holding
  literals (``{'create' if created else 'update'}``) gives each of them, any other placeholder
  (``{kind.name}``) is a wildcard ``*`` standing for one run-time segment.

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
        and func.attr == "record"
        and isinstance(func.value, ast.Name)
        and func.value.id == "audit"
    )


def _first_arg(call: ast.Call, param: str | None = None, index: int = 0) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    for kw in call.keywords:
        if kw.arg == (param or "action"):
            return kw.value
    return None


def codes_of(expr: ast.expr) -> list[str] | None:
    """The codes an expression can evaluate to (``*`` for a run-time segment); None if unknown."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        body, orelse = codes_of(expr.body), codes_of(expr.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(expr, ast.JoinedStr):
        parts: list[list[str]] = []
        for value in expr.values:
            if isinstance(value, ast.FormattedValue):
                parts.append(codes_of(value.value) or [WILDCARD])
            else:
                parts.append(codes_of(value) or [WILDCARD])
        return ["".join(p) for p in itertools.product(*parts)]
    return None


def _wrappers(tree: ast.Module) -> dict[str, tuple[int, str]]:
    """Functions that pass their own parameter to audit.record: name → (position, name)."""
    found: dict[str, tuple[int, str]] = {}
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        params = [a.arg for a in fn.args.args]
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and _is_audit_record(node):
                arg = _first_arg(node)
                if isinstance(arg, ast.Name) and arg.id in params:
                    found[fn.name] = (params.index(arg.id), arg.id)
    return found


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
    wrappers: dict[str, tuple[int, str]] = {}
    for tree in trees.values():
        wrappers.update(_wrappers(tree))
    for path, tree in trees.items():
        where = str(path.relative_to(root))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if _is_audit_record(node):
                arg = _first_arg(node)
            elif _called_name(node) in wrappers:
                index, param = wrappers[_called_name(node) or ""]
                arg = _first_arg(node, param, index)
            else:
                continue
            if arg is None:
                result.unreadable.append(f"{where}:{node.lineno}: no action code")
                continue
            codes = codes_of(arg)
            if codes is None:
                if isinstance(arg, ast.Name) and _inside_wrapper(tree, node, wrappers, arg.id):
                    continue  # the wrapper itself: its callers are scanned
                result.unreadable.append(f"{where}:{node.lineno}: {ast.unparse(arg)}")
                continue
            for code in codes:
                result.codes.setdefault(code, f"{where}:{node.lineno}")
    return result


def _inside_wrapper(
    tree: ast.Module, call: ast.Call, wrappers: dict[str, tuple[int, str]], name: str
) -> bool:
    for fn in ast.walk(tree):
        if (
            isinstance(fn, ast.FunctionDef)
            and fn.name in wrappers
            and wrappers[fn.name][1] == name
            and any(node is call for node in ast.walk(fn))
        ):
            return True
    return False


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """``ledger.*.create`` → a regex where ``*`` is one code segment."""
    return re.compile(
        "".join("[a-z0-9_]+" if part == WILDCARD else re.escape(part) for part in _split(pattern))
    )


def _split(pattern: str) -> list[str]:
    return [p for p in re.split(r"(\*)", pattern) if p]

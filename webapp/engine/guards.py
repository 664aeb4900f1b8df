"""Guarded operations for BPMN scripts and expressions: sizes are checked BEFORE computing.

One C-level operation cannot be interrupted from Python: ``x * x`` with
``x = (1 << 30_000_000) - 1`` holds the GIL for tens of seconds and ``'a' * 2_000_000_000``
allocates 2 GB at once.  The sandbox's AST policy (:mod:`webapp.engine.sandbox`) routes every
operator and method that can make a value much larger than its operands to a function here,
which computes the size of the result from the operands and refuses it (:class:`LimitExceeded`,
message in Chinese) before the operation runs:

- ``*`` (int × int by bit length; str/bytes/list/tuple repetition by the printed size of the
  result), ``<<``, ``+``, ``%`` (printf-style widths), augmented assignments of the same;
- f-strings (format widths and precisions, the printed size of each value and of the result);
- ``str(x)``, ``sum(...)`` (numbers only), ``range(...)``;
- size-taking methods: ``ljust/rjust/center/zfill/expandtabs/join/replace/translate`` of str and
  bytes, ``int.to_bytes``, ``list.extend``.

The same functions fold constants at deploy time, so ``'a' * 2_000_000_000`` in an uploaded BPMN
is refused with the same message as at run time.  An expression also has a CPU budget
(:func:`cpu_budget`), checked by every guarded operation and after every call and comparison.

This module imports only the standard library: the script worker process loads it on its own.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

#: Largest integer a guarded operation may produce, in bits (Python itself refuses to print an
#: integer of more than 4,300 decimal digits, about 14,300 bits).
MAX_INT_BITS = 65_536
#: Largest value a guarded operation may produce, as an estimate of its printed size in
#: characters (a string of a million characters, a list of about 300,000 small numbers).
MAX_SIZE = 1_000_000
#: Widest field or precision in a format (``f"{x:>1000}"``, ``"%1000d"``).
MAX_FORMAT_WIDTH = 1_000
#: Longest ``range``.
MAX_RANGE = 100_000


class SandboxError(Exception):
    """A script or expression refused by the sandbox or failing in it (message in Chinese)."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LimitExceeded(SandboxError):
    """A size, CPU or memory limit: refused before the operation, or the run stopped."""


# CPU budget of an in-process evaluation ---------------------------------------------------------
_budget: ContextVar[tuple[float, int] | None] = ContextVar("sandbox_cpu_budget", default=None)


def cpu_budget_message(cpu_ms: int, what: str = "表达式") -> str:
    return f"{what}运行超过 CPU 时间限制（{cpu_ms} 毫秒），已终止"


@contextmanager
def cpu_budget(cpu_ms: int) -> Iterator[None]:
    """Limit the current thread's CPU time for the block (checked by the guarded operations)."""
    token = _budget.set((time.thread_time() + cpu_ms / 1000, cpu_ms))
    try:
        yield
    finally:
        _budget.reset(token)


def check_budget() -> None:
    budget = _budget.get()
    if budget is not None and time.thread_time() > budget[0]:
        raise LimitExceeded(cpu_budget_message(budget[1]))


def tick(value: Any) -> Any:
    """Inserted after every call and comparison of an expression: stops a long chain of them."""
    check_budget()
    return value


# Sizes ------------------------------------------------------------------------------------------
def too_big(size: int | str) -> LimitExceeded:
    return LimitExceeded(f"运算结果过大（约 {size} 个字符或元素，上限 {MAX_SIZE}），已拒绝")


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise LimitExceeded(
            f"运算结果过大（整数约 {bits} 位二进制，上限 {MAX_INT_BITS} 位），已拒绝"
        )


def _check_size(size: int) -> None:
    if size > MAX_SIZE:
        raise too_big(size)


def printed_size(obj: Any, limit: int = MAX_SIZE) -> int:
    """An estimate of ``len(repr(obj))``, counting shared references each time they print.

    The walk stops as soon as the estimate passes ``limit`` (every item pushed has already added
    to the total), so its cost is bounded by ``limit`` whatever ``obj`` is.
    """
    total = 0
    stack = [obj]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bytes:
            total += len(item) + 2
        elif kind is int:
            total += item.bit_length() // 3 + 1
        elif kind is list or kind is tuple or kind is set or kind is frozenset:
            total += 2 + 2 * len(item)
            if total <= limit:
                stack.extend(item)
        elif kind is dict:
            total += 2 + 4 * len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        else:
            total += 16
        if total > limit:
            return total
    return total


def check_printable(value: Any) -> None:
    """Refuse turning ``value`` into text when the text would be too large."""
    kind = type(value)
    if kind is str or kind is float or kind is bool or value is None:
        return
    if kind is int:
        _check_bits(value.bit_length())
        return
    _check_size(printed_size(value))


_SEQUENCES = (str, bytes, list, tuple)


def _check_repeat(seq: Any, times: Any) -> None:
    if not isinstance(times, int) or times <= 0 or not seq:
        return
    _check_size(len(seq) * times)
    if isinstance(seq, list | tuple):
        limit = MAX_SIZE // times
        _check_size(printed_size(seq, limit) * times)


# Operators ----------------------------------------------------------------------------------------
def mul(a: Any, b: Any) -> Any:
    check_budget()
    if isinstance(a, int) and isinstance(b, int):
        if a and b:
            _check_bits(a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQUENCES):
        _check_repeat(a, b)
    elif isinstance(b, _SEQUENCES):
        _check_repeat(b, a)
    return a * b


def lshift(a: Any, b: Any) -> Any:
    check_budget()
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _check_bits(a.bit_length() + b)
    return a << b


def add(a: Any, b: Any) -> Any:
    check_budget()
    if isinstance(a, int) and isinstance(b, int):
        _check_bits(max(a.bit_length(), b.bit_length()) + 1)
    elif isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_size(len(a) + len(b))
    return a + b


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?.", re.DOTALL)


def _check_percent(fmt: str | bytes, args: Any) -> None:
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    budget = len(text)
    for match in _PERCENT.finditer(text):
        for number in match.groups():
            if number == "*":
                raise LimitExceeded("格式化不允许用 * 指定宽度或精度")
            if number and int(number) > MAX_FORMAT_WIDTH:
                raise LimitExceeded(f"格式宽度或精度过大（{number}，上限 {MAX_FORMAT_WIDTH}）")
            if number:
                budget += int(number)
    if isinstance(args, dict):
        values = list(args.values())
    else:
        values = list(args) if isinstance(args, tuple) else [args]
    for value in values:
        check_printable(value)
        budget += printed_size(value)
    _check_size(budget)


def mod(a: Any, b: Any) -> Any:
    check_budget()
    if isinstance(a, str | bytes):
        _check_percent(a, b)
    return a % b


INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": add,
    "-=": lambda a, b: a - b,
    "*=": mul,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": mod,
}


def inplacevar(op: str, x: Any, y: Any) -> Any:
    """RestrictedPython's hook for ``x op= y`` (the policy refuses other operators at compile)."""
    if op not in INPLACE:
        raise SandboxError(f"不支持的运算 {op}")
    return INPLACE[op](x, y)


# f-strings ----------------------------------------------------------------------------------------
_FORMAT_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d+)?[_,]?(?:\.(\d+))?[bcdeEfFgGnosxX%]?", re.DOTALL
)


def check_format_spec(spec: str) -> None:
    match = _FORMAT_SPEC.fullmatch(spec)
    if match is None:
        raise LimitExceeded(f"格式说明 {spec[:40]!r} 无效")
    for number in match.groups():
        if number and int(number) > MAX_FORMAT_WIDTH:
            raise LimitExceeded(f"格式宽度或精度过大（{number}，上限 {MAX_FORMAT_WIDTH}）")


def fstring(*parts: Any) -> str:
    """``f"..."``: constant parts come as str, each ``{value!conversion:spec}`` as a tuple."""
    check_budget()
    out = []
    total = 0
    for part in parts:
        if type(part) is str:
            text = part
        else:
            value, conversion, spec = part
            check_printable(value)
            if conversion == ord("r"):
                value = repr(value)
            elif conversion == ord("a"):
                value = ascii(value)
            elif conversion == ord("s"):
                value = str(value)
            check_format_spec(spec)
            text = format(value, spec)
        total += len(text)
        _check_size(total)
        out.append(text)
    return "".join(out)


# Builtins -----------------------------------------------------------------------------------------
class _StrType(type):
    def __call__(cls, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        check_budget()
        if len(args) == 1 and not kwargs:
            check_printable(args[0])
        return str(*args, **kwargs)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, str)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, str)


class SafeStr(str, metaclass=_StrType):
    """``str`` as scripts see it: ``str(x)`` checks the printed size of ``x`` first;
    ``isinstance(x, str)`` and ``str.join`` behave as usual."""


def safe_sum(iterable: Any, start: Any = 0) -> Any:
    """``sum`` of numbers only (``sum(lists, [])`` is a quadratic copy inside one C call)."""
    check_budget()
    if isinstance(start, bool) or not isinstance(start, int | float):
        raise LimitExceeded("sum 只能对数字求和")
    return sum(iterable, start)


def limited_range(*args: int) -> range:
    check_budget()
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise LimitExceeded(f"range 范围过大（上限 {MAX_RANGE}）")
    return r


# Methods that take a size -------------------------------------------------------------------------
def _width(self: Any, width: Any = 0, *args: Any) -> None:
    if isinstance(width, int):
        _check_size(max(width, 0))


def _expandtabs(self: Any, tabsize: Any = 8) -> None:
    if isinstance(tabsize, int) and tabsize > 0:
        tab = "\t" if isinstance(self, str) else b"\t"
        _check_size(len(self) + self.count(tab) * tabsize)


def _join(self: Any, iterable: Any) -> tuple[Any, ...]:
    items = list(itertools.islice(iter(iterable), MAX_SIZE + 1))
    _check_size(len(items))
    size = len(self) * max(len(items) - 1, 0)
    for item in items:
        size += len(item) if isinstance(item, str | bytes) else 0
    _check_size(size)
    return (items,)


def _replace(self: Any, old: Any, new: Any, count: Any = -1) -> None:
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return
    if len(new) <= len(old):
        return
    found = self.count(old) if old else len(self) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    _check_size(len(self) + found * (len(new) - len(old)))


def _translate(self: Any, table: Any) -> None:
    if not isinstance(self, str):
        return
    values = table.values() if isinstance(table, dict) else table if isinstance(table, list) else []
    longest = max((len(v) for v in values if isinstance(v, str)), default=1)
    _check_size(len(self) * max(longest, 1))


def _to_bytes(self: Any, length: Any = 1, *args: Any, **kwargs: Any) -> None:
    if isinstance(length, int):
        _check_size(length)


def _extend(self: Any, iterable: Any) -> tuple[Any, ...]:
    if hasattr(iterable, "__len__"):
        _check_size(len(self) + len(iterable))
        return (iterable,)
    items = list(itertools.islice(iter(iterable), MAX_SIZE - len(self) + 1))
    _check_size(len(self) + len(items))
    return (items,)


_TEXT_METHODS: dict[str, Callable[..., Any]] = {
    "center": _width,
    "ljust": _width,
    "rjust": _width,
    "zfill": _width,
    "expandtabs": _expandtabs,
    "join": _join,
    "replace": _replace,
    "translate": _translate,
}
METHOD_GUARDS: dict[type, dict[str, Callable[..., Any]]] = {
    str: _TEXT_METHODS,
    bytes: _TEXT_METHODS,
    int: {"to_bytes": _to_bytes},
    list: {"extend": _extend},
}


def _guarded_call(method: Callable[..., Any], check: Callable[..., Any], *args: Any, **kw: Any):
    check_budget()
    if args:
        replaced = check(*args, **kw)
        if replaced is not None:  # an iterator was consumed by the check: pass the items on
            args = (args[0], *replaced, *args[2:])
    return method(*args, **kw)


def guard_method(obj: Any, name: str, value: Any) -> Any:
    """The attribute ``value`` of ``obj``, wrapped when it is a method that takes a size."""
    for kind, checks in METHOD_GUARDS.items():
        check = checks.get(name)
        if check is None:
            continue
        if isinstance(obj, type) and issubclass(obj, kind):  # str.ljust(s, n): unbound
            return partial(_guarded_call, getattr(kind, name), check)
        if isinstance(obj, kind):
            return partial(_guarded_call, getattr(kind, name), check, obj)
    return value

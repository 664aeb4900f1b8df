"""Hardened BPMN parsing and the SpiffWorkflow objects built from it.

The bytes are parsed here, never by SpiffWorkflow: lxml with entity resolution, DTD loading and
network access off; any DOCTYPE (the carrier of external entities and entity-expansion bombs)
is refused before parsing; a size limit applies.  The resulting tree is handed to
``SpiffBpmnParser.add_bpmn_xml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR as SPIFF_VALIDATOR  # noqa: F401
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from webapp.core import clock
from webapp.engine.plain_words import xml_syntax

#: Default size limit of one BPMN file.
MAX_BPMN_BYTES = 2 * 1024 * 1024

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

_DOCTYPE_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class BpmnRejected(ValueError):
    """The bytes are not an acceptable BPMN document (message in Chinese)."""


class BpmnHostile(BpmnRejected):
    """Refused as an attack, not a mistake: oversize, a DOCTYPE or entity declaration."""


def parse_xml(content: bytes, *, max_bytes: int = MAX_BPMN_BYTES) -> Any:
    """Parse BPMN bytes safely into an lxml element; raise BpmnRejected otherwise."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if len(content) > max_bytes:
        raise BpmnHostile(f"BPMN 文件过大（{len(content)} 字节，上限 {max_bytes} 字节）")
    probe = content
    if probe.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: look at the decoded text too
        probe = content.decode("utf-16", errors="ignore").encode("utf-8")
    if _DOCTYPE_RE.search(probe):
        raise BpmnHostile("BPMN 文件不得包含 DOCTYPE 或实体声明（出于安全原因拒绝）")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise BpmnRejected(xml_syntax(exc)) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise BpmnHostile("BPMN 文件不得包含 DOCTYPE 或实体声明（出于安全原因拒绝）")
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        raise BpmnRejected("不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")
    return root


def hostile_bpmn(content: bytes) -> str | None:
    """Why ``content`` is refused as an attack (oversize, a DOCTYPE or entity), else None; any
    other problem is a mistake, reported by validation with the rest."""
    try:
        parse_xml(content)
    except BpmnHostile as exc:
        return str(exc)
    except BpmnRejected:
        return None
    return None


@dataclass
class ParsedBpmn:
    """The specs of one BPMN document: the top process and the processes it calls."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any] = field(default_factory=dict)
    root: Any = None


def executable_process_ids(root: Any) -> list[str]:
    ids = []
    for proc in root.iterfind(f"{{{BPMN_NS}}}process"):
        if proc.get("isExecutable", "true").lower() == "true" and proc.get("id"):
            ids.append(proc.get("id"))
    return ids


def connect_loop_merges(spec: Any) -> None:
    """Connect each loop or multi-instance task to the completion of its instances, as
    SpiffWorkflow's spec deserializer does.

    SpiffWorkflow merges a finished instance into its multi-instance parent (output collection,
    "all done") through the ``completed_event`` signal of the instance's spec, which it connects
    only when it creates the instances or deserializes a spec.  The engine keeps parsed specs per
    server process and serializes states without them: without this, a process that did not
    create the instances (another web process, the server after a restart) completed them
    without merging, and the multi-instance never ended (the year's assessment stalled at
    考核评分 with no open task)."""
    for task_spec in list(spec.task_specs.values()):
        if isinstance(task_spec, LoopTask):
            child = spec.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


def build_specs(root: Any, filename: str = "<bpmn>", process_id: str | None = None) -> ParsedBpmn:
    """Run SpiffWorkflow's parser over an already safely parsed tree."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(root, filename=filename)
    ids = executable_process_ids(root)
    if process_id is None:
        if len(ids) != 1:
            raise BpmnRejected("BPMN 文件须恰好包含一个可执行流程（isExecutable=true）")
        process_id = ids[0]
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    for each in (spec, *subprocess_specs.values()):
        connect_loop_merges(each)
    proc = root.find(f"{{{BPMN_NS}}}process[@id='{process_id}']")
    name = (proc.get("name") if proc is not None else None) or process_id
    return ParsedBpmn(process_id, name, spec, subprocess_specs, root)


# The clock: SpiffWorkflow's timers call datetime.now() directly.  Point them at the
# application clock (tests freeze it) and read naive timer values in the users' time zone.
class _ClockDatetime(datetime):
    #: Where "now" comes from (the timer worker steps it through overdue due times).
    now_source: Callable[[], datetime] = staticmethod(clock.now)

    @classmethod
    def now(cls, tz: Any = None) -> _ClockDatetime:  # type: ignore[override]
        current = cls.now_source()
        value = current.astimezone(tz) if tz is not None else current.astimezone(clock.LOCAL_TZ)
        if tz is None:
            value = value.replace(tzinfo=None)
        return cls.fromisoformat(value.isoformat())


def install_clock() -> None:
    _timer_module.datetime = _ClockDatetime  # type: ignore[misc]
    offset = clock.LOCAL_TZ.utcoffset(datetime(2000, 1, 1)) or timedelta(0)
    _timer_module.LOCALTZ = timezone(offset)


@dataclass(frozen=True)
class TimerRules:
    """Bounds of a cycle timer (``R<n>/<interval>``): a cycle that fires every second without
    end grows its instance's state without bound and keeps the timer worker busy."""

    #: Shortest interval between two firings (setting HQR_TIMER_MIN_CYCLE_MINUTES).
    min_interval: timedelta = timedelta(hours=1)
    #: Most firings (setting HQR_TIMER_MAX_REPETITIONS); ``R/...`` (no count) is unbounded.
    max_repetitions: int = 100

    @classmethod
    def from_config(cls) -> TimerRules:
        from flask import current_app, has_app_context

        if not has_app_context():
            return cls()
        config = current_app.config
        return cls(
            min_interval=timedelta(minutes=config.get("TIMER_MIN_CYCLE_MINUTES", 60)),
            max_repetitions=config.get("TIMER_MAX_REPETITIONS", 100),
        )


def _minutes(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:g} 分钟" if minutes < 120 else f"{minutes / 60:g} 小时"


#: The longest timer duration (or cycle interval), in days.  SpiffWorkflow turns a duration's
#: years and months into days one calendar month at a time: "P999999999Y" held the request
#: that validated it (and the timer's start) for hours, "P100000Y" overflowed the date when
#: the timer started.  Nothing in the reporting calendar waits ten years.
MAX_TIMER_DAYS = 3660
_DAYS_PER = {"years": 366, "months": 31, "weeks": 7, "days": 1}
_DAYS_PER_TIME = {"hours": 24, "minutes": 24 * 60, "seconds": 24 * 3600}


def _duration_problem(value: str, part: str, *, cycle: bool) -> str | None:
    """Why one ISO 8601 duration (``P…``, also a cycle's interval) may not be used, else None.
    Read with SpiffWorkflow's own duration parser, bounded before anything adds months up."""
    try:
        parsed = TimerEventDefinition.parse_iso_duration(part)
    except Exception:
        return f"定时器表达式 {value!r} 不是有效的 ISO 8601 日期、时长或周期"
    days = sum(parsed.get(k, 0) * n for k, n in _DAYS_PER.items())
    days += sum(parsed.get(k, 0) / n for k, n in _DAYS_PER_TIME.items())
    if days > MAX_TIMER_DAYS:
        return f"定时器时长 {value!r} 超过上限 {MAX_TIMER_DAYS} 天（约十年）"
    if days <= 0 and not cycle:  # a cycle's interval is held to its own lower bound
        return (
            f"定时器时长 {value!r} 为零：流程一到这里就会立即触发"
            '（提醒、办理期限的时长应大于零，如 "P3D"）'
        )
    return None


def check_timer_value(
    value: Any, rules: TimerRules | None = None, *, cycle: bool = False
) -> str | None:
    """Chinese problem text when a timer value is not acceptable ISO 8601, else None.

    ``cycle``: the value of a ``timeCycle`` (it must be ``R<n>/...``); any cycle is held to
    ``rules`` (bounded repetitions, a minimum interval).  A duration (alone or as a cycle's
    interval) is bounded by ``MAX_TIMER_DAYS`` before SpiffWorkflow computes it, and a duration
    of zero is refused (a reminder or deadline that fires the moment it starts).
    """
    if not isinstance(value, str):
        return '定时器表达式的值应为 ISO 8601 字符串（如 "P3D"，注意引号）'
    text = value.strip()
    if cycle and not text.upper().startswith("R"):
        return f"定时器周期 {value!r} 应写成“R次数/间隔”（如 R10/P1D）"
    if text.startswith("-"):
        return f'定时器时长 {value!r} 不能为负数（到期提醒、办理期限应写成如 "P3D"）'
    for part in text.split("/"):
        if part.upper().startswith("P"):
            problem = _duration_problem(value, part, cycle=cycle)
            if problem:
                return problem
    try:
        if text.upper().startswith("R"):
            cycles, _start, interval = TimerEventDefinition.parse_iso_recurring_interval(text)
        else:
            TimerEventDefinition.parse_time_or_duration(text)
            return None
    except Exception:
        return f"定时器表达式 {value!r} 不是有效的 ISO 8601 日期、时长或周期"
    rules = rules or TimerRules()
    if cycles < 0:
        return (
            f"定时器周期 {value!r} 没有重复次数上限（应写成“R次数/间隔”，"
            f"次数不超过 {rules.max_repetitions}）"
        )
    if cycles > rules.max_repetitions:
        return f"定时器周期 {value!r} 重复 {cycles} 次，超过上限 {rules.max_repetitions} 次"
    if interval < rules.min_interval:
        return (
            f"定时器周期 {value!r} 的间隔短于下限 {_minutes(rules.min_interval)}"
            "（过密的周期会让流程数据无限增长）"
        )
    return None


def check_timer_kind(value: str, *, date: bool) -> str | None:
    """Chinese problem text when an acceptable literal is the wrong kind for its element, else
    None: a ``timeDate`` must be a date in the future (a past date fires the moment the flow
    arrives, like a zero duration; a duration there fails when the timer starts), a
    ``timeDuration`` a duration (SpiffWorkflow cannot read a date as one)."""
    text = value.strip()
    duration = text.upper().startswith("P")
    if not date:
        if duration:
            return None
        return (
            f'定时器时长 {value!r} 不是时长（应写成如 "P3D"）；'
            "要在某个日期触发，请把定时器类型改为“日期”"
        )
    if duration:
        return (
            f"定时器日期 {value!r} 是一个时长，不是日期；"
            "要在一段时间后触发，请把定时器类型改为“时长”"
        )
    try:
        due = TimerEventDefinition.get_datetime(text)
    except Exception:
        return None  # a week date (2026-W10): read by SpiffWorkflow as it is
    if due <= clock.now():
        shown = due.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        return (
            f"定时器日期 {value!r}（{shown}）已经过去：流程一到这里就会立即触发"
            '（请填写将来的日期，或改用时长，如 "P3D"）'
        )
    return None

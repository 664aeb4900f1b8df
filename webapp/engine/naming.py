"""What a task or an instance is called on screen: its step, what it is about, its unit.

"填报数据 · 2026年第一季度 · 中原区" — the feature registers how its instances read
(``register_subject_label``), so no business key (``report:410102:2026Q1``) is ever shown.
"""

from __future__ import annotations

import re

from webapp.engine.models import HumanTask, ProcessInstance
from webapp.engine.registry import SUBJECT_LABELS

#: A step's name without its parenthesised detail: "填报数据（附表1–6/7）" → "填报数据".
_DETAIL = re.compile(r"（[^（）]*）$")


def subject_label(instance: ProcessInstance) -> str:
    """What the instance is about in words ("2026年第一季度"), '' when its process says nothing."""
    label = SUBJECT_LABELS.get(instance.process_key)
    return label(instance) if label is not None else ""


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def step_name(task: HumanTask) -> str:
    return _DETAIL.sub("", task.name) or task.name


def subject_title(instance: ProcessInstance) -> str:
    """ "2026年第一季度 · 中原区": what the instance is about and its unit (notices, the
    audit's names, the instance pages)."""
    return _join(subject_label(instance), instance.org.name)


def task_title(task: HumanTask) -> str:
    """ "填报数据 · 2026年第一季度 · 中原区": the step, what the instance is about, its unit."""
    instance = task.instance
    return _join(step_name(task), subject_label(instance), instance.org.name)


def instance_title(instance: ProcessInstance) -> str:
    """ "工程质量分析报告（季度/年度） · 2026年第一季度 · 中原区"."""
    return _join(instance.definition.name, subject_label(instance), instance.org.name)

"""Every script, expression and timer of a BPMN document, found by walking its XML.

SpiffWorkflow only parses the elements a sequence flow reaches, so a script task standing alone
in the diagram (``import os``, a CPU bomb) would never be compiled by validating the specs.  This
walk finds each source in the XML itself and compiles it with the run's policy; nothing is ever
evaluated: a timer's value is read only when it is a literal string.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from lxml import etree

from webapp.engine import sandbox
from webapp.engine.parsing import (
    BPMN_NS,
    SPIFF_NS,
    TimerRules,
    check_timer_kind,
    check_timer_value,
)

#: XML element → (kind, what it is called in a message).
_SOURCES: dict[str, tuple[str, str]] = {
    f"{{{BPMN_NS}}}script": ("script", "脚本"),
    f"{{{SPIFF_NS}}}preScript": ("script", "前置脚本"),
    f"{{{SPIFF_NS}}}postScript": ("script", "后置脚本"),
    f"{{{BPMN_NS}}}conditionExpression": ("expression", "网关条件"),
    f"{{{BPMN_NS}}}timeDate": ("date", "定时器表达式"),
    f"{{{BPMN_NS}}}timeDuration": ("timer", "定时器表达式"),
    f"{{{BPMN_NS}}}timeCycle": ("cycle", "定时器周期表达式"),
    f"{{{SPIFF_NS}}}messagePayload": ("expression", "消息内容表达式"),
    f"{{{BPMN_NS}}}loopCardinality": ("expression", "多实例数量表达式"),
    f"{{{BPMN_NS}}}completionCondition": ("expression", "多实例完成条件"),
    f"{{{BPMN_NS}}}condition": ("expression", "条件事件表达式"),
}
_RETRIEVAL = f"{{{BPMN_NS}}}correlationPropertyRetrievalExpression"
_PARAMETER = f"{{{SPIFF_NS}}}parameter"
_SEQUENCE_FLOW = f"{{{BPMN_NS}}}sequenceFlow"
#: Wrappers between a source and the element it belongs to.
_WRAPPERS = {"extensionElements", "serviceTaskOperator", "parameters", "conditionalEventDefinition"}


def owner_of(element: Any) -> str | None:
    """The id of the flow element a source belongs to (a condition: its gateway)."""
    node = element.getparent()
    while node is not None:
        local = etree.QName(node).localname
        if node.tag == _SEQUENCE_FLOW:
            return node.get("sourceRef") or node.get("id")
        if node.get("id") and not local.endswith("EventDefinition") and local not in _WRAPPERS:
            if not local.endswith("LoopCharacteristics"):
                return node.get("id")
        node = node.getparent()
    return None


def sources(root: Any) -> Iterator[tuple[Any, str, str, str | None]]:
    """(element, kind, label, source text) for every source in the document."""
    for element in root.iter(etree.Element):
        if element.tag in _SOURCES:
            kind, label = _SOURCES[element.tag]
            yield element, kind, label, element.text
        elif element.tag == _PARAMETER:
            yield element, "expression", f"服务参数 {element.get('id')}", element.get("value")
        elif (
            etree.QName(element).localname == "formalExpression"
            and element.getparent() is not None
            and element.getparent().tag == _RETRIEVAL
        ):
            yield element, "expression", "消息关联表达式", element.text


def _literal(source: str) -> Any:
    """The value of a source that is a literal (``"P3D"``); None otherwise (a variable)."""
    try:
        node = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return None
    return node.value if isinstance(node, ast.Constant) else None


def check_sources(root: Any, rules: TimerRules) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    for element, kind, label, source in sources(root):
        owner = owner_of(element)
        blank = source is None or not source.strip()
        if blank:
            if kind != "script":
                problems.append((owner, f"{label}为空"))
            continue
        try:
            if kind == "script":
                sandbox.compile_script(source)
            else:
                sandbox.compile_expression(source)
        except sandbox.SandboxError as exc:
            where = f"（第 {exc.line} 行）" if exc.line and kind == "script" else ""
            problems.append((owner, f"{label}被沙箱拒绝{where}：{exc.message}"))
            continue
        if kind in ("timer", "date", "cycle"):
            value = _literal(source)
            if value is not None:
                problem = check_timer_value(value, rules, cycle=kind == "cycle")
                if problem is None and kind != "cycle" and isinstance(value, str):
                    problem = check_timer_kind(value, date=kind == "date")
                if problem:
                    problems.append((owner, problem))
    return problems

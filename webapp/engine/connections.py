"""Flow elements that no sequence flow reaches or leaves.

SpiffWorkflow builds its specs by following sequence flows from the start events: an element
with no incoming flow is never parsed, so nothing about it is checked, and it never runs.  Such
an element is a modelling mistake (or a place to hide a script), so the upload refuses it.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from webapp.engine.parsing import BPMN_NS

_ACTIVITIES = {
    "task",
    "userTask",
    "serviceTask",
    "scriptTask",
    "manualTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
}
_GATEWAYS = {
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}
_EVENTS = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
}
_CONTAINERS = {"process", "subProcess", "transaction"}


def _local(element: Any) -> str:
    return etree.QName(element).localname


def _needs(element: Any, local: str) -> tuple[bool, bool]:
    """(needs an incoming flow, needs an outgoing flow)."""
    links = element.find(f"{{{BPMN_NS}}}linkEventDefinition") is not None
    if local == "startEvent" or local == "boundaryEvent":
        return False, True
    if local == "endEvent":
        return True, False
    if local == "intermediateCatchEvent" and links:
        return False, True
    if local == "intermediateThrowEvent" and links:
        return True, False
    return True, True


def check_connections(root: Any) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    for container in root.iter(etree.Element):
        if etree.QName(container).namespace != BPMN_NS or _local(container) not in _CONTAINERS:
            continue
        flows = container.findall(f"{{{BPMN_NS}}}sequenceFlow")
        sources = {f.get("sourceRef") for f in flows}
        targets = {f.get("targetRef") for f in flows}
        for element in container:
            if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN_NS:
                continue
            local = _local(element)
            if local not in _ACTIVITIES | _GATEWAYS | _EVENTS:
                continue
            if "true" in (element.get("triggeredByEvent"), element.get("isForCompensation")):
                continue  # an event subprocess or a compensation handler has no flows
            element_id = element.get("id")
            needs_in, needs_out = _needs(element, local)
            missing = []
            if needs_in and element_id not in targets:
                missing.append("连入")
            if needs_out and element_id not in sources:
                missing.append("连出")
            if missing:
                label = element.get("name") or element_id
                problems.append(
                    (
                        element_id,
                        f"流程元素“{label}”没有{'和'.join(missing)}的顺序流"
                        "（未连接的元素不会被执行，请连接或删除）",
                    )
                )
    return problems

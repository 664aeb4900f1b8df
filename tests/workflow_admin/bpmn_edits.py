"""Edits of the real quarterly_report.bpmn that an administrator would make in the modeler."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DC = "http://www.omg.org/spec/DD/20100524/DC"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


#: A small, stable stand-in for workflows/quarterly_report.bpmn (same process id, simpler flow:
#: 填报 clerk → 本单位审核 reviewer → 上级接收 reviewer@parent): the administration is generic,
#: and these tests walk instances through it without the report feature's data and checks.
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "quarterly_report.bpmn"


def quarterly() -> bytes:
    return FIXTURE.read_bytes()


def with_leader_step(content: bytes | None = None) -> bytes:
    """quarterly_report with 分管领导审核 (lane 分管领导 leader@self) after 本单位审核."""
    root = etree.fromstring(content or quarterly())
    proc = root.find(_q(BPMN, "process"))
    lane_set = proc.find(_q(BPMN, "laneSet"))
    lane = etree.SubElement(
        lane_set, _q(BPMN, "lane"), id="Lane_leader", name="分管领导 leader@self"
    )
    etree.SubElement(lane, _q(BPMN, "flowNodeRef")).text = "leader_review"
    task = etree.SubElement(proc, _q(BPMN, "userTask"), id="leader_review", name="分管领导审核")
    ext = etree.SubElement(task, _q(BPMN, "extensionElements"))
    props = etree.SubElement(ext, _q(SPIFF, "properties"))
    for name, value in (
        ("formKey", "generic.approval"),
        ("outcomes", "approve:同意,return:退回"),
        ("status", "awaiting_approval"),
    ):
        etree.SubElement(props, _q(SPIFF, "property"), name=name, value=value)
    etree.SubElement(task, _q(BPMN, "incoming")).text = "f_review"
    etree.SubElement(task, _q(BPMN, "outgoing")).text = "f_leader"
    flow = proc.find(f"{_q(BPMN, 'sequenceFlow')}[@id='f_review']")
    flow.set("targetRef", "leader_review")
    etree.SubElement(
        proc,
        _q(BPMN, "sequenceFlow"),
        id="f_leader",
        sourceRef="leader_review",
        targetRef="gw_review",
    )
    gw = proc.find(f"{_q(BPMN, 'exclusiveGateway')}[@id='gw_review']")
    gw.find(_q(BPMN, "incoming")).text = "f_leader"
    plane = root.find(f".//{_q(BPMNDI, 'BPMNPlane')}")
    if plane is not None:
        shape = etree.SubElement(
            plane, _q(BPMNDI, "BPMNShape"), id="leader_review_di", bpmnElement="leader_review"
        )
        etree.SubElement(shape, _q(DC, "Bounds"), x="470", y="520", width="100", height="80")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def without_step(element_id: str, content: bytes | None = None) -> bytes:
    """Remove a user task, connecting its incoming flows straight to its successor."""
    root = etree.fromstring(content or quarterly())
    proc = root.find(_q(BPMN, "process"))
    task = proc.find(f"*[@id='{element_id}']")
    out_flow = proc.find(f"{_q(BPMN, 'sequenceFlow')}[@sourceRef='{element_id}']")
    target = out_flow.get("targetRef")
    for flow in proc.findall(f"{_q(BPMN, 'sequenceFlow')}[@targetRef='{element_id}']"):
        flow.set("targetRef", target)
    target_el = proc.find(f"*[@id='{target}']")
    for inc in target_el.findall(_q(BPMN, "incoming")):
        if inc.text == out_flow.get("id"):
            target_el.remove(inc)
    for inc in task.findall(_q(BPMN, "incoming")):
        etree.SubElement(target_el, _q(BPMN, "incoming")).text = inc.text
    proc.remove(task)
    proc.remove(out_flow)
    for ref in root.iter(_q(BPMN, "flowNodeRef")):
        if ref.text == element_id:
            ref.getparent().remove(ref)
    for di in root.iter(_q(BPMNDI, "BPMNShape"), _q(BPMNDI, "BPMNEdge")):
        if di.get("bpmnElement") in (element_id, out_flow.get("id")):
            di.getparent().remove(di)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

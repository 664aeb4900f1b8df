"""Every deploy refusal is Chinese: lxml's, RestrictedPython's and SpiffWorkflow's English never
reaches the administrator (the XML refusal used to append ``Opening and ending tag mismatch: …``);
the common XML mistakes are named with their line and column.  Also the timer literals that
would fire at once or fail when the timer starts."""

from __future__ import annotations

import re

import pytest

from tests.engine.test_deploy_checks import with_extra
from webapp.engine import validate_bpmn

#: Two English words in a row: library prose ("tag mismatch", "invalid syntax", "is not").
ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}")
HEAD = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D">'
)

XML_CASES = {
    "mismatch": (HEAD + "<bpmn:process></bpmn:task></bpmn:definitions>", "不对应"),
    "unclosed": (HEAD + '<bpmn:process id="p">', "闭合之前就结束"),
    "bad character": (HEAD + "\x01</bpmn:definitions>", "不允许的字符"),
    "empty": ("", "文件为空"),
    "ampersand": (
        HEAD + "<bpmn:documentation>A & B</bpmn:documentation></bpmn:definitions>",
        "&amp;",
    ),
    "undeclared prefix": (HEAD + "<foo:bar/></bpmn:definitions>", "命名空间前缀 foo"),
    "unquoted attribute": (HEAD + "<bpmn:process id=p/></bpmn:definitions>", "引号"),
    "two roots": (HEAD + "</bpmn:definitions><x/>", "多余的内容"),
}


@pytest.mark.parametrize(("xml", "words"), XML_CASES.values(), ids=XML_CASES.keys())
def test_xml_mistakes_are_named_in_chinese_with_line_and_column(xml, words):
    [problem] = validate_bpmn(xml.encode())
    assert problem.message.startswith("XML 格式错误：")
    assert words in problem.message
    assert re.search(r"第 \d+ 行第 \d+ 列", problem.message)
    assert not ENGLISH.search(problem.message), problem.message


def _condition(expression: str) -> bytes:
    return with_extra(
        '<bpmn:sequenceFlow id="c" sourceRef="start" targetRef="end">'
        f"<bpmn:conditionExpression>{expression}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def _script(script: str) -> bytes:
    return with_extra(
        f'<bpmn:scriptTask id="s"><bpmn:incoming>x</bpmn:incoming><bpmn:script>{script}'
        "</bpmn:script></bpmn:scriptTask>"
    )


SOURCE_CASES = {
    "incomplete comparison": (_condition("outcome =="), "语法"),
    "unclosed bracket": (_condition("len(comment"), "括号 ( 没有闭合"),
    "single equals": (_condition('outcome = "x"'), "语法"),
    "underscore name": (_condition("_secret"), "下划线"),
    "dunder attribute": (_condition("comment.__class__"), "下划线"),
    "exponent": (_condition("2 ** 8"), "乘方"),
    "forbidden name": (_condition("open"), "不允许使用 open"),
    "script syntax": (_script("x = (1,\ny = 2"), "语法"),
    "script async": (_script("async def f():\n    pass"), "异步"),
    "unterminated string": (_script("x = 'abc"), "引号"),
}


@pytest.mark.parametrize(("content", "words"), SOURCE_CASES.values(), ids=SOURCE_CASES.keys())
def test_sandbox_refusals_are_chinese(content, words):
    messages = [p.message for p in validate_bpmn(content)]
    assert any(words in m for m in messages), messages
    for message in messages:
        assert not ENGLISH.search(message), message


def _process(body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{HEAD}<bpmn:process id="p" isExecutable="true">{body}</bpmn:process></bpmn:definitions>""".encode()


SPIFF_CASES = {
    "flow without condition": (
        _process(
            '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:exclusiveGateway id="gw" name="判断" default="f2"><bpmn:incoming>f1'
            "</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing>"
            '</bpmn:exclusiveGateway><bpmn:endEvent id="e1"><bpmn:incoming>f2</bpmn:incoming>'
            '</bpmn:endEvent><bpmn:endEvent id="e2"><bpmn:incoming>f3</bpmn:incoming>'
            '</bpmn:endEvent><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="e1"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="e2"/>'
        ),
        "缺少条件",
    ),
    "call of a missing process": (
        _process(
            '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:callActivity id="call" name="调用" calledElement="nowhere">'
            "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
            '</bpmn:callActivity><bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming>'
            '</bpmn:endEvent><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end"/>'
        ),
        "BPMN 解析错误",
    ),
    "service task without operation": (
        _process(
            '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:serviceTask id="svc" name="服务"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask><bpmn:endEvent id="end">'
            "<bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>"
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="svc"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="svc" targetRef="end"/>'
        ),
        "服务",
    ),
}


@pytest.mark.parametrize(("content", "words"), SPIFF_CASES.values(), ids=SPIFF_CASES.keys())
def test_spiffworkflow_parse_errors_are_chinese(content, words):
    messages = [p.message for p in validate_bpmn(content)]
    assert any(words in m for m in messages), messages
    for message in messages:
        assert not ENGLISH.search(message), message


def _timer(tag: str, value: str) -> list[str]:
    content = with_extra(
        f'<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition><bpmn:{tag}>{value}'
        f"</bpmn:{tag}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    return [p.message for p in validate_bpmn(content) if p.element_id == "t"]


@pytest.mark.parametrize(
    ("tag", "value", "words"),
    [
        ("timeDate", '"2020-01-01T08:00:00+08:00"', "已经过去"),
        ("timeDate", '"2001-05-01"', "已经过去"),
        ("timeDate", '"P3D"', "是一个时长"),
        ("timeDuration", '"2099-01-01T00:00:00+08:00"', "不是时长"),
    ],
)
def test_timer_literals_that_would_fire_at_once_or_fail_are_refused(tag, value, words):
    assert any(words in m for m in _timer(tag, value))


def test_a_future_date_and_a_variable_date_are_accepted():
    assert not any("定时器" in m for m in _timer("timeDate", '"2099-01-01T08:00:00+08:00"'))
    assert not any("定时器" in m for m in _timer("timeDate", "due_at"))

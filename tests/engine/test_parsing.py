"""Hardened parsing: DOCTYPE, external entities, entity bombs and oversize files are refused
before SpiffWorkflow sees anything, and nothing is stored."""

from __future__ import annotations

import pytest

from tests.engine.conftest import bpmn_bytes
from webapp.core.errors import InvalidInput
from webapp.engine import deploy_bpmn
from webapp.engine.models import ProcessDefinition
from webapp.engine.parsing import BpmnRejected, parse_xml
from webapp.extensions import db

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">
  <bpmn:process id="p" name="&xxe;" isExecutable="true"/>
</bpmn:definitions>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">&lol3;</bpmn:definitions>"""

PLAIN_DOCTYPE = b"""<?xml version="1.0"?><!DOCTYPE html>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D"/>"""


@pytest.mark.parametrize("content", [XXE, LAUGHS, PLAIN_DOCTYPE, XXE.decode().encode("utf-16")])
def test_doctype_and_entities_are_refused_before_parsing(content):
    with pytest.raises(BpmnRejected) as err:
        parse_xml(content)
    assert "DOCTYPE" in str(err.value)
    with pytest.raises(InvalidInput):
        deploy_bpmn(None, None, content)
    assert db.session.query(ProcessDefinition).count() == 0


def test_size_limit():
    big = bpmn_bytes("demo_two_tier").replace(
        b"</bpmn:definitions>", b"<!--" + b"x" * 3_000_000 + b"--></bpmn:definitions>"
    )
    with pytest.raises(BpmnRejected) as err:
        parse_xml(big)
    assert "过大" in str(err.value)


def test_malformed_xml_is_a_clear_error():
    with pytest.raises(BpmnRejected) as err:
        parse_xml(b"<bpmn:definitions")
    assert "XML 格式错误" in str(err.value)


def test_a_good_file_parses():
    root = parse_xml(bpmn_bytes("demo_two_tier"))
    assert root.get("id") == "Definitions_demo_two_tier"

"""The editor deploys any diagram the BPMN limit (2 MiB) allows.

The editor posts the diagram as one JSON string, and the request edge refused every JSON string
over 50,000 characters: year_end_assessment saved from the editor is already 41,500, so a few
more lanes and tasks made a process impossible to validate or deploy in the browser (“请求内容中
“xml”长度不能超过 50000 字”) although the same file uploaded as a .bpmn was accepted.
"""

from __future__ import annotations

from tests.conftest import csrf_token
from tests.workflow_admin.bpmn_edits import with_leader_step
from webapp.engine import MAX_BPMN_BYTES
from webapp.engine.models import ProcessDefinition
from webapp.extensions import db

BASE = "/admin/workflows/quarterly_report"


def _documented(chars: int) -> bytes:
    """The leader step with a long 说明 (bpmn:documentation) on the new task."""
    note = "按照《河南省建设工程质量分析报告制度》第十四条审核。" * (chars // 24 + 1)
    return with_leader_step().replace(
        b'name="\xe5\x88\x86\xe7\xae\xa1\xe9\xa2\x86\xe5\xaf\xbc\xe5\xae\xa1\xe6\xa0\xb8">',
        f'name="分管领导审核"><bpmn:documentation>{note[:chars]}</bpmn:documentation>'.encode(),
        1,
    )


def _post(client, action: str, xml: bytes, token: str):
    return client.post(
        f"{BASE}/{action}",
        json={"xml": xml.decode()},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def test_a_diagram_over_50000_characters_validates_and_deploys(logged_in, deployed):
    deployed()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/edit")
    big = _documented(80_000)
    assert b"<bpmn:documentation>" in big and len(big.decode()) > 80_000
    r = _post(client, "validate", big, token)
    assert r.status_code == 200 and r.get_json()["problems"] == []
    r = _post(client, "deploy", big, token)
    assert r.status_code == 201 and r.get_json()["version"] == 2


def test_a_diagram_over_the_bpmn_limit_is_refused_in_chinese_and_nothing_stored(
    logged_in, deployed
):
    deployed()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/edit")
    r = _post(client, "deploy", _documented(MAX_BPMN_BYTES // 3 + 1000), token)
    assert r.status_code == 422 and "过大" in r.get_json()["message"]
    assert db.session.query(ProcessDefinition).count() == 1

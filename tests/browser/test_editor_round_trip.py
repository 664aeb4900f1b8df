"""Opening a shipped process in the browser editor and saving it must not change what it does.

bpmn-js dropped every reference whose target is no element of the file: SpiffWorkflow's
multi-instance names its collection variable in ``loopDataInputRef``/``loopDataOutputRef``, so
year_end_assessment came back from the editor refused by the engine (“A multiinstance task must
specify a cardinality…”) and could not be changed in the browser at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from webapp.engine import compare_versions, deploy_bpmn, validate_bpmn
from webapp.extensions import db

pytestmark = pytest.mark.browser

WORKFLOWS = sorted(Path(__file__).resolve().parents[2].joinpath("workflows").glob("*.bpmn"))
EXPORT = "async () => (await window.hqrModeler.saveXML({ format: true })).xml"


def test_every_shipped_process_survives_the_editor_unchanged(page, live_server, make_user):
    admin = make_user("admin", "410000")
    originals = {
        path.stem: deploy_bpmn(None, None, path.read_bytes()).definition for path in WORKFLOWS
    }
    db.session.commit()
    browser_login(page, admin.username, TEST_PASSWORD)
    saved = {}
    for key in originals:
        page.goto(f"{live_server}/admin/workflows/{key}/edit")
        page.wait_for_selector("#canvas[data-ready=true]")
        saved[key] = page.evaluate(EXPORT).encode()
    page.goto(f"{live_server}/")  # the editor's page is left before the writes below
    db.session.rollback()  # no read of before the browser's writes: SQLite's lock upgrade
    for key, original in originals.items():
        assert [p.as_dict() for p in validate_bpmn(saved[key], key=key)] == [], key
        again = deploy_bpmn(None, None, saved[key]).definition
        db.session.commit()
        assert again.version == original.version + 1
        assert compare_versions(original, again).is_empty, key
    multi = saved["year_end_assessment"]
    assert b"<bpmn:loopDataInputRef>units</bpmn:loopDataInputRef>" in multi
    assert b"<bpmn:loopDataOutputRef>closed_keys</bpmn:loopDataOutputRef>" in multi

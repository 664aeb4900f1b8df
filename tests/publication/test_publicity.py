"""Publicity of behaviour records and objections (第八条(三); 附件3 item 5).

domain.md §6 Decision (records): "a published behaviour record — approved records only — shows
责任单位, 责任人 姓名 and 职务, the fact and the clause, at the tier that approved it; never an ID
number, phone or address. It stays published for a period (settings; defaults … 6 months for a
bad record, 3 years for a good one) and is then withdrawn automatically; a named unit or person
can raise an objection (异议) that the approving tier answers, audited."
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document

from tests.conftest import csrf_token, login
from tests.publication.conftest import accept_quarter, at, load_records, run_to_publication
from tests.stats.oracle import load_oracle
from webapp.archive import operations as archive
from webapp.core import clock
from webapp.core.models import AuditRecord, User
from webapp.core.operations import get_org
from webapp.engine import run_timers
from webapp.extensions import db
from webapp.ledger.models import BadBehaviourRecord
from webapp.publication.models import PublishedRecord, RecordObjection

pytestmark = pytest.mark.usefixtures("workflows", "records_data")

PHONE, ID_NUMBER, LANDLINE = "13812345678", "410102198001011234", "0371-65432100"


@pytest.fixture
def records_data() -> None:
    """The oracle and its records, plus 郑州市's own records of 2026Q3: one approved (with a
    phone and ID number typed into its fact) and one not; then 2026Q1–Q4 accepted."""
    load_oracle()
    load_records()
    city = get_org("410100")
    db.session.add_all(
        [
            BadBehaviourRecord(
                org=city,
                record_no="ZZ-BAD-1",
                project_name="工程ZZ-1",
                responsible_unit="郑州某某建筑公司",
                unit_type="施工",
                person_name="孙经理",
                person_title="项目经理",
                fact=f"未按规定见证取样（当事人电话{PHONE}，身份证{ID_NUMBER}，座机{LANDLINE}）",
                clause="第九条",
                recorder="周记录",
                recorded_on=date(2026, 8, 12),
                approver="吴批准",
                approved_on=date(2026, 8, 15),
            ),
            BadBehaviourRecord(
                org=city,
                record_no="ZZ-BAD-2",
                project_name="工程ZZ-1",
                responsible_unit="某未批准企业",
                unit_type="监理",
                fact="尚待批准",
                recorded_on=date(2026, 9, 2),
            ),
        ]
    )
    db.session.commit()
    for code in ("410100", "410000"):
        for period in ("2026Q1", "2026Q2", "2026Q3", "2026Q4"):
            accept_quarter(code, period)


def _records(client, query: str = "") -> dict:
    return client.get(f"/api/v1/public/records{query}").get_json()


def test_published_at_the_approving_tier_with_the_person_never_personal_data(client, make_user):
    clock.set_now(at("2027-01-06"))
    pub = run_to_publication("410100", make_user=make_user)
    body = _records(client)
    by_no = {r["record_no"] or r["enterprise"]: r for r in body["items"]}
    # 郑州市's approved records only: not its unapproved ZZ-BAD-2, not 中原区's ZY-BAD-1
    # (中原区 approved it and publishes it with its own report).
    assert set(by_no) == {"ZZ-BAD-1", "郑州一建集团有限公司"}
    bad = by_no["ZZ-BAD-1"]
    assert (bad["enterprise"], bad["person_name"], bad["person_title"]) == (
        "郑州某某建筑公司",
        "孙经理",
        "项目经理",
    )
    assert bad["clause"] == "第九条" and bad["authority"] == "郑州市"
    assert (
        bad["fact"] == "未按规定见证取样（当事人电话［已隐去］，身份证［已隐去］，座机［已隐去］）"
    )
    assert bad["public_until"] == "2027-07-06"  # 6 months
    assert by_no["郑州一建集团有限公司"]["public_until"] == "2030-01-06"  # 3 years
    assert not {"phone", "id_number", "address", "recorder", "approver"} & set(bad)
    page = client.get("/public/records").get_data(as_text=True)
    assert "孙经理（项目经理）" in page and "第九条" in page
    docx = Document(io.BytesIO(archive.read(archive.latest("publication", pub.id))))
    word = "\n".join(c.text for t in docx.tables for row in t.rows for c in row.cells)
    assert "孙经理（项目经理）" in word and "ZZ-BAD-1" in word
    report = client.get(f"/public/reports/{pub.id}").get_data(as_text=True)
    api_text = client.get("/api/v1/public/records").get_data(as_text=True)
    for text in (page, word, report, api_text):
        for secret in (PHONE, ID_NUMBER, LANDLINE, "周记录", "吴批准", "某未批准企业"):
            assert secret not in text


def test_the_report_counts_exactly_what_the_records_page_lists(client, make_user):
    """Issue 15: "The public 信用记录 page lists what the report counts" — one query."""
    clock.set_now(at("2027-01-06"))
    city = run_to_publication("410100", make_user=make_user)
    province = run_to_publication("410000", make_user=make_user)
    for pub, code in ((city, "410100"), (province, "410000")):
        report = client.get(f"/api/v1/public/reports/{pub.id}").get_json()
        assert report["records"] == {"bad": 1, "good": 1}  # the province's subtree: 郑州市's
        listed = _records(client, f"?under={code}&period=2026H2")
        assert listed["total"] == 2
        page = client.get(f"/public/reports/{pub.id}").get_data(as_text=True)
        assert "不良行为记录 1 条、良好行为记录 1 条" in page
        link = f"/public/records?period=2026H2&amp;under={code}"
        assert link in page
        listing = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
        assert listing.count('<tr id="record-') == 2 and "共 2 条" in listing
    assert _records(client, "?under=410200")["total"] == 0


def test_withdrawn_automatically_when_the_period_ends_audited(client, make_user):
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    clock.set_now(at("2027-07-06", 23))  # the last day of the bad record's publicity
    run_timers()
    db.session.commit()
    assert _records(client, "?kind=bad")["total"] == 1
    clock.set_now(at("2027-07-07", 0))
    # Off the portal from 00:00 even before the worker's pass…
    assert _records(client, "?kind=bad")["total"] == 0
    run_timers()
    db.session.commit()
    # …and the timer of publication.bpmn withdraws it, with an audit record.
    rec = db.session.query(PublishedRecord).filter_by(record_no="ZZ-BAD-1").one()
    assert rec.withdrawn_at is not None and rec.withdrawal_reason == "公示期满，自动撤下"
    audited = db.session.query(AuditRecord).filter_by(action="publication.record_expire").all()
    assert [a.object_id for a in audited] == [str(rec.id)]
    assert _records(client, "?kind=good")["total"] == 1  # three years
    clock.set_now(at("2030-01-07", 1))
    run_timers()
    db.session.commit()
    assert _records(client)["total"] == 0
    assert db.session.query(AuditRecord).filter_by(action="publication.record_expire").count() == 2


def test_the_publicity_periods_are_settings(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RECORD_PUBLICITY_BAD_MONTHS", 1)
    monkeypatch.setitem(app.config, "RECORD_PUBLICITY_GOOD_MONTHS", 12)
    clock.set_now(at("2027-01-31"))
    run_to_publication("410100", make_user=make_user)
    until = {r["kind"]: r["public_until"] for r in _records(client)["items"]}
    assert until == {"bad": "2027-02-28", "good": "2028-01-31"}  # 01-31 + 1 month: 02-28


def _object(visitor, record_id: int, **form: str) -> object:
    token = csrf_token(visitor, "/public/records")
    return visitor.post(
        f"/public/records/{record_id}/objection", data={"csrf_token": token, **form}
    )


def test_an_objection_from_the_portal_answered_by_the_approving_tier(app, client, make_user):
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    rec = db.session.query(PublishedRecord).filter_by(record_no="ZZ-BAD-1").one()
    visitor = app.test_client()
    # A named unit or person and a reason are required; nothing is saved without them.
    refused = _object(visitor, rec.id, objector="", objector_kind="unit", reason="短")
    assert refused.status_code == 422
    assert "请填写提出异议的单位名称或本人姓名" in refused.get_data(as_text=True)
    assert db.session.query(RecordObjection).count() == 0
    done = _object(
        visitor,
        rec.id,
        objector="郑州某某建筑公司",
        objector_kind="unit",
        reason="该工程见证取样记录齐全，已于8月20日补交监理签认材料，请予核实撤销。",
        contact="0371-12345678",
    )
    assert done.status_code == 302
    objection = db.session.query(RecordObjection).one()
    assert objection.org.code == "410100" and objection.answered_at is None
    raised = db.session.query(AuditRecord).filter_by(action="publication.objection_raise").one()
    assert raised.actor_id is None and "见证取样" in raised.message
    # The contact stays with staff: never on the portal.
    assert "0371-12345678" not in visitor.get("/public/records").get_data(as_text=True)
    # Another tier may not answer; the approving tier does, and an upheld objection withdraws.
    other = make_user("reviewer", "410000")
    login(client, other.username)
    token = csrf_token(client, "/publication/")
    url = f"/publication/objections/{objection.id}/answer"
    form = {
        "csrf_token": token,
        "outcome": "upheld",
        "answer": "经复核，补交材料属实，撤销该记录。",
    }
    # nobody but the approving tier sees the objection: answered as a missing one
    assert client.post(url, data=form).status_code == 404
    client = app.test_client()  # the approving tier's reviewer, in a session of its own
    reviewer = db.session.query(User).filter_by(username="reviewer_410100").one()
    login(client, reviewer.username)
    page = client.get("/publication/objections").get_data(as_text=True)
    assert "郑州某某建筑公司" in page and "0371-12345678" in page
    form["csrf_token"] = csrf_token(client, "/publication/objections")
    short = client.post(url, data={**form, "answer": "同意。"})
    assert (
        short.status_code == 422
        and db.session.get(RecordObjection, objection.id).answered_at is None
    )
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert objection.outcome == "upheld" and objection.answered_by_id == reviewer.id
    assert rec.withdrawn_at is not None and rec.withdrawal_reason == "异议成立，撤下"
    answered = db.session.query(AuditRecord).filter_by(action="publication.objection_answer").one()
    assert answered.actor_id == reviewer.id and "补交材料属实" in answered.message
    assert {r["record_no"] for r in _records(client)["items"]} == {""}  # the good one stays
    assert (
        _object(visitor, rec.id, objector="x", objector_kind="unit", reason="y" * 20).status_code
        == 404
    )


def test_objections_are_rate_limited(app, client, make_user):
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    rec = db.session.query(PublishedRecord).filter_by(record_no="ZZ-BAD-1").one()
    visitor = app.test_client()
    form = {"objector": "张三", "objector_kind": "person", "reason": "我不是该工程的项目经理。"}
    statuses = [_object(visitor, rec.id, **form).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert db.session.query(RecordObjection).count() == 5


def test_a_refused_objection_keeps_what_was_typed_and_costs_no_attempt(app, make_user):
    """Found from outside: a refusal redirected to the list and the visitor's text was gone,
    and each refusal used one of the five objections an hour."""
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    rec = db.session.query(PublishedRecord).filter_by(record_no="ZZ-BAD-1").one()
    visitor = app.test_client()
    typed = {
        "objector": "郑州某某<建筑>公司",
        "objector_kind": "person",
        "reason": "太短了",
        "contact": "0371-7654321",
    }
    for _ in range(6):  # more refusals than the hour allows objections
        refused = _object(visitor, rec.id, **typed)
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        form = page[page.index(f'id="record-{rec.id}"') :]
        form = form[: form.index("</form>")]
        assert "<details open>" in form and "请说明异议的事实和理由" in form
        assert 'value="郑州某某&lt;建筑&gt;公司"' in form and ">太短了</textarea>" in form
        assert 'value="person" selected' in form and 'value="0371-7654321"' in form
    assert db.session.query(RecordObjection).count() == 0
    filed = _object(visitor, rec.id, **{**typed, "reason": "我不是该工程的项目经理，请核实。"})
    assert filed.status_code == 302 and db.session.query(RecordObjection).count() == 1


def test_the_portals_query_string_cannot_steer_its_links(app, make_user):
    """Found from outside: the records page carries its query string into each objection
    form's action and the objection's redirect, through url_for: ``?endpoint=x`` or
    ``?record_id=5`` was a 500 for any visitor, ``?_external=1&_scheme=javascript`` put a
    ``javascript:`` URL into the form (``webapp.web.link_args``;
    tests/security/test_query_strings.py sweeps every page)."""
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    rec = db.session.query(PublishedRecord).filter_by(record_no="ZZ-BAD-1").one()
    visitor = app.test_client()
    steer = "endpoint=x&record_id=5&values=1&_external=1&_scheme=javascript&_anchor=x"
    page = visitor.get(f"/public/records?period=2026H2&{steer}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'action="/public/records/{rec.id}/objection?period=2026H2"' in html
    assert "javascript:" not in html
    token = csrf_token(visitor, "/public/records")
    form = {
        "objector": "郑州某某建筑公司",
        "objector_kind": "unit",
        "reason": "该记录事实有误，请核实。",
    }
    sent = visitor.post(
        f"/public/records/{rec.id}/objection?period=2026H2&{steer}",
        data={"csrf_token": token, "contact": "", **form},
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:300]
    location = sent.headers["Location"]
    assert location.startswith("/public/records?period=2026H2") and ":" not in location

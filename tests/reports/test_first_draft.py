"""生成初稿 (issue 18): a first draft of the narrative's figure-based sections "written from the
unit's own tables and records in plain official Chinese …, deterministic, every number traceable
to its table, clearly marked as a draft for the clerk to rewrite; never a fact that the tables do
not hold (complaints only once their ledger exists)"; section (9)'s complaints come from the
complaints ledger (domain.md §2 "Complaints")."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.reports.conftest import PERIOD
from webapp.core import clock
from webapp.core.errors import Conflict, InvalidInput
from webapp.core.models import AuditRecord
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger.models import AdministrativePenalty, BadBehaviourRecord, Complaint, Project
from webapp.reports.narrative import first_draft
from webapp.reports.operations import find_report, write_first_draft
from webapp.reports.readiness import figures, narrative_problems
from webapp.reports.sections import DRAFT_MARK
from webapp.stats.compute import compute_table

NUMBER = re.compile(r"\d+(?:\.\d+)?")
UNIT = "410102"


def q2(value) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def body(text: str) -> str:
    """The draft without its first line (the mark) and last line (the sources)."""
    lines = text.split("\n")
    assert lines[0] == DRAFT_MARK and lines[-1].startswith("（数据来源：")
    return "\n".join(lines[1:-1])


@pytest.fixture
def report(workflows, oracle, make_user):
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    org = get_org(UNIT)
    for i, (unit, kind) in enumerate(
        [("甲建设集团", "施工"), ("甲建设集团", "施工"), ("乙监理公司", "监理")], start=1
    ):
        db.session.add(
            BadBehaviourRecord(
                org=org,
                record_no=f"BL-{i}",
                project_name="工程ZY-1",
                responsible_unit=unit,
                unit_type=kind,
                fact="未按图施工",
                recorded_on=date(2026, 8, i),
            )
        )
    db.session.add(
        AdministrativePenalty(
            org=org,
            record_no="CF-1",
            project_name="工程ZY-1",
            responsible_unit="甲建设集团",
            decided_on=date(2026, 9, 1),
            violation="未按图施工",
        )
    )
    # Complaints: two received this quarter (one closed, overturned on review), one received in
    # the previous quarter and still open.
    for no, received, closed, outcome in (
        ("TS-1", date(2026, 7, 5), date(2026, 8, 20), "撤销"),
        ("TS-2", date(2026, 9, 2), None, "未申请复议或诉讼"),
        ("TS-3", date(2026, 6, 1), None, "未申请复议或诉讼"),
    ):
        db.session.add(
            Complaint(
                org=org, complaint_no=no, received_on=received, complainant_type="业主（住户）",
                project_name="工程ZY-1", subject="渗漏", handling_unit="质监站",
                closed_on=closed, review_outcome=outcome,
            )
        )  # fmt: skip
    # One registered last quarter: 3 new this quarter against 1 → 增加200.00%.
    db.session.add(
        Project(
            org=org,
            registration_no="ZY-Q2",
            name="工程ZY-Q2",
            structure_type="框架",
            area_m2=Decimal("5000"),
            cost_10k_yuan=Decimal("1500"),
            registered_on=date(2026, 5, 10),
        )
    )
    make_user("clerk", UNIT)
    admin = make_user("admin", "410000")
    from webapp.reports.operations import open_period

    open_period(admin, PERIOD)
    db.session.commit()
    return find_report(org, PERIOD, "quarterly")


def expected_numbers(report) -> dict[str, set[str]]:
    """Every number each section may state, recomputed here from the tables themselves."""
    tables = figures(report)["tables"]
    total = tables["table5"]["total"]
    prev = compute_table(5, UNIT, "2026Q2")["total"]
    reg, prev_reg = total["registered"]["count"], prev["registered"]["count"]
    s02 = {
        str(total["carried_over"]["count"] + reg),
        str(total["carried_over"]["count"]),
        str(reg),
        total["registered"]["area_10k_m2"],
        total["registered"]["cost_10k_yuan"],
        str(prev_reg),
        total["under_construction"]["area_10k_m2"],
        str(total["under_construction"]["count"]),
        str(total["completed"]["count"]),
        total["completed"]["area_10k_m2"],
        str(total["filed"]["count"]),
    }
    if prev_reg and reg != prev_reg:
        s02.add(q2(Decimal(abs(reg - prev_reg)) * 100 / prev_reg))
    s02 |= {v for v in total["filing_rate"].values() if v} | {total["satisfaction_pct"] or "0"}
    s02 |= {str(r["registered"]["count"]) for r in tables["table6"]["rows"]}
    t1, t2 = tables["table1"]["rows"], tables["table2"]["rows"]
    s06 = {
        str(len(t1)),
        str(len({r["responsible_unit"] for r in t1})),
        str(len(t2)),
        str(len({r["responsible_unit"] for r in t2})),
    }
    s06 |= {str(sum(1 for r in t1 if r["unit_type"] == k)) for k in {r["unit_type"] for r in t1}}
    s09: set[str] = set()  # the document writes section (9)'s figures itself
    t4 = tables["table4"]["rows"]
    s10 = {
        str(len(tables["table3"]["rows"])),
        str(len(t4)),
        str(sum(1 for r in t4 if r["acceptance_result"] == "不合格")),
        str(len(t1)),
        str(len(t2)),
    }
    return {"s02": s02, "s06": s06, "s09": s09, "s10": s10}


def test_every_number_is_recomputed_from_the_tables(report):
    """ "every number traceable to its table": each number in the text is one the test derives
    from 附表1–6 (or the previous quarter's 附表5); each draft is marked and names its sources."""
    expected = expected_numbers(report)
    for section, allowed in expected.items():
        draft = first_draft(report, section)
        stated = NUMBER.findall(body(draft.text))
        assert bool(stated) == bool(allowed), section
        assert set(stated) <= allowed, (section, set(stated) - allowed, draft.text)
        assert {f.value for f in draft.facts} == set(stated), section
        assert all(f.source for f in draft.facts)
        assert first_draft(report, section).text == draft.text  # deterministic


def test_the_overall_section_reads_like_the_brief(report):
    """ "本季度新注册工程X项、面积Y万㎡，较上季度增加Z%…" with this unit's own figures."""
    tables = figures(report)["tables"]
    total = tables["table5"]["total"]
    text = first_draft(report, "s02").text
    reg = total["registered"]
    assert f"本季度新注册{reg['count']}项" in text
    assert f"新注册工程面积{reg['area_10k_m2']}万㎡" in text
    assert "新注册项数较上季度增加200.00%（上季度1项）" in text
    assert "中原区" in text and "附表5" in text.split("\n")[-1]


def test_records_accidents_and_enforcement(report):
    s06 = first_draft(report, "s06").text
    assert "共记录企业不良行为3条，涉及责任单位2家" in s06
    assert "施工单位2条、监理单位1条" in s06
    assert "实施行政处罚1起" in s06
    s09 = first_draft(report, "s09").text
    assert not NUMBER.findall(body(s09))  # its figures are the document's, written once
    assert "本部分开头由系统写入本季度工程质量事故及投诉数字" in s09
    assert "请写明投诉反映的主要质量问题" in s09  # complaints received
    assert "确认违法、撤销或变更的投诉处理决定及整改情况" in s09  # one overturned
    assert "投诉台账" in s09.split("\n")[-1]
    s10 = first_draft(report, "s10").text
    assert "行政处罚1起" in s10 and "记录不良行为3条" in s10


def test_no_records_says_none(workflows, make_user):
    """A unit with an empty ledger: "未记录", "未发生" — no invented figure."""
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    from webapp.reports.operations import open_period

    open_period(make_user("admin", "410000"), PERIOD)
    db.session.commit()
    report = find_report(get_org(UNIT), PERIOD, "quarterly")
    assert "本季度未记录企业不良行为" in first_draft(report, "s06").text
    s09 = first_draft(report, "s09").text
    assert "请结合监督检查情况" in s09 and "投诉" not in body(s09).split("。", 1)[1]


def test_fill_only_empty_sections_without_confirmation(report):
    """The draft fills an empty section; text is replaced only when confirmed, audited,
    through the versioned drafts store; the mark blocks submission until rewritten."""
    from webapp.core.models import User

    clerk = db.session.execute(select(User).where(User.username == f"clerk_{UNIT}")).scalar_one()
    write_first_draft(clerk, report, "s02")
    db.session.commit()
    assert report.narrative["s02"].startswith(DRAFT_MARK)
    assert any("仍是系统初稿" in p for p in narrative_problems(report))
    with pytest.raises(Conflict):
        write_first_draft(clerk, report, "s02")
    with pytest.raises(InvalidInput):
        write_first_draft(clerk, report, "s01")  # not a figure-based section
    write_first_draft(clerk, report, "s02", overwrite=True)  # same text: no new version
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "report.first_draft")
    ).scalar_one()
    assert rec.after["sections"]["s02"]["version"] == 1


def test_the_button_asks_before_replacing_text(report, client):
    from tests.conftest import login

    login(client, f"clerk_{UNIT}")
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert 'id="first-draft-button-s02"' in page and 'id="first-draft-button-s01"' not in page
    token = csrf_token(client, f"/reports/{report.id}")
    url = f"/reports/{report.id}/first-draft"
    assert client.post(url, data={"csrf_token": token, "section": "s06"}).status_code == 302
    db.session.expire_all()
    first = report.narrative["s06"]
    assert "共记录企业不良行为3条" in first
    # Text written by the clerk: the button shows both texts and asks, nothing is changed.
    client.post(
        f"/reports/{report.id}/narrative",
        data={"csrf_token": token, "s06": "本季度不良行为情况（手写）", "base__s06": "1"},
    )
    asked = client.post(url, data={"csrf_token": token, "section": "s06"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "确认以初稿替换现有文字" in html
    assert "本季度不良行为情况（手写）" in html and "共记录企业不良行为3条" in html
    db.session.expire_all()
    assert report.narrative["s06"] == "本季度不良行为情况（手写）"
    client.post(url, data={"csrf_token": token, "section": "s06", "overwrite": "1"})
    db.session.expire_all()
    assert report.narrative["s06"] == first


def test_the_annual_report_speaks_of_the_year_from_its_table7(workflows, oracle, make_user):
    """第十一条: the annual report's (2) is 本年度…总体情况, written from 附表7 (its 合计) and
    compared with last year's."""
    from webapp.reports.operations import open_period

    clock.set_now(datetime(2026, 12, 15, 10, 0, tzinfo=clock.LOCAL_TZ))
    open_period(make_user("admin", "410000"), "2026")
    db.session.commit()
    report = find_report(get_org("410100"), "2026", "annual")
    total = figures(report)["tables"]["table7"]["total"]
    prev = compute_table(7, "410100", "2025")["total"]
    draft = first_draft(report, "s02")
    text = draft.text
    assert "本年度，郑州市共监督工程" in text and "本季度" not in text
    assert f"本年度新注册{total['registered']['count']}项" in text
    reg, before = total["registered"]["count"], prev["registered"]["count"]
    pct = q2(Decimal(reg - before) * 100 / before)
    assert f"新注册项数较上年度增加{pct}%（上年度{before}项）" in text
    assert "其中上年度接转" in text
    assert "附表7" in text.split("\n")[-1]
    assert all("附表7" in f.source or "附表6" in f.source for f in draft.facts)
    acc = first_draft(report, "s09").text
    assert "本部分开头由系统写入本年度工程质量事故及投诉数字" in acc


def test_section_9_of_the_word_file_states_its_figures_once_as_frozen(report):
    """Found as a clerk: section 九 of the Word file gave the accidents and complaints twice,
    the system's sentence (from the snapshot) and the first draft's (as when drafted, stale
    after a complaint was registered before submission).  The draft restates none: the file
    states them once, as the rest of the document reads them."""
    from webapp.core.models import User
    from webapp.reports.document import document_context, freeze

    clerk = db.session.execute(select(User).where(User.username == f"clerk_{UNIT}")).scalar_one()
    write_first_draft(clerk, report, "s09")
    db.session.commit()
    db.session.add(  # registered after the draft was written
        Complaint(
            org=get_org(UNIT), complaint_no="TS-9", received_on=date(2026, 9, 18),
            complainant_type="业主（住户）", project_name="工程ZY-1", subject="开裂",
            handling_unit="质监站", review_outcome="未申请复议或诉讼",
        )
    )  # fmt: skip
    db.session.commit()
    snapshot = freeze(report, None)
    section = next(
        s for s in document_context(report, snapshot)["narrative"] if s["number"] == "九"
    )
    text = "".join(section["paragraphs"])
    acc = snapshot["tables"]["table5"]["total"]["accidents"]
    assert re.findall(r"发生工程质量事故 ?(\d+) ?起", text) == [str(acc["count"])]
    assert re.findall(r"受理工程质量投诉 ?(\d+) ?件", text) == [
        str(snapshot["complaints"]["received"])
    ]
    assert snapshot["complaints"]["received"] == 3  # TS-1, TS-2 and the one registered later

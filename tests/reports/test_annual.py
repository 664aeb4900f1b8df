"""The annual report (第十一条) through the real flow.

domain.md §5, **Decision** (annual report): "only cities, directly administered counties and the
province make one — 29 units; counties make none … a city's annual report never lists its
counties as 未报 nor asks for an explanation of them: their rows come from the ledger as of the
moment the city freezes its report", and "附表7's 截止到年底 figures are as of the moment the
report is frozen, and the form prints that 统计截止时间".
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document

from tests.conftest import login
from tests.reports.conftest import draft
from webapp.core import clock
from webapp.reports.models import ReportKind
from webapp.stats.compute import compute_table

YEAR = "2026"


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join(p.text for p in doc.paragraphs)


def test_city_annual_report_goes_up_without_its_counties(workflows, oracle, api, app, make_user):
    clock.set_now(datetime(2026, 12, 15, 10, 0, tzinfo=clock.LOCAL_TZ))
    opened = api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": YEAR})
    assert opened["opened"] == 29  # province, 18 cities, 10 directly administered counties

    clerk, reviewer = api("clerk", "410100"), api("reviewer", "410100")
    report = clerk.report("410100", YEAR)
    # No county is expected, none is 未报, and nothing asks for a 未报 explanation.
    assert report["lower_units"] == []
    assert not any("未报" in p for p in report["problems"])
    rows = {r["org_code"]: r for r in report["tables"]["table7"]["rows"]}
    live = {r["org_code"]: r for r in compute_table(7, "410100", YEAR)["rows"]}
    counties = [code for code in rows if code != "410100"]
    assert counties, "郑州's 附表7 has a row per county"
    for code in counties:
        assert rows[code]["status"] == "台账数据"
        for group in ("carried_over", "registered", "under_construction", "completed", "filed"):
            assert rows[code][group] == live[code][group]

    web = app.test_client()
    make_user("clerk", "410100", username="zz_clerk_web")
    login(web, "zz_clerk_web")
    page = web.get(f"/reports/{report['id']}").get_data(as_text=True)
    assert "统计截止时间：2026-12-15 10:00" in page and "县（区）不报年报" in page
    assert "未报单位说明" not in page

    draft(clerk, "410100", YEAR, text="本年度情况")
    clock.set_now(datetime(2026, 12, 15, 11, 45, tzinfo=clock.LOCAL_TZ))
    reviewer.complete(reviewer.task("410100", YEAR), "approve")  # frozen now
    province = api("reviewer", "410000")
    province.complete(province.task("410100", YEAR), "accept")
    frozen = clerk.report("410100", YEAR)
    assert frozen["state"] == "accepted"
    as_of = datetime.fromisoformat(frozen["tables"]["table7"]["as_of"])
    assert clock.to_local(as_of) == datetime(2026, 12, 15, 11, 45, tzinfo=clock.LOCAL_TZ)

    document = clerk.get(f"/api/v1/reports/{frozen['id']}/document.docx")
    assert "统计截止时间：2026年12月15日 11:45" in _docx_text(document.data)


def test_the_province_annual_report_still_expects_its_cities(workflows, oracle, api):
    """Cities and directly administered counties do make an annual report: the province's
    report marks them 未报 until it accepts them."""
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": YEAR})
    report = api("clerk", "410000").report("410000", YEAR)
    lower = {u["org_code"] for u in report["lower_units"]}
    assert {"410100", "410181"} <= lower and len(lower) == 28
    assert any("未报" in p for p in report["problems"])


def test_only_29_units_make_an_annual_report(app, org):
    from webapp.reports.operations import reporting_units

    annual = reporting_units(ReportKind.ANNUAL)
    assert len(annual) == 29
    assert all(ReportKind.ANNUAL.made_by(o) and o.tier != "county" for o in annual)
    assert not ReportKind.ANNUAL.made_by(org("410102"))
    assert ReportKind.QUARTERLY.made_by(org("410102"))

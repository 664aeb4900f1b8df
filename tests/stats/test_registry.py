"""The one registry of 附表1–7 (issue 14, item 1): every consumer reads the same list, so the
annual report's tables cannot disagree between the snapshot, the report and its Word file."""

from __future__ import annotations

import io

from docx import Document

from tests.conftest import ROOT
from webapp.stats import registry
from webapp.stats.compute import compute, compute_table, freeze_tables
from webapp.stats.excel import table_workbook


def test_the_report_tables_follow_the_regulation():
    """第十条: the quarterly submission has 附表1–6; domain.md §5: the annual report's "tables
    are 附表1–4 of the year, the annual 附表6 and 附表7"."""
    assert [s.number for s in registry.report_tables("quarterly")] == [1, 2, 3, 4, 5, 6]
    assert [s.number for s in registry.report_tables("annual")] == [1, 2, 3, 4, 6, 7]
    assert registry.summary_spec("quarterly").number == 5
    assert registry.summary_spec("annual").number == 7


def test_every_form_computes_with_its_number_and_printed_title(app):
    for spec in registry.TABLES.values():
        period = "2026" if not spec.quarterly else "2026Q3"
        table = compute_table(spec.number, "410100", period)
        assert table["table"] == spec.number and table["title"] == spec.title
        workbook = table_workbook(compute(spec.number, "410100", period))
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(workbook)).active
        assert sheet.cell(row=1, column=1).value == spec.title


def test_snapshots_and_word_templates_hold_the_registry_tables(app):
    for kind, period in (("quarterly", "2026Q3"), ("annual", "2026")):
        specs = registry.report_tables(kind)
        assert set(freeze_tables("410100", period, kind)["tables"]) == {s.key for s in specs}
        doc = Document(ROOT / "docs_templates" / f"{kind}_report.docx")
        text = "\n".join(p.text for p in doc.paragraphs)
        for spec in registry.TABLES.values():
            assert (spec.title in text) == (spec in specs), (kind, spec.number)


def test_the_pages_list_every_form(app, client, make_user):
    from tests.conftest import login

    make_user("clerk", "410100", username="zz_registry")
    login(client, "zz_registry")
    page = client.get("/stats/").get_data(as_text=True)
    for spec in registry.TABLES.values():
        assert spec.title in page

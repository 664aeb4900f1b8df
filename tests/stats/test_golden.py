"""The figures, snapshots and Word contexts are the same as before they were typed (issue 14).

``golden/outputs.json`` was written by main's code (commit e4ea5c7, before the figures were
typed) from the oracle ledger and its behaviour records: every table of a county, a city and
the province for 2026Q3 and 2026, a city's tables with its counties' accepted reports rolled up
(quarter and year), the report snapshot and its Word context, and the half-year figures,
publication snapshot and Word context of the city and the province.  The code of today must
give the same JSON (the stored snapshots of earlier periods are in this format, and load).

Regenerate only for an intended change of output:
``HQR_REGEN_GOLDEN=1 pytest tests/stats/test_golden.py`` rewrites the file and fails on purpose:
read its ``git diff``, then run the test again without the variable.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.publication.conftest import accept_quarter, at, load_records
from tests.stats.oracle import load_oracle
from webapp.core import clock
from webapp.core.operations import get_org
from webapp.extensions import db

GOLDEN = Path(__file__).resolve().parent / "golden" / "outputs.json"


def _json(value: Any) -> Any:
    """What a JSON column stores and hands back."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _accept(org_code: str, period: str, kind: str) -> Any:
    from webapp.reports.deadlines import due_at, remind_at
    from webapp.reports.document import freeze
    from webapp.reports.models import Report
    from webapp.stats.compute import parse_period

    if kind == "quarterly":
        return accept_quarter(org_code, period)
    org = get_org(org_code)
    due = due_at(parse_period(period), org)
    report = Report(
        org=org,
        period=period,
        kind=kind,
        due_at=due,
        remind_at=remind_at(due),
        narrative={"overview": "全年情况良好。\n第二段。"},
        explanations={},
    )
    db.session.add(report)
    db.session.flush()
    report.snapshot = report.accepted_snapshot = freeze(report, None)
    report.locked = True
    report.submitted_at = report.accepted_at = clock.now()
    db.session.commit()
    return report


def outputs() -> dict[str, Any]:
    """Every output the typed figures produce, from the oracle (see the module docstring)."""
    from webapp.publication import document as pub_document
    from webapp.publication.draft import generate
    from webapp.publication.figures import half_year_figures
    from webapp.publication.models import Publication
    from webapp.reports import document as report_document
    from webapp.reports.rollup import build_tables
    from webapp.stats.compute import compare_snapshot, compute_table, freeze_tables

    clock.set_now(at("2027-01-05"))
    load_oracle()
    load_records()
    out: dict[str, Any] = {"tables": {}, "frozen": {}}
    for code in ("410102", "410100", "410000"):
        for period in ("2026Q3", "2026"):
            for n in range(1, 8):
                if (n == 5 and period == "2026") or (n == 7 and period == "2026Q3"):
                    continue
                out["tables"][f"{code}/{period}/{n}"] = _json(compute_table(n, code, period))
    for code, period, kind in (("410100", "2026Q3", "quarterly"), ("410000", "2026", "annual")):
        out["frozen"][f"{code}/{period}"] = _json(freeze_tables(code, period, kind))
    # Counties' (and 郑州's) reports accepted: the city's and the province's tables roll them up.
    for code in ("410102", "410103"):
        for period in ("2026Q2", "2026Q3"):
            _accept(code, period, "quarterly")
    for code in ("410100", "410000"):
        for period in ("2026Q1", "2026Q2", "2026Q3", "2026Q4"):
            report = _accept(code, period, "quarterly")
            if period == "2026Q3":
                out[f"report/{code}/{period}"] = _json(report.snapshot)
                out[f"report_context/{code}/{period}"] = _json(
                    report_document.document_context(report, report.snapshot)
                )
    annual = _accept("410100", "2026", "annual")
    out["report/410100/2026"] = _json(annual.snapshot)
    out["report_context/410100/2026"] = _json(
        report_document.document_context(annual, annual.snapshot)
    )
    out["rolled_up/410000/2026"] = _json(build_tables(get_org("410000"), "2026", "annual"))
    out["rolled_up/410100/2026Q3"] = _json(build_tables(get_org("410100"), "2026Q3", "quarterly"))
    out["compare/410100/2026Q3"] = _json(
        compare_snapshot(out["report/410100/2026Q3"], freeze_tables("410102", "2026Q3"))
    )
    for code in ("410100", "410000", "410102"):
        out[f"half_year/{code}/2026H2"] = _json(half_year_figures(get_org(code), "2026H2"))
        out[f"half_year/{code}/2026H1"] = _json(half_year_figures(get_org(code), "2026H1"))
    for code in ("410100", "410000"):
        out[f"draft/{code}/2026H2"] = generate(
            half_year_figures(get_org(code), "2026H2"), half_year_figures(get_org(code), "2026H1")
        )
        pub = Publication(org=get_org(code), period="2026H2", sections={"overview": "总体\n良好"})
        snapshot = _json(pub_document.freeze(pub))
        if pub in db.session:
            db.session.expunge(pub)
        out[f"publication/{code}/2026H2"] = snapshot
        out[f"publication_context/{code}/2026H2"] = _json(
            pub_document.document_context(snapshot, date(2027, 1, 5))
        )
    out["publication_sample_context"] = _json(pub_document.sample_context())
    return out


def test_figures_snapshots_and_word_contexts_as_before():
    got = outputs()
    if os.environ.get("HQR_REGEN_GOLDEN"):
        lines = [
            f"{json.dumps(k)}: {json.dumps(got[k], ensure_ascii=False, sort_keys=True)}"
            for k in sorted(got)
        ]
        GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n")
        # Never a pass: a regenerated file proves nothing until its diff is read and the test
        # runs again without the variable.
        pytest.fail(
            "golden/outputs.json rewritten: review `git diff`, then run without HQR_REGEN_GOLDEN"
        )
    expected = json.loads(GOLDEN.read_text())
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert got[key] == expected[key], key

"""A filing rate over 100 % is published with its reason, not bare (found from outside: the
public read 二七区 200 %).  domain.md: 备案率 over 100 is a warning — filings lag completions, so
a half year files projects completed earlier; the clerk explains it, and so does the report."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document

from tests.publication.conftest import at, run_to_publication
from webapp.archive import operations as archive
from webapp.core import clock
from webapp.publication.document import FILING_LAG_NOTE, filing_note, over_100
from webapp.stats.figures import SummaryRow


@pytest.mark.parametrize(
    ("value", "over"),
    [
        ("200.00", True),
        ("100.01", True),
        ("100.00", False),
        (Decimal("99.99"), False),
        (None, False),
        ("—", False),
        (Decimal("133.33"), True),
    ],
)
def test_over_100(value, over):
    assert over_100(value) is over


def test_the_note_only_where_a_rate_exceeds_100():
    def row(count_pct, area_pct=None):
        return SummaryRow.from_json(
            {"org_code": "1", "filing_rate": {"count_pct": count_pct, "area_pct": area_pct}}
        )

    assert filing_note([row("100.00"), row(None)]) == ""
    assert filing_note([row("100.00"), row("90.00", "100.50")]) == FILING_LAG_NOTE
    assert filing_note([row("200.00")]) == FILING_LAG_NOTE


@pytest.mark.usefixtures("workflows", "h2_data")
def test_the_published_document_and_portal_explain_the_rate(make_user, client):
    """郑州市's 2026H2 (the oracle): total 133.33 %, 二七区 200.00 %."""
    clock.set_now(at("2027-01-05"))
    pub = run_to_publication("410100", make_user=make_user)
    doc = Document(io.BytesIO(archive.read(archive.latest("publication", pub.id))))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "质量备案率（项）133.33%" in text
    assert FILING_LAG_NOTE in text
    assert text.index("附表二") < text.index(FILING_LAG_NOTE) < text.index("附表三")
    public = client.get(f"/public/reports/{pub.id}")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert 'id="filing-lag-note"' in html and 'id="units-filing-lag-note"' in html
    assert html.count(FILING_LAG_NOTE) == 2
    # the note is tied to the figures it explains (found from outside: a screen reader read
    # 133.33 with no reason): each rate over 100 names it, a rate at most 100 does not
    import re

    described = re.findall(
        r'<(?:strong|span|td)[^>]*aria-describedby="([^"]+)"[^>]*>([^<]*)<', html
    )
    assert ("filing-lag-note", "133.33") in described
    assert ("units-filing-lag-note", "200.00") in described
    assert all(float(value) > 100 for _, value in described), described


@pytest.mark.usefixtures("workflows", "h2_data")
def test_no_note_where_no_rate_exceeds_100(make_user):
    """The same report with every filing rate at most 100: no note in the document."""
    import copy

    from webapp.publication.document import render_document

    clock.set_now(at("2027-01-05"))
    pub = run_to_publication("410100", make_user=make_user)
    snapshot = copy.deepcopy(pub.snapshot)
    figures = snapshot["figures"]
    for row in [figures["total"], *figures["rows"]]:
        row["filing_rate"] = {"count_pct": "100.00", "area_pct": None}
    doc = Document(io.BytesIO(render_document(snapshot, clock.today_local())))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "质量备案率（项）100.00%" in text
    assert FILING_LAG_NOTE not in text
    assert "备案率超过100%" not in text

"""Every download's ``Content-Disposition`` is built by ``web.attachment`` (RFC 6266).

Eight views wrote the header by hand, each its own way: a BPMN file's process key, an audit
export's name went between quotes as they were, and the assessment's Word files all offered
``notice.docx`` as their plain name (the attacker's pass, 2026-12-07).  The property holds the
one builder to the RFC for any name; the scan holds the source to the one builder."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT
from webapp.web import attachment

HEADER = re.compile(
    r'attachment; filename="(?P<plain>[A-Za-z0-9][A-Za-z0-9._-]*)"'
    r"(?:; filename\*=UTF-8''(?P<encoded>[A-Za-z0-9%._~-]+))?"
)


@given(st.text(max_size=80), st.sampled_from(["report", "download", "notice"]))
def test_any_name_makes_one_well_formed_header(name, stem):
    header = attachment(name, stem)
    found = HEADER.fullmatch(header)
    assert found, header
    one_line = " ".join(name.split()) or stem
    if found["encoded"] is None:  # a plain ASCII name, given as it is
        assert found["plain"] == one_line
    else:
        assert unquote(found["encoded"], errors="strict") == one_line
        assert found["plain"].startswith(stem)


def test_the_names_users_see():
    assert (
        attachment("audit-20261207-101500.csv")
        == 'attachment; filename="audit-20261207-101500.csv"'
    )
    chinese = attachment("2026年度郑州市自评表.docx", "assessment")
    assert chinese.startswith('attachment; filename="assessment.docx"; filename*=UTF-8')
    assert attachment('a"b;\r\nc.bpmn', "process").startswith('attachment; filename="process.bpmn"')
    assert "%2F" in attachment("上/下.docx")  # no path separator left as it is


def test_every_download_header_is_built_by_attachment():
    hand_built = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        if path == ROOT / "webapp" / "web.py":
            continue
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            # a header's text (filename="…", filename*=UTF-8''…) or a Content-Disposition set
            written = re.search(r"filename\*?=(\\?\"|UTF-8)|Content-Disposition\"?\s*[]:=]", line)
            if written and "attachment(" not in line:
                hand_built.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not hand_built, "\n".join(hand_built)

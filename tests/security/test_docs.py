"""docs/security.md names real tests: every ``tests/...py`` file and ``::test_name`` exists
(a bare ``::name`` belongs to the last file named before it in the same cell)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

REF = re.compile(r"(tests/[\w/]+\.py)|::(\w+)")


def test_every_test_named_in_security_md_exists():
    missing = []
    for line in (ROOT / "docs" / "security.md").read_text().splitlines():
        for cell in line.split("|"):
            current = None
            for path, name in REF.findall(cell):
                if path:
                    current = ROOT / path
                    if not current.exists():
                        missing.append(path)
                elif current is not None and f"def {name}(" not in current.read_text():
                    missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert not missing, missing

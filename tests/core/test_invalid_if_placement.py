"""``invalid_if`` (``_form_errors.html``) writes ``" is-invalid" aria-invalid="true`` by closing
the ``class`` attribute's quote; written anywhere but inside a double-quoted ``class="…"`` it
would break the markup.  Every use in the templates is held to that place."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "webapp"
USE = re.compile(r"\{\{\s*invalid_if\(")
IN_CLASS = re.compile(r'class="[^"]*$')
#: uses handed to a macro that writes them inside its own class="…" (checked below)
HANDED_ON = {
    (
        "engine/templates/engine/task.html",
        "person_picker",
    ): 'class="form-select form-select-sm{{ invalid }}"'
}


def _uses() -> list[tuple[str, int, str]]:
    found = []
    for path in ROOT.rglob("*.html"):
        if "static" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in USE.finditer(line):
                found.append((str(path.relative_to(ROOT)), number, line[: match.start()]))
    return found


def test_invalid_if_sits_inside_a_class_attribute():
    uses = _uses()
    assert len(uses) > 30  # the walk finds the templates
    wrong = []
    for name, number, before in uses:
        if IN_CLASS.search(before):
            continue
        handed = [m for (f, m) in HANDED_ON if f == name and m + "(" in before]
        if handed:
            continue
        wrong.append(f"{name}:{number}")
    assert wrong == []


def test_a_macro_handed_the_marker_writes_it_inside_its_class():
    for (name, _macro), placement in HANDED_ON.items():
        assert placement in (ROOT / name).read_text(encoding="utf-8")


def test_the_guard_catches_a_use_outside_a_class():
    assert not IN_CLASS.search('<input name="x" ')
    assert IN_CLASS.search('<input class="form-control')

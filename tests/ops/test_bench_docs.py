"""A benchmark rewrites its own section of docs/benchmarks.md and keeps the hand-written reading
below the section's KEEP_BELOW line (the last session lost those paragraphs on a rerun)."""

from __future__ import annotations

from bench.fresh import KEEP_BELOW, write_section

DOC = """# Benchmarks

## stats

old figures

{mark}

Reading: what the figures mean.

## home

home figures
"""


def test_a_rerun_replaces_the_figures_and_keeps_the_reading(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(DOC.format(mark=KEEP_BELOW), encoding="utf-8")
    write_section("stats", "## stats\n\nnew figures\n", doc)
    text = doc.read_text(encoding="utf-8")
    assert "old figures" not in text and "new figures" in text
    assert text.index("new figures") < text.index(KEEP_BELOW) < text.index("Reading: what")
    assert text.index("Reading: what") < text.index("## home") and "home figures" in text
    write_section("stats", "## stats\n\nnewer figures\n", doc)
    again = doc.read_text(encoding="utf-8")
    assert again == text.replace("new figures", "newer figures")


def test_a_section_without_the_line_is_replaced_whole_and_a_new_one_appended(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## stats\n\nold\n\n## home\n\nh\n", encoding="utf-8")
    write_section("stats", "## stats\n\nnew\n", doc)
    write_section("audit", "## audit\n\nchain\n", doc)
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and text.index("new") < text.index("## home")
    assert text.rstrip().endswith("chain\n\n" + KEEP_BELOW)

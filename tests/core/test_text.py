"""The character rule of the request edge (webapp/core/text.py), without HTTP."""

from __future__ import annotations

import pytest

from webapp.core.text import is_unfit, is_unfit_name, one_line, shown, unfit_json_paths


def test_the_rule_is_xml_1_0s_characters():
    refused = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
    refused += ["\ud800", "\udfff", "\ufffe", "\uffff"]
    assert all(is_unfit(f"a{c}b") for c in refused)
    assert not any(is_unfit(f"a{c}b") for c in "\t\n\r \x7f\x85\u2028\ufffd中\U0001f3d7")


def test_paths_name_every_unfit_key_and_string_at_any_depth():
    document = {
        "ok": "文本\n",
        "items": [{"name": "a\x00"}, {"name": "fine", "tags": ["x", "\x01"]}],
        "bad\x02key": {"never": "looked at"},
        "n": 3,
    }
    assert sorted(unfit_json_paths(document)) == sorted(
        ["items.0.name", "items.1.tags.1", "bad\x02key"]
    )
    assert list(unfit_json_paths("\x00")) == [""]
    assert list(unfit_json_paths([None, True, 1.5, "ok"])) == []


def test_a_deep_document_does_not_exhaust_the_stack():
    deep: object = "\x00"
    for _ in range(5_000):  # Python recursion stops at 1,000
        deep = [deep]
    assert len(list(unfit_json_paths(deep))) == 1


def test_names_are_shown_escaped_and_short():
    assert shown("or\x00g") == "or\\u0000g"
    assert shown("x" * 100) == "x" * 59 + "…"


@pytest.mark.parametrize("name", ["a\nb.pdf", "a\rb.pdf", "a\x85b.pdf", "a\u2028b", "a\u2029b"])
def test_a_file_name_is_one_line(name):
    """A file name goes into a download's header: a line break made its file undownloadable."""
    assert is_unfit_name(name) and not is_unfit(name)
    assert one_line(f" {name}\t x ") == " ".join(name.split() + ["x"])


@pytest.mark.parametrize("name", ["总结.pdf", "a b.pdf", "a\tb.pdf", "会议纪要（2026）.docx"])
def test_ordinary_file_names_pass(name):
    assert not is_unfit_name(name)

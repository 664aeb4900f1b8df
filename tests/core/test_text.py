"""The character rule of the request edge (webapp/core/text.py), without HTTP."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.core.text import (
    MAX_JSON_DEPTH,
    bidi_json_paths,
    is_unfit,
    is_unfit_name,
    json_depth,
    long_json_paths,
    one_line,
    plainly_fit_json,
    shown,
    unfit_json_paths,
)


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


_JSON_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1f", "\ufffe", "\u202e", "\u2066", "\\", "u", "{", "["]),
    ),
    max_size=12,
)
_JSON_DOCS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), _JSON_TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_JSON_TEXT, inner, max_size=4)
    ),
    max_leaves=40,
)


@given(_JSON_DOCS, st.booleans(), st.integers(min_value=0, max_value=40))
def test_a_body_whose_text_is_plainly_fit_holds_nothing_the_walks_would_find(doc, ascii, nest):
    for _ in range(nest):  # now and then deeper than the edge allows
        doc = [doc]
    raw = json.dumps(doc, ensure_ascii=ascii)
    if plainly_fit_json(raw):
        assert json_depth(doc) <= MAX_JSON_DEPTH
        assert not list(unfit_json_paths(doc))
        assert not list(bidi_json_paths(doc))
        assert not list(long_json_paths(doc))


def test_plainly_fit_json_passes_ordinary_bodies_and_sends_the_rest_to_the_walks():
    ordinary = {"outcome": "approve", "data": {"说明": "第一行\n第二行\t完"}}
    assert plainly_fit_json(json.dumps(ordinary))  # non-ASCII escaped, as most clients send
    assert plainly_fit_json(json.dumps(ordinary, ensure_ascii=False))
    for unfit in (
        json.dumps({"a": "\x00"}),  # escaped as \u0000
        json.dumps({"a": "\u202e"}),
        '{"a": "\u202e"}',
        json.dumps([[[[]]]] * 12),  # more containers than MAX_JSON_DEPTH: walked
        json.dumps({"a": "x" * 50001}),
    ):
        assert not plainly_fit_json(unfit)

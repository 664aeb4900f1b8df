"""``strict_json_loads`` reads every API body: its decoder is built once per set of options
(found from outside: ``json.loads(..., parse_constant=…)`` built a ``JSONDecoder`` per call), and
it reads exactly as ``json.loads`` does, NaN and the infinities aside."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from webapp.core import text
from webapp.core.text import strict_json_loads


def test_no_decoder_is_built_per_call(monkeypatch):
    strict_json_loads("{}")
    strict_json_loads("1.5", parse_float=Decimal)  # both decoders exist now
    built = []

    class Counting(json.JSONDecoder):
        def __init__(self, *args, **kwargs):
            built.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(json, "JSONDecoder", Counting)
    monkeypatch.setattr(json.decoder, "JSONDecoder", Counting)
    for _ in range(3):
        assert strict_json_loads('{"a": [1, 2.5, "二"]}') == {"a": [1, 2.5, "二"]}
        assert strict_json_loads(b'{"a": 1.10}', parse_float=Decimal) == {"a": Decimal("1.10")}
    assert built == []
    assert text._strict_decoder.cache_info().currsize >= 2


@pytest.mark.parametrize(
    "raw",
    ['{"a": 1}', b'{"a": "\\u4e8c"}', '{"a": "二"}'.encode("utf-16"), b"[1, 2]", "  3 "],
)
def test_reads_as_json_loads_does(raw):
    assert strict_json_loads(raw) == json.loads(raw)


@pytest.mark.parametrize("raw", ["NaN", "[Infinity]", b'{"a": -Infinity}', "\ufeff{}", "{", ""])
def test_refuses_what_is_not_json(raw):
    with pytest.raises(json.JSONDecodeError):
        strict_json_loads(raw)


def test_refuses_what_is_not_text():
    with pytest.raises(TypeError):
        strict_json_loads(12)  # type: ignore[arg-type]

"""NaN and Infinity are Python's numbers, not JSON's: none reaches a task's data or the state,
from a web form, a script or a service operation."""

from __future__ import annotations

import pytest

from webapp.engine.operations import form_values
from webapp.engine.sandbox import SandboxError, run_script

_SCHEMA = {"properties": {"area": {"type": "number"}, "count": {"type": "integer"}}}


@pytest.mark.parametrize("posted", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_a_number_field_keeps_a_non_json_number_as_posted_for_the_validator(posted):
    assert form_values(_SCHEMA, {"f_area": posted}) == {"area": posted}


def test_a_number_field_reads_ordinary_numbers():
    assert form_values(_SCHEMA, {"f_area": "12.5", "f_count": "3"}) == {"area": 12.5, "count": 3}


@pytest.mark.parametrize("script", ["x = float('nan')", "x = float('inf')", "x = [1e308 * 10]"])
def test_a_script_cannot_leave_a_non_json_number_in_the_data(script):
    with pytest.raises(SandboxError, match="无法保存的数据"):
        run_script(script, {})

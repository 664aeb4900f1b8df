"""NaN and Infinity are Python's numbers, not JSON's: none reaches a task's data or the state,
from a web form (the validator refuses them), a script or a service operation."""

from __future__ import annotations

import pytest

from webapp.engine.jsonschema import validate
from webapp.engine.operations import form_values
from webapp.engine.sandbox import SandboxError, run_script

_SCHEMA = {"properties": {"area": {"type": "number"}, "count": {"type": "integer"}}}


@pytest.mark.parametrize(
    ("posted", "problem"),
    [("nan", "应为数字"), ("NaN", "应为数字"), ("inf", "数值过大"), ("-Infinity", "数值过大")],
)
def test_a_number_field_posted_as_a_non_json_number_is_refused(posted, problem):
    data = form_values(_SCHEMA, {"f_area": posted})
    assert validate(_SCHEMA, data)["area"].endswith(problem)


@pytest.mark.parametrize("script", ["x = float('nan')", "x = float('inf')", "x = [1e308 * 10]"])
def test_a_script_cannot_leave_a_non_json_number_in_the_data(script):
    with pytest.raises(SandboxError, match="无法保存的数据"):
        run_script(script, {})

"""A small JSON Schema validator for user-task forms (the subset :func:`register_form` documents).

Returns every problem at once, keyed by field path, with a Chinese message, so that a 422 lists
all invalid fields.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}
_TYPE_LABELS = {
    "object": "对象",
    "array": "列表",
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否",
}


def _type_ok(value: Any, expected: str) -> bool:
    if expected in ("integer", "number") and isinstance(value, bool):
        return False
    if expected == "integer" and isinstance(value, float) and value.is_integer():
        return True
    return isinstance(value, _TYPES.get(expected, (object,)))


def validate(schema: dict[str, Any], value: Any, path: str = "") -> dict[str, str]:
    """Problems as ``{field path: message}``; empty when ``value`` satisfies ``schema``."""
    problems: dict[str, str] = {}
    label = schema.get("title") or path or "数据"
    expected = schema.get("type")
    if expected and not _type_ok(value, expected):
        problems[path or "_"] = f"{label}应为{_TYPE_LABELS.get(expected, expected)}"
        return problems
    if isinstance(value, float) and not math.isfinite(value):
        # 1e400 reads as infinity: PostgreSQL's JSON cannot store it (a 500 otherwise)
        problems[path or "_"] = f"{label}{'应为数字' if math.isnan(value) else '数值过大'}"
        return problems
    if "enum" in schema and value not in schema["enum"]:
        names = schema.get("enumNames") or []
        shown = names if len(names) == len(schema["enum"]) else schema["enum"]
        allowed = "、".join(str(v) for v in shown)
        problems[path or "_"] = f"{label}的取值须为：{allowed}"
        return problems
    if isinstance(value, str):
        if "minLength" in schema and len(value.strip()) < schema["minLength"]:
            problems[path or "_"] = (
                f"{label}不能为空"
                if schema["minLength"] == 1
                else f"{label}至少{schema['minLength']}个字符"
            )
        elif "maxLength" in schema and len(value) > schema["maxLength"]:
            problems[path or "_"] = f"{label}最多{schema['maxLength']}个字符"
        elif "pattern" in schema and not re.search(schema["pattern"], value):
            problems[path or "_"] = f"{label}格式不正确"
        elif schema.get("format") == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                problems[path or "_"] = f"{label}应为日期（YYYY-MM-DD）"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems[path or "_"] = f"{label}不能小于{schema['minimum']}"
        elif "maximum" in schema and value > schema["maximum"]:
            problems[path or "_"] = f"{label}不能大于{schema['maximum']}"
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if value.get(name) in (None, ""):
                title = props.get(name, {}).get("title", name)
                problems[_join(path, name)] = f"{title}为必填项"
        for name, sub in props.items():
            if name in value and value[name] is not None and _join(path, name) not in problems:
                problems.update(
                    validate(
                        {"title": sub.get("title", name), **sub}, value[name], _join(path, name)
                    )
                )
        if schema.get("additionalProperties") is False:
            for name in value:
                if name not in props:
                    problems[_join(path, name)] = f"不允许的字段 {name}"
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems.update(validate(schema["items"], item, f"{path}[{i}]"))
    return problems


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name

"""Workbook builders for the import tests."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

PROJECT_HEADERS = [
    "监督注册号",
    "工程名称",
    "结构类型",
    "建筑面积（平方米）",
    "工程造价（万元）",
    "施工单位",
    "监理单位",
    "形象进度",
    "监督注册日期",
    "竣工验收日期",
    "竣工验收结论",
    "备案日期",
    "备案结论",
    "用户评价",
    "住宅",
    "保障性安居",
    "公共建筑",
    "监督机构代码",
    "备注",
]


def project_row(reg: str = "ZY-001", **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "监督注册号": reg,
        "工程名称": f"工程{reg}",
        "结构类型": "框架",
        "建筑面积（平方米）": 10000,
        "工程造价（万元）": 3000,
        "施工单位": "河南一建",
        "监理单位": "中原监理",
        "形象进度": "主体十层",
        "监督注册日期": "2026-07-01",
        "竣工验收日期": None,
        "竣工验收结论": None,
        "备案日期": None,
        "备案结论": None,
        "用户评价": None,
        "住宅": "是",
        "保障性安居": "否",
        "公共建筑": "否",
        "监督机构代码": None,
        "备注": "",
    }
    row.update(over)
    return row


def workbook(rows: list[dict[str, Any]], headers: list[str] | None = None) -> bytes:
    headers = headers or PROJECT_HEADERS
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

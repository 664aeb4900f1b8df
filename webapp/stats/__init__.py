"""Statistics (附表1–7) computed in SQL from the ledgers, checks, snapshots."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask, api: Any) -> None:
    pass

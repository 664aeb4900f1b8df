"""Progress of a long request, for the page that waits for it (a ledger import of 60,000 rows).

The page posts a random token with its form and, while the browser waits for the answer, asks
``GET .../progress/<token>`` every half second.  The request doing the work reports its phase
and counts here.  The store lives in the server process (waitress serves every request of the
product from its threads); another process answers "unknown" and the page keeps its spinner.
It holds nothing but counts, is bounded, forgets entries after an hour, and is read back only by
the user who started the work.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_ENTRIES = 1000
TTL_SECONDS = 3600

PHASES = {
    "read": "正在读取文件",
    "validate": "正在校验",
    "write": "正在写入",
    "done": "已完成",
}


@dataclass
class Entry:
    user_id: int
    phase: str
    done: int
    total: int
    at: float

    def as_dict(self) -> dict[str, Any]:
        label = PHASES.get(self.phase, self.phase)
        if self.phase == "validate":
            message = f"{label} {self.total} 行…（已校验 {self.done} 行）"
        elif self.phase == "write":
            message = f"{label} {self.total} 行…"
        elif self.phase == "read":
            message = f"{label}…（已读取 {self.done} 行）"
        else:
            message = label
        return {"phase": self.phase, "done": self.done, "total": self.total, "message": message}


_lock = threading.Lock()
_entries: dict[str, Entry] = {}


def valid_token(token: str | None) -> bool:
    return bool(token) and TOKEN_RE.fullmatch(token or "") is not None


def report(user_id: int, token: str | None, phase: str, done: int = 0, total: int = 0) -> None:
    """Record the progress of the work ``token`` names (ignored for a malformed token)."""
    if not valid_token(token):
        return
    now = time.monotonic()
    with _lock:
        if token not in _entries and len(_entries) >= MAX_ENTRIES:
            _forget_old(now)
            if len(_entries) >= MAX_ENTRIES:
                _entries.pop(min(_entries, key=lambda k: _entries[k].at))
        current = _entries.get(token or "")
        if current is not None and current.user_id != user_id:
            return  # a token is never taken over by another user
        _entries[token or ""] = Entry(user_id, phase, done, total, now)


def reporter(user_id: int, token: str | None) -> Any:
    """A ``progress(phase, done, total)`` callable for the work ``token`` names."""

    def progress(phase: str, done: int, total: int) -> None:
        report(user_id, token, phase, done, total)

    return progress


def read(user_id: int, token: str) -> dict[str, Any] | None:
    """The progress of ``token`` if ``user_id`` started it, else None."""
    with _lock:
        entry = _entries.get(token)
        if entry is None or entry.user_id != user_id:
            return None
        if time.monotonic() - entry.at > TTL_SECONDS:
            _entries.pop(token, None)
            return None
        return entry.as_dict()


def _forget_old(now: float) -> None:
    for key in [k for k, e in _entries.items() if now - e.at > TTL_SECONDS]:
        _entries.pop(key, None)

"""Logging that cannot be forged: user-supplied text is escaped before it reaches a log line.

A username like ``"x\\n2026-11-28 INFO admin logged in"`` would otherwise write a fake line.
The record factory renders the message once with its arguments and escapes control characters
(newlines included) with ``repr``-style escapes; tracebacks are left as they are.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]")


def escape(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


_installed = False


def configure() -> None:
    """Escape every log record's message, whichever logger or handler it goes through."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logged as it is
            return record
        record.msg = escape(message)
        record.args = None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True

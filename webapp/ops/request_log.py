"""One log line per request (method, path, status, duration, user id, request id), and the
request id in the ``X-Request-ID`` response header.

The id is the client's (or the load balancer's) ``X-Request-ID`` when it is a plain token of at
most 128 characters, else a fresh one; every log record written during the request carries it.
With ``HQR_LOG_FORMAT=json`` (``make run-prod``) every record is one JSON object per line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request, request_finished, request_started
from sqlalchemy import inspect

from webapp.core.models import User

log = logging.getLogger("webapp.request")

HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

#: The current request's id, for the records logged while it runs.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from(header: str | None) -> str:
    if header and _VALID_ID.match(header):
        return header
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message, the request id and the
    record's ``fields`` (the request line's method, path, status...)."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            body["request_id"] = request_id
        body.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


def configure_json_logging(level: int = logging.INFO) -> None:
    """Every record of the process to stderr as JSON lines (gunicorn workers and the timer
    workers alike)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)
    # SpiffWorkflow logs every task state change at INFO: a line per step is noise here.
    logging.getLogger("spiff").setLevel(logging.WARNING)


def _started(sender: Flask, **_extra: Any) -> None:
    g.request_started_at = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(HEADER))
    request_id_var.set(g.request_id)


def _user_id() -> int | None:
    """The id of the user the request loaded, if it did, read from the ORM identity: no query,
    even after the commit expired the object (a refresh would open a new transaction)."""
    user = g.get("_login_user")
    if user is None or not isinstance(user, User):
        return None
    identity = inspect(user).identity
    return identity[0] if identity else None


def _before_commit(response: Any) -> Any:
    """An after_request hook registered after the edge's commit, so run before it."""
    g.request_user_id = _user_id()
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _finished(sender: Flask, response: Any, **_extra: Any) -> None:
    """After every after_request hook (the commit included): the status is the one sent."""
    started = g.get("request_started_at")
    duration = (time.perf_counter() - started) * 1000 if started is not None else None
    user_id = g.get("request_user_id") if "request_user_id" in g else _user_id()
    fields = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round(duration, 2) if duration is not None else None,
        "user_id": user_id,
        "request_id": g.get("request_id"),
    }
    log.info(
        "%s %s %s", request.method, request.path, response.status_code, extra={"fields": fields}
    )
    request_id_var.set(None)


def init_app(app: Flask) -> None:
    # weak=False: blinker keeps only a weak reference by default.
    request_started.connect(_started, app, weak=False)
    request_finished.connect(_finished, app, weak=False)
    app.after_request(_before_commit)
    if app.config.get("LOG_FORMAT") == "json":
        configure_json_logging()

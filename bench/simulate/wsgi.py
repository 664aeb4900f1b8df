"""The production app with a simulated clock, for ``make simulate-year`` only.

A request carrying ``X-Simulated-Now`` (an ISO time with its zone) runs with the application's
one clock (:mod:`webapp.core.clock`) set to that moment, so a year of deadlines, late
submissions and freezes can be driven in minutes.  gunicorn's sync workers answer one request
at a time per process, so setting the process-wide clock per request is safe there.  Never
serve this module: anyone could choose the time.  Production serves ``wsgi:app``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from webapp.core import clock
from wsgi import app as flask_app


def app(environ: dict[str, Any], start_response: Any) -> Any:
    value = environ.get("HTTP_X_SIMULATED_NOW")
    clock.set_now(datetime.fromisoformat(value) if value else None)
    return flask_app(environ, start_response)

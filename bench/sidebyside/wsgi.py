"""The production app with the five-task benchmark process startable through the API.

``POST /api/v1/instances`` starts only processes with a registered start form and start
admission (issue 19); the benchmark's process ``bench_five_tasks`` (five_tasks.bpmn beside this
file) registers an empty start form and admits every unit its user may start for (the engine's
own ``workflow.start`` check still applies).
Served by ``waitress-serve bench.sidebyside.wsgi:app``.
"""

from __future__ import annotations

from typing import Any

from webapp.engine import register_start_admission, register_start_form
from wsgi import app

PROCESS_KEY = "bench_five_tasks"

register_start_form(PROCESS_KEY, {"type": "object", "properties": {}}, label="五步基准")


def _admit(user: Any, org: Any, data: dict[str, Any]) -> None:
    """No business object beyond the unit, which ``start_instance`` checks."""


register_start_admission(PROCESS_KEY, _admit)

__all__ = ["app"]

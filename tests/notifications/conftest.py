"""The engine's fixtures (deploy, start) and the reports' (workflows) for notification tests."""

from tests.engine.conftest import deploy, start  # noqa: F401
from tests.reports.conftest import workflows  # noqa: F401

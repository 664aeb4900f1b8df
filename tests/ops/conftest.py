"""The engine's fixtures (deploy a BPMN fixture, start an instance) for the timer-worker tests."""

from tests.engine.conftest import deploy, start  # noqa: F401

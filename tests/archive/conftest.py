"""The reports' fixtures (real workflows, the oracle ledger, API clients) for the archive's
tests on a real submitted report."""

from tests.reports.conftest import api, oracle, workflows  # noqa: F401

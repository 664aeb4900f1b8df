"""Which tests the PostgreSQL leg of ``make test`` leaves to the SQLite leg, and why.

``make test`` runs the whole suite on SQLite, then on PostgreSQL the tests that can tell the two
engines apart: ``pytest -m "not browser and not db_agnostic"``.  A test is ``db_agnostic`` when
its file (or folder) is listed in :data:`DB_AGNOSTIC` below, with the reason; tests/conftest.py
marks them at collection.  Everything not listed runs on both engines, so a new test file is on
PostgreSQL unless someone lists it here.

What an entry may not be (tests/architecture/test_pg_scope.py checks it): a folder or file of
:data:`ALWAYS_POSTGRES` (the engine, reports, statistics, the audit chain, the reliability and
periodic tests, the ledgers, the drafts store, the operations), a migration test, or a file that
speaks SQL beyond the ORM's basics (:data:`SQL_BEYOND_ORM`: raw ``text()``, row locks, dialect
checks, ``TEST_DATABASE_URL``, threads) — those are where SQLite and PostgreSQL differ.
"""

from __future__ import annotations

import re

#: Paths under tests/ (a folder ends with "/") that the PostgreSQL leg skips, with the reason.
DB_AGNOSTIC: dict[str, str] = {
    "architecture/": "the import-layer and lint rules, checked on a copy of the source",
    "documents/": "Word and PDF rendering from plain contexts (sandbox, LibreOffice): no database",
    "security/test_headers.py": "response headers and the CSP of pages: the same on any engine",
    "security/test_safe_next.py": "the login redirect's target check: request handling only",
    "security/test_docs.py": "the security document's claims against the source: no database",
    "security/test_export_formulas.py": "spreadsheet formula escaping of exports: openpyxl output",
    "security/test_access_walk.py": (
        "who may read which page: the permission rules (can(), relation()) over ORM reads; "
        "the PostgreSQL-specific reads of the same pages run in their feature folders"
    ),
    "core/test_dates.py": "date parsing and display: pure functions",
    "core/test_numbers.py": "number formatting: pure functions",
    "core/test_periods.py": "period arithmetic: pure functions",
    "core/test_text.py": "text helpers: pure functions",
    "core/test_navigation.py": "the navigation menu per role: templates",
    "core/test_permissions.py": "the permission rules (can()): Python over ORM objects",
    "workflow_admin/": (
        "BPMN editing, validation, version compare and Word template versions: XML and "
        "documents kept as ORM rows; the engine's own tests run on PostgreSQL"
    ),
    "demo/": (
        "`make db`'s demo build (minutes per run): every step it takes is tested on PostgreSQL "
        "in its feature folder, and the simulated year of tests/ops/test_bench_scale.py drives a "
        "province's year on PostgreSQL"
    ),
}

#: Folders (and file name parts) always run on PostgreSQL: they hold the engine-sensitive code
#: (SQL aggregation, row locks, the audit chain's lock, timers, migrations, backups).
ALWAYS_POSTGRES = (
    "engine/",
    "reports/",
    "stats/",
    "audit/",
    "reliability/",
    "periodic/",
    "ledger/",
    "drafts/",
    "ops/",
    "home/",
    "publication/",
    "assessment/",
    "accidents/",
    "archive/",
    "mail/",
    "notifications/",
)

#: The refusal sweeps (file names with these parts) always run on PostgreSQL: a refused write is
#: rolled back at the edge while the record of the refusal (a failed login, a refused upload) and
#: the form's one-time token claim are kept or released in their own transactions.
REFUSAL_SWEEPS = ("refusal", "form_errors")

#: What makes a test file database-sensitive: SQL beyond the ORM's basics.
SQL_BEYOND_ORM = re.compile(
    r"\bsa\.text\(|from sqlalchemy import[^\n]*\btext\b|exec_driver_sql|with_for_update"
    r"|\bdialect\b|TEST_DATABASE_URL|mark\.postgres|migration_db|advisory|FOR UPDATE"
)
#: Concurrency, which SQLite and PostgreSQL lock differently: sensitive in a file using the
#: database (:data:`USES_DATABASE`), not in one converting documents in parallel.
CONCURRENCY = re.compile(r"\bThread\(|ThreadPoolExecutor|multiprocessing|concurrent\.futures")
USES_DATABASE = re.compile(r"\bdb\.(session|engine)\b|make_user|logged_in|api_token|\bclient\b")


def database_sensitive(source: str) -> str | None:
    """What in a test file's ``source`` can tell the engines apart (None: nothing)."""
    found = SQL_BEYOND_ORM.search(source)
    if found is None and USES_DATABASE.search(source):
        found = CONCURRENCY.search(source)
    return found.group(0) if found else None


def is_agnostic(relative: str) -> bool:
    """Whether the test file ``relative`` (a path under tests/, "/" separated) is listed."""
    return any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in DB_AGNOSTIC)

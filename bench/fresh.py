"""What the benchmarks share: an application on a fresh database, and their section of
docs/benchmarks.md."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def fresh_app(url: str, prefix: str, **settings: Any) -> Any:
    """The application on ``url``, its instance folder in a new temporary directory; on
    PostgreSQL the public schema is dropped first (point it at a database of its own).
    ``settings`` override the production ``Config``."""
    os.environ["HQR_INSTANCE_PATH"] = tempfile.mkdtemp(prefix=prefix)
    from sqlalchemy import text

    from webapp import create_app
    from webapp.config import Config

    config = type(
        "BenchConfig",
        (Config,),
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only", **settings},
    )
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        from webapp import _normalise_db_url

        engine = create_engine(_normalise_db_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    return create_app(config)


#: Ends the figures a benchmark writes into its section; what follows it in the section (the
#: hand-written reading of the figures) is kept when the benchmark runs again.
KEEP_BELOW = "<!-- written by the benchmark above this line; kept below it -->"


def write_section(heading: str, section: str, doc: Path = DOC) -> None:
    """Put ``section`` in place of ``doc``'s ``## heading`` (or append it).

    The text between the section's :data:`KEEP_BELOW` line and the next heading is kept."""
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\n"
    written = section.rstrip("\n") + "\n\n" + KEEP_BELOW + "\n"
    start = text.find(f"## {heading}\n")
    if start < 0:
        doc.write_text(text.rstrip("\n") + "\n\n" + written, encoding="utf-8")
        return
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end + 1
    old = text[start:end]
    kept = old.split(KEEP_BELOW, 1)[1].lstrip("\n") if KEEP_BELOW in old else ""
    written += ("\n" + kept.rstrip("\n") + "\n\n") if kept.strip() else "\n"
    doc.write_text(text[:start] + written + text[end:], encoding="utf-8")


def run_on_databases(
    run_one: Callable[[str, str], dict[str, Any]],
    section: Callable[[list[dict[str, Any]]], str],
    heading: str,
) -> None:
    """``run_one(url, label)`` on a new SQLite file, then on ``BENCH_DATABASE_URL`` when set;
    the figures printed, and ``section(results)`` written as ``## heading`` of the docs."""
    results = []
    sqlite_dir = tempfile.mkdtemp(prefix=f"bench-{heading}-db-")
    print("SQLite …", flush=True)
    results.append(run_one(f"sqlite:///{sqlite_dir}/bench.sqlite3", "SQLite"))
    print(results[-1], flush=True)
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:
        print("PostgreSQL …", flush=True)
        results.append(run_one(pg, "PostgreSQL"))
        print(results[-1], flush=True)
    else:
        print("BENCH_DATABASE_URL not set: PostgreSQL skipped", flush=True)
    text = section(results)
    print(text)
    write_section(heading, text)

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


def write_section(heading: str, section: str) -> None:
    """Put ``section`` in place of docs/benchmarks.md's ``## heading`` (or append it)."""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    start = text.find(f"## {heading}")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text, encoding="utf-8")


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

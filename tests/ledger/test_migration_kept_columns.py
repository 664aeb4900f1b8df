"""The migration that adds the database-kept integer columns of the projects (5e0b3c9d1a47):
the projects already in the ledger get them, nothing else of theirs changes, and the table keeps
its indexes (on SQLite the table is rebuilt: the partial covering indexes keep their
predicates); and back (on an SQLite file, or a schema of the PostgreSQL test database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.migration_db import app_at
from webapp.extensions import db

BEFORE = "a7c1e5d2f903"
REVISION = "5e0b3c9d1a47"
SCHEMA = "h1_kept_columns_migration"
AT = datetime(2026, 10, 9, 2, 30, tzinfo=UTC)
KEPT = ("area_cents", "cost_cents", "registered_day", "passed_day", "granted_day")


@pytest.fixture
def old_app(tmp_path) -> Iterator[Flask]:
    yield from app_at(BEFORE, SCHEMA, tmp_path)


def _project(org_id: int, i: int, **over: object) -> dict[str, object]:
    return {
        "registration_no": f"M-{i}", "name": f"工程{i}", "structure_type": "框架",
        "area_m2": "999999999999.99", "cost_10k_yuan": "0.29", "contractor": "",
        "supervisor": "", "progress": "", "registered_on": date(2026, 7, 1),
        "user_rating": "满意", "is_residential": True, "is_affordable_housing": False,
        "is_public": False, "remarks": "", "created_at": AT, "updated_at": AT, "org_id": org_id,
        "accepted_on": None, "acceptance_result": None, "filed_on": None, "filing_result": None,
        **over,
    }  # fmt: skip


def _indexes() -> dict[str, str]:
    found = sa.inspect(db.engine).get_indexes("ledger_project")
    return {
        i["name"]: str(i.get("dialect_options", {}).get(f"{db.engine.dialect.name}_where"))
        for i in found
    }


def test_existing_projects_get_the_kept_columns_and_the_table_its_indexes(old_app):
    from flask_migrate import downgrade, upgrade

    with old_app.app_context():
        meta = sa.MetaData()
        meta.reflect(bind=db.engine, only=("org", "ledger_project"))
        org, project = meta.tables["org"], meta.tables["ledger_project"]
        with db.engine.begin() as conn:
            org_id = conn.execute(
                org.insert().values(
                    code="410102", name="中原区", tier="county", path="410102/", depth=0
                )
            ).inserted_primary_key[0]
            conn.execute(
                project.insert(),
                [
                    _project(org_id, 1),
                    _project(org_id, 2, accepted_on=date(2026, 9, 30), acceptance_result="合格",
                             filed_on=date(2026, 10, 1), filing_result="准予备案"),
                    _project(org_id, 3, accepted_on=date(2026, 8, 1), acceptance_result="不合格",
                             filed_on=date(2026, 8, 2), filing_result="不予备案"),
                ],
            )  # fmt: skip
            names = ", ".join(c.name for c in project.columns)
            every = sa.text(f"SELECT {names} FROM ledger_project ORDER BY id")
            before = conn.execute(every).all()
        indexes = _indexes()
        assert "合格" in indexes["ix_ledger_project_passed_cover"]  # its predicate, reflected

        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            cols = ", ".join(KEPT)
            kept = conn.execute(
                sa.text(f"SELECT registration_no, {cols} FROM ledger_project ORDER BY id")
            ).all()
            after = conn.execute(every).all()
        assert [tuple(r) for r in kept] == [
            ("M-1", 99999999999999, 29, 20260701, None, None),
            ("M-2", 99999999999999, 29, 20260701, 20260930, 20261001),
            ("M-3", 99999999999999, 29, 20260701, None, None),
        ]
        assert [tuple(r) for r in after] == [tuple(r) for r in before]
        assert _indexes() == indexes
        db.session.remove()

        downgrade(revision=BEFORE)
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("ledger_project")}
        assert not columns & set(KEPT)
        assert _indexes() == indexes
        db.session.remove()

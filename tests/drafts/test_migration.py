"""The data migration: texts typed before versions were kept become version 1 (系统迁移), on a
database of its own (an SQLite file, or a schema of the PostgreSQL test database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.migration_db import app_at
from webapp.extensions import db

BEFORE = "394133e663ad"  # accidents: the last revision without section versions
REVISION = "ffcdf174b3c5"  # drafts: section versions, the texts saved so far as version 1
SCHEMA = "h5_drafts_migration"
SAVED = datetime(2026, 10, 9, 2, 30, tzinfo=UTC)


@pytest.fixture
def old_app(tmp_path) -> Iterator[Flask]:
    """An app on an empty database of its own, migrated up to just before the revision."""
    yield from app_at(BEFORE, SCHEMA, tmp_path)


def _insert_old_rows() -> dict[str, int]:
    meta = sa.MetaData()
    meta.reflect(bind=db.engine, only=["org", "report", "publication"])
    org, report, publication = (meta.tables[n] for n in ("org", "report", "publication"))
    with db.engine.begin() as conn:
        org_id = conn.execute(
            org.insert().values(
                code="410102", name="中原区", tier="county", path="410102/", depth=0
            )
        ).inserted_primary_key[0]
        common = {
            "org_id": org_id,
            "kind": "quarterly",
            "due_at": SAVED,
            "remind_at": SAVED,
            "opened_at": SAVED,
            "upper_returns": 0,
            "locked": False,
            "round": 1,
        }
        typed = conn.execute(
            report.insert().values(
                period="2026Q3",
                narrative={"s01": "迁移前写的第一章", "s02": "", "s11": "对策建议"},
                narrative_saved_at=SAVED,
                explanations={"jump.registered": "新开工项目集中"},
                missing_explanation="已电话督促",
                **common,
            )
        ).inserted_primary_key[0]
        empty = conn.execute(
            report.insert().values(period="2026Q2", narrative={}, explanations={}, **common)
        ).inserted_primary_key[0]
        pub = conn.execute(
            publication.insert().values(
                org_id=org_id,
                period="2026H2",
                opened_at=SAVED,
                sections={"overview": "生成的总体状况", "measures": "拟稿人写的措施"},
            )
        ).inserted_primary_key[0]
    return {"typed": typed, "empty": empty, "pub": pub}


def test_texts_typed_before_become_version_1(old_app):
    from flask_migrate import upgrade

    from webapp.drafts import operations as drafts
    from webapp.drafts.models import SectionVersion
    from webapp.publication.drafting import DRAFT
    from webapp.publication.models import Publication
    from webapp.reports.drafting import EXPLANATIONS, NARRATIVE
    from webapp.reports.models import Report

    with old_app.app_context():
        ids = _insert_old_rows()
        upgrade(revision=REVISION)
        rows = db.session.execute(
            sa.select(SectionVersion).order_by(SectionVersion.document_kind, SectionVersion.section)
        ).scalars()
        found = {(r.document_kind, r.document_id, r.section): r for r in rows}
        assert {(k, s): found[(k, i, s)].text for k, i, s in found} == {
            ("publication_draft", "measures"): "拟稿人写的措施",
            ("publication_draft", "overview"): "生成的总体状况",
            ("report_explanations", "jump.registered"): "新开工项目集中",
            ("report_explanations", "missing_explanation"): "已电话督促",
            ("report_narrative", "s01"): "迁移前写的第一章",
            ("report_narrative", "s11"): "对策建议",
        }
        assert {
            r.document_id for r in found.values() if r.document_kind != "publication_draft"
        } == {ids["typed"]}
        assert all(r.version == 1 and r.saved_by_name == "系统迁移" for r in found.values())
        assert all(r.saved_by_id is None for r in found.values())
        # The narrative keeps the time it was saved; the draft the time it was generated.
        assert found[("report_narrative", ids["typed"], "s01")].saved_at == SAVED
        assert found[("publication_draft", ids["pub"], "overview")].saved_at == SAVED
        # The columns the rest of the product reads are the current versions' texts.
        typed = db.session.get(Report, ids["typed"])
        assert drafts.divergence(NARRATIVE, typed) == {}
        assert drafts.divergence(EXPLANATIONS, typed) == {}
        assert drafts.divergence(DRAFT, db.session.get(Publication, ids["pub"])) == {}
        assert drafts.current_versions(NARRATIVE, typed) == {"s01": 1, "s11": 1}

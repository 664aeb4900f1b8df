"""The migration into the archive: the report Word files, an issued notice and a published
report move into archived_document with their stored hashes, and are served from it (on an
SQLite file, or a schema of the PostgreSQL test database)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.migration_db import app_at
from webapp.extensions import db

BEFORE = "aead0c8846fe"  # reports: reporting notice, the last revision with blobs per feature
REVISION = "b7d41c2e9a10"  # archive: one document archive
SCHEMA = "h1_archive_migration"
AT = datetime(2026, 10, 9, 2, 30, tzinfo=UTC)
WORD = {
    "v1": b"PK\x03\x04 the first submission",
    "v2": b"PK\x03\x04 the corrected submission",
    "notice": b"PK\x03\x04 the issued notice",
    "public": b"PK\x03\x04 the published report",
}


@pytest.fixture
def old_app(tmp_path) -> Iterator[Flask]:
    """An app on an empty database of its own, migrated up to just before the revision."""
    yield from app_at(BEFORE, SCHEMA, tmp_path)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _insert_old_rows() -> dict[str, int]:
    meta = sa.MetaData()
    names = ("org", "report", "report_document", "reporting_notice", "publication")
    meta.reflect(bind=db.engine, only=names)
    org, report, report_document, notice, publication = (meta.tables[n] for n in names)
    with db.engine.begin() as conn:
        org_id = conn.execute(
            org.insert().values(
                code="410102", name="中原区", tier="county", path="410102/", depth=0
            )
        ).inserted_primary_key[0]
        report_id = conn.execute(
            report.insert().values(
                org_id=org_id, kind="quarterly", period="2026Q3", due_at=AT, remind_at=AT,
                opened_at=AT, upper_returns=0, locked=True, round=2, narrative={},
                explanations={},
            )
        ).inserted_primary_key[0]  # fmt: skip
        for version, key, stage in ((1, "v1", "submitted"), (2, "v2", "accepted")):
            conn.execute(
                report_document.insert().values(
                    report_id=report_id, version=version, stage=stage,
                    filename=f"中原区报告{version}.docx", content=WORD[key],
                    sha256=_sha(WORD[key]), created_at=AT,
                )
            )  # fmt: skip
        notice_id = conn.execute(
            notice.insert().values(
                year=2025, commend_units=[], commend_people=[], criticise_units=[],
                created_at=AT, issued_at=AT, document=WORD["notice"],
                document_sha256=_sha(WORD["notice"]),
            )
        ).inserted_primary_key[0]  # fmt: skip
        conn.execute(
            notice.insert().values(
                year=2026,
                commend_units=[],
                commend_people=[],
                criticise_units=[],
                created_at=AT,
            )
        )  # fmt: skip  (not issued: nothing to move)
        pub_id = conn.execute(
            publication.insert().values(
                org_id=org_id, period="2026H2", opened_at=AT, published_at=AT, sections={},
                document=WORD["public"], document_name="中原区公开报告.docx",
                document_sha256=_sha(WORD["public"]),
            )
        ).inserted_primary_key[0]  # fmt: skip
    return {"report": report_id, "notice": notice_id, "pub": pub_id}


def test_the_blobs_move_into_the_archive_with_their_hashes(old_app):
    from flask_migrate import downgrade, upgrade

    from webapp.archive import operations as archive
    from webapp.archive.models import ArchivedDocument
    from webapp.reports.models import Report

    with old_app.app_context():
        ids = _insert_old_rows()
        upgrade(revision=REVISION)
        rows = db.session.execute(
            sa.select(ArchivedDocument).order_by(ArchivedDocument.id)
        ).scalars()
        found = {(r.owner_kind, r.owner_id, r.version): r for r in rows}
        assert set(found) == {
            ("report", ids["report"], 1),
            ("report", ids["report"], 2),
            ("reporting_notice", ids["notice"], 1),
            ("publication", ids["pub"], 1),
        }
        expected = {
            ("report", ids["report"], 1): ("v1", "submitted", "中原区报告1.docx"),
            ("report", ids["report"], 2): ("v2", "accepted", "中原区报告2.docx"),
            ("reporting_notice", ids["notice"], 1): (
                "notice", "issued", "关于2025年度工程质量分析报告报送工作的通报.docx",
            ),
            ("publication", ids["pub"], 1): ("public", "published", "中原区公开报告.docx"),
        }  # fmt: skip
        for key, (word, stage, filename) in expected.items():
            doc = found[key]
            assert (doc.kind, doc.stage, doc.filename) == ("source", stage, filename)
            assert doc.sha256 == _sha(WORD[word]) and doc.size == len(WORD[word])
            assert archive.read(doc) == WORD[word]  # verified against the kept hash
        report = db.session.get(Report, ids["report"])
        assert [d.version for d in report.documents] == [1, 2]
        assert archive.latest("publication", ids["pub"]).filename == "中原区公开报告.docx"
        columns = {
            t: {c["name"] for c in sa.inspect(db.engine).get_columns(t)}
            for t in ("reporting_notice", "publication")
        }
        assert "document" not in columns["reporting_notice"] | columns["publication"]
        assert {"document_sha256"} <= columns["reporting_notice"] & columns["publication"]
        assert "report_document" not in sa.inspect(db.engine).get_table_names()
        db.session.remove()

        # And back: the blobs return to where they were.
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            back = conn.execute(
                sa.text("SELECT version, content, sha256 FROM report_document ORDER BY version")
            ).all()
            assert [(v, bytes(c), s) for v, c, s in back] == [
                (1, WORD["v1"], _sha(WORD["v1"])),
                (2, WORD["v2"], _sha(WORD["v2"])),
            ]
            issued = conn.execute(
                sa.text("SELECT document FROM reporting_notice WHERE year = 2025")
            ).scalar_one()
            assert bytes(issued) == WORD["notice"]
        db.session.remove()

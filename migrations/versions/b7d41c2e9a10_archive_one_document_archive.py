"""archive: one document archive for every frozen file; existing blobs moved into it

Moves the report Word files (report_document), the issued reporting notices
(reporting_notice.document) and the published public reports (publication.document) into
archived_document with their stored hashes, then drops the old blob table and columns (nothing
reads them any more: the features serve from the archive).  The hashes stay on reporting_notice
and publication (document_sha256), as the reference of the archived file.

Revision ID: b7d41c2e9a10
Revises: aead0c8846fe
Create Date: 2026-12-06 08:45:00.000000

"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d41c2e9a10"
down_revision = "aead0c8846fe"
branch_labels = None
depends_on = None

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

archived = sa.table(
    "archived_document",
    sa.column("id", sa.Integer),
    sa.column("owner_kind", sa.String),
    sa.column("owner_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("version", sa.Integer),
    sa.column("stage", sa.String),
    sa.column("filename", sa.String),
    sa.column("media_type", sa.String),
    sa.column("content", sa.LargeBinary),
    sa.column("size", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("created_by_id", sa.Integer),
    sa.column("derived_from_id", sa.Integer),
)
report_document = sa.table(
    "report_document",
    sa.column("id", sa.Integer),
    sa.column("report_id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("stage", sa.String),
    sa.column("filename", sa.String),
    sa.column("content", sa.LargeBinary),
    sa.column("sha256", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("created_by_id", sa.Integer),
)
notice = sa.table(
    "reporting_notice",
    sa.column("id", sa.Integer),
    sa.column("year", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("issued_at", sa.DateTime(timezone=True)),
    sa.column("approved_by_id", sa.Integer),
    sa.column("document", sa.LargeBinary),
    sa.column("document_sha256", sa.String),
)
publication = sa.table(
    "publication",
    sa.column("id", sa.Integer),
    sa.column("opened_at", sa.DateTime(timezone=True)),
    sa.column("published_at", sa.DateTime(timezone=True)),
    sa.column("published_by_id", sa.Integer),
    sa.column("document", sa.LargeBinary),
    sa.column("document_name", sa.String),
    sa.column("document_sha256", sa.String),
)


def _source(owner_kind, owner_id, version, stage, filename, content, sha, created_at, by):
    content = bytes(content)
    return {
        "owner_kind": owner_kind,
        "owner_id": owner_id,
        "kind": "source",
        "version": version,
        "stage": stage,
        "filename": filename,
        "media_type": DOCX,
        "content": content,
        "size": len(content),
        # The stored hash, unchanged (a file changed in the old column stays detectable).
        "sha256": sha or hashlib.sha256(content).hexdigest(),
        "created_at": created_at,
        "created_by_id": by,
        "derived_from_id": None,
    }


def upgrade():
    op.create_table(
        "archived_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("derived_from_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_archived_document_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["derived_from_id"],
            ["archived_document.id"],
            name=op.f("fk_archived_document_derived_from_id_archived_document"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_document")),
        sa.UniqueConstraint(
            "owner_kind", "owner_id", "kind", "version", name="uq_archived_document_version"
        ),
    )
    with op.batch_alter_table("archived_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archived_document_derived_from_id"), ["derived_from_id"], unique=False
        )

    conn = op.get_bind()
    rows = []
    for r in conn.execute(sa.select(report_document).order_by(report_document.c.id)):
        rows.append(
            _source(
                "report", r.report_id, r.version, r.stage, r.filename, r.content, r.sha256,
                r.created_at, r.created_by_id,
            )
        )
    for r in conn.execute(
        sa.select(notice).where(notice.c.document.is_not(None)).order_by(notice.c.id)
    ):
        rows.append(
            _source(
                "reporting_notice", r.id, 1, "issued",
                f"关于{r.year}年度工程质量分析报告报送工作的通报.docx", r.document,
                r.document_sha256, r.issued_at or r.created_at, r.approved_by_id,
            )
        )
    for r in conn.execute(
        sa.select(publication).where(publication.c.document.is_not(None)).order_by(publication.c.id)
    ):
        rows.append(
            _source(
                "publication", r.id, 1, "published", r.document_name or "public_report.docx",
                r.document, r.document_sha256, r.published_at or r.opened_at, r.published_by_id,
            )
        )
    for row in rows:
        conn.execute(archived.insert().values(**row))

    with op.batch_alter_table("report_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_document_report_id"))
    op.drop_table("report_document")
    with op.batch_alter_table("reporting_notice", schema=None) as batch_op:
        batch_op.drop_column("document")
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.drop_column("document")


def downgrade():
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("reporting_notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.LargeBinary(), nullable=True))
    op.create_table(
        "report_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_report_document_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_report_document_report_id_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_document")),
        sa.UniqueConstraint("report_id", "version", name="uq_report_document_version"),
    )
    with op.batch_alter_table("report_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_document_report_id"), ["report_id"], unique=False
        )
    conn = op.get_bind()
    sources = sa.select(archived).where(archived.c.kind == "source").order_by(archived.c.id)
    for r in conn.execute(sources):
        if r.owner_kind == "report":
            conn.execute(
                report_document.insert().values(
                    report_id=r.owner_id, version=r.version, stage=r.stage,
                    filename=r.filename, content=r.content, sha256=r.sha256,
                    created_at=r.created_at, created_by_id=r.created_by_id,
                )
            )
        elif r.owner_kind == "reporting_notice":
            conn.execute(
                notice.update().where(notice.c.id == r.owner_id).values(document=r.content)
            )
        elif r.owner_kind == "publication":
            conn.execute(
                publication.update()
                .where(publication.c.id == r.owner_id)
                .values(document=r.content)
            )
    with op.batch_alter_table("archived_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archived_document_derived_from_id"))
    op.drop_table("archived_document")

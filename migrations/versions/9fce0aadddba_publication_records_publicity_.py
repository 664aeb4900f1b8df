"""Publication: records publicity (person, approving tier, period, withdrawal), objections
(异议), and the outcome-only quality index (issue 15).

Existing published records get the tier of the report that published them and a publicity
period counted from its publication date (6 months bad, 3 years good: the defaults).  Indexes
stored with the retired formula (it counted records, penalties and 备案率) are moved to
``figures.index_retired`` and no longer shown; the archived Word files keep what was published.

Revision ID: 9fce0aadddba
Revises: b7d41c2e9a10
Create Date: 2026-12-06 11:40:26.552746

"""

import calendar
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9fce0aadddba"
down_revision = "b7d41c2e9a10"
branch_labels = None
depends_on = None

MONTHS = {"bad": 6, "good": 36}


def _add_months(day: date, n: int) -> date:
    year, month = divmod(day.month - 1 + n, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def upgrade():
    with op.batch_alter_table("published_record") as batch:
        batch.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("person_name", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("person_title", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("approved_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("public_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("withdrawal_reason", sa.String(200), nullable=False, server_default="")
        )
        batch.create_foreign_key("fk_published_record_org_id_org", "org", ["org_id"], ["id"])
        batch.create_index("ix_published_record_org_id", ["org_id"])
        batch.create_index("ix_published_record_public_until", ["public_until"])
    op.create_table(
        "record_objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("objector", sa.String(100), nullable=False),
        sa.Column("objector_kind", sa.String(8), nullable=False),
        sa.Column("contact", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["published_record.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_record_objection_record_id", "record_objection", ["record_id"])
    op.create_index("ix_record_objection_org_id", "record_objection", ["org_id"])

    conn = op.get_bind()
    publication = sa.table(
        "publication",
        sa.column("id", sa.Integer),
        sa.column("org_id", sa.Integer),
        sa.column("publication_date", sa.Date),
        sa.column("snapshot", sa.JSON),
    )
    record = sa.table(
        "published_record",
        sa.column("id", sa.Integer),
        sa.column("publication_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("org_id", sa.Integer),
        sa.column("public_until", sa.Date),
    )
    pubs = {p.id: p for p in conn.execute(sa.select(publication))}
    for rec in conn.execute(sa.select(record.c.id, record.c.publication_id, record.c.kind)).all():
        pub = pubs[rec.publication_id]
        until = (
            _add_months(pub.publication_date, MONTHS.get(rec.kind, 6))
            if pub.publication_date
            else None
        )
        conn.execute(
            record.update()
            .where(record.c.id == rec.id)
            .values(org_id=pub.org_id, public_until=until)
        )
    for pub in pubs.values():
        snap = pub.snapshot
        if not snap:
            continue
        figures = snap.get("figures") or {}
        index = figures.get("index")
        if not index or index.get("method"):
            continue
        figures["index_retired"] = index
        figures["index"] = None
        figures["unit_indexes"] = []
        if snap.get("previous"):
            snap["previous"]["index"] = None
        snap["figures"] = figures
        conn.execute(publication.update().where(publication.c.id == pub.id).values(snapshot=snap))


def downgrade():
    op.drop_index("ix_record_objection_org_id", table_name="record_objection")
    op.drop_index("ix_record_objection_record_id", table_name="record_objection")
    op.drop_table("record_objection")
    with op.batch_alter_table("published_record") as batch:
        batch.drop_index("ix_published_record_public_until")
        batch.drop_index("ix_published_record_org_id")
        batch.drop_constraint("fk_published_record_org_id_org", type_="foreignkey")
        for name in (
            "withdrawal_reason",
            "withdrawn_at",
            "public_until",
            "approved_on",
            "person_title",
            "person_name",
            "org_id",
        ):
            batch.drop_column(name)

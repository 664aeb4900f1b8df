"""ledger: the complaints (投诉) ledger; reports: the quarter's analysis meeting (第十四条)

Revision ID: c4f1e7a2b9d3
Revises: 9fce0aadddba
Create Date: 2026-12-06 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4f1e7a2b9d3"
down_revision = "9fce0aadddba"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ledger_complaint",
        sa.Column("complaint_no", sa.String(length=64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("complainant_type", sa.String(length=20), nullable=False),
        sa.Column("registration_no", sa.String(length=64), nullable=False),
        sa.Column("project_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("handling_unit", sa.String(length=200), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("review_outcome", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("complaint_no"),
    )
    with op.batch_alter_table("ledger_complaint", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_complaint_org_closed", ["org_id", "closed_on"])
        batch_op.create_index("ix_ledger_complaint_org_received", ["org_id", "received_on"])
        batch_op.create_index(batch_op.f("ix_ledger_complaint_org_id"), ["org_id"])

    op.create_table(
        "report_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("conclusions", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id"),
    )


def downgrade():
    op.drop_table("report_meeting")
    with op.batch_alter_table("ledger_complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_complaint_org_id"))
        batch_op.drop_index("ix_ledger_complaint_org_received")
        batch_op.drop_index("ix_ledger_complaint_org_closed")
    op.drop_table("ledger_complaint")

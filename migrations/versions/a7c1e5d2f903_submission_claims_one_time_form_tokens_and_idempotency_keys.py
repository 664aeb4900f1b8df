"""submission claims: one-time form tokens and API Idempotency-Keys, with the first answer

Revision ID: a7c1e5d2f903
Revises: 3b8e5f0c7d21
Create Date: 2026-12-07 03:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a7c1e5d2f903"
down_revision = "3b8e5f0c7d21"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "submission_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_line", sa.String(length=600), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=2000), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_claim")),
        sa.UniqueConstraint("owner", "key", name="uq_submission_claim_owner_key"),
    )
    with op.batch_alter_table("submission_claim", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submission_claim_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("submission_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_claim_created_at"))
    op.drop_table("submission_claim")

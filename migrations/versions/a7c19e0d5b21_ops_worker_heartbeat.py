"""ops: the timer workers' heartbeat (/healthz reads the freshest)

Each timer worker process writes its row after every pass; /healthz says unhealthy when the
freshest is older than HQR_WORKER_HEARTBEAT_SECONDS (issue 19).

Revision ID: a7c19e0d5b21
Revises: 6305a621f9cd
Create Date: 2026-12-06 16:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c19e0d5b21"
down_revision = "6305a621f9cd"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_worker_heartbeat")),
    )
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_heartbeat_beat_at"), ["beat_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_heartbeat_beat_at"))
    op.drop_table("worker_heartbeat")

"""audit: before/after stored as TEXT on SQLite, so a bare number reads back as written

A column declared JSON has NUMERIC affinity on SQLite: a record whose ``before`` or ``after``
is a bare number (1.0, -0.0, an integer beyond 64 bits) came back changed and failed the
chain's check.  TEXT affinity keeps the JSON text.  PostgreSQL's JSON keeps the text already:
nothing to do there.  No hash changes (the hash covers the values as recorded).

Revision ID: 5e2b8c1d4a07
Revises: 5e0b3c9d1a47
Create Date: 2026-12-07 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e2b8c1d4a07"
down_revision = "5e0b3c9d1a47"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.alter_column("before", existing_type=sa.JSON(), type_=sa.Text())
        batch_op.alter_column("after", existing_type=sa.JSON(), type_=sa.Text())


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.alter_column("before", existing_type=sa.Text(), type_=sa.JSON())
        batch_op.alter_column("after", existing_type=sa.Text(), type_=sa.JSON())

"""audit: refuse UPDATE and DELETE on PostgreSQL

Revision ID: dc7095ce9433
Revises: c6fc787dd987
Create Date: 2026-11-28 23:02:11.632036

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dc7095ce9433'
down_revision = 'c6fc787dd987'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no such guard; the hash chain still detects tampering
    op.execute(
        """
        CREATE FUNCTION audit_record_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit_record is append-only (% refused)', TG_OP;
        END;
        $$ LANGUAGE plpgsql;
        """
    )
    op.execute(
        "CREATE TRIGGER audit_record_no_change BEFORE UPDATE OR DELETE ON audit_record "
        "FOR EACH ROW EXECUTE FUNCTION audit_record_append_only();"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_record_no_change ON audit_record;")
    op.execute("DROP FUNCTION IF EXISTS audit_record_append_only();")

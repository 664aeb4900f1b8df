"""audit: the chain's head (last id, last hash, count), kept in the records' own transaction

``flask audit verify`` found records cut off the end by comparing the last record with the
database's id counter.  PostgreSQL's sequence also moves on for a failed commit or after crash
recovery, so verify raised a false 审计记录被删除 until the next record was written, and a real
cut followed by new writes looked like such a gap.  The head is a one-row table that an AFTER
INSERT trigger on ``audit_record`` moves on in the inserting transaction: a rollback leaves it
where it was.  The writer reads it under the chain's lock for the previous hash and the next id
(so ids have no gaps from now on); verify compares it with the last record present.

Filled from the records present.  On PostgreSQL the ids handed out by the sequence so far may
skip numbers: ``gapless_after`` says up to which id that is allowed.  The trigger also keeps the
PostgreSQL sequence at the head (an INSERT without an id still gets a fresh number); SQLite's
AUTOINCREMENT counter follows explicit ids by itself.

Revision ID: 7c3e9a1b5d20
Revises: 6a1f0c2d9e58
Create Date: 2026-12-07 12:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c3e9a1b5d20"
down_revision = "6a1f0c2d9e58"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

_SQLITE_TRIGGER = """
CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_record
BEGIN
    UPDATE audit_head SET
        records = records + 1,
        last_hash = CASE WHEN NEW.id > last_id THEN NEW.hash ELSE last_hash END,
        last_id = CASE WHEN NEW.id > last_id THEN NEW.id ELSE last_id END;
END
"""

_PG_FUNCTION = """
CREATE FUNCTION audit_head_follow() RETURNS trigger AS $$
DECLARE
    added_count integer;
    added_top integer;
    head_id integer;
BEGIN
    SELECT count(*), max(id) INTO added_count, added_top FROM added;
    IF added_count = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE audit_head SET
        records = records + added_count,
        last_hash = CASE WHEN added_top > last_id
            THEN (SELECT hash FROM added WHERE id = added_top) ELSE last_hash END,
        last_id = GREATEST(last_id, added_top)
        RETURNING last_id INTO head_id;
    -- The sequence follows the head: an INSERT without an id gets the next number.
    PERFORM setval(pg_get_serial_sequence('audit_record', 'id'), head_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

_PG_TRIGGER = (
    "CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_record "
    "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audit_head_follow()"
)


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("gapless_after", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # The head of the records present; on PostgreSQL the ids so far may have gaps.
    gapless = "coalesce(max(id), 0)" if dialect == "postgresql" else "0"
    op.execute(
        "INSERT INTO audit_head (id, last_id, last_hash, records, gapless_after) "  # noqa: S608
        f"SELECT 1, coalesce(max(id), 0), coalesce((SELECT hash FROM audit_record "
        f"ORDER BY id DESC LIMIT 1), '{GENESIS}'), count(*), {gapless} FROM audit_record"
    )
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_head_follows ON audit_record")
        op.execute("DROP FUNCTION IF EXISTS audit_head_follow()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_head_follows")
    op.drop_table("audit_head")

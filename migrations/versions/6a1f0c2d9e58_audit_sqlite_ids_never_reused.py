"""audit: SQLite numbers audit records with AUTOINCREMENT, so deleted records leave a trace

Without AUTOINCREMENT SQLite hands out max(id) + 1: deleting every record, or the last few,
left nothing that said records had been there, and ``flask audit verify`` called an emptied
trail complete.  With it, ``sqlite_sequence`` keeps the highest id ever written (rolled back
with a failed transaction, so it is exact); verify compares it with the records present.
PostgreSQL's sequence never hands an id out twice already: nothing to do there.  The table is
rebuilt with its rows, ids and hashes unchanged; ``sqlite_sequence`` starts at the last id.

Revision ID: 6a1f0c2d9e58
Revises: 5e2b8c1d4a07
Create Date: 2026-12-07 09:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "6a1f0c2d9e58"
down_revision = "5e2b8c1d4a07"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "audit_record", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "audit_record", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass

"""ledger: partial covering indexes of the projects registered / accepted 合格 / granted 备案

The home page's live key figures of the current quarter (webapp/stats/key_figures.py) sum the
projects registered, accepted 合格 and granted 备案 in the quarter, by org: each sum reads only
the entries of one of these indexes (date, org, figures), never the table.  They are partial so
that a scan of the whole ledger (附表5) is not steered to them.

Revision ID: 3b8e5f0c7d21
Revises: a7c19e0d5b21
Create Date: 2026-12-06 18:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3b8e5f0c7d21"
down_revision = "a7c19e0d5b21"
branch_labels = None
depends_on = None

#: Kept equal to webapp.ledger.models.COVER_INDEXES (a migration does not import the models).
COVER_INDEXES = (
    (
        "registered",
        ("registered_on", "org_id", "area_m2", "cost_10k_yuan"),
        "registered_on IS NOT NULL",
    ),
    (
        "passed",
        ("accepted_on", "org_id", "area_m2", "cost_10k_yuan", "acceptance_result"),
        "acceptance_result = '合格'",
    ),
    (
        "granted",
        ("filed_on", "org_id", "user_rating", "area_m2", "cost_10k_yuan", "filing_result"),
        "filing_result = '准予备案'",
    ),
)


def upgrade():
    for name, columns, where in COVER_INDEXES:
        op.create_index(
            f"ix_ledger_project_{name}_cover",
            "ledger_project",
            list(columns),
            unique=False,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade():
    for name, _columns, _where in COVER_INDEXES:
        op.drop_index(f"ix_ledger_project_{name}_cover", table_name="ledger_project")

"""ledger: the projects' figures in integer hundredths and their dates as yyyymmdd (stored
generated columns) for the 附表5/7 roll-up

The province's 附表5 reads every project once; on SQLite most of its time went to comparing
dates as text and rounding area and cost to hundredths row by row.  The database now keeps
those as integers (kept by it on every write, never by the application): ``area_cents``,
``cost_cents``, ``registered_day``, ``passed_day`` (the date of a 合格 acceptance) and
``granted_day`` (the date of 准予备案).  SQLite cannot add a stored generated column to a
table, so the table is rebuilt there (batch mode); PostgreSQL adds them in place.

Revision ID: 5e0b3c9d1a47
Revises: a7c1e5d2f903
Create Date: 2026-12-07 06:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e0b3c9d1a47"
down_revision = "a7c1e5d2f903"
branch_labels = None
depends_on = None


def _hundredths(column):
    return f"CAST(round({column} * 100) AS INTEGER)", f"({column} * 100)::bigint"


def _day(column, when=None):
    lite = f"CAST(replace({column}, '-', '') AS INTEGER)"
    pg = (
        f"(EXTRACT(year FROM {column}) * 10000 + EXTRACT(month FROM {column}) * 100"
        f" + EXTRACT(day FROM {column}))::integer"
    )
    if when is not None:
        return tuple(f"CASE WHEN {when} THEN {e} ELSE NULL END" for e in (lite, pg))
    return lite, pg


#: Kept equal to webapp.ledger.models.Project's (a migration does not import the models):
#: name, type, nullable, (SQLite expression, PostgreSQL expression).
COLUMNS = (
    ("area_cents", sa.BigInteger(), False, _hundredths("area_m2")),
    ("cost_cents", sa.BigInteger(), False, _hundredths("cost_10k_yuan")),
    ("registered_day", sa.Integer(), False, _day("registered_on")),
    ("passed_day", sa.Integer(), True, _day("accepted_on", "acceptance_result = '合格'")),
    ("granted_day", sa.Integer(), True, _day("filed_on", "filing_result = '准予备案'")),
)


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("ledger_project", recreate="always" if sqlite else "never") as b:
        for name, type_, nullable, (lite, pg) in COLUMNS:
            b.add_column(
                sa.Column(
                    name,
                    type_,
                    sa.Computed(lite if sqlite else pg, persisted=True),
                    nullable=nullable,
                )
            )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("ledger_project", recreate="always" if sqlite else "never") as b:
        for name, *_rest in reversed(COLUMNS):
            b.drop_column(name)

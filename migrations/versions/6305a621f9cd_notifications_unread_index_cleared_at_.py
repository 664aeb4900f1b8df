"""notifications: unread index, cleared_at, user e-mail, mail queue

The navbar counts a user's unread notices on every page: an index on (user_id, read_at).
A notice is cleared when the task it is about is done (cleared_at), which each step looks up
by instance (index on instance_id, cleared_at).  Users get an e-mail address
and notices an outgoing mail queue (mail_message), sent after the commit (issue 18).

Revision ID: 6305a621f9cd
Revises: 682f8ae8c4d4
Create Date: 2026-12-06 11:39:23.701677

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6305a621f9cd"
down_revision = "682f8ae8c4d4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_notification_instance_uncleared", ["instance_id", "cleared_at"], unique=False
        )
        batch_op.create_index("ix_notification_user_unread", ["user_id", "read_at"], unique=False)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_mail_message_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
    )
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.create_index("ix_mail_message_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mail_message_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_message_user_id"))
        batch_op.drop_index("ix_mail_message_due")
    op.drop_table("mail_message")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_unread")
        batch_op.drop_index("ix_notification_instance_uncleared")
        batch_op.drop_column("cleared_at")

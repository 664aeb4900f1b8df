"""The outgoing mail queue: one row per e-mail, written in the transaction that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core import clock
from webapp.core.models import UTCDateTime
from webapp.extensions import db

QUEUED, SENT, FAILED = "queued", "sent", "failed"
STATUS_LABELS = {QUEUED: "待发送", SENT: "已发送", FAILED: "发送失败"}


class MailMessage(db.Model):
    """An e-mail to send after the commit (``webapp.mail.operations.send_due``)."""

    __tablename__ = "mail_message"
    #: The sender's query: queued rows due now, oldest first.
    __table_args__ = (Index("ix_mail_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: The in-app notification this mail repeats (None: a mail of its own)
    notification_id: Mapped[int | None] = mapped_column(Integer)
    #: queued, sent, failed (gave up after the last attempt)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

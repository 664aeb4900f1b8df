"""Queue a mail in the business transaction; send the due ones after the commit.

A message is *claimed* before it is sent (its attempt counted and its next attempt moved to
after the backoff, committed), then sent outside any transaction, then marked sent or failed
(committed): two workers never send one message twice at once, and a worker that dies while
sending retries the message after the backoff.  Each send, each failure and each message given
up is audited.  A message goes to its user's current address; one whose user has no address
(removed after it was queued, or the user disabled) is given up without contacting the server.

A subject carries user text (a 催办's note, a reason), which may hold line breaks: a mail
header is one line (a line break in it would start a header of the sender's choosing, and the
email library refuses it with ValueError), so every run of white space in a subject becomes
one space (``core.text.one_line``).  A message that still cannot be built is given up at once,
audited, and the queue goes on to the next one: retrying could not help it.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app
from sqlalchemy import select, update

from webapp.core import audit, clock
from webapp.core.models import User
from webapp.core.text import one_line
from webapp.extensions import db
from webapp.mail.models import FAILED, QUEUED, SENT, MailMessage

#: The longest wait between two attempts, whatever the backoff says.
MAX_WAIT = timedelta(hours=6)


def enabled() -> bool:
    """Mail goes out only when an SMTP host is configured."""
    return bool(current_app.config.get("SMTP_HOST"))


def enqueue(
    user: User, subject: str, body: str, *, notification_id: int | None = None
) -> MailMessage | None:
    """Queue a mail to ``user`` in the current transaction (nothing when mail is off or the
    user has no address); sent after the commit by :func:`send_due`."""
    if not enabled() or not (user.email or "").strip():
        return None
    row = MailMessage(
        user_id=user.id,
        to_address=user.email.strip(),
        subject=one_line(subject)[:200],
        body=body,
        notification_id=notification_id,
        status=QUEUED,
        attempts=0,
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )
    db.session.add(row)
    return row


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: the base, doubled each time."""
    base = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(base * (2 ** max(attempts - 1, 0)), MAX_WAIT)


@dataclass
class SendCounts:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0


def _claim(now: datetime) -> MailMessage | None:
    """Take the oldest due message: count the attempt and move its next attempt after the
    backoff, committed (another worker skips it)."""
    for row in db.session.execute(
        select(MailMessage)
        .where(MailMessage.status == QUEUED, MailMessage.next_attempt_at <= now)
        .order_by(MailMessage.next_attempt_at, MailMessage.id)
        .limit(5)
    ).scalars():
        attempts = row.attempts + 1
        claimed = db.session.execute(
            update(MailMessage)
            .where(MailMessage.id == row.id, MailMessage.attempts == row.attempts)
            .values(attempts=attempts, next_attempt_at=now + backoff(attempts))
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed == 1:
            db.session.refresh(row)
            return row
    db.session.commit()
    return None


def _address(row: MailMessage) -> str:
    """Where the message goes now: its user's current address ('' when the user has none any
    more, or the row has none), else the row's own."""
    if row.user_id is not None:
        user = db.session.get(User, row.user_id)
        return ((user.email or "") if user is not None and user.is_enabled else "").strip()
    return (row.to_address or "").strip()


def _message(row: MailMessage) -> EmailMessage:
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = formataddr(("建设工程质量分析报告系统", config["MAIL_FROM"]))
    msg["To"] = row.to_address
    msg["Subject"] = one_line(row.subject)  # rows queued before the rule, too
    msg["Message-ID"] = make_msgid(idstring=f"hqr-mail-{row.id}")
    msg.set_content(row.body)
    return msg


def _send(message: EmailMessage) -> None:
    config = current_app.config
    host, port = config["SMTP_HOST"], config["SMTP_PORT"]
    timeout = config["SMTP_TIMEOUT_SECONDS"]
    smtp_class = smtplib.SMTP_SSL if config["SMTP_SSL"] else smtplib.SMTP
    with smtp_class(host, port, timeout=timeout) as smtp:
        if config["SMTP_STARTTLS"] and not config["SMTP_SSL"]:
            smtp.starttls()
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def _audit(action: str, row: MailMessage, message: str | None = None) -> None:
    audit.record(
        action,
        actor_name="system",
        object_type="mail_message",
        object_id=row.id,
        message=message,
        after={
            "to": row.to_address,
            "subject": row.subject,
            "attempts": row.attempts,
            "status": row.status,
        },
    )


def send_due(now: datetime | None = None, limit: int = 100) -> SendCounts:
    """Send the queued messages due by ``now``, each in its own transactions (commits: for the
    worker and ``flask mail send``, never a request).  Returns the counts."""
    counts = SendCounts()
    if not enabled():
        return counts
    now = now or clock.now()
    for _ in range(limit):
        row = _claim(now)
        if row is None:
            break
        address = _address(row)
        if not address:
            # Never hand the server a message without a recipient: give it up at once.
            row.status = FAILED
            row.last_error = "收件人没有电子邮箱地址（或已停用），不发送。"
            _audit("mail.gave_up", row, row.last_error)
            db.session.commit()
            counts.gave_up += 1
            continue
        row.to_address = address
        try:
            message = _message(row)
        except ValueError as exc:  # a header the library refuses: no retry would build it
            row.status = FAILED
            row.last_error = f"邮件无法生成：{exc}"[:1000]
            _audit("mail.gave_up", row, row.last_error)
            db.session.commit()
            counts.gave_up += 1
            continue
        try:
            _send(message)
        except (OSError, smtplib.SMTPException) as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                row.status = FAILED
                _audit("mail.gave_up", row, row.last_error)
                counts.gave_up += 1
            else:
                _audit("mail.failed", row, row.last_error)
                counts.failed += 1
            db.session.commit()
            continue
        row.status = SENT
        row.sent_at = clock.now()
        row.last_error = None
        _audit("mail.sent", row)
        db.session.commit()
        counts.sent += 1
    return counts

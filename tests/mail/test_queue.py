"""E-mail of notifications (issue 18): "e-mail through SMTP when configured, sent after the
commit from a queue and retried, tested against a local SMTP server the test starts"."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_string, policy

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.core.text import one_line
from webapp.engine import notify
from webapp.extensions import db
from webapp.mail.models import FAILED, QUEUED, SENT, MailMessage
from webapp.mail.operations import _message, send_due

T0 = datetime(2026, 10, 8, 9, 0, tzinfo=clock.LOCAL_TZ)


class Inbox:
    """The local SMTP server's handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8"))
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app) -> Iterator[tuple[Inbox, Controller, int]]:
    """Mail on, pointed at a local server the test starts (and may stop)."""
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="hqr@example.org")
    clock.set_now(T0)
    try:
        yield inbox, controller, port
    finally:
        controller.stop()
        app.config.update(saved)


@pytest.fixture
def clerk(make_user):
    user = make_user("clerk", "410102")
    user.email = "clerk@example.org"
    db.session.commit()
    return user


def rows() -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.execute(select(MailMessage).order_by(MailMessage.id)).scalars())


def actions() -> list[str]:
    return [a for (a,) in db.session.execute(select(AuditRecord.action).order_by(AuditRecord.id))]


def test_a_notice_is_mailed_after_the_commit(smtp, clerk):
    """The mail row is written with the notice; the send happens later, from the queue."""
    inbox, _, _ = smtp
    notify(clerk, "remind", "请尽快办理“填报”（2026年第三季度 · 中原区）。")
    assert inbox.messages == []  # nothing is sent inside the transaction
    db.session.commit()
    (row,) = rows()
    assert row.status == QUEUED and row.to_address == "clerk@example.org"
    counts = send_due()
    assert counts.sent == 1
    (mail_from, to, content) = inbox.messages[0]
    assert mail_from == "hqr@example.org" and to == ["clerk@example.org"]
    assert "Subject: =?utf-8?" in content  # the Chinese subject, encoded
    (row,) = rows()
    assert row.status == SENT and row.attempts == 1 and row.sent_at is not None
    assert "mail.sent" in actions()
    assert send_due().sent == 0  # sent once


def test_a_failed_send_is_retried_after_a_backoff(smtp, clerk, app):
    """A server that refuses (here: nothing listening) → audited failure, retried later."""
    inbox, controller, port = smtp
    notify(clerk, "task", "新待办：“填报”（2026年第三季度 · 中原区）。")
    db.session.commit()
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    counts = send_due()
    assert (counts.sent, counts.failed) == (0, 1)
    (row,) = rows()
    assert row.status == QUEUED and row.attempts == 1 and row.last_error
    assert clock.as_utc(row.next_attempt_at) == clock.now() + timedelta(seconds=60)
    assert actions().count("mail.failed") == 1
    app.config["SMTP_PORT"] = port
    assert send_due().sent == 0  # not due yet: backoff
    clock.set_now(T0 + timedelta(seconds=61))
    assert send_due().sent == 1
    assert len(inbox.messages) == 1
    (row,) = rows()
    assert row.status == SENT and row.attempts == 2 and row.last_error is None


def test_the_backoff_doubles_and_gives_up(smtp, clerk, app):
    _, _, _ = smtp
    app.config["SMTP_PORT"] = free_port()
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    try:
        notify(clerk, "task", "新待办")
        db.session.commit()
        waits = []
        for _ in range(3):
            send_due()
            (row,) = rows()
            waits.append(clock.as_utc(row.next_attempt_at) - clock.now())
            clock.set_now(clock.now() + timedelta(hours=1))
        assert waits[:2] == [timedelta(seconds=60), timedelta(seconds=120)]
        (row,) = rows()
        assert row.status == FAILED and row.attempts == 3
        assert actions().count("mail.gave_up") == 1
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = 6


def test_a_rolled_back_transaction_sends_nothing(smtp, clerk):
    inbox, _, _ = smtp
    notify(clerk, "remind", "会被回滚的催办")
    db.session.rollback()
    assert send_due().sent == 0
    assert rows() == [] and inbox.messages == []


def test_mail_is_off_unless_configured(clerk):
    """Off by default: a notice stays in the app only."""
    notify(clerk, "remind", "站内通知")
    db.session.commit()
    assert rows() == []
    assert send_due().sent == 0


def test_admin_sets_a_users_mail_address(logged_in, make_user):
    """Where notices are mailed: the user's address, set by the administrator (audited); a
    malformed one is refused with a Chinese message and nothing saved."""
    from tests.conftest import csrf_token
    from webapp.core.models import User

    client = logged_in("admin", "410000")
    target = make_user("clerk", "410102")
    token = csrf_token(client, f"/admin/users/{target.id}")
    form = {
        "username": target.username,
        "full_name": "李四",
        "org_code": "410102",
        "roles": ["clerk"],
        "csrf_token": token,
    }
    bad = client.post(f"/admin/users/{target.id}", data={**form, "email": "li si@"})
    assert "电子邮箱格式不正确" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).full_name != "李四"
    ok = client.post(f"/admin/users/{target.id}", data={**form, "email": "lisi@example.gov.cn"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).email == "lisi@example.gov.cn"
    record = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "user.update")
    ).scalar_one()
    assert record.after["email"] == "lisi@example.gov.cn"


def test_flask_mail_send(smtp, clerk, app):
    """``flask mail send`` sends the due queue once (the worker does it after each pass)."""
    inbox, _, _ = smtp
    notify(clerk, "reminder", "报送期限为 2026-12-31 23:59，请抓紧办理。")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "发送 1" in result.output
    assert len(inbox.messages) == 1
    app.config["SMTP_HOST"] = None
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "未配置邮件服务器" in result.output


def test_never_mails_a_user_without_an_address(smtp, clerk, make_user):
    """Issue 18 item 5: a user without an address gets the notice in the app and no mail row;
    a queued mail whose user lost the address (or was disabled) is given up without a word to
    the server, audited."""
    inbox, _, _ = smtp
    nobody = make_user("reviewer", "410102")
    assert not nobody.email
    notify(nobody, "remind", "请尽快办理。")
    notify(clerk, "remind", "请尽快办理。")
    db.session.commit()
    (row,) = rows()
    assert row.to_address == "clerk@example.org"
    clerk.email = None  # the administrator removed it after the mail was queued
    db.session.commit()
    counts = send_due()
    assert (counts.sent, counts.failed, counts.gave_up) == (0, 0, 1)
    assert inbox.messages == []
    (row,) = rows()
    assert row.status == FAILED and "没有电子邮箱" in row.last_error
    assert actions().count("mail.gave_up") == 1


def test_a_mail_goes_to_the_users_current_address(smtp, clerk):
    inbox, _, _ = smtp
    notify(clerk, "remind", "请尽快办理。")
    db.session.commit()
    clerk.email = "new.clerk@example.org"
    db.session.commit()
    assert send_due().sent == 1
    (_, recipients, _) = inbox.messages[0]
    assert recipients == ["new.clerk@example.org"]
    assert rows()[0].to_address == "new.clerk@example.org"


def test_demo_users_have_plausible_addresses():
    """Issue 18 item 5: the demo builder gives every user an example.org address (reserved
    for examples: no demo mail reaches anyone), so the notification mails can be shown."""
    from webapp.core.demo import seed_demo
    from webapp.core.models import User
    from webapp.core.operations import clean_email

    seed_demo("Demo@2026")
    db.session.commit()
    users = list(db.session.execute(select(User)).scalars())
    assert len(users) > 100
    for user in users:
        assert user.email == f"{user.username}@example.org"
        assert clean_email(user.email) == user.email  # the admin page's own check


# A mail header is one line (found from outside: a 催办 note with a line break) -------------
#: A note as a user may type it into 催办 or a reason box: line breaks of every kind, and a
#: line that would be a header of the sender's choosing if the subject were not one line.
FORGED = "请尽快办理。\r\nBcc: spy@evil.example\n第二行\x0b第三行\u2028第四行\x85完"


def test_a_subject_with_line_breaks_is_sent_on_one_line_to_its_one_recipient(smtp, clerk):
    """Before: ``msg["Subject"]`` raised ValueError for the line break, outside the send's
    ``except``: the message was never sent nor given up (retried for ever, each pass stopped
    at it, the messages queued behind it waited, no audit record said why)."""
    inbox, _, _ = smtp
    notify(clerk, "remind", f"张三（中原区）催办：请尽快办理“填报”。 {FORGED}")
    db.session.commit()
    counts = send_due()
    assert (counts.sent, counts.failed, counts.gave_up) == (1, 0, 0)
    (_, recipients, content) = inbox.messages[0]
    assert recipients == ["clerk@example.org"]  # no Bcc: taken from the text
    headers = content.split("\n\n", 1)[0]
    assert "Bcc" not in headers and "spy@" not in headers
    (row,) = rows()
    assert row.status == SENT
    assert not any(c in row.subject for c in "\r\n\x0b\x85\u2028")
    assert "第二行 第三行 第四行 完" in row.subject
    assert "Bcc: spy@evil.example" in row.body  # the note itself is kept, in the body


def test_a_message_that_cannot_be_built_is_given_up_and_the_queue_goes_on(smtp, clerk):
    """A queued row the mail library refuses (a header with a line break, here an address
    written before today's checks) is given up at once and audited; the next message goes."""
    inbox, _, _ = smtp
    db.session.add(
        MailMessage(
            user_id=None,
            to_address="old@example.org\r\nBcc: spy@evil.example",
            subject="旧消息",
            body="旧消息",
            status=QUEUED,
            attempts=0,
            next_attempt_at=clock.now(),
            created_at=clock.now(),
        )
    )
    db.session.commit()
    notify(clerk, "task", "新待办：“填报”（2026年第三季度 · 中原区）。")
    db.session.commit()
    counts = send_due()
    assert (counts.sent, counts.failed, counts.gave_up) == (1, 0, 1)
    assert [to for (_, to, _) in inbox.messages] == [["clerk@example.org"]]
    old, new = rows()
    assert old.status == FAILED and "邮件无法生成" in old.last_error
    assert new.status == SENT
    assert actions().count("mail.gave_up") == 1
    assert send_due().gave_up == 0  # given up once, never tried again


#: The headers of every notification mail.
HEADERS = {"From", "To", "Subject", "Message-ID", "Content-Type", "Content-Transfer-Encoding",
           "MIME-Version"}  # fmt: skip


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_subject_text_builds_a_one_line_header(app, text):
    """The rule for every subject: whatever the user typed, the message builds and its
    subject is one line."""
    row = MailMessage(id=1, to_address="clerk@example.org", subject=text, body=text)
    app.config.setdefault("MAIL_FROM", "hqr@example.org")
    message = _message(row)
    assert str(message["Subject"]) == one_line(text)
    parsed = message_from_string(message.as_string(), policy=policy.default)
    assert set(parsed.keys()) == HEADERS  # nothing the text could add
    assert parsed["Subject"] == one_line(text)

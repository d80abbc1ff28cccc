"""Send email over SMTP: plain text with an HTML alternative and attachments."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from earful.kit.text import printable


@dataclass(frozen=True, slots=True)
class Mailer:
    """Where and how to send: an SMTP server, optional login, and the sender address."""

    host: str
    port: int = 587
    sender: str = "earful@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message."""

    filename: str
    content: bytes
    mime: str  # "application/pdf"


def compose(
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """Return the message; header values are single lines, so a subject cannot inject headers.

    Control characters are taken out of the subject, bodies and file names: names and post text in
    them come from strangers, and mail programs show such characters as garbage or refuse them.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = " ".join(printable(subject, one_line=True).split())[:200]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(printable(text))
    if html is not None:
        message.add_alternative(printable(html), subtype="html")
    for item in attachments:
        main, _, sub = item.mime.partition("/")
        name = printable(item.filename, one_line=True)
        message.add_attachment(item.content, maintype=main, subtype=sub, filename=name)
    return message


def send(mailer: Mailer, message: EmailMessage) -> None:
    """Send `message`; raise OSError or smtplib.SMTPException when the server cannot take it."""
    with smtplib.SMTP(mailer.host, mailer.port, timeout=mailer.timeout) as smtp:
        smtp.ehlo()
        if mailer.starttls and smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        if mailer.username:
            smtp.login(mailer.username, mailer.password or "")
        smtp.send_message(message)

"""Tell people things: email through the configured SMTP server, and Slack-compatible webhooks.

Alerts, SLA reminders and reports all leave Earful through here, so there is one place that knows
the mail settings and one shape of webhook message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from earful.kit.addresses import Pinned, PrivateAddress, Unresolvable, pin
from earful.kit.errors import EarfulError
from earful.kit.mail import Attachment, Mailer, compose, send
from earful.kit.text import printable
from earful.settings import Settings

WEBHOOK_TIMEOUT = 10.0


class DeliveryFailed(EarfulError):
    """A message could not be handed over; the caller keeps it and tries again later."""


def mailer(settings: Settings) -> Mailer | None:
    """Return the configured mailer, or None when no SMTP server is set."""
    if not settings.smtp_host:
        return None
    return Mailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )


def email(
    settings: Settings,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Email `to`; raise DeliveryFailed when no server is set or it refuses."""
    server = mailer(settings)
    if server is None:
        raise DeliveryFailed("No SMTP server is set: set EARFUL_SMTP_HOST to send email.")
    try:
        send(server, compose(server.sender, to, subject, text, html, attachments))
    except OSError as exc:  # smtplib's errors, socket and TLS errors are all OSErrors
        raise DeliveryFailed(f"The mail server did not take the message: {exc}") from exc


def slack_message(
    title: str, lines: Sequence[str], link: str, fields: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """Return a Slack-compatible message: a `text` fallback and blocks with a link to the posts;
    `fields` ((label, value) pairs, ten at most) become a section of fields, label over value.

    Post text is never put in a message: only counts, names, words many posts share and the link,
    all as plain text, so a stranger's words cannot format, mention or link anything in the chat.
    """
    title, body = _plain(title), _plain("\n".join(lines))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "plain_text", "text": body[:2900] or title[:150]}},
    ]
    if fields:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "plain_text", "text": _plain(f"{label}\n{value}")[:2000]}
                    for label, value in fields[:10]
                ],
            }
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": link}],
        }
    )
    return {"text": f"{title}\n{body}\n{link}", "blocks": blocks}


def _plain(text: str) -> str:
    """Escape the three characters Slack-style markup acts on, so names cannot mention or link; take
    out control characters, which chat programs show as garbage."""
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _aimed(url: str, allow_private: bool) -> Pinned:
    """Return the webhook's URL, aimed at the address checked to be on the internet unless
    `allow_private`."""
    try:
        return Pinned(httpx.URL(url)) if allow_private else pin(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise DeliveryFailed(f"The webhook URL is not a web address: {exc}") from None
    except Unresolvable as exc:
        raise DeliveryFailed(f"The webhook's host {exc.host!r} could not be resolved.") from None
    except PrivateAddress as exc:
        raise DeliveryFailed(
            f"The webhook's host {exc.host!r} is a private or local address; set "
            "EARFUL_ALLOW_PRIVATE_ADDRESSES=true if your chat server is inside your network."
        ) from None


def webhook(
    url: str,
    payload: dict[str, Any],
    *,
    allow_private: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """POST `payload` as JSON to `url`; raise DeliveryFailed on a network error or a non-2xx answer.

    A private or local address is refused unless `allow_private`: a rule's URL must not make Earful
    probe the network it runs in (cloud metadata endpoints included). The connection is pinned to
    the address that was checked.
    """
    target = _aimed(url, allow_private)
    try:
        with httpx.Client(transport=transport, timeout=WEBHOOK_TIMEOUT, follow_redirects=False) as client:
            response = client.post(
                target.url, json=payload, headers=target.headers, extensions=target.extensions
            )
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        raise DeliveryFailed(f"The webhook could not be reached: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"The webhook answered {response.status_code}.")

"""Webhook intake for feedback forms: signed deliveries, refused when stale, forged or replayed.

A form service POSTs JSON (one record or a list, with `id`, `text` and optional `author`,
`created_at`, `url`...) to /intake/SOURCE with two headers:

    X-Earful-Timestamp: the Unix time it signed at
    X-Earful-Signature: sha256=HEX, the HMAC-SHA256 of "TIMESTAMP." + body under the source's secret

The source's secret is derived from the deployment secret and the source's name
(`earful source webhook-secret NAME` shows it). A delivery more than five minutes old or early,
with a wrong signature, or seen before (within those five minutes) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import time
from dataclasses import dataclass
from datetime import timedelta

import orjson
from sqlalchemy.orm import Session

from earful.connectors.files import FORMATS
from earful.contracts import RawItem, Rejected
from earful.ingest.service import Stored, store_entries
from earful.kit.clock import utcnow
from earful.kit.errors import EarfulError, NotFound
from earful.kit.seal import same_secret
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos import quarantine as quarantine_repo
from earful.store.repos import sources as sources_repo
from earful.store.sealing import quarantine_sealer

WINDOW_SECONDS = 300
MAX_BODY = 1024 * 1024


class Unauthorised(EarfulError):
    """The delivery's signature or time does not check out."""

    status = 401


class Replayed(EarfulError):
    """The delivery was received before."""

    status = 409


@dataclass(frozen=True, slots=True)
class Accepted:
    """What a delivery stored."""

    read: int
    imported: int
    duplicates: int
    quarantined: int


def webhook_secret(settings: Settings, source_name: str) -> str:
    """Return the source's webhook signing secret (derived, so it is never stored)."""
    return hmac.new(settings.secret, b"earful-webhook\0" + source_name.encode(), hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header value for a delivery (what a sender computes)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def receive(
    db: Database, settings: Settings, source_name: str, timestamp: str, signature: str, body: bytes
) -> Accepted:
    """Check a delivery and store its records; raise Unauthorised, Replayed or a 4xx error otherwise."""
    if len(body) > MAX_BODY:
        raise EarfulError(
            f"A delivery may be at most {MAX_BODY // 1024} KiB; send records in smaller batches."
        )
    # The signature is checked before the source is looked up, from the name alone (the secret is
    # derived from it): an unsigned caller gets the same answer, as fast, whether the name exists.
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Unauthorised("Send the signing time as X-Earful-Timestamp (Unix seconds).") from None
    if abs(time.time() - sent_at) > WINDOW_SECONDS:
        raise Unauthorised(
            "The delivery's timestamp is more than five minutes off; sign it when you send it."
        )
    expected = sign(webhook_secret(settings, source_name), timestamp, body)
    if not same_secret(expected, signature.strip()):
        raise Unauthorised("The signature does not match: sign 'TIMESTAMP.' + body with the source's secret.")
    with db.read() as session:
        source = sources_repo.get_by_name(session, source_name)
    if source is None or source.kind != "webhook":
        raise NotFound(f"There is no webhook source called {source_name!r}.")
    if not source.enabled:
        raise EarfulError(f"The source {source_name!r} is disabled; an admin can enable it.")
    now = utcnow()
    # The key is the signature Earful computed, not the header as sent, so whitespace or case
    # added to a captured header does not make a replay look new.
    key = hashlib.sha256(expected.encode()).hexdigest()

    def remember(session: Session) -> None:
        # In the same transaction as the records: a delivery that fails to store can be sent again.
        if not sources_repo.record_delivery(session, key, now, now - timedelta(seconds=2 * WINDOW_SECONDS)):
            raise Replayed("This delivery was received already.")
        sources_repo.set_fields(session, source.id, last_success_at=now)

    entries: list[RawItem | Rejected] = list(FORMATS["json"].iter_items(io.BytesIO(_as_list(body))))
    if not any(isinstance(e, RawItem) for e in entries):
        with db.write() as session:
            remember(session)
            quarantine_repo.add_many(
                session,
                source.id,
                f"webhook:{source.name}",
                [
                    (
                        "body",
                        "no records could be read from the delivery",
                        body[:65536].decode("utf-8", "replace"),
                    )
                ],
                now,
                quarantine_sealer(settings.secret),
            )
        raise EarfulError(
            "No records could be read: send a JSON object, or a list of them, each with 'id' and 'text'."
        )
    stored: Stored = store_entries(db, settings, source, entries, f"webhook:{source.name}", also=remember)
    return Accepted(stored.read, stored.imported, stored.duplicates, stored.quarantined)


def _as_list(body: bytes) -> bytes:
    # One record on its own is a delivery too: read it as a list of one.
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if isinstance(value, dict) and not any(key in value for key in ("data", "items", "records", "posts")):
        return orjson.dumps([value])
    return body

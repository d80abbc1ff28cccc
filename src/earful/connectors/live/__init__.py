"""Live connectors: poll a platform from where the last poll ended, one page at a time.

A connector knows one outside world and nothing of the database. Given the source's settings and
its cursor (plain JSON the poller keeps), it fetches one page and returns the items exactly as
received (`RawItem`s in the formats the file importer already maps), what it could not read
(`Rejected`), the cursor after this page, and whether another page is waiting now.

Connectors are found through the `earful.connectors` entry-point group, so a package can add its
own: `[project.entry-points."earful.connectors"] myplatform = "mypackage.connector:CONNECTOR"`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from earful.connectors.files import FORMATS
from earful.connectors.live.http import Http, Malformed, SourceError
from earful.contracts import RawItem, Rejected
from earful.settings import Settings

GROUP = "earful.connectors"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a poll: what arrived, the cursor after it, and whether more is waiting now."""

    entries: list[RawItem | Rejected]
    cursor: dict[str, Any]
    more: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """The source a connector polls: its name and settings, and the deployment's credentials."""

    name: str
    config: Mapping[str, Any]
    settings: Settings = field(repr=False)


class Connector(Protocol):
    """What every live connector provides."""

    kind: str
    summary: str

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Raise ValueError saying what is missing or wrong in a source's settings."""

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the page after `cursor`."""


@cache
def connectors() -> dict[str, Connector]:
    """Return the connectors by kind: Earful's own and any a package registers."""
    found: dict[str, Connector] = {}
    for point in entry_points(group=GROUP):
        connector = point.load()
        found[connector.kind] = connector
    return found


def get(kind: str) -> Connector:
    """Return the connector for `kind`, or raise ValueError naming the known ones."""
    found = connectors()
    if kind not in found:
        raise ValueError(f"No live connector for {kind!r}; there are: {', '.join(sorted(found)) or 'none'}.")
    return found[kind]


def parse_body(fmt: str, response_text: str) -> list[RawItem | Rejected]:
    """Return the items of one response body, read by the file format `fmt`."""
    return list(FORMATS[fmt].iter_items(io.BytesIO(response_text.encode("utf-8"))))


def load_json(text: str, what: str) -> Any:
    """Return the JSON of a response body, or raise Malformed with the body kept."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"{what} was not JSON: {exc}", text) from None


def require_credential_host(url: str, own: tuple[str, ...], settings: Settings) -> None:
    """Refuse to send a platform's credentials anywhere but its own hosts (or EARFUL_CREDENTIAL_HOSTS)."""
    host = (urlsplit(url).hostname or "").lower()
    allowed = {h.lower() for h in (*own, *settings.credential_hosts)}
    if host not in allowed:
        raise ValueError(
            f"Credentials are sent only to {', '.join(sorted(allowed))}, not {host or url!r}; "
            "add the host to EARFUL_CREDENTIAL_HOSTS if it is a proxy you run."
        )


def guard_credentials(url: str, own: tuple[str, ...], settings: Settings) -> None:
    """As `require_credential_host`, for a poll: the source stops with the reason instead."""
    try:
        require_credential_host(url, own, settings)
    except ValueError as exc:
        raise SourceError(str(exc)) from None

"""HTTP for live connectors: one client, platform rate-limit headers read, failures made plain.

A connector calls `Http.get`; what comes back is a 2xx or 304 response, or one of the errors below,
each saying what the poller should do: wait (`RateLimited`), stop and tell a person (`AuthFailed`),
try later with backoff (`Unavailable`), or set the body aside (`Malformed`, raised by connectors).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

USER_AGENT = "Earful/0.1 (feedback triage; +https://github.com/earful)"


class SourceError(Exception):
    """A poll could not go on; the message is shown on the source's health."""


class RateLimited(SourceError):
    """The platform asked us to wait `retry_after` seconds."""

    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailed(SourceError):
    """The credentials were refused: polling stops until a person fixes them."""


class Unavailable(SourceError):
    """The platform failed or could not be reached; try again later."""


class Malformed(SourceError):
    """A response body could not be read; it is quarantined with this reason."""

    def __init__(self, message: str, body: str) -> None:
        super().__init__(message)
        self.body = body


@dataclass(slots=True)
class Budget:
    """What the platform says is left of its rate limit, from the last response's headers."""

    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds


# (remaining, reset) header names: X and Mastodon send an epoch time, Reddit seconds to go.
_LIMIT_HEADERS = (
    ("x-rate-limit-remaining", "x-rate-limit-reset", "epoch"),
    ("x-ratelimit-remaining", "x-ratelimit-reset", "auto"),
)


def _retry_after(value: str | None, default: float) -> float:
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reset_epoch(value: str, kind: str, now: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        try:
            return parsedate_to_datetime(value).timestamp()  # Mastodon sends an ISO or HTTP date
        except (TypeError, ValueError):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return None
    if kind == "epoch" or number > 1_000_000_000:
        return number
    return now + number


@dataclass(slots=True)
class Http:
    """A polite HTTP client for one poll: spaced requests, rate limits read, errors classified."""

    min_interval: float = 0.0  # seconds between requests (the source's own rate limit)
    timeout: float = 20.0
    budget: Budget = field(default_factory=Budget)
    requests: int = 0
    _client: httpx.Client | None = None
    _last: float = 0.0

    def __enter__(self) -> Http:
        self._client = httpx.Client(
            timeout=self.timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )
        return self

    def __exit__(self, *_: object) -> None:
        if self._client is not None:
            self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request, waiting out the source's spacing first; classify any failure."""
        assert self._client is not None, "use Http as a context manager"
        wait = self._last + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        self.requests += 1
        try:
            response = self._client.request(method, url, params=params, headers=headers, data=data, auth=auth)
        except httpx.HTTPError as exc:
            raise Unavailable(f"could not reach {httpx.URL(url).host}: {type(exc).__name__}") from None
        self._read_budget(response)
        status = response.status_code
        if status == 429:
            header = response.headers.get("retry-after")
            if header:
                retry = _retry_after(header, 60.0)
            elif self.budget.reset_at is not None:
                retry = max(1.0, self.budget.reset_at - time.time())
            else:
                retry = 60.0
            raise RateLimited(retry, f"rate limited by {httpx.URL(url).host}; retrying in {retry:.0f} s")
        if status in (401, 403):
            raise AuthFailed(
                f"{httpx.URL(url).host} refused the credentials ({status}): fix the token in the settings, "
                "then enable the source again"
            )
        if status >= 500 or status in (408, 425):
            raise Unavailable(f"{httpx.URL(url).host} answered {status}")
        if status >= 400 and status != 404:
            raise SourceError(f"{httpx.URL(url).host} answered {status}: {response.text[:200]}")
        if status == 404:
            raise SourceError(f"{url} was not found (404): check the source's settings")
        return response

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        """GET `url` (see `request`)."""
        return self.request("GET", url, **kwargs)  # type: ignore[arg-type]

    def _read_budget(self, response: httpx.Response) -> None:
        now = time.time()
        for remaining_name, reset_name, kind in _LIMIT_HEADERS:
            remaining = response.headers.get(remaining_name)
            if remaining is None:
                continue
            try:
                self.budget.remaining = int(float(remaining))
            except ValueError:
                continue
            reset = response.headers.get(reset_name)
            self.budget.reset_at = _reset_epoch(reset, kind, now) if reset else None
            return

    def exhausted(self) -> float | None:
        """Return seconds to wait when the platform's budget is spent, else None."""
        if self.budget.remaining is not None and self.budget.remaining <= 0:
            return max(1.0, (self.budget.reset_at or time.time() + 60) - time.time())
        return None

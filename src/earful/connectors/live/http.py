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

from earful.kit.addresses import Pinned, PrivateAddress, Unresolvable, pin

USER_AGENT = "Earful/0.1 (feedback triage; +https://github.com/earful)"
MAX_REDIRECTS = 5
MAX_WAIT = 24 * 3600.0  # a platform asking for longer is asked again tomorrow


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


class Refused(SourceError):
    """The address is inside a network (private or local), which sources may not reach unless allowed."""


class BadRequest(SourceError):
    """The platform refused the request (4xx other than 401, 403, 404 and 429)."""

    def __init__(self, status: int, body: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


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


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or "?"
    except (httpx.InvalidURL, ValueError):
        return "?"


def _origin(url: httpx.URL) -> str:
    return f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"


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
    # True fetches from any private or local address (EARFUL_ALLOW_PRIVATE_ADDRESSES, for a trusted
    # intranet); a set of "host:port" lets through only those (a test's own local server).
    allow_private: bool | frozenset[str] = False
    timeout: float = 20.0
    budget: Budget = field(default_factory=Budget)
    requests: int = 0
    _client: httpx.Client | None = None
    _last: float = 0.0

    def __enter__(self) -> Http:
        self._client = httpx.Client(
            timeout=self.timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False
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
        """Send one request, waiting out the source's spacing first; classify any failure.

        Redirects are followed by hand (at most MAX_REDIRECTS), so every address, the first and
        each one redirected to, is checked against `allow_private` before anything is sent, and the
        connection goes to the address that was checked.
        """
        assert self._client is not None, "use Http as a context manager"
        wait = self._last + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        self.requests += 1
        host = _host(url)
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise Unavailable(f"could not reach {host}: {type(exc).__name__}") from None
        redirected_by: str | None = None
        for _ in range(MAX_REDIRECTS + 1):
            aimed = self._aim(target, redirected_by)
            try:
                response = self._client.request(
                    method,
                    aimed.url,
                    params=params,
                    headers={**(headers or {}), **aimed.headers},
                    data=data,
                    auth=auth,
                    extensions=aimed.extensions,
                )
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                raise Unavailable(f"could not reach {target.host or host}: {type(exc).__name__}") from None
            if not response.has_redirect_location:
                break
            try:
                # Joined to the URL as written, not to the address it was pinned to.
                following = target.join(response.headers["location"])
            except (httpx.InvalidURL, ValueError):
                raise Unavailable(f"{host} redirected to an address that cannot be read") from None
            if (following.scheme, _origin(following)) != (target.scheme, _origin(target)):
                # Credentials were meant for the first site only.
                headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
                auth = None
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, data = "GET", None  # as browsers do: the form is not sent on
            redirected_by, target, params = target.host, following, None  # it carries its own query
        else:
            raise Unavailable(f"{host} redirected more than {MAX_REDIRECTS} times")
        self._read_budget(response)
        status = response.status_code
        host = target.host or host
        if status == 429:
            header = response.headers.get("retry-after")
            if header:
                retry = _retry_after(header, 60.0)
            elif self.budget.reset_at is not None:
                retry = max(1.0, self.budget.reset_at - time.time())
            else:
                retry = 60.0
            retry = min(retry, MAX_WAIT)
            raise RateLimited(retry, f"rate limited by {host}; retrying in {retry:.0f} s")
        if status in (401, 403):
            raise AuthFailed(
                f"{host} refused the credentials ({status}): fix the token in the settings, "
                "then enable the source again"
            )
        if status >= 500 or status in (408, 425):
            raise Unavailable(f"{host} answered {status}")
        if status == 404:
            # The path only: a query string may hold a token.
            raise SourceError(f"{host}{target.path} was not found (404): check the source's settings")
        if status >= 400:
            raise BadRequest(status, response.text, f"{host} answered {status}")
        return response

    def _aim(self, target: httpx.URL, redirected_by: str | None) -> Pinned:
        """Return `target` pinned to its checked public address, or as it is where it is allowed."""
        if self.allow_private is True or _origin(target) in (self.allow_private or ()):
            return Pinned(target)
        try:
            return pin(target)
        except Unresolvable:
            raise Unavailable(f"could not resolve {target.host}") from None
        except PrivateAddress as exc:
            refused = (
                f"Refused to follow {redirected_by}'s redirect to {exc.said}"
                if redirected_by
                else f"Refused to fetch from {exc.said}"
            )
            raise Refused(
                f"{refused}, a private or local address: Earful fetches only from the internet. "
                "For a source on your own network, set EARFUL_ALLOW_PRIVATE_ADDRESSES=true."
            ) from None

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

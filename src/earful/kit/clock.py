"""Time in one place, so everything stores timezone-aware UTC.

`EARFUL_CLOCK` ("START,ORIGIN,RATE": an ISO 8601 time, a Unix time, a number) runs every process's
clock from START at the Unix time ORIGIN, RATE times as fast as real time. It is for tests and
demos that must see hours pass in seconds (an outage, its alert, its subsiding), with a server,
workers and the test itself on one clock; never set it in production.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

CLOCK_ENV = "EARFUL_CLOCK"


@lru_cache(maxsize=4)
def _parse(spec: str) -> tuple[datetime, float, float]:
    start, origin, rate = spec.split(",")
    moment = datetime.fromisoformat(start.strip())
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), float(origin), float(rate)


def clock_spec(start: datetime, rate: float, origin: float | None = None) -> str:
    """Return the `EARFUL_CLOCK` value that starts the clock at `start` now, `rate` times as fast."""
    return f"{start.isoformat()},{time.time() if origin is None else origin},{rate}"


def utcnow() -> datetime:
    """Return the current time in UTC."""
    spec = os.environ.get(CLOCK_ENV)
    if not spec:
        return datetime.now(UTC)
    start, origin, rate = _parse(spec)
    return (start + timedelta(seconds=(time.time() - origin) * rate)).astimezone(UTC)


def monotonic() -> float:
    """Return seconds from a fixed point, never going back: what schedules count, on the same
    clock as `utcnow` (faster under `EARFUL_CLOCK`)."""
    spec = os.environ.get(CLOCK_ENV)
    return time.monotonic() * (_parse(spec)[2] if spec else 1.0)


def as_utc(value: datetime | None) -> datetime | None:
    """Return `value` as aware UTC; naive values (as SQLite returns them) are taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

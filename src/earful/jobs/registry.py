"""Named job handlers. Domains register theirs; the worker runs them by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from earful.settings import Settings
from earful.store.db import Database

Handler = Callable[["JobContext", dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler gets: an open write session (its transaction commits with the job) and settings.

    `db`, when given, lets a handler do its slow reading and computing in a read transaction first:
    on SQLite the write session holds the one write lock from its first statement to the end.
    `job_id` and `worker` name the job being run and the worker running it, so that a handler
    committing work in transactions of its own can check first that the job is still its worker's
    (`queue.confirm_claim`).
    """

    session: Session
    settings: Settings
    db: Database | None = None
    job_id: int | None = None
    worker: str | None = None


_HANDLERS: dict[str, Handler] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of jobs called `name`."""

    def register(func: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not func:
            raise ValueError(f"Two handlers for job {name!r}")
        _HANDLERS[name] = func
        return func

    return register


def handler_for(name: str) -> Handler:
    """Return the handler for `name`; raise KeyError with the known names when there is none."""
    try:
        return _HANDLERS[name]
    except KeyError:
        raise KeyError(f"No handler for job {name!r}; known: {sorted(_HANDLERS)}") from None


def known() -> list[str]:
    """Return the registered job names."""
    return sorted(_HANDLERS)

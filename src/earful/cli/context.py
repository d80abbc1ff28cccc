"""Shared CLI plumbing: settings, database, and turning domain errors into clear exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from earful.connectors.live.http import SourceError
from earful.kit.errors import EarfulError
from earful.settings import Settings
from earful.store.db import Database

console = Console()
err = Console(stderr=True)


def settings() -> Settings:
    """Return settings read from the environment."""
    return Settings()


def database(cfg: Settings) -> Database:
    """Return the configured database."""
    return Database(cfg.resolved_database_url)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print a domain error's or a source's message on one line and exit 1 instead of showing a traceback."""
    try:
        yield
    except EarfulError as exc:
        _say(exc.message)
    except (RuntimeError, SourceError) as exc:  # SourceError: a live source refused, or could not be reached
        _say(str(exc))


def _say(message: str) -> None:
    # soft_wrap: the message stays one line, however narrow the terminal, for scripts and logs.
    err.print(f"[red]Error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(1) from None

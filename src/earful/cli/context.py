"""Shared CLI plumbing: settings, database, and turning domain errors into clear exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

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
    """Print a domain error's message and exit 1 instead of showing a traceback."""
    try:
        yield
    except EarfulError as exc:
        err.print(f"[red]Error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    except RuntimeError as exc:
        err.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from None

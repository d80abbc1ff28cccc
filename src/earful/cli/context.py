"""Shared CLI plumbing: settings, database, and turning domain errors into clear exits."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from earful.connectors.live.http import SourceError
from earful.kit.errors import EarfulError
from earful.settings import Settings
from earful.store.db import Database

console = Console()
err = Console(stderr=True)


def progress_bar(label: str, unit: str = "") -> Progress:
    """Return the CLI's progress bar: spinner, `label` (rich markup; "{task.description}" names
    each task), bar, done of total, `unit`, time so far; gone once finished."""
    columns = (
        SpinnerColumn(),
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        *((TextColumn(unit),) if unit else ()),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=console, transient=True)


def settings() -> Settings:
    """Return settings read from the environment."""
    return Settings()


def database(cfg: Settings, *, made: bool = True) -> Database:
    """Return the configured database; unless `made` is False (init, db upgrade, demo), exit with
    advice when it has not been made yet, rather than fail on a missing table or make a folder."""
    url = cfg.resolved_database_url
    try:
        location = make_url(url)
    except ArgumentError:
        _say(
            "EARFUL_DATABASE_URL is not a database URL: use one like "
            "postgresql+psycopg://user@host:5432/earful, or unset it for SQLite in the data folder."
        )
    if not made:
        return Database(url)
    path = location.database if location.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).is_file():
        _say(_not_made(cfg))  # before connecting: SQLite would make an empty file, and the folder
    db = Database(url)
    try:
        ready = db.has_schema()
    except SQLAlchemyError as exc:
        db.dispose()
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _say(f"Cannot open the database at {_where(url)}: {cause}")
    if not ready:
        db.dispose()
        _say(_not_made(cfg))
    return db


def _where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _not_made(cfg: Settings) -> str:
    if cfg.database_url:
        return (
            f"The database at {_where(cfg.database_url)} has no Earful tables yet. "
            "Run `earful init` (or `earful db upgrade`) first, or point EARFUL_DATABASE_URL at your database."
        )
    return (
        f"No Earful data in {cfg.data_dir.resolve()} yet. Run `earful init` to start there "
        "(or `earful demo` to load the demo), or set EARFUL_DATA_DIR to the folder that holds your "
        "data (see docs/operations.md)."
    )


def say_where_data_is(cfg: Settings) -> None:
    """Print the folder the embedded database and the key are in, and how to choose another."""
    if cfg.database_url:
        return
    console.print(
        f"Data folder: {cfg.data_dir.resolve()} (EARFUL_DATA_DIR chooses another; see docs/operations.md)."
    )


def another_port(port: int) -> int:
    """Return a port to suggest when `port` is taken."""
    return port + 100 if port + 100 < 65536 else 8100


def require_free_port(host: str, port: int, advice: str) -> None:
    """Exit with `advice` (how to choose another port) when `port` on `host` is already taken."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as exc:
        _say(f"Cannot listen on {host}: {exc}")
    with socket.socket(family, kind, proto) as probe:
        # As the server sets it: a port whose last connections are closing is free, a listened one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            _say(f"Port {port} on {host} is {why} (another Earful, or another program?). {advice}")


def writable_file(path: Path | None) -> Path | None:
    """Check an output file's path before the work that ends by writing it (a typer callback)."""
    if path is None:
        return None
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder; give a file name.")
    if not path.parent.is_dir():
        raise typer.BadParameter(f"the folder {path.parent} does not exist; make it first.")
    return path


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print a domain error's or a source's message on one line and exit 1 instead of showing a traceback."""
    try:
        yield
    except typer.Exit:  # a RuntimeError too, already said (the database is not made, say)
        raise
    except EarfulError as exc:
        _say(exc.message)
    except (RuntimeError, SourceError) as exc:  # SourceError: a live source refused, or could not be reached
        _say(str(exc))
    except (FileExistsError, NotADirectoryError) as exc:  # mkdir or open through a file
        _say(f"{exc.filename} is a file where a folder is needed: choose another path.")
    except OSError as exc:  # a path that is not there or not writable, a full disk
        where = f" {exc.filename}" if exc.filename else ""
        _say(f"Cannot use{where}: {exc.strerror or exc}.")


def fail(message: str) -> NoReturn:
    """Say what is wrong on stderr, on one line, and exit 1 (as every refusal of the CLI does)."""
    _say(message)


def _say(message: str) -> NoReturn:
    # soft_wrap: the message stays one line, however narrow the terminal, for scripts and logs.
    err.print(f"[red]Error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(1) from None

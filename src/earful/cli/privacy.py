"""`earful erase` and `earful purge`: a person's erasure request, and retention run now."""

from __future__ import annotations

import getpass

import typer

from earful.cli.context import console, database, friendly_errors, settings
from earful.contracts import Actor
from earful.ingest.privacy import erase_author, purge_expired


def _operator() -> Actor:
    # Whoever runs the CLI holds the database and the secret: they act as an admin, named in the audit log.
    return Actor(None, f"cli:{getpass.getuser()}", "admin")


def erase_command(
    author: str = typer.Option(..., "--author", help="The person's handle on the source, e.g. @someone."),
    source: str = typer.Option(..., "--source", help="The source's name, as `earful source list` shows it."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase one person's posts in a source and everything derived from them (audited)."""
    if not yes:
        typer.confirm(f"Erase every post by this person in {source!r}? This cannot be undone.", abort=True)
    cfg = settings()
    with friendly_errors():
        result = erase_author(database(cfg), cfg, _operator(), author, source)
    console.print(
        f"Erased {result.posts} post{'' if result.posts == 1 else 's'} and everything derived from them."
    )
    if not result.posts:
        console.print(
            "No post of this person was stored in that source: check the handle as the platform shows "
            "it (with or without @ is the same), and that it is the source they posted in."
        )
    if result.models_dropped:
        console.print(
            f"{result.models_dropped} trained model(s) had learned from these posts: their weights are gone "
            "and a retrain is queued (run `earful worker` or `earful train`)."
        )


def purge_command() -> None:
    """Delete posts older than their source's retention period now (the worker also does this daily)."""
    cfg = settings()
    with friendly_errors():
        result = purge_expired(database(cfg), cfg)
    console.print(f"Purged {result.posts} expired post{'' if result.posts == 1 else 's'}.")

"""`earful user` and `earful token`: the people who sign in, and their API tokens."""

from __future__ import annotations

import getpass

import typer
from rich.table import Table

from earful.accounts.policies import ROLES
from earful.accounts.service import (
    MIN_PASSWORD,
    add_user,
    generate_password,
    issue_token,
    list_tokens,
    list_users,
    revoke_token,
    set_active,
    set_password,
)
from earful.cli.context import console, database, err, friendly_errors, settings
from earful.cli.examples import epilog
from earful.contracts import Actor
from earful.kit.errors import NotFound
from earful.store.repos import users as users_repo

user_app = typer.Typer(help="Manage the people who sign in.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


def _operator() -> Actor:
    # Whoever runs the command line on the server acts as an admin; the audit log names them.
    return Actor(None, f"cli:{getpass.getuser()}", "admin")


def _password(password: str | None, generate: bool) -> str:
    if generate:
        return generate_password()
    if password is None:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return password


@user_app.command("add", epilog=epilog("user add"))
def user_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("analyst", help="One of: " + ", ".join(ROLES)),
    password: str | None = typer.Option(
        None,
        help=f"Password (at least {MIN_PASSWORD} characters); asked for when not given, or generated "
        "with --generate.",
    ),
    generate: bool = typer.Option(False, "--generate", help="Generate a password and print it once."),
    name: str | None = typer.Option(None, help="Display name."),
) -> None:
    """Add a user who can sign in to the web app (audited)."""
    secret = _password(password, generate)
    with friendly_errors():
        account = add_user(database(settings()), username, secret, role, name, actor=_operator())
    console.print(f"Added {account.username} ({account.role}).")
    if generate:
        console.print(f"Password: {secret}")


@user_app.command("list")
def user_list() -> None:
    """List everyone who may sign in: role, team, whether active, and when they last signed in."""
    with friendly_errors():
        users = list_users(database(settings()))
    if not users:
        console.print("No users yet. Add one with `earful user add NAME --role ROLE`.")
        return
    table = Table(title=f"Users ({len(users)})")
    for column in ("user", "name", "role", "team", "state", "last login"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.username,
            u.display_name or "",
            u.role,
            u.team or "",
            "active" if u.active else "inactive",
            u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never",
        )
    console.print(table)


@user_app.command("deactivate")
def user_deactivate(username: str = typer.Argument(..., help="Login name.")) -> None:
    """Stop a user signing in: their sessions end and their API tokens stop working (audited)."""
    with friendly_errors():
        changed = set_active(database(settings()), _operator(), username, False)
    if changed:
        console.print(f"{username} is deactivated and signed out everywhere; their API tokens stop working.")
    else:
        console.print(f"{username} was already deactivated.")


@user_app.command("activate")
def user_activate(username: str = typer.Argument(..., help="Login name.")) -> None:
    """Let a deactivated user sign in again (their old sessions stay ended; audited)."""
    with friendly_errors():
        changed = set_active(database(settings()), _operator(), username, True)
    console.print(f"{username} may sign in again." if changed else f"{username} was already active.")


@user_app.command("reset")
def user_reset(
    username: str = typer.Argument(..., help="Login name."),
    password: str | None = typer.Option(
        None, help=f"New password (at least {MIN_PASSWORD} characters); asked for when not given."
    ),
    generate: bool = typer.Option(False, "--generate", help="Generate a password and print it once."),
) -> None:
    """Set a new password for a user and sign them out everywhere (audited)."""
    secret = _password(password, generate)
    with friendly_errors():
        ended = set_password(database(settings()), username, secret, actor=_operator())
    sessions = f"{ended} session{'' if ended == 1 else 's'}"
    console.print(f"Password for {username} changed; {sessions} signed out.")
    if generate:
        console.print(f"Password: {secret}")


@token_app.command("add")
def token_add(
    username: str = typer.Argument(..., help="User the token acts as."),
    name: str = typer.Option("cli", help="A note saying what the token is for."),
) -> None:
    """Create an API token for a user and print it once (audited)."""
    db = database(settings())
    with friendly_errors():
        with db.read() as session:
            user = users_repo.get_by_username(session, username)
        if user is None:
            raise NotFound(f"No user called {username!r}; add one with `earful user add`.")
        token = issue_token(db, user.id, name, actor=_operator())
    console.print(f"Token for {username} (shown once): {token}")
    if not user.active:
        err.print(
            f"[yellow]Note:[/yellow] {username} is deactivated, so the token opens nothing until "
            f"`earful user activate {username}`."
        )


@token_app.command("list")
def token_list(
    username: str | None = typer.Argument(None, help="Only this user's tokens; all when left out."),
) -> None:
    """List API tokens by id, user and note (the tokens themselves are kept only hashed)."""
    with friendly_errors():
        tokens = list_tokens(database(settings()), username)
    if not tokens:
        console.print(f"{username} has no API tokens." if username else "No API tokens yet.")
        return
    table = Table(title=f"API tokens ({len(tokens)})")
    for column in ("id", "user", "note", "created"):
        table.add_column(column)
    for t in tokens:
        table.add_row(str(t.id), t.username, t.name, t.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., help="The token's id, from `earful token list`."),
) -> None:
    """Revoke an API token: it opens nothing from now on (audited)."""
    with friendly_errors():
        revoked = revoke_token(database(settings()), _operator(), token_id)
    console.print(f"Revoked token {revoked.id} ({revoked.name}) of {revoked.username}.")

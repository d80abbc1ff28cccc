"""`earful user` and `earful token` through the real command: list, deactivate, reset and revoke, audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from earful.accounts.service import account_for_token, authenticate, list_tokens
from earful.cli.app import app
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry
from earful.web.app import create_app
from tests.web.conftest import csrf_of

runner = CliRunner()


@pytest.fixture
def cli(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])


def earful(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def actions(db: Database) -> list[tuple[str, str | None]]:
    with db.read() as session:
        return [(e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.mark.usefixtures("cli")
def test_user_list_deactivate_activate_and_reset(db: Database, settings: Settings) -> None:
    assert earful("user", "list") == (0, "No users yet. Add one with `earful user add NAME --role ROLE`.")
    assert (
        earful("user", "add", "maria", "--role", "lead", "--password", "maria's password", "--name", "Maria")[
            0
        ]
        == 0
    )
    assert earful("user", "add", "tom", "--password", "tom's long password")[0] == 0
    code, listed = earful("user", "list")
    assert code == 0 and "maria" in listed and "Maria" in listed and "lead" in listed and "tom" in listed
    assert "never" in listed  # neither has signed in

    # Tom signs in on the web; deactivating him ends that session and stops his password.
    with TestClient(create_app(settings, db), follow_redirects=False) as browser:
        token = csrf_of(browser.get("/login").text)
        signed = browser.post(
            "/login", data={"username": "tom", "password": "tom's long password", "csrf": token}
        )
        assert signed.status_code == 303 and browser.get("/feed").status_code == 200
        code, said = earful("user", "deactivate", "tom")
        assert code == 0 and "tom" in said and "signed out" in said
        assert browser.get("/feed").status_code == 303  # off to the login page
    assert authenticate(db, "tom", "tom's long password") is None
    code, listed = earful("user", "list")
    assert "inactive" in listed
    assert earful("user", "activate", "tom")[0] == 0
    assert authenticate(db, "tom", "tom's long password") is not None

    code, said = earful("user", "reset", "maria", "--password", "a new long password")
    assert code == 0 and "maria" in said
    assert authenticate(db, "maria", "maria's password") is None
    assert authenticate(db, "maria", "a new long password") is not None
    code, said = earful("user", "reset", "maria", "--generate")
    assert code == 0 and "Password:" in said
    generated = said.split("Password:")[1].split()[0]
    assert authenticate(db, "maria", generated) is not None

    assert earful("user", "deactivate", "nobody") == (
        1,
        "Error: No user called 'nobody'; `earful user list` shows them.",
    )
    assert earful("user", "reset", "maria", "--password", "short")[0] == 1
    done = actions(db)
    assert ("user.update", "user:tom") in done and ("user.password", "user:maria") in done
    assert all(entry[0] != "user.password" or entry[1] == "user:maria" for entry in done)


@pytest.mark.usefixtures("cli")
def test_token_list_and_revoke(db: Database) -> None:
    earful("user", "add", "bot", "--role", "viewer", "--password", "a long password")
    code, said = earful("token", "add", "bot", "--name", "dashboard")
    token = said.split("(shown once): ")[1].split()[0]
    assert code == 0 and account_for_token(db, token) is not None
    code, listed = earful("token", "list")
    assert code == 0 and "bot" in listed and "dashboard" in listed and token not in listed
    (row,) = list_tokens(db)
    token_id = str(row.id)
    assert f"{token_id} bot dashboard" in listed or f"{token_id} │ bot │ dashboard" in listed
    code, said = earful("token", "revoke", token_id)
    assert code == 0 and "dashboard" in said and "bot" in said
    assert account_for_token(db, token) is None
    assert earful("token", "list", "bot") == (0, "bot has no API tokens.")
    assert earful("token", "revoke", token_id)[0] == 1
    assert earful("token", "list", "nobody")[0] == 1
    done = actions(db)
    assert ("token.add", "user:bot") in done and ("token.revoke", "user:bot") in done

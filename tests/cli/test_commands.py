"""Every command explains itself; init, user add and token add work end to end."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from earful.accounts.service import authenticate
from earful.cli.app import app
from earful.settings import Settings
from earful.store.db import Database

runner = CliRunner()
COMMANDS = [
    ["init"],
    ["db", "upgrade"],
    ["import"],
    ["serve"],
    ["worker"],
    ["demo"],
    ["user", "add"],
    ["token", "add"],
    ["enrich"],
    ["jobs"],
    ["quarantine"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_that_explains_it(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    lines = [line.strip() for line in result.output.splitlines() if line.strip()]
    description = lines[1] if len(lines) > 1 else ""
    assert len(description) > 20, f"{command}: {description!r}"


def test_init_writes_a_secret_and_migrates(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    data = Path(str(tmp_path)) / "fresh"
    monkeypatch.setenv("EARFUL_DATA_DIR", str(data))
    monkeypatch.delenv("EARFUL_DATABASE_URL", raising=False)
    monkeypatch.delenv("EARFUL_SECRET_KEY", raising=False)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (data / "secret.key").stat().st_mode & 0o077 == 0
    assert (data / "earful.db").exists()
    key = (data / "secret.key").read_text()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert (data / "secret.key").read_text() == key, "init must never replace an existing key"


def test_user_add_then_login_works(
    cli_env: dict[str, str], db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    result = runner.invoke(app, ["user", "add", "lead1", "--role", "lead", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    assert authenticate(db, "lead1", "a long password") is not None
    short = runner.invoke(app, ["user", "add", "x", "--password", "short"])
    assert short.exit_code == 1 and "at least 10" in short.output
    bad_role = runner.invoke(app, ["user", "add", "y", "--role", "boss", "--password", "a long password"])
    assert bad_role.exit_code == 1 and "viewer, analyst, lead, admin" in bad_role.output
    token = runner.invoke(app, ["token", "add", "lead1"])
    assert token.exit_code == 0 and "ef_" in token.output

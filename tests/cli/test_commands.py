"""Every command explains itself; init, user add and token add work end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
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
    ["user", "list"],
    ["user", "deactivate"],
    ["user", "activate"],
    ["user", "reset"],
    ["token", "add"],
    ["token", "list"],
    ["token", "revoke"],
    ["enrich"],
    ["jobs"],
    ["quarantine"],
    ["taxonomy", "load"],
    ["taxonomy", "show"],
    ["taxonomy", "export"],
    ["eval"],
    ["eval-sentiment"],
    ["train"],
    ["models"],
    ["erase"],
    ["purge"],
    ["source", "list"],
    ["source", "add"],
    ["source", "set"],
    ["source", "test"],
    ["source", "health"],
    ["sources"],
    ["source", "webhook-secret"],
    ["spikes"],
    ["topics"],
    ["report"],
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


def test_taxonomy_commands_show_export_edit_and_load_a_new_version(
    cli_env: dict[str, str], tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    assert "No taxonomy is loaded yet" in runner.invoke(app, ["taxonomy", "show"]).output
    path = Path(str(tmp_path)) / "mine.yaml"
    assert runner.invoke(app, ["taxonomy", "export", str(path), "--default"]).exit_code == 0
    first = runner.invoke(app, ["taxonomy", "load", str(path)])
    assert first.exit_code == 0 and "is version 1" in first.output
    path.write_text(path.read_text().replace("Crashes and login", "Crashes and sign-in"))
    second = runner.invoke(app, ["taxonomy", "load", str(path), "--note", "wording"])
    assert second.exit_code == 0 and "is version 2" in second.output
    shown = runner.invoke(app, ["taxonomy", "show"]).output
    assert "version 2" in shown and "Crashes and sign-in" in shown
    data = yaml.safe_load(path.read_text())
    data["categories"].append({"key": "unions", "name": "Union talk"})
    path.write_text(yaml.safe_dump(data))
    refused = runner.invoke(app, ["taxonomy", "load", str(path)])
    assert refused.exit_code == 1 and "does not track" in " ".join(refused.output.split())


def test_source_commands_and_erasure_from_the_command_line(
    cli_env: dict[str, str], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from earful.ingest.sources import list_sources

    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    refused = runner.invoke(app, ["source", "add", "Drivers forum", "--kind", "community", "--private"])
    assert refused.exit_code == 1 and "consent" in refused.output
    consent = "members opted in on 2026-03-01"
    added = runner.invoke(app, ["source", "add", "Drivers forum", "--private", "--consent-basis", consent])
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["source", "set", "Drivers forum", "--retention-days", "30"]).exit_code == 0
    (source,) = list_sources(db)
    assert (source.visibility, source.consent_basis, source.retention_days) == ("private", consent, 30)
    listed = runner.invoke(app, ["source", "list"])
    assert listed.exit_code == 0 and "Drivers" in listed.output and "private" in listed.output
    erased = runner.invoke(app, ["erase", "--author", "@someone", "--source", "Drivers forum", "--yes"])
    assert erased.exit_code == 0 and "Erased 0 posts" in erased.output
    missing = runner.invoke(app, ["erase", "--author", "@someone", "--source", "nowhere", "--yes"])
    assert missing.exit_code == 1 and "no source" in missing.output
    assert runner.invoke(app, ["purge"]).exit_code == 0


def test_report_spikes_and_topics_from_the_command_line(
    cli_env: dict[str, str], db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.factories import label, make_source, posts_at

    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    source = make_source(db, region="Leeds")
    start = datetime(2026, 10, 1, tzinfo=UTC)
    quiet = [start + timedelta(hours=h) for h in range(0, 35 * 24, 6)]
    surge = [start + timedelta(days=35, hours=10, minutes=m) for m in range(0, 60, 3)]
    label(
        db,
        posts_at(db, source, quiet + surge, "the scanner will not read labels"),
        "app.scanning",
        "complaint",
    )
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: table cells on one line each
    found = runner.invoke(app, ["spikes", "--days", "3", "--until", "2026-11-05"])
    assert found.exit_code == 0, found.output
    assert "App & technology" in found.output and "2026-11-05 10:00" in found.output
    out = tmp_path / "out"
    made = runner.invoke(app, ["report", "--since", "2026-10-29", "--until", "2026-11-05", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert "posts, " in made.output
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".html", ".pdf", ".xlsx"]
    bad = runner.invoke(app, ["report", "--since", "yesterday", "--until", "2026-11-05"])
    assert bad.exit_code != 0 and "like 2026-11-01" in bad.output
    assert runner.invoke(app, ["topics"]).exit_code == 0

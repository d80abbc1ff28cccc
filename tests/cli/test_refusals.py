"""Bad input on the command line is refused before anything is made, with one line saying what to
do and exit code 1 or 2, never a traceback, and never left half done (a source created, a report
archived) or stored so that a later command fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from earful.cli.app import app
from earful.store.db import Database
from earful.store.models import Report, Source
from tests.factories import make_source

runner = CliRunner()


@pytest.fixture
def env(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    monkeypatch.setenv("COLUMNS", "200")  # one line for each message


def _refused(args: list[str], says: str, code: int = 1) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert says in " ".join(result.output.split()), result.output


def _sources(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(select(Source.name)))


@pytest.mark.usefixtures("env")
def test_options_out_of_range_are_refused_by_the_parser(tmp_path: Path) -> None:
    _refused(["serve", "--port", "99999"], "less than or equal to 65535", code=2)
    _refused(["quarantine", "--limit", "0"], "greater than or equal to 1", code=2)
    _refused(["spikes", "--days", "0"], "greater than or equal to 1", code=2)
    _refused(["spikes", "--days", "100000"], "less than or equal to 366", code=2)
    _refused(["topics", "--days", "-1"], "greater than or equal to 1", code=2)
    _refused(["taxonomy", "export", str(tmp_path / "missing" / "x.yaml")], "does not exist; make it", code=2)
    _refused(["taxonomy", "export", str(tmp_path)], "is a folder; give a file name", code=2)
    test = tmp_path / "test.csv"
    test.write_text("text,label\nthe app crashed,app.crashes_login\n")
    wrong = ["--test", str(test), "--predictions", str(tmp_path / "no" / "p.csv")]
    _refused(["eval", *wrong], "does not exist; make it", code=2)


def test_a_database_url_or_data_folder_that_cannot_be_used_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARFUL_DATABASE_URL", "notaurl")
    _refused(["jobs"], "EARFUL_DATABASE_URL is not a database URL")
    monkeypatch.delenv("EARFUL_DATABASE_URL")
    monkeypatch.delenv("EARFUL_SECRET_KEY", raising=False)
    afile = tmp_path / "afile"
    afile.write_text("")
    monkeypatch.setenv("EARFUL_DATA_DIR", str(afile))
    _refused(["init"], "is a file where a folder is needed")


@pytest.mark.usefixtures("env")
def test_import_create_makes_only_a_source_source_add_would(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text("text\nthe app logged me out\n")
    _refused(["import", str(posts), "-s", "new1", "--create", "--kind", "bogus"], "Kind must be one of")
    _refused(["import", str(posts), "-s", " ", "--create"], "Give the source a name")
    monkeypatch.delenv("EARFUL_SECRET_KEY")
    _refused(["import", str(posts), "-s", "s1", "--create"], "No secret key")
    assert _sources(db) == []


@pytest.mark.usefixtures("env")
def test_a_source_setting_that_is_not_a_number_is_refused_and_one_stored_before_breaks_nothing(
    db: Database,
) -> None:
    source = make_source(db, "r/drivers", kind="reddit", settings={"subreddit": "drivers"}, enabled=False)
    for pair, says in (
        ("interval_seconds=abc", "not 'abc'"),
        ("interval_seconds=-60", "not -60"),
        ("interval_seconds=0", "not 0"),
        ("interval_seconds=900000000000", "from 1 to 2,592,000"),  # a date too far to add up
        ("silent_after_hours=900000000000", "from 0.01 to 8,784"),
        ("max_pages=0.5", "max_pages must be a whole number"),
    ):
        _refused(["source", "set", "r/drivers", "--config", pair], says)
    assert runner.invoke(app, ["source", "set", "r/drivers", "--config", "max_pages=3.0"]).exit_code == 0
    with db.read() as session:
        assert session.get(Source, source.id).settings["max_pages"] == 3  # type: ignore[union-attr]
    with db.write() as session:  # as stored before settings were checked
        stored = update(Source).where(Source.id == source.id)
        bad = {"subreddit": "drivers", "interval_seconds": "abc", "silent_after_hours": "soon"}
        session.execute(stored.values(settings=bad, enabled=True))
    listed = runner.invoke(app, ["sources"])
    assert listed.exit_code == 0 and "r/drivers" in listed.output, listed.output


@pytest.mark.usefixtures("env")
def test_a_report_that_would_fail_or_be_empty_by_a_typo_is_refused_before_it_is_archived(
    db: Database, tmp_path: Path
) -> None:
    make_source(db, "r/drivers", region="Leeds")
    days = ["report", "--since", "2026-10-01", "--until", "2026-10-31"]
    _refused([*days, "--source", "nosuch"], "There is no source 'nosuch'")
    _refused([*days, "--region", "Atlantis"], "No source is in the region 'Atlantis'")
    _refused([*days, "--category", "nosuch"], "There is no category 'nosuch'")
    _refused([*days, "--email", "not-an-email"], "These are not email addresses: not-an-email")
    _refused([*days, "--email", "lead@example.org"], "Emailing needs EARFUL_SMTP_HOST")
    afile = tmp_path / "t.csv"
    afile.write_text("")
    _refused([*days, "--out", str(afile)], "is a file; give a folder")
    with db.read() as session:
        assert session.scalars(select(Report.id)).all() == []


@pytest.mark.usefixtures("env")
def test_refusals_go_to_stderr_and_say_which_source_is_wrong(db: Database) -> None:
    make_source(db, "r/drivers", kind="reddit")
    for args, says in (
        (["train", "--kind", "bogus"], "--kind must be one of"),
        (["models", "--kind", "bogus"], "--kind must be classifier or sentiment"),
        (["models", "rollback", "--kind", "bogus"], "--kind must be classifier or sentiment"),
        (["source", "set", "nope", "--disable"], "There is no source 'nope'"),
        (["source", "set", "r/drivers", "--config", "novalue"], "--config takes KEY=VALUE"),
        (["source", "webhook-secret", "r/drivers"], "'r/drivers' is a reddit source, not a webhook"),
        (["source", "webhook-secret", "nope"], "There is no source 'nope'"),
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1 and says in " ".join(result.stderr.split()), (args, result.output)
        assert not result.stdout, (args, result.stdout)


@pytest.mark.usefixtures("env")
def test_a_folder_import_names_each_file_and_an_empty_folder_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    (folder / "2026-10").mkdir(parents=True)
    (folder / "2026-10" / "a.csv").write_text("text\nthe app crashed\n")
    (folder / "b.csv").write_bytes(b"text\nfine\nbad \xff byte\n")
    result = runner.invoke(app, ["import", str(folder), "-s", "exports", "--create"])
    assert result.exit_code == 1, result.output  # one row quarantined
    flat = " ".join(result.output.split())
    assert "2026-10/a.csv" in flat and "b.csv" in flat
    assert "- b.csv: line 3: invalid UTF-8 bytes in this row" in flat
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused(["import", str(empty), "-s", "exports"], "holds no file to import", code=2)


@pytest.mark.usefixtures("env")
def test_hints_where_a_command_did_nothing_useful(db: Database, tmp_path: Path) -> None:
    from earful.accounts.service import add_user, set_active
    from earful.contracts import Actor

    make_source(db, "r/drivers")
    erased = runner.invoke(app, ["erase", "--author", "@nobody", "--source", "r/drivers", "--yes"])
    assert erased.exit_code == 0 and "check the handle" in " ".join(erased.output.split())
    add_user(db, "carol", "a long password", "analyst")
    set_active(db, Actor(None, "root", "admin"), "carol", False)
    token = runner.invoke(app, ["token", "add", "carol"])
    assert token.exit_code == 0 and "carol is deactivated" in " ".join(token.stderr.split())
    rows = tmp_path / "labels.csv"
    rows.write_text("text,label\nthe app crashed,app.crashes_login\nlovely,positive\n")
    tones = tmp_path / "tones.csv"
    tones.write_text("text,label\nthe app crashed,complaint\nlovely,positive\n")
    _refused(
        ["eval-sentiment", "--train", str(rows), "--test", str(tones)],
        "--train labels must be positive, neutral, complaint or negative; found app.crashes_login",
    )


@pytest.mark.usefixtures("env")
def test_a_source_language_is_a_two_letter_code(db: Database, tmp_path: Path) -> None:
    # "klingon" was stored, and is the hint language detection falls back on.
    _refused(["source", "add", "forms", "--language", "klingon"], "two-letter ISO 639-1 code")
    posts = tmp_path / "posts.csv"
    posts.write_text("text\nthe app logged me out\n")
    _refused(
        ["import", str(posts), "-s", "x", "--create", "--language", "klingon"], "two-letter ISO 639-1 code"
    )
    assert _sources(db) == []
    assert runner.invoke(app, ["source", "add", "forms", "--language", " EN-gb "]).exit_code == 0
    with db.read() as session:
        assert session.scalars(select(Source.language)).one() == "en"
    # A language stored before the check is kept as it is when other settings change (the admin
    # page and `source set` post it back unchanged): only a new value is checked.
    with db.write() as session:
        session.execute(update(Source).values(language="english"))
    changed = runner.invoke(app, ["source", "set", "forms", "--retention-days", "30"])
    assert changed.exit_code == 0, changed.output
    with db.read() as session:
        assert session.execute(select(Source.language, Source.retention_days)).one() == ("english", 30)

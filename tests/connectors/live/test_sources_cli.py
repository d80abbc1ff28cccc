"""Sources from the command line: add with settings, test one page, health, the X cost forecast, refusals."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from earful.cli.app import app
from earful.contracts import Actor
from earful.ingest.health import alert_silent, health
from earful.ingest.polling import poll
from earful.ingest.sources import SourceForm, list_sources, save_source
from earful.kit.clock import utcnow
from earful.kit.errors import Invalid
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Post
from earful.store.repos import sources as sources_repo
from tests.connectors.live.replay import Replay
from tests.servers import serve_site

runner = CliRunner()


@pytest.fixture
def env(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    monkeypatch.setenv("EARFUL_X_BEARER_TOKEN", "bearer")
    monkeypatch.setenv("EARFUL_X_PRICE_PER_READ", "0.005")
    monkeypatch.setenv("EARFUL_ALLOW_PRIVATE_ADDRESSES", "true")
    monkeypatch.setenv("EARFUL_CREDENTIAL_HOSTS", '["127.0.0.1"]')


@pytest.mark.usefixtures("env")
def test_add_a_live_source_test_it_and_see_its_health(
    db: Database, settings: Settings, replay: Replay
) -> None:
    missing = runner.invoke(
        app, ["source", "add", "Mastodon #kestrel", "--kind", "mastodon", "--config", "hashtag=kestrel"]
    )
    assert missing.exit_code == 1 and "instance" in missing.output
    added = runner.invoke(
        app,
        [
            "source",
            "add",
            "Mastodon #kestrel",
            "--kind",
            "mastodon",
            "--config",
            f"instance={replay.base}",
            "--config",
            "hashtag=kestrel",
            "--config",
            "page_size=5",
        ],
    )
    assert added.exit_code == 0, added.output
    tried = runner.invoke(app, ["source", "test", "Mastodon #kestrel"])
    assert tried.exit_code == 0, tried.output
    assert "5 item(s) on the page" in tried.output and "author opted out of indexing" in tried.output
    with db.read() as session:
        assert session.scalars(select(Post)).all() == []  # a test stores nothing
    table = runner.invoke(app, ["sources"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "Mastodon #kestrel" in table.output and "never" in table.output


@pytest.mark.usefixtures("env")
def test_enabling_an_x_source_shows_its_monthly_forecast(replay: Replay) -> None:
    added = runner.invoke(
        app,
        [
            "source",
            "add",
            "X: kestrel",
            "--kind",
            "x",
            "--config",
            "query=kestrel",
            "--config",
            f"api={replay.base}",
        ],
    )
    assert added.exit_code == 0, added.output
    # The recorded count: 411 matches over 169 hourly buckets (7 days), so about 1,751 reads a month.
    said = " ".join(added.output.split())  # the console wraps long lines
    assert "411 matches in the last 7.0 days" in said and "1,751 reads a month" in said
    assert "about 8.76 a month" in said


def test_a_live_source_cannot_be_enabled_without_the_settings_it_needs(
    db: Database, settings: Settings
) -> None:
    admin = Actor(None, "root", "admin")
    with pytest.raises(Invalid, match="Set 'query'") as caught:
        save_source(
            db,
            admin,
            SourceForm(name="X", kind="x", config={"page_size": 10}),
            create=True,
            settings=settings,
        )
    assert caught.value.field == "config"
    form = SourceForm(name="X", kind="x", config={"page_size": 10}, enabled=False)
    save_source(db, admin, form, create=True, settings=settings)
    assert [s.enabled for s in list_sources(db)] == [False]


def test_a_silent_live_source_raises_one_alert(db: Database, settings: Settings, replay: Replay) -> None:
    admin = Actor(None, "root", "admin")
    config = {"instance": replay.base, "hashtag": "kestrel", "silent_after_hours": 1}
    save_source(
        db, admin, SourceForm(name="quiet", kind="mastodon", config=config), create=True, settings=settings
    )
    later = utcnow() + timedelta(hours=2)
    assert alert_silent(db, later) == ["quiet"]
    assert alert_silent(db, later) == []  # once per silence
    (row,) = health(db, later)
    assert row.silent_for is not None and row.silent_for > timedelta(hours=1)
    with db.read() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "source.silent"))
    assert entry.target == "source:quiet"
    with db.read() as session:
        source = sources_repo.get_by_name(session, "quiet")
        assert source is not None and source.silence_alerted_at is not None
    poll(db, settings, source.id)  # brings posts: no longer silent, and it may alert again later
    assert health(db)[0].silent_for is None
    alert_silent(db)
    with db.read() as session:
        source = sources_repo.get_by_name(session, "quiet")
        assert source is not None and source.silence_alerted_at is None


def test_the_admin_page_shows_an_x_sources_forecast_when_it_is_enabled(
    db: Database, settings: Settings, replay: Replay
) -> None:
    from fastapi.testclient import TestClient

    from earful.web.app import create_app
    from tests.web.conftest import login

    configured = settings.model_copy(update={"x_bearer_token": "bearer", "x_price_per_read": 0.005})
    with TestClient(create_app(configured, db), follow_redirects=False) as client:
        login(client, db, "root", "admin")
        form = {
            "csrf": client.headers["x-csrf-token"],
            "mode": "create",
            "name": "X: kestrel",
            "kind": "x",
            "enabled": "on",
            "config": f'{{"query": "kestrel", "api": "{replay.base}"}}',
        }
        assert client.post("/admin/sources", data=form).status_code == 303
        page = client.get("/admin/sources").text
    assert (
        "Forecast: 411 matches in the last 7.0 days, so about 1,751 reads a month, about 8.76 a month."
        in page
    )


def test_testing_a_source_inside_the_network_says_so_in_one_line(
    db: Database, settings: Settings, cli_env: dict[str, str]
) -> None:
    with serve_site() as intranet:
        intranet.pages["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, b"<rss></rss>")
        form = SourceForm(name="Intranet news", kind="rss", config={"url": f"{intranet.base}/feed.xml"})
        save_source(db, Actor(None, "root", "admin"), form, create=True, settings=settings)
        done = subprocess.run(
            [sys.executable, "-m", "earful.cli", "source", "test", "Intranet news"],
            env={**cli_env, "EARFUL_ALLOW_PRIVATE_ADDRESSES": "false"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "127.0.0.1" in line and "private or local address" in line
    assert "EARFUL_ALLOW_PRIVATE_ADDRESSES=true" in line  # what to do about it
    assert intranet.asked == []


@pytest.mark.usefixtures("env")
def test_a_live_source_added_without_settings_says_it_is_not_polled_and_how_to_poll_it() -> None:
    bare = runner.invoke(app, ["source", "add", "Couriers UK", "--kind", "reddit"])
    assert bare.exit_code == 0, bare.output
    said = " ".join(bare.output.split())
    # The commands are quoted to be pasted into a shell as they are.
    assert "not polled" in said and "earful import FILE --source 'Couriers UK'" in said
    assert "earful source set 'Couriers UK' --config KEY=VALUE" in said and "subreddit" in said
    # A file source is never polled, and a set-up live source is: neither gets the hint.
    for args in (
        ["forms", "--kind", "file"],
        ["news", "--kind", "rss", "--config", "url=https://example.org/feed"],
    ):
        added = runner.invoke(app, ["source", "add", *args])
        assert added.exit_code == 0 and "not polled" not in added.output, added.output

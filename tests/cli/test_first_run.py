"""A newcomer's first commands: before `earful init`, from another folder, the demo's port, what an
import says about enrichment and its source's health, and which CSV columns an import reads."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from earful.accounts.service import add_user, authenticate
from earful.classify.service import ensure_default
from earful.connectors.files.records import ALIASES, ENGAGEMENT_COLUMNS
from earful.store.db import Database
from earful.store.models import Job, Post
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CSV = "id,created_at,text,author\nf-1,2026-11-02T09:00:00Z,the app logs me out every time,@ann\n"


def earful(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `earful` command and return what it did."""
    command = [sys.executable, "-m", "earful.cli", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def newcomer(tmp_path: Path) -> dict[str, str]:
    """Return the environment of someone who has set nothing: no EARFUL_* variables, a home of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARFUL_") and k != "XDG_DATA_HOME"}
    home = tmp_path / "home"
    home.mkdir()
    env.update(HOME=str(home), COLUMNS="200")
    return env


def test_commands_before_init_say_what_to_do_and_create_nothing(
    newcomer: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "somewhere"
    folder.mkdir()
    (folder / "posts.csv").write_text(CSV)
    for args in (
        ["sources"],
        ["jobs"],
        ["quarantine"],
        ["taxonomy", "show"],
        ["import", "posts.csv", "--source", "forms", "--create"],
        ["worker", "--once"],
    ):
        done = earful(*args, env=newcomer, cwd=folder)
        said = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 1, (args, said)
        assert "Traceback" not in said and "no such table" not in said, (args, said)
        assert "`earful init`" in said and "EARFUL_DATA_DIR" in said, (args, said)
        assert said.count("Error:") == 1, (args, said)  # said once, not again as "Error: 1"
        assert sorted(p.name for p in folder.iterdir()) == ["posts.csv"], args  # no earful-data/
        assert list(Path(newcomer["HOME"]).iterdir()) == [], args  # nor a per-user folder


def test_init_uses_the_per_user_folder_and_other_folders_find_it(
    newcomer: dict[str, str], tmp_path: Path
) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    done = earful("init", env=newcomer, cwd=here)
    assert done.returncode == 0, done.stdout + done.stderr
    data = Path(newcomer["HOME"]) / ".local" / "share" / "earful"
    assert (data / "earful.db").is_file() and (data / "secret.key").is_file()
    assert str(data) in " ".join(done.stdout.split())
    assert list(here.iterdir()) == []
    (there / "posts.csv").write_text(CSV)
    imported = earful("import", "posts.csv", "--source", "forms", "--create", env=newcomer, cwd=there)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listed = earful("sources", env=newcomer, cwd=tmp_path)
    assert listed.returncode == 0 and "forms" in listed.stdout, listed.stdout + listed.stderr
    # XDG_DATA_HOME moves the per-user folder, as on any Linux desktop; EARFUL_DATA_DIR beats both.
    xdg = dict(newcomer, XDG_DATA_HOME=str(tmp_path / "xdg"))
    assert earful("init", env=xdg, cwd=here).returncode == 0
    assert (tmp_path / "xdg" / "earful" / "earful.db").is_file()
    chosen = dict(xdg, EARFUL_DATA_DIR=str(tmp_path / "chosen"))
    assert earful("init", env=chosen, cwd=here).returncode == 0
    assert (tmp_path / "chosen" / "earful.db").is_file()


def test_an_earful_data_folder_in_the_working_directory_is_still_used(
    newcomer: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    old = dict(newcomer, EARFUL_DATA_DIR=str(project / "earful-data"))
    assert earful("init", env=old, cwd=project).returncode == 0
    (project / "posts.csv").write_text(CSV)
    done = earful("import", "posts.csv", "--source", "forms", "--create", env=newcomer, cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (Path(newcomer["HOME"]) / ".local").exists()


def test_an_empty_database_file_is_not_taken_for_a_database(newcomer: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "earful.db").touch()  # what earlier versions left behind
    done = earful("sources", env=dict(newcomer, EARFUL_DATA_DIR=str(data)), cwd=tmp_path)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1 and "`earful init`" in said and "Traceback" not in said, said


def _wait(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_import_says_how_its_posts_will_be_enriched(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ensure_default(db)
    env = dict(cli_env, COLUMNS="200", EARFUL_WORKER_POLL_SECONDS="0.2")
    first = tmp_path / "first.csv"
    first.write_text(CSV)
    done = earful("import", str(first), "--source", "forms", "--create", env=env)
    said = " ".join(done.stdout.split())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 new post waits for enrichment" in said, said
    assert "no worker is running" in said.lower() and "`earful worker --once`" in said, said
    assert "`earful serve --with-worker`" in said, said

    # With a worker running, the import says the worker will take them.
    cmd = [sys.executable, "-m", "earful.cli", "worker"]
    worker = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:

        def worked() -> bool:
            with db.read() as session:
                return bool(session.scalar(select(func.count(Job.id)).where(Job.status == "done")))

        assert _wait(worked, 60), "the worker ran nothing"
        second = tmp_path / "second.csv"
        second.write_text(CSV.replace("f-1", "f-2"))
        done = earful("import", str(second), "--source", "forms", env=env)
        said = " ".join(done.stdout.split())
        assert done.returncode == 0, done.stdout + done.stderr
        assert "a worker is running" in said.lower() and "`earful jobs`" in said, said

        def enriched() -> bool:
            with db.read() as session:
                return session.scalar(select(func.count(Post.id)).where(Post.text.is_not(None))) == 2

        assert _wait(enriched, 120), "the worker did not enrich the imported posts"
    finally:
        worker.terminate()
        worker.wait(30)


def test_demo_on_a_taken_port_fails_first_and_says_how_to_choose_another(
    db: Database, cli_env: dict[str, str]
) -> None:
    ensure_default(db)
    add_user(db, "admin", "the admin's own password", "admin", "Admin")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = earful("demo", "--port", str(port), env=cli_env)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, said
    assert f"Port {port}" in said and "in use" in said and "make demo PORT=" in said, said
    assert "--port" in said and "Traceback" not in said, said
    assert authenticate(db, "admin", "the admin's own password") is not None, "the password was reset"
    with db.read() as session:
        assert session.scalar(select(func.count(Post.id))) == 0, "the demo loaded data before failing"


def test_earful_serve_on_a_taken_port_says_so(db: Database, cli_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = earful("serve", "--with-worker", "--port", str(port), env=cli_env)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1 and f"Port {port}" in said and "--port" in said, said


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_takes_a_port() -> None:
    port = str(free_port())
    done = subprocess.run(
        ["make", "-n", "demo", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"earful demo --port {port}" in done.stdout, done.stdout
    readme = (ROOT / "README.md").read_text()
    assert "make demo PORT=" in readme and "--port" in readme


def test_sources_shows_an_import_as_its_last_success(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ensure_default(db)
    env = dict(cli_env, COLUMNS="80")  # a usual terminal: the date must not be cut short
    posts = tmp_path / "posts.csv"
    posts.write_text(CSV)
    before = time.strftime("%Y-%m-%d", time.gmtime())
    assert earful("import", str(posts), "--source", "forms", "--create", env=env).returncode == 0
    table = earful("sources", env=env)
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if "forms" in line)
    assert "never" not in row and before in row, table.stdout


def test_import_help_and_docs_name_every_column_an_import_reads() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "earful.cli", "import", "--help"],
        env=dict(os.environ, COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    doc = (ROOT / "docs" / "import.md").read_text()
    for name in [*(n for names in ALIASES.values() for n in names), *ENGAGEMENT_COLUMNS]:
        assert f"`{name}`" in doc, f"docs/import.md does not name the column {name}"
        assert name in said, f"`earful import --help` does not name the column {name}"
    assert "region" in said and "--region" in said  # a region column is not read: the source has one


def test_a_stopping_worker_names_itself_not_its_last_job(db: Database, cli_env: dict[str, str]) -> None:
    ensure_default(db)
    done = earful("worker", "--once", env=cli_env)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "stopped after" in line]
    assert f"worker {socket.gethostname()}:" in line and "insights." not in line, line

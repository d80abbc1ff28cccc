"""Shared fixtures: a real database (SQLite file, or PostgreSQL when EARFUL_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Base
from tests.servers import free_port, smtp, webhook  # noqa: F401 - fixtures for every test

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"

# pytest-xdist starts its workers with COLUMNS=80, and Rich fixes a console's width from COLUMNS
# when the console is built (the CLI's, on import). Tests that read CLI output choose the width
# they need with COLUMNS themselves; the worker's own value must not freeze it first.
os.environ.pop("COLUMNS", None)


# For modules whose subject is not the database (a process's memory, a server's processes): make
# test runs the suite on both engines, and these need to run once, in the SQLite half.
once_not_per_engine = pytest.mark.skipif(
    bool(os.environ.get("EARFUL_TEST_DATABASE_URL")),
    reason="not about the database engine: runs once, in the SQLite half of `make test`",
)

# For modules about PostgreSQL alone (workers on several machines share one): they run in the
# PostgreSQL half of `make test`, which fails under CI=true when no PostgreSQL answers.
postgres_only = pytest.mark.skipif(
    not os.environ.get("EARFUL_TEST_DATABASE_URL"),
    reason="needs PostgreSQL (EARFUL_TEST_DATABASE_URL): runs in the PostgreSQL half of `make test`",
)


def shared_data(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping (or failing under CI) when it is absent."""
    path = SHARED.joinpath("data", *parts)
    if not path.exists():
        message = f"{path} is absent: these tests need the shared datasets beside the repository"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Return the URL of a migrated database for the whole session."""
    pg_url = os.environ.get("EARFUL_TEST_DATABASE_URL")
    if not pg_url:
        template = tmp_path_factory.mktemp("template") / "earful.db"
        url = f"sqlite:///{template}"
        Database(url).upgrade()
        yield url
        return
    schema = f"earful_test_{os.getpid()}"
    admin = create_engine(pg_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means the same thing here
        message = f"PostgreSQL at {make_url(pg_url).render_as_string()} is not reachable: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    url = (
        make_url(pg_url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    Database(url).upgrade()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def db_url(database_url: str, tmp_path: Path) -> str:
    """Return the URL of an empty migrated database for one test."""
    return empty_database(database_url, tmp_path)


def empty_database(database_url: str, folder: Path) -> str:
    """Return the URL of an empty migrated database: a copy in `folder`, or truncated tables."""
    if database_url.startswith("sqlite"):
        target = folder / "earful.db"
        shutil.copy(make_url(database_url).database or "", target)
        return f"sqlite:///{target}"
    engine = create_engine(database_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return database_url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """Return an empty migrated database."""
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Return settings pointing at the test database, with a fixed secret and small batches."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key="test-secret-key-0123456789",
        import_batch_size=50,
        job_backoff_seconds=0.01,
        job_max_attempts=3,
    )


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Return environment variables that point the CLI at the test database."""
    env = dict(os.environ)
    env.update(
        EARFUL_DATA_DIR=str(settings.data_dir),
        EARFUL_DATABASE_URL=settings.resolved_database_url,
        EARFUL_SECRET_KEY=settings.secret_key or "",
        EARFUL_IMPORT_BATCH_SIZE=str(settings.import_batch_size),
    )
    return env


def _touches_database(item: pytest.Item) -> bool:
    """Whether a test uses a database: through the fixtures (directly or not), or a database of
    its own at an old migration (tests/store/old_database.py)."""
    if "database_url" in getattr(item, "fixturenames", ()):
        return True
    module = getattr(item, "module", None)
    return module is not None and "database_at" in vars(module)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the PostgreSQL half of `make test`, leave out the tests that never open a database: they
    ran in the SQLite half, and would only run again the same way."""
    if not os.environ.get("EARFUL_TEST_DATABASE_URL"):
        return
    keep, drop = [], []
    for item in items:
        (keep if _touches_database(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

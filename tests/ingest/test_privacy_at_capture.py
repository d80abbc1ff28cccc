"""No post text reaches the database before redaction: raw input is sealed, stored text is redacted."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import LargeBinary, select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Base, Post, Quarantined
from earful.store.repos.quarantine import recent
from earful.store.sealing import quarantine_sealer

SECRETS = [
    "maria.lopez@example.com",
    "07700 900123",
    "4111 1111 1111 1111",
    "Calle de Alcalá 112",
    "@maria_l_99",
    "Rose Tyler",
]
POSTS = [
    {"id": "1", "author": "m", "text": "Support never answered, write to me at maria.lopez@example.com"},
    {"id": "2", "author": "n", "text": "Call me on 07700 900123, my tip never arrived"},
    {"id": "3", "author": "o", "text": "They charged my card 4111 1111 1111 1111 twice for the van rental"},
    {"id": "4", "author": "p", "text": "Entregas en Calle de Alcalá 112 siempre sin portero"},
    {"id": "5", "author": "q", "text": "@maria_l_99 same here, app crashed at the station"},
    {
        "id": "6",
        "author": "r",
        "title": "Rude customer",
        "text": "My name is Rose Tyler; a dog bit me today",
    },
]
BAD_LINE = '{"id": "7", "text": "cut off with Rose Tyler and 07700 900123'


def _everything_stored(db: Database) -> str:
    """Every text value in every table, and for SQLite the database files' bytes too."""
    found: list[str] = []
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if not isinstance(c.type, LargeBinary)]
            for row in session.execute(select(*columns)):
                found.extend(json.dumps(v, default=str, ensure_ascii=False) for v in row)
    if db.is_sqlite:
        path = Path(db.write_engine.url.database or "")
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                found.append(file.read_bytes().decode("utf-8", "replace"))
    return "\n".join(found)


def test_no_personal_data_is_stored_before_or_after_enrichment(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in POSTS) + BAD_LINE + "\n")
    get_or_create_source(db, "drivers")
    summary = iter_import(db, settings, path, "drivers")
    assert summary.imported == 6 and summary.quarantined == 1

    stored = _everything_stored(db)
    assert "Support never answered" not in stored  # captured, but only sealed
    for secret in SECRETS:
        assert secret not in stored, secret

    drain(db, settings)
    stored = _everything_stored(db)
    for secret in SECRETS:
        assert secret not in stored, secret
    with db.read() as session:
        texts = {p.external_id: (p.title, p.text) for p in session.scalars(select(Post))}
    assert texts["1"][1] == "Support never answered, write to me at [EMAIL]"
    assert texts["2"][1] == "Call me on [PHONE], my tip never arrived"
    assert "[CARD]" in (texts["3"][1] or "")
    assert "[ADDRESS]" in (texts["4"][1] or "")
    assert (texts["5"][1] or "").startswith("[HANDLE] same here")
    assert texts["6"] == ("Rude customer", "My name is [NAME]; a dog bit me today")


def test_quarantined_input_is_sealed_and_opens_with_the_secret(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(BAD_LINE + "\n")
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    with db.read() as session:
        (entry,) = recent(session)
        assert isinstance(entry, Quarantined)
    assert b"Rose" not in entry.sealed_raw
    assert quarantine_sealer(settings.secret).open(entry.sealed_raw).strip() == BAD_LINE


def test_an_import_stores_only_handle_free_links(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    records = [
        {
            "id": "1",
            "text": "pay is late",
            "author": "lucia_reparte",
            "url": "https://forum.example/u/lucia_reparte/t/1",
        },
        {
            "id": "2",
            "text": "pay is late",
            "author": "valencia_ruta",
            "url": "https://forum.example/t/2?by=PEPE_furgo",
        },
        {
            "id": "3",
            "text": "pay is late",
            "author": "pepe_furgo",
            "url": "https://forum.example/t/3?by=PEPE_furgo",
        },
        {"id": "4", "text": "pay is late", "author": "mario", "url": "https://x.com/mario/status/42"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    get_or_create_source(db, "forum")
    assert iter_import(db, settings, path, "forum").imported == 4
    with db.read() as session:
        urls = {row.external_id: row.url for row in session.execute(select(Post.external_id, Post.url))}
    assert urls == {
        "1": None,
        "2": "https://forum.example/t/2?by=PEPE_furgo",  # someone else's name: not this author's
        "3": None,
        "4": "https://x.com/i/web/status/42",
    }

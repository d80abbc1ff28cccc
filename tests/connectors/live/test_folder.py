"""File drop: new files in a watched folder are imported once each, and only when settled."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from earful.contracts import Actor
from earful.ingest.polling import poll as _poll
from earful.ingest.sources import SourceForm, save_source
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post, Quarantined
from earful.store.repos import sources as sources_repo


def _source(db: Database, settings: Settings, folder: Path, settle: int = 0) -> int:
    settings = settings.model_copy(update={"drop_root": folder.parent})
    config = {"path": str(folder), "settle_seconds": settle}
    form = SourceForm(name="form exports", kind="folder", config=config)
    save_source(db, Actor(None, "root", "admin"), form, create=True, settings=settings)
    with db.read() as session:
        found = sources_repo.get_by_name(session, "form exports")
        assert found is not None
        return found.id


def poll(db: Database, settings: Settings, source: int) -> object:
    return _poll(db, settings.model_copy(update={"drop_root": settings.data_dir.parent}), source)


def _drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"  # not tmp_path itself: the test database lives there
    folder.mkdir()
    return folder


def _texts(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(select(Post.external_id)))


def test_each_new_file_is_imported_once(db: Database, settings: Settings, tmp_path: Path) -> None:
    tmp_path = _drop(tmp_path)
    (tmp_path / "a.csv").write_text("id,text\nc1,app crashed at the depot\nc2,tips missing\n")
    (tmp_path / "b.jsonl").write_text('{"id": "j1", "text": "GPS sent me the wrong way"}\n')
    source = _source(db, settings, tmp_path)
    result = poll(db, settings, source)
    assert (result.pages, result.imported) == (2, 3)
    assert poll(db, settings, source).imported == 0
    (tmp_path / "c.jsonl").write_text('{"id": "j2", "text": "scanner froze"}\n')
    assert poll(db, settings, source).imported == 1
    assert _texts(db) == ["c1", "c2", "j1", "j2"]


def test_a_file_still_being_written_waits(db: Database, settings: Settings, tmp_path: Path) -> None:
    tmp_path = _drop(tmp_path)
    growing = tmp_path / "late.jsonl"
    growing.write_text('{"id": "x1", "text": "first line"}\n')
    source = _source(db, settings, tmp_path, settle=60)
    assert poll(db, settings, source).imported == 0
    old = time.time() - 120
    os.utime(growing, (old, old))
    assert poll(db, settings, source).imported == 1


def test_a_file_in_no_known_format_is_set_aside(db: Database, settings: Settings, tmp_path: Path) -> None:
    tmp_path = _drop(tmp_path)
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01\x02 not a format Earful knows")
    source = _source(db, settings, tmp_path)
    result = poll(db, settings, source)
    assert result.quarantined == 1 and result.outcome == "ok"
    with db.read() as session:
        (entry,) = session.scalars(select(Quarantined))
    assert entry.origin == "poll:form exports"


def test_an_unreadable_file_does_not_stop_the_folder(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    folder = _drop(tmp_path)
    (folder / "a-broken.csv").write_bytes(b'id,text\n"c1,unterminated\r\x00\n')
    (folder / "b.jsonl").write_text('{"id": "j1", "text": "fine"}\n')
    source = _source(db, settings, folder)
    result = poll(db, settings, source)
    assert result.outcome == "ok" and result.imported == 1 and _texts(db) == ["j1"]


def test_links_are_not_followed_and_the_folder_must_be_under_the_drop_root(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    from earful.kit.errors import Invalid

    folder = _drop(tmp_path)
    secret = tmp_path / "elsewhere.jsonl"
    secret.write_text('{"id": "s1", "text": "a file outside the drop folder"}\n')
    (folder / "link.jsonl").symlink_to(secret)
    source = _source(db, settings, folder)
    assert poll(db, settings, source).imported == 0  # type: ignore[attr-defined]
    outside = settings.model_copy(update={"drop_root": folder})
    form = SourceForm(name="etc", kind="folder", config={"path": "/etc"})
    with pytest.raises(Invalid, match="inside the drop root"):
        save_source(db, Actor(None, "root", "admin"), form, create=True, settings=outside)


def test_many_files_are_each_read_once(db: Database, settings: Settings, tmp_path: Path) -> None:
    from earful.connectors.live import folder as folder_module

    folder = _drop(tmp_path)
    for i in range(6):
        (folder / f"f{i}.jsonl").write_text(f'{{"id": "m{i}", "text": "file {i}"}}\n')
    source = _source(db, settings, folder)
    remembered = folder_module.REMEMBERED
    folder_module.REMEMBERED = 2  # far fewer than the files waiting
    try:
        result = poll(db, settings, source)
    finally:
        folder_module.REMEMBERED = remembered
    assert result.imported == 6 and result.pages == 6  # type: ignore[attr-defined]
    assert _texts(db) == [f"m{i}" for i in range(6)]

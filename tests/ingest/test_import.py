"""Importing files: every real recorded payload, idempotence, quarantine, crash safety, consent."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from earful.ingest import service
from earful.ingest.service import get_or_create_source, iter_import
from earful.ingest.sources import KINDS
from earful.kit.errors import Forbidden
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Job, Post, Quarantined, RawItem
from earful.store.sealing import quarantine_sealer, raw_sealer
from tests.conftest import shared_data
from tests.factories import make_source


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_every_recorded_payload_imports_and_a_second_import_adds_nothing(
    db: Database, settings: Settings
) -> None:
    samples = shared_data("api-samples")
    files = sorted(p for p in samples.rglob("*") if p.is_file() and p.suffix != ".md")
    assert len(files) >= 50
    first: dict[str, int] = {}
    for path in files:
        source = f"samples/{path.parent.name}"
        kind = path.parent.name if path.parent.name in KINDS else "file"  # a folder per platform
        get_or_create_source(db, source, kind=kind)
        summary = iter_import(db, settings, path, source)
        assert summary.quarantined == 0, (path.name, summary.quarantine_reasons)
        first[path.name] = summary.imported
    total = _count(db, Post)
    assert total == sum(first.values()) and total > 800
    assert first["listing_r-askreddit_new_2016-03.json"] == 100
    assert _count(db, RawItem) == total
    for path in files:
        summary = iter_import(db, settings, path, f"samples/{path.parent.name}")
        assert summary.imported == 0 and summary.quarantined == 0, path.name
    assert _count(db, Post) == total


def test_raw_payload_is_kept_and_the_author_handle_is_not_on_the_post(
    db: Database, settings: Settings
) -> None:
    path = shared_data("api-samples", "reddit", "listing_r-askreddit_new_2016-03.json")
    get_or_create_source(db, "r/askreddit")
    iter_import(db, settings, path, "r/askreddit")
    listing = json.loads(path.read_text())
    first = listing["data"]["children"][0]["data"]
    with db.read() as session:
        post = session.scalars(select(Post).where(Post.external_id == first["name"])).one()
        raw = session.get(RawItem, post.id)
    assert raw is not None and raw.format == "reddit-listing"
    assert json.loads(raw_sealer(settings.secret).open(raw.sealed)) == first
    assert post.author_key and first["author"] not in (post.author_key or "")
    assert first["author"] not in json.dumps([post.title, post.text, post.url, post.engagement])


def test_a_json_line_is_kept_exactly_and_a_csv_row_as_json_that_maps_again(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    from earful.connectors.files import map_item
    from earful.contracts import RawItem as Item

    line = '{"id": "j1",   "text": "Spacing  and key order\\u00e9 kept", "author": "u"}'
    (tmp_path / "one.jsonl").write_text(line + "\n")
    (tmp_path / "one.csv").write_text('id,text,author\nc1,"a, quoted""row""",u\n')
    get_or_create_source(db, "files")
    for name in ("one.jsonl", "one.csv"):
        assert iter_import(db, settings, tmp_path / name, "files").imported == 1
    with db.read() as session:
        raws = {r.format: r for r in session.scalars(select(RawItem))}
    opened = {fmt: raw_sealer(settings.secret).open(raw.sealed) for fmt, raw in raws.items()}
    assert opened["jsonl"] == line
    assert json.loads(opened["csv"]) == {"id": "c1", "text": 'a, quoted"row"', "author": "u"}
    again = map_item(Item("csv", "c1", json.loads(opened["csv"])))
    assert not isinstance(again, str) and again is not None and again.text == 'a, quoted"row"'


def _broken_files(tmp: Path) -> list[Path]:
    good = [{"id": f"g{i}", "text": f"good post {i}", "author": "x"} for i in range(3)]
    truncated = tmp / "truncated.jsonl"
    truncated.write_text("\n".join(json.dumps(r) for r in good) + '\n{"id": "t1", "text": "cut of')
    invalid = tmp / "invalid-utf8.jsonl"
    lines = [json.dumps({"id": f"u{i}", "text": f"fine {i}"}).encode() for i in range(3)]
    lines.insert(1, b'{"id": "bad", "text": "caf\xe9 \xff\xfe"}')
    invalid.write_bytes(b"\n".join(lines) + b"\n")
    csv_file = tmp / "missing-column.csv"
    csv_file.write_text("id,text,author\nc1,first row,alice\nc2,second row\nc3,third row,carol\n")
    return [truncated, invalid, csv_file]


@pytest.mark.parametrize("parallel", [False, True], ids=["one process", "reader process"])
def test_broken_files_import_their_good_rows_and_quarantine_the_rest(
    db: Database, settings: Settings, tmp_path: Path, parallel: bool
) -> None:
    get_or_create_source(db, "forms")
    truncated, invalid, csv_file = _broken_files(tmp_path)
    results = {
        p.name: iter_import(db, settings, p, "forms", parallel=parallel)
        for p in (truncated, invalid, csv_file)
    }
    assert results["truncated.jsonl"].imported == 3 and results["truncated.jsonl"].quarantined == 1
    assert results["invalid-utf8.jsonl"].imported == 3 and results["invalid-utf8.jsonl"].quarantined == 1
    assert results["missing-column.csv"].imported == 2 and results["missing-column.csv"].quarantined == 1
    with db.read() as session:
        rows = session.scalars(select(Quarantined).order_by(Quarantined.id)).all()
    assert len(rows) == 3
    assert all(r.reason for r in rows)
    opened = [quarantine_sealer(settings.secret).open(r.sealed_raw) for r in rows]
    assert any("c2,second row" in raw for raw in opened)
    # Re-running quarantines nothing twice and adds no posts.
    for path in (truncated, invalid, csv_file):
        iter_import(db, settings, path, "forms")
    assert _count(db, Quarantined) == 3 and _count(db, Post) == 8


def test_cli_import_prints_a_summary_and_exits_non_zero_on_quarantine(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    _, _, csv_file = _broken_files(tmp_path)
    earful = [sys.executable, "-m", "earful.cli"]
    ok = tmp_path / "ok.csv"
    ok.write_text("id,text\n1,hello\n2,world\n")
    done = subprocess.run(
        [*earful, "import", str(ok), "--source", "forms", "--create"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "imported" in done.stdout and "2" in done.stdout
    bad = subprocess.run(
        [*earful, "import", str(csv_file), "--source", "forms"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "quarantined" in bad.stdout and "row" in bad.stdout
    missing = subprocess.run(
        [*earful, "import", str(ok), "--source", "nope"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1 and "--create" in missing.stderr


def test_a_file_of_many_bad_rows_counts_them_all_but_names_only_the_first_hundred(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(f'{{"id": "{i}", "no_text_here": true}}\n' for i in range(250)))
    get_or_create_source(db, "bad")
    summary = iter_import(db, settings, path, "bad", "jsonl")
    assert summary.quarantined == 250 == _count(db, Quarantined)
    assert len(summary.quarantine_reasons) == 100
    assert "no text" in summary.quarantine_reasons[0]


def test_compressed_json_lines_import(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl.gz"
    with gzip.open(path, "wt") as out:
        for i in range(5):
            out.write(json.dumps({"id": str(i), "text": f"zipped {i}"}) + "\n")
    get_or_create_source(db, "zipped")
    assert iter_import(db, settings, path, "zipped").imported == 5


def test_each_batch_enqueues_one_enrichment_job_with_its_posts(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": f"post {i}"}) + "\n" for i in range(120)))
    get_or_create_source(db, "many")
    iter_import(db, settings, path, "many")
    with db.read() as session:
        jobs = session.scalars(select(Job).order_by(Job.id)).all()
    assert [len(j.payload["post_ids"]) for j in jobs] == [50, 50, 20]
    assert {j.name for j in jobs} == {"ingest.enrich"}


def test_private_source_without_consent_basis_is_refused(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    make_source(db, "closed group", visibility="private")
    path = tmp_path / "p.csv"
    path.write_text("id,text\n1,hello\n")
    with pytest.raises(Forbidden, match="consent basis"):
        iter_import(db, settings, path, "closed group")
    make_source(
        db, "consented export", visibility="private", consent_basis="Members opted in, form v2, 2026-03"
    )
    assert iter_import(db, settings, path, "consented export").imported == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("parallel_bytes", "readers"),
    [("1000000000", "1"), ("0", "1"), ("0", "2")],
    ids=["one process", "reader process", "readers of parts"],
)
def test_killing_an_import_midway_and_rerunning_loses_and_duplicates_nothing(
    db: Database, cli_env: dict[str, str], tmp_path: Path, parallel_bytes: str, readers: str
) -> None:
    count = 50_000
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({"id": f"k{i}", "text": f"post {i}"}) + "\n" for i in range(count)))
    env = {
        **cli_env,
        "EARFUL_IMPORT_BATCH_SIZE": "500",
        "EARFUL_IMPORT_PARALLEL_BYTES": parallel_bytes,
        "EARFUL_IMPORT_READERS": readers,
    }
    cmd = [sys.executable, "-m", "earful.cli", "import", str(path), "--source", "big", "--create"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(db, Post) < 2_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # A reader process left behind by the killed importer notices and exits by itself.
    deadline = time.monotonic() + 15
    while _processes_reading(path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_reading(path), "an orphaned reader process is still running"
    partial = _count(db, Post)
    assert 0 < partial < count, "the import should have been killed part-way"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with db.read() as session:
        stored = session.scalar(select(func.count(Post.id)))
        distinct = session.scalar(select(func.count(func.distinct(Post.external_id))))
    assert stored == distinct == count
    assert _count(db, RawItem) == count


def test_a_reader_of_parts_that_fails_stops_the_import_and_the_other_readers(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "parts.jsonl"
    # About 40 bytes a line: parts of the smallest size (16 KiB), about 400 lines each.
    path.write_text("".join(json.dumps({"id": str(i), "text": f"post {i}"}) + "\n" for i in range(6_000)))
    get_or_create_source(db, "parts")
    reading = service.read_part_items

    def failing(path: Path, fmt: str, share: int, shares: int, part_bytes: int) -> Iterator[object]:
        for number, items in reading(path, fmt, share, shares, part_bytes):
            if number == 3:
                raise OSError("the disk went away")
            yield number, items

    monkeypatch.setattr(service, "read_part_items", failing)
    with pytest.raises(RuntimeError, match="the disk went away"):
        iter_import(db, settings.model_copy(update={"import_readers": 2}), path, "parts", parallel=True)
    assert multiprocessing.active_children() == []
    # What came before the failing part was stored, in order; a rerun would store the rest.
    with db.read() as session:
        stored = session.scalars(select(Post.external_id).order_by(Post.id)).all()
    assert stored == [str(i) for i in range(len(stored))] and 0 < len(stored) < 6_000


def _processes_reading(path: Path) -> list[int]:
    """Return the pids of live processes whose command line names `path`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if str(path).encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found

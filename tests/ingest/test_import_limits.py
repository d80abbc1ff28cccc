"""Hostile files: bombs, over-long lines and fields, deep nesting. Memory stays bounded, the bad
record is quarantined (its stored input bounded too) and the rest of the file imports."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard
from sqlalchemy import select

from earful.ingest.service import get_or_create_source, iter_import
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post, Quarantined
from earful.store.sealing import quarantine_sealer

MIB = 1 << 20
# The import runs under this address-space limit, so a reader that buffers a bomb fails fast with
# MemoryError instead of taking the machine's memory.
ADDRESS_LIMIT = 1280 * MIB
# How much more than importing a two-line file an import of a hostile file may hold at its peak.
HEADROOM = 150 * MIB
# What quarantine keeps of one bad record: its first 64 KiB and a note of its size.
STORED_LIMIT = 70_000

_MEASURE = """
import resource, subprocess, sys
limit = int(sys.argv[1])
def bounded():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
done = subprocess.run(sys.argv[2:], preexec_fn=bounded, capture_output=True, text=True, timeout=240)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print(f"peak-kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", file=sys.stderr)
sys.exit(done.returncode)
"""


def _import(env: dict[str, str], path: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `earful import` on `path` in a process of its own; return it and its peak memory in bytes."""
    command = [sys.executable, "-m", "earful.cli", "import", str(path), "--source", "hostile", "--create"]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(ADDRESS_LIMIT), *command, *options],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    peak = int(done.stderr.rsplit("peak-kib=", 1)[1]) * 1024
    return done, peak


@pytest.fixture
def baseline(cli_env: dict[str, str], tmp_path: Path) -> int:
    """Return the peak memory of importing a small, harmless file."""
    path = tmp_path / "small.jsonl"
    path.write_text(_good(["baseline 1", "baseline 2"]))
    done, peak = _import(cli_env, path)
    assert done.returncode == 0, done.stdout + done.stderr
    return peak


def _good(ids: list[str]) -> str:
    return "".join(json.dumps({"id": i, "text": f"good post {i}"}) + "\n" for i in ids)


def _posts(db: Database) -> set[str]:
    with db.read() as session:
        found = set(session.scalars(select(Post.external_id)))
    return {external_id for external_id in found if not external_id.startswith("baseline")}


def _quarantined(db: Database, settings: Settings) -> list[tuple[str, str, str]]:
    """Return (location, reason, stored raw input) of every quarantined entry."""
    sealer = quarantine_sealer(settings.secret)
    with db.read() as session:
        rows = session.scalars(select(Quarantined).order_by(Quarantined.id)).all()
        return [(r.location, r.reason, sealer.open(r.sealed_raw)) for r in rows]


# --- Decompression bombs and over-long lines, through the command line ------------------------


def test_a_zstd_bomb_of_4_gib_of_nuls_is_stopped_without_taking_memory(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path, baseline: int
) -> None:
    compressor = zstandard.ZstdCompressor()
    zeros = compressor.compress(bytes(64 * MIB))
    path = tmp_path / "bomb.jsonl.zst"
    with path.open("wb") as out:
        out.write(compressor.compress(_good(["z1", "z2", "z3"]).encode()))
        for _ in range(64):  # 4 GiB of NULs, no newline, in a file of about 130 KB
            out.write(zeros)
        out.write(compressor.compress(b"\n" + _good(["z4"]).encode()))
    assert path.stat().st_size < 200_000

    done, peak = _import(cli_env, path)

    assert peak < baseline + HEADROOM, f"peak {peak / MIB:.0f} MiB; {done.stderr[-2000:]}"
    assert done.returncode == 1, done.stdout + done.stderr
    assert _posts(db) == {"z1", "z2", "z3"}
    [(_, reason, raw)] = _quarantined(db, settings)
    assert "more than 200 times" in reason and "decompress it yourself" in reason
    assert len(raw) < STORED_LIMIT


def test_a_gzip_json_lines_file_with_a_1_gib_line_is_stopped_without_taking_memory(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path, baseline: int
) -> None:
    # gzip members join up: one small member repeated makes a gigabyte of text cheaply.
    filler = gzip.compress(b"a" * MIB)
    path = tmp_path / "bomb.jsonl.gz"
    with path.open("wb") as out:
        out.write(gzip.compress(_good(["g1", "g2"]).encode() + b'{"id": "big", "text": "'))
        for _ in range(1024):
            out.write(filler)
        out.write(gzip.compress(b'"}\n' + _good(["g3"]).encode()))
    assert path.stat().st_size < 3 * MIB

    done, peak = _import(cli_env, path)

    assert peak < baseline + HEADROOM, f"peak {peak / MIB:.0f} MiB; {done.stderr[-2000:]}"
    assert done.returncode == 1, done.stdout + done.stderr
    assert {"g1", "g2"} <= _posts(db) and "big" not in _posts(db)
    assert all(len(raw) < STORED_LIMIT for _, _, raw in _quarantined(db, settings))
    assert any("more than 200 times" in reason for _, reason, _ in _quarantined(db, settings))


def test_a_gzip_csv_with_a_1_gib_quoted_field_is_stopped_without_taking_memory(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path, baseline: int
) -> None:
    filler = gzip.compress(b"b" * MIB)
    path = tmp_path / "bomb.csv.gz"
    with path.open("wb") as out:
        out.write(gzip.compress(b'id,text\nc1,first row\nc2,"'))
        for _ in range(1024):
            out.write(filler)
        out.write(gzip.compress(b'"\nc3,third row\n'))

    done, peak = _import(cli_env, path)

    assert peak < baseline + HEADROOM, f"peak {peak / MIB:.0f} MiB; {done.stderr[-2000:]}"
    assert done.returncode == 1, done.stdout + done.stderr
    assert "c1" in _posts(db) and "c2" not in _posts(db)
    assert all(len(raw) < STORED_LIMIT for _, _, raw in _quarantined(db, settings))


def test_a_line_over_the_limit_first_in_the_file_is_quarantined_and_the_rest_imports(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path, baseline: int
) -> None:
    path = tmp_path / "long-line.jsonl"
    with path.open("w") as out:
        out.write('{"id": "huge", "text": "' + "x" * (20 * MIB) + '"}\n')
        out.write(_good(["l1", "l2"]))

    done, peak = _import(cli_env, path)

    assert done.returncode == 1, done.stdout + done.stderr
    assert _posts(db) == {"l1", "l2"}
    [(location, reason, raw)] = _quarantined(db, settings)
    assert location == "line 1"
    assert "over the limit of 16,777,216" in reason
    assert len(raw) < STORED_LIMIT and "20,971,5" in raw  # the start, and how long it was
    assert peak < baseline + HEADROOM, f"peak {peak / MIB:.0f} MiB"


# --- Over-long pieces read in this process -------------------------------------------------------


def test_a_csv_field_spanning_many_lines_is_one_quarantined_row(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "long-field.csv"
    field = "".join(f"line {n} of a field that goes on, with, commas\n" for n in range(100_000))
    path.write_text(f'id,text\nc1,first row\nc2,"{field}"\nc3,third row\n')
    get_or_create_source(db, "hostile")

    summary = iter_import(db, settings, path, "hostile")

    assert _posts(db) == {"c1", "c3"}
    assert summary.quarantined == 1, summary.quarantine_reasons[:5]
    [(location, reason, raw)] = _quarantined(db, settings)
    assert location == "line 3" and "a field is over" in reason
    assert len(raw) < STORED_LIMIT


def test_an_oversized_text_is_quarantined_with_its_start_only(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "big-text.jsonl"
    path.write_text(_good(["t1"]) + json.dumps({"id": "big", "text": "y" * 3_000_000}) + "\n" + _good(["t2"]))
    get_or_create_source(db, "hostile")

    iter_import(db, settings, path, "hostile")

    assert _posts(db) == {"t1", "t2"}
    [(_, reason, raw)] = _quarantined(db, settings)
    assert "limit is 100,000" in reason
    assert len(raw) < STORED_LIMIT and "3,000,0" in raw


# --- A long first line: detection ----------------------------------------------------------------


def test_a_first_line_longer_than_the_detection_head_still_tells_the_format(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(
        json.dumps({"id": "long", "text": "z" * 150_000})
        + "\n"
        + json.dumps({"id": "fine", "text": "w" * 90_000})
        + "\n"
        + _good(["f1", "f2"])
    )
    get_or_create_source(db, "hostile")

    summary = iter_import(db, settings, path, "hostile")

    assert summary.format == "jsonl"
    assert _posts(db) == {"fine", "f1", "f2"}
    [(_, reason, raw)] = _quarantined(db, settings)
    assert "150,0" in reason and len(raw) < STORED_LIMIT


def test_a_json_array_whose_first_record_is_long_is_detected_and_read(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": "a1", "text": "v" * 200_000}, {"id": "a2", "text": "short"}]))
    get_or_create_source(db, "hostile")

    summary = iter_import(db, settings, path, "hostile")

    assert summary.format == "json"
    assert _posts(db) == {"a2"} and summary.quarantined == 1


# --- Deep nesting ---------------------------------------------------------------------------------


def _deep_object(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def test_a_deeply_nested_first_json_line_is_quarantined_and_the_rest_imports(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(_deep_object(100_000) + "\n" + _good(["d1", "d2"]))
    get_or_create_source(db, "hostile")

    summary = iter_import(db, settings, path, "hostile")

    assert _posts(db) == {"d1", "d2"}
    [(location, reason, raw)] = _quarantined(db, settings)
    assert location == "line 1" and "nested more than 200 levels deep" in reason
    assert len(raw) < STORED_LIMIT
    assert summary.quarantined == 1


@pytest.mark.parametrize("fmt", [None, "json"], ids=["detected", "forced"])
def test_a_deeply_nested_record_in_a_json_array_is_quarantined_and_the_next_one_read(
    db: Database, settings: Settings, tmp_path: Path, fmt: str | None
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.json"
    path.write_text(f'[{{"id": "n1", "text": "first", "x": {deep}}}, {{"id": "n2", "text": "second"}}]')
    get_or_create_source(db, "hostile")

    summary = iter_import(db, settings, path, "hostile", fmt)

    assert _posts(db) == {"n2"}
    assert summary.quarantined == 1
    assert "nested more than 200 levels deep" in summary.quarantine_reasons[0]


def test_a_folder_import_quarantines_a_deeply_nested_file_and_imports_the_one_beside_it(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a-deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "b-good.jsonl").write_text(_good(["b1", "b2"]))

    done, _ = _import(cli_env, folder)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "recursion" not in done.stdout + done.stderr
    assert _posts(db) == {"b1", "b2"}
    [(_, reason, _)] = _quarantined(db, settings)
    assert "nested more than 200 levels deep" in reason

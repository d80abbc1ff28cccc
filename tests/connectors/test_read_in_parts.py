"""A JSON Lines file read in parts, by several readers at once, gives exactly what reading it whole
gives: the same items and rejects, in the same order once the parts are put back in turn, with
the same line numbers, whatever the cuts fall on (line endings of every kind, a byte-order mark,
blank and broken lines, bad bytes, a line longer than the limit)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from earful.connectors.files import read_items, read_part_items, readable_in_parts
from earful.connectors.files._base import MAX_RECORD
from earful.connectors.files._io import count_lines
from earful.contracts import Rejected


def _in_parts(path: Path, shares: int, part_bytes: int) -> list[object]:
    parts: dict[int, list[object]] = {}
    for share in range(shares):
        for number, items in read_part_items(path, "jsonl", share, shares, part_bytes):
            assert number % shares == share and number not in parts
            parts[number] = list(items)
    assert sorted(parts) == list(range(len(parts)))  # no part missed between the readers
    return [item for number in sorted(parts) for item in parts[number]]


def _hostile_file(path: Path) -> None:
    records = [json.dumps({"id": f"p{i}", "text": f"app crashed {i} ñ 😡"}) for i in range(60)]
    pieces = [
        "\ufeff" + records[0] + "\n",  # a byte-order mark: dropped at the file's start only
        records[1] + "\r\n",
        records[2] + "\r",  # a lone carriage return ends a line too
        "   \n",
        "\n",
        '{"id": "cut", "text": "no end\n',
        "\ufeff" + records[3] + "\n",  # the same mark within the file: this line is not JSON
        "[1, 2]\n",
        '{"id": "deep", "text": "x", "n": ' + "[" * 200 + "]" * 200 + "}\n",
        *(record + ("\r\n" if i % 3 else "\n") for i, record in enumerate(records[4:])),
    ]
    data = "".join(pieces).encode("utf-8")
    data += b'{"id": "bad-bytes", "text": "caf\xe9"}\n'  # not UTF-8
    data += records[-1].encode() + b"\r"
    data += b'{"id": "last", "text": "no newline at the end"}'
    path.write_bytes(data)


@pytest.mark.parametrize("shares", [1, 2, 3])
@pytest.mark.parametrize("part_bytes", [1, 5, 64, 333, 4096, 1 << 20])
def test_parts_put_back_in_turn_are_the_whole_file(tmp_path: Path, shares: int, part_bytes: int) -> None:
    path = tmp_path / "posts.jsonl"
    _hostile_file(path)
    whole = list(read_items(path, "jsonl"))
    rejected = [item for item in whole if isinstance(item, Rejected)]
    assert len(whole) > 60 and len(rejected) >= 5  # the file is as hostile as it looks

    assert _in_parts(path, shares, part_bytes) == whole


def test_a_line_over_the_limit_is_rejected_once_whichever_part_it_starts_in(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("w") as out:
        out.write(json.dumps({"id": "a", "text": "before"}) + "\n")
        out.write('{"id": "long", "text": "' + "x" * (MAX_RECORD + 10) + '"}\n')
        out.write(json.dumps({"id": "b", "text": "after"}) + "\n")
    whole = list(read_items(path, "jsonl"))
    assert [type(item).__name__ for item in whole] == ["RawItem", "Rejected", "RawItem"]

    assert _in_parts(path, 2, 4 << 20) == whole


def test_only_an_uncompressed_file_of_one_record_a_line_is_read_in_parts(tmp_path: Path) -> None:
    plain = tmp_path / "posts.jsonl"
    plain.write_text(json.dumps({"id": "1", "text": "hi"}) + "\n")
    packed = tmp_path / "posts.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    table = tmp_path / "posts.csv"
    table.write_text('id,text\n1,"a field\nover two lines"\n')

    assert readable_in_parts(plain, "jsonl")
    assert not readable_in_parts(packed, "jsonl")  # a compressed stream is read from its start
    assert not readable_in_parts(table, "csv")  # a quoted field can hold a line break


def test_lines_are_counted_as_text_reading_ends_them(tmp_path: Path) -> None:
    # "\r\n" is one ending even where the bytes are read in two pieces between its two characters.
    path = tmp_path / "endings.jsonl"
    path.write_bytes(b"a" * ((1 << 20) - 1) + b"\r\n" + b"b\rc\n\n\rd")
    with path.open("rb") as raw:
        assert count_lines(raw, path.stat().st_size) == 5
    with path.open("rb") as raw, path.open(newline="", encoding="utf-8") as text:
        assert count_lines(raw, path.stat().st_size) == sum(1 for _ in text) - 1  # "d" has no ending

"""Damaged, compressed, forced and unknown input: good items are read, bad ones rejected with a reason."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import zstandard

from earful.connectors.files import FORMATS, UnknownFormat, detect_format, map_item, read_items
from earful.connectors.files._base import BAD_BYTES
from earful.contracts import PostDraft, RawItem, Rejected


def _split(path: Path, fmt: str | None = None) -> tuple[list[RawItem], list[Rejected]]:
    found = list(read_items(path, fmt))
    return [i for i in found if isinstance(i, RawItem)], [r for r in found if isinstance(r, Rejected)]


def _records(count: int) -> list[dict[str, Any]]:
    # Random text keeps zstd from squeezing everything into one block, so truncation is visible.
    return [
        {"id": n, "text": f"post {n} {os.urandom(24).hex()}", "author": "ana", "date": "2024-05-01T10:00:00Z"}
        for n in range(count)
    ]


# --- Compression ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["reddit/listing_search_2016-07.json", "bluesky/jetstream_v1_golden_subscribe.jsonl"]
)
@pytest.mark.parametrize("codec", ["gz", "zst"])
def test_compressed_copies_read_like_the_originals(
    api_samples: Path, tmp_path: Path, name: str, codec: str
) -> None:
    original = api_samples / name
    data = original.read_bytes()
    packed = gzip.compress(data) if codec == "gz" else zstandard.ZstdCompressor().compress(data)
    copy = tmp_path / f"{original.name}.{codec}"
    copy.write_bytes(packed)

    assert detect_format(copy) == detect_format(original)
    assert list(read_items(copy)) == list(read_items(original))


def test_compression_is_told_by_magic_bytes_not_the_name(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"  # zstd inside, whatever the name says
    path.write_bytes(
        zstandard.ZstdCompressor().compress(b'{"id": 1, "text": "hi"}\n{"id": 2, "text": "ho"}\n')
    )
    assert detect_format(path) == "jsonl"
    assert [i.external_id for i in _split(path)[0]] == ["1", "2"]


@pytest.mark.parametrize("codec", ["gz", "zst"])
def test_truncated_compressed_jsonl_keeps_items_before_the_break(tmp_path: Path, codec: str) -> None:
    data = "\n".join(json.dumps(r) for r in _records(3000)).encode()
    packed = gzip.compress(data) if codec == "gz" else zstandard.ZstdCompressor().compress(data)
    path = tmp_path / f"posts.jsonl.{codec}"
    path.write_bytes(packed[: len(packed) // 2])

    items, rejected = _split(path)
    assert 100 < len(items) < 3000
    assert [i.external_id for i in items] == [str(n) for n in range(len(items))]
    assert rejected[-1].location == f"file {path.name}"
    assert "cannot be read" in rejected[-1].reason


# --- Truncated and invalid JSON -------------------------------------------------------------------


def test_truncated_jsonl_rejects_only_the_cut_line(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in _records(5)]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines)[:-10], encoding="utf-8")

    items, rejected = _split(path)
    assert [i.external_id for i in items] == ["0", "1", "2", "3"]
    assert [i.raw for i in items] == lines[:4]
    assert len(rejected) == 1
    assert rejected[0].location == "line 5"
    assert rejected[0].reason.startswith("invalid JSON")


def test_invalid_utf8_line_is_rejected_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(
        b'{"id": 1, "text": "fine"}\n{"id": 2, "text": "caf\xe9 \xff"}\n{"id": 3, "text": "also fine"}\n'
    )

    items, rejected = _split(path)
    assert [i.external_id for i in items] == ["1", "3"]
    assert len(rejected) == 1
    assert rejected[0].location == "line 2"
    assert rejected[0].reason.startswith("invalid UTF-8 bytes in this line: save the file as UTF-8")
    assert "\\xe9" in rejected[0].raw


def test_truncated_json_array_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    text = json.dumps(_records(10), indent=1)
    path = tmp_path / "posts.json"
    path.write_text(text[: len(text) * 2 // 3], encoding="utf-8")

    items, rejected = _split(path)
    assert 3 < len(items) < 10
    assert [i.external_id for i in items] == [str(n) for n in range(len(items))]
    assert json.loads(items[0].raw or "") == items[0].payload
    assert len(rejected) == 1
    assert rejected[0].location == f"item {len(items) + 1}"


def test_truncated_api_document_keeps_the_complete_items(api_samples: Path, tmp_path: Path) -> None:
    data = (api_samples / "reddit/listing_r-askreddit_new_2016-03.json").read_bytes()
    path = tmp_path / "listing.json"
    path.write_bytes(data[: len(data) // 2])

    assert detect_format(path) == "reddit-listing"
    items, rejected = _split(path)
    assert len(items) == 49
    assert all(isinstance(map_item(i), PostDraft) for i in items)
    reasons = [r.reason for r in rejected]
    assert reasons[0] == "item is cut off where the file breaks off"
    assert "JSON breaks off or is invalid" in reasons[1]


def test_bad_bytes_inside_a_json_document_reject_only_that_item(api_samples: Path, tmp_path: Path) -> None:
    data = (api_samples / "facebook/posts_feed_fields_p1.json").read_bytes()
    path = tmp_path / "feed.json"
    path.write_bytes(data.replace(b"Happy July 4th!", b"Happy July 4th\xff", 1))

    items, rejected = _split(path)
    assert len(items) == 4
    assert len(rejected) == 1
    assert rejected[0].location == "item 1"
    assert "UTF-8" in rejected[0].reason


def test_json_records_without_text_are_rejected_and_without_id_get_a_stable_one(tmp_path: Path) -> None:
    records = [{"id": "a", "text": "kept"}, {"id": "b", "likes": 3}, {"body": "no id here", "user": "u"}, 7]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"meta": {"page": 1}, "data": records}), encoding="utf-8")

    assert detect_format(path) == "json"
    items, rejected = _split(path)
    assert [r.location for r in rejected] == ["item 2", "item 4"]
    assert rejected[0].reason.startswith("record has no text")
    # The documented derivation: SHA-256 of text, author and date joined by U+001F.
    expected = hashlib.sha256(b"no id here\x1fu\x1f").hexdigest()
    assert items[1].external_id == f"sha256:{expected}"


# --- CSV ------------------------------------------------------------------------------------------

CSV = (
    b"ID,Text,Author,Date,Likes\r\n"
    b"1,first post,ana,2024-05-01T10:00:00Z,3\r\n"
    b"2,missing a column,bo,2024-05-01\r\n"
    b'3,"a quoted, multi-line\r\npost",cy,1714557600,0\r\n'
    b"4,one,field,too,many,here\r\n"
    b"5,caf\xe9,di,2024-05-02,1\r\n"
    b",no id given,ed,Wed 01 May 2024 12:00:00 +0200,\r\n"
)


def test_csv_reads_good_rows_and_rejects_bad_ones_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(CSV)

    items, rejected = _split(path)
    assert [i.external_id for i in items][:2] == ["1", "3"]
    assert [(r.location, r.reason) for r in rejected] == [
        ("line 3", "row has 4 fields but the header has 5"),
        ("line 6", "row has 6 fields but the header has 5"),
        ("line 7", BAD_BYTES.format(what="row")),
    ]
    assert items[1].raw == '3,"a quoted, multi-line\r\npost",cy,1714557600,0'
    first, quoted, no_id = (map_item(i) for i in items)
    assert isinstance(first, PostDraft) and isinstance(quoted, PostDraft) and isinstance(no_id, PostDraft)
    assert (first.text, first.author_handle, first.engagement) == ("first post", "ana", {"likes": 3})
    assert quoted.text == "a quoted, multi-line\r\npost"
    assert quoted.posted_at is not None and quoted.posted_at.isoformat() == "2024-05-01T10:00:00+00:00"
    assert no_id.posted_at is not None and no_id.posted_at.isoformat() == "2024-05-01T10:00:00+00:00"
    # The derived id is stable: the same row gives the same id on every import.
    assert no_id.external_id == items[2].external_id == _split(path)[0][2].external_id
    assert no_id.external_id.startswith("sha256:")


def test_csv_is_detected_by_content_and_semicolons_are_understood(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("external_id;message;handle\nx1;hello;ana\n", encoding="utf-8")
    assert detect_format(path) == "csv"
    (item,) = _split(path)[0]
    post = map_item(item)
    assert isinstance(post, PostDraft)
    assert (post.external_id, post.text, post.author_handle) == ("x1", "hello", "ana")


def test_csv_without_a_text_column_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    items, rejected = _split(path)
    assert items == []
    assert len(rejected) == 1 and "no text column" in rejected[0].reason
    assert "found 'a', 'b'): rename the column" in rejected[0].reason


def test_spanish_and_feedback_form_text_columns_are_read(tmp_path: Path) -> None:
    path = tmp_path / "exportacion.csv"
    path.write_text("id;texto;autor;fecha\n7;la app se cierra sola;lu;03/11/2026\n")
    (item,) = _split(path)[0]
    post = map_item(item)
    assert isinstance(post, PostDraft) and post.text == "la app se cierra sola"
    assert post.author_handle is None  # only the text's names were added: ids of old files hold
    form = tmp_path / "form.csv"
    form.write_text("submitted,comment\n2026-11-03,no tip again\n")
    (item,) = _split(form)[0]
    assert getattr(map_item(item), "text", None) == "no tip again"


def test_a_utf16_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("text,author\nhola,ana\n".encode("utf-16"))
    items, rejected = _split(path)
    assert items == [] and len(rejected) == 1
    assert rejected[0].reason.startswith("the file is not UTF-8") and "save it as UTF-8" in rejected[0].reason


def test_unreadable_date_is_a_malformed_item(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,text,date\n1,hi,next tuesday\n", encoding="utf-8")
    (item,) = _split(path)[0]
    with pytest.raises(ValueError, match="unreadable date") as raised:
        map_item(item)
    # The reason is kept in clear beside the sealed item, so it does not quote what the column held.
    assert "tuesday" not in str(raised.value)


# --- Forced and unknown formats, unreadable files --------------------------------------------------


def test_forced_format_overrides_detection(api_samples: Path, tmp_path: Path) -> None:
    lines = (api_samples / "bluesky/jetstream_v1_golden_subscribe.jsonl").read_text().splitlines()
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert detect_format(path) == "bluesky-jetstream"
    # Forced as generic records, events have no text field: each line is rejected, none mis-mapped.
    items, rejected = _split(path, "jsonl")
    assert items == []
    assert len(rejected) == 10


def test_forcing_a_mismatched_api_format_rejects_instead_of_guessing(api_samples: Path) -> None:
    items, rejected = _split(api_samples / "facebook/posts_feed_fields_p1.json", "reddit-listing")
    assert items == []
    assert rejected[0].reason == "not a Reddit Listing or thing"


def test_unknown_content_says_how_to_go_on(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some words\nwith no structure\n", encoding="utf-8")
    with pytest.raises(UnknownFormat) as caught:
        detect_format(path)
    message = str(caught.value)
    assert "notes.txt" in message and "--format" in message
    assert all(name in message for name in FORMATS)
    with pytest.raises(UnknownFormat):
        list(read_items(path))


def test_unknown_format_name_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(UnknownFormat, match=r"known formats: .*reddit-listing"):
        list(read_items(path, "tiktok"))


def test_empty_file_cannot_be_told(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(UnknownFormat, match="it is empty"):
        detect_format(path)


@pytest.mark.parametrize("fmt", [None, "jsonl"])
def test_a_file_that_cannot_be_read_is_one_rejection(tmp_path: Path, fmt: str | None) -> None:
    for path in (tmp_path / "missing.jsonl", tmp_path):
        found = list(read_items(path, fmt))
        assert len(found) == 1
        assert isinstance(found[0], Rejected)
        assert "cannot be read" in found[0].reason


def test_malformed_payload_raises_value_error() -> None:
    with pytest.raises(ValueError, match="no id"):
        map_item(RawItem(format="x-v2", external_id="1", payload={"text": "no id"}))
    with pytest.raises(ValueError):
        map_item(RawItem(format="reddit-listing", external_id="t3_x", payload=["not", "a", "thing"]))


# --- Streaming ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["json", "jsonl"])
def test_large_files_are_streamed_not_loaded(tmp_path: Path, layout: str) -> None:
    records = _records(20_000)  # about 2.5 MB
    path = tmp_path / f"big.{layout}"
    if layout == "json":
        path.write_text(json.dumps({"data": records}), encoding="utf-8")
    else:
        path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    size = path.stat().st_size
    del records

    tracemalloc.start()
    try:
        count = sum(1 for _ in read_items(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    # Reading it whole would take several times its size; streaming holds a window and one record.
    assert peak < size / 2


def test_generic_export_is_not_mistaken_for_a_platform_format(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "text": "hi", "user": "bob", "content": "x", "account": "y"}]))
    assert detect_format(path) == "json"


def test_corrupt_gzip_is_one_rejection_after_what_could_be_read(tmp_path: Path) -> None:
    data = "\n".join(json.dumps(r) for r in _records(3000)).encode()
    packed = bytearray(gzip.compress(data))
    packed[len(packed) // 2 : len(packed) // 2 + 64] = bytes(64)
    path = tmp_path / "posts.jsonl.gz"
    path.write_bytes(bytes(packed))

    items, rejected = _split(path)
    assert len(items) < 3000
    assert [r.location for r in rejected][-1] == f"file {path.name}"


def test_a_parser_that_chokes_midway_keeps_what_it_read_and_rejects_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    jsonl = FORMATS["jsonl"]

    def choking(stream: Any) -> Any:
        for count, item in enumerate(jsonl.iter_items(stream)):
            if count == 2:
                raise ValueError("parser gave up on a stranger's bytes")
            yield item

    monkeypatch.setitem(FORMATS, "jsonl", dataclasses.replace(jsonl, iter_items=choking))
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(f'{{"id": "{i}", "text": "post {i}"}}\n' for i in range(5)))
    items = list(read_items(path, "jsonl"))
    assert [type(i) for i in items] == [RawItem, RawItem, Rejected]
    last = items[-1]
    assert isinstance(last, Rejected) and "parser gave up" in last.reason

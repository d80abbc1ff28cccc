"""Import files into the store: stream, map, pseudonymise, store in idempotent batches."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from earful.connectors.files import (
    UnknownFormat,
    detect_format,
    map_item,
    payload_text,
    quarantine_text,
    read_items,
    read_part_items,
    readable_in_parts,
)
from earful.contracts import PostDraft, RawItem, Rejected
from earful.ingest.background import Background, read_in_background
from earful.ingest.policies import require_collectable
from earful.ingest.schemas import ENRICH_JOB, ImportSummary
from earful.ingest.sources import check_name_and_kind, language_code
from earful.jobs.queue import enqueue
from earful.kit.clock import utcnow
from earful.kit.errors import NotFound
from earful.kit.gc import bulk_allocation
from earful.kit.seal import Sealer
from earful.kit.text import storable
from earful.pipeline.links import draft_link
from earful.pipeline.pseudonymise import author_key
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Source
from earful.store.repos import posts as posts_repo
from earful.store.repos import quarantine as quarantine_repo
from earful.store.repos import sources as sources_repo
from earful.store.repos.bulk import Packed, RowPacker
from earful.store.sealing import quarantine_sealer, raw_sealer

MAX_TEXT = 100_000
MAX_ID = 300
# A summary names this many quarantined items; a file of a million bad rows must not fill memory.
REASONS_KEPT = 100


def get_or_create_source(
    db: Database, name: str, *, kind: str = "file", region: str | None = None, language: str | None = None
) -> tuple[Source, bool]:
    """Return the source called `name`, creating a public one when missing; say if it was created.
    A new one gets the checks a source added by hand gets: a name, and a known kind."""
    with db.write() as session:
        source = sources_repo.get_by_name(session, name)
        if source is not None:
            return source, False
        check_name_and_kind(name, kind)
        return sources_repo.add(
            session,
            name=name,
            kind=kind,
            region=region,
            language=language_code(language),
            visibility="public",
        ), True


def _external_id(value: str) -> str:
    # Very long ids (some feeds use whole URLs) are hashed so the unique index stays usable.
    value = storable(value)
    if len(value) <= MAX_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _post_row(
    target: _Target, draft: PostDraft, secret: bytes, keys: dict[str | None, str | None], batch: _Batch
) -> tuple[Any, ...]:
    """Return the stored columns of a mapped post, in posts_repo.CAPTURE_COLUMNS order and already
    converted for the driver (built as a tuple at once, not a dict arranged and converted later:
    this runs for every post of an import); the author handle leaves only as a keyed pseudonym,
    and the link only in a form that does not name the author.

    `keys` memoises pseudonyms within one import, where the same authors post again and again.
    """
    # The text itself is not stored here: it waits, sealed in the raw item, for enrichment to
    # clean and redact it. Only its size is checked now, so an oversized post is quarantined.
    if len(draft.text) > MAX_TEXT:
        raise ValueError(f"post text is {len(draft.text):,} characters; the limit is {MAX_TEXT:,}")
    link = draft_link(draft)
    captured = batch.captured
    if captured is None:
        captured = batch.captured = target.captured_time(batch.captured_at)
    return (
        target.id,
        _external_id(draft.external_id),
        draft.kind,
        # A link that names the author would undo the pseudonym: it is rewritten or left sealed.
        storable(link) if link else None,
        _pseudonym(secret, draft.author_handle, keys),
        draft.language_hint or target.language,
        target.time(draft.posted_at or batch.captured_at),
        captured,
        target.counts({k: int(v) for k, v in draft.engagement.items()})
        if draft.engagement
        else target.no_counts,
        _external_id(draft.reply_to) if draft.reply_to else None,
        _external_id(draft.repost_of) if draft.repost_of else None,
    )


def _pseudonym(secret: bytes, handle: str | None, keys: dict[str | None, str | None]) -> str | None:
    if handle not in keys:
        if len(keys) > 100_000:
            keys.clear()
        keys[handle] = author_key(secret, handle)
    return keys[handle]


def _raw_text(item: RawItem) -> str:
    return storable(payload_text(item))


@dataclass(frozen=True, slots=True)
class _Target:
    """What mapping needs to know: the source, how the database takes a post row, how to seal raw items."""

    id: int
    language: str | None
    packer: RowPacker
    sealer: Sealer
    # How the driver takes a time and an engagement (the packer's conversions), and the empty
    # engagement most posts have, converted once for all of them.
    time: Callable[[datetime], Any]
    captured_time: Callable[[datetime], Any]
    counts: Callable[[dict[str, int]], Any]
    no_counts: Any

    @classmethod
    def of(cls, source: Source, packer: RowPacker, sealer: Sealer) -> _Target:
        """Return the target of `source`'s posts."""
        counts = packer.converter("engagement")
        times = packer.converter("posted_at"), packer.converter("captured_at")
        return cls(source.id, source.language, packer, sealer, *times, counts, counts({}))


@dataclass(slots=True)
class _Batch:
    """Posts and rejects read since the last commit, with the counts of how they were read."""

    # external id -> (the post row arranged in CAPTURE_COLUMNS order, raw format, raw text), while
    # the batch is read; `close` turns them into the lists below
    posts: dict[str, tuple[tuple[Any, ...], str, str]] = field(default_factory=dict)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    read: int = 0
    skipped: int = 0
    in_file_duplicates: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    # Capture time of the batch's posts: when they were read; and as the driver takes it.
    captured_at: datetime = field(default_factory=utcnow)
    captured: Any = None
    # The rows converted for the driver, and each one's external id, raw format and sealed raw
    # text. The reader seals: the database work leaves the writer no time to spare.
    rows: Packed | None = None
    external_ids: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    sealed: list[bytes] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.posts) + len(self.external_ids) + len(self.rejects)

    def close(self, target: _Target) -> _Batch:
        """Convert the rows for the driver and seal the raw texts (in the reader, where it also
        makes them cheaper to send to the writer: strings pickle faster than datetimes) and return
        the batch."""
        arranged, raws = [], []
        for external_id, (row, fmt, raw) in self.posts.items():
            arranged.append(row)
            self.external_ids.append(external_id)
            self.formats.append(fmt)
            raws.append(raw)
        self.rows = Packed(target.packer.names, arranged)
        self.sealed = target.sealer.seal_many(raws)
        self.posts = {}
        return self

    def packed(self, target: _Target) -> Packed:
        """Return the rows converted for the driver, closing the batch if the reader did not."""
        return self.rows if self.rows is not None else self.close(target).packed(target)


def _batches(path: Path, fmt: str, target: _Target, secret: bytes, size: int) -> Iterator[_Batch]:
    """Read and map the file, yielding batches of `size` items; touches no database."""
    return _batched(read_items(path, fmt), target, secret, size, {})


def _batched(
    entries: Iterator[RawItem | Rejected],
    target: _Target,
    secret: bytes,
    size: int,
    keys: dict[str | None, str | None],
) -> Iterator[_Batch]:
    batch = _Batch()
    for entry in entries:
        batch.read += 1
        if isinstance(entry, Rejected):
            batch.rejects.append((entry.location, entry.reason, storable(entry.raw)))
            batch.reasons.append(f"{entry.location}: {entry.reason}")
        else:
            _map_into(batch, target, entry, secret, keys)
        if len(batch) >= size:
            yield batch.close(target)
            batch = _Batch()
    yield batch.close(target)


# Readers of parts outnumber the cores on a small machine; the writer, which all of them wait on,
# goes first when it has work.
READER_NICENESS = 5
# Sent by a reader of parts after the last batch of each of its parts.
_PART_END = None


def _part_batches(
    path: Path, fmt: str, target: _Target, secret: bytes, size: int, share: int, shares: int, part_bytes: int
) -> Iterator[_Batch | None]:
    """Read and map this reader's parts of the file (see `read_part_items`): each part's batch
    (parts are cut to hold about `size` items; one that holds over twice as many, because its
    lines are shorter than the file's first MiB's, is cut in batches of `2 * size`), then
    _PART_END."""
    keys: dict[str | None, str | None] = {}
    for _, entries in read_part_items(path, fmt, share, shares, part_bytes):
        yield from _batched(entries, target, secret, 2 * size, keys)
        yield _PART_END


def _part_bytes(path: Path, items: int) -> int:
    """Return a part size of `path` that holds about `items` lines, judged by its first MiB.

    A part is one batch: a reader's queue then holds several parts, so every reader keeps working
    while the writer stores the part before its own (with parts of many batches, a reader would
    wait for the writer to finish another reader's part).
    """
    with path.open("rb") as raw:
        head = raw.read(1 << 20)
    lines = max(1, head.count(b"\n"))
    return min(16 << 20, max(16 << 10, len(head) * items // lines))


def _in_file_order(readers: list[Background[_Batch | None]]) -> Iterator[_Batch]:
    """Yield the batches of readers of parts, part 0 (of the first reader), part 1 (of the second)
    and so on: the file's own order, as one reader would have given them. The file is read when
    the reader whose turn it is has no part left."""
    turn = 0
    while True:
        for batch in readers[turn % len(readers)]:
            if batch is _PART_END:
                break
            yield batch
        else:
            return
        turn += 1


@contextmanager
def _reading(
    path: Path, fmt: str, target: _Target, settings: Settings, parallel: bool
) -> Iterator[Iterator[_Batch]]:
    """Yield the file's batches in order, read in this process, in one other, or, for a file that
    can be read in parts, in `settings.import_readers` others at once."""
    size, readers = settings.import_batch_size, settings.import_readers
    if not parallel:
        yield _batches(path, fmt, target, settings.secret, size)
    elif readers == 1 or not readable_in_parts(path, fmt):
        yield read_in_background(_batches(path, fmt, target, settings.secret, size))
    else:
        started: list[Background[_Batch | None]] = []
        part_bytes = _part_bytes(path, size)
        try:
            for share in range(readers):
                parts = _part_batches(path, fmt, target, settings.secret, size, share, readers, part_bytes)
                started.append(Background(parts, nice=READER_NICENESS))
            yield _in_file_order(started)
        finally:
            for reader in started:
                reader.close()


def _map_into(
    batch: _Batch, target: _Target, item: RawItem, secret: bytes, keys: dict[str | None, str | None]
) -> None:
    try:
        mapped = map_item(item)
        if isinstance(mapped, str) or mapped is None:
            batch.skipped += 1
            reason = mapped or "not a post"  # every skip is counted with its reason
            batch.skip_reasons[reason] = batch.skip_reasons.get(reason, 0) + 1
            return
        row = _post_row(target, mapped, secret, keys, batch)
    except ValueError as exc:
        # Only the start of an oversized item is worth keeping to see what went wrong.
        location = f"item {item.external_id}"
        batch.rejects.append((location, str(exc), storable(quarantine_text(payload_text(item)))))
        batch.reasons.append(f"{location}: {exc}")
        return
    external_id = row[1]
    if external_id in batch.posts:
        batch.in_file_duplicates += 1
        return
    batch.posts[external_id] = (row, item.format, _raw_text(item))


def _commit(
    db: Database,
    settings: Settings,
    target: _Target,
    origin: str,
    batch: _Batch,
    also: Callable[[Session], None] | None = None,
) -> tuple[int, int]:
    """Store one batch in one transaction with its enrichment job (and `also`, such as a poll's new
    cursor, so the two are never out of step); return (imported, duplicates)."""
    now = utcnow()
    rows = batch.packed(target)
    with db.write() as session:
        if also is not None:
            also(session)
        new = posts_repo.insert_new(session, rows)
        raws = [
            (new[ext], fmt, sealed)
            for ext, fmt, sealed in zip(batch.external_ids, batch.formats, batch.sealed, strict=True)
            if ext in new
        ]
        posts_repo.insert_raw(session, raws, now)
        quarantine_repo.add_many(
            session, target.id, origin, batch.rejects, now, quarantine_sealer(settings.secret)
        )
        if new:
            enqueue(session, settings, ENRICH_JOB, {"post_ids": sorted(new.values())})
    return len(new), len(rows.rows) - len(new) + batch.in_file_duplicates


def iter_import(
    db: Database,
    settings: Settings,
    path: Path,
    source_name: str,
    fmt: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    parallel: bool | None = None,
) -> ImportSummary:
    """Import one file into source `source_name` and return what happened.

    Work is committed in batches (posts, their raw items, quarantine entries and the enrichment
    job together), so a killed import loses at most the batch in flight and a re-run skips what
    is already stored. Large files are read and mapped in a second process while this one
    writes (`parallel` None decides by file size), so both cores work; a large uncompressed JSON
    Lines file by `settings.import_readers` processes at once, each its own parts, stored in the
    file's order all the same.
    """
    with db.read() as session:
        source = sources_repo.get_by_name(session, source_name)
    if source is None:
        raise NotFound(f"No source called {source_name!r}. Create it with `earful import ... --create`.")
    require_collectable(source)
    origin = f"import:{path.name}"
    try:
        fmt = fmt or detect_format(path)
    except UnknownFormat as exc:
        return _quarantine_file(db, settings, source, origin, path, str(exc))
    summary = ImportSummary(source=source_name, format=fmt)
    packer = posts_repo.capture_packer(db.write_engine.dialect)
    target = _Target.of(source, packer, raw_sealer(settings.secret))
    if parallel is None:
        parallel = (os.cpu_count() or 1) > 1 and path.stat().st_size > settings.import_parallel_bytes
    with bulk_allocation(), _reading(path, fmt, target, settings, parallel) as batches:
        for batch in batches:
            if len(batch) or batch.in_file_duplicates:
                imported, duplicates = _commit(db, settings, target, origin, batch)
                summary.imported += imported
                summary.duplicates += duplicates
            summary.read += batch.read
            summary.skipped += batch.skipped
            summary.quarantined += len(batch.rejects)
            room = REASONS_KEPT - len(summary.quarantine_reasons)
            summary.quarantine_reasons.extend(batch.reasons[:room])
            for reason, count in batch.skip_reasons.items():
                summary.skip_reasons[reason] = summary.skip_reasons.get(reason, 0) + count
            if on_progress:
                on_progress(batch.read)
    with db.write() as session:
        # The file was read to its end: the source's health counts it as a success, as it does a poll.
        sources_repo.set_fields(session, source.id, last_success_at=utcnow())
    return summary


@dataclass(slots=True)
class Stored:
    """What storing one page of a poll did."""

    read: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: int = 0
    quarantined: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)


def store_entries(
    db: Database,
    settings: Settings,
    source: Source,
    entries: list[RawItem | Rejected],
    origin: str,
    also: Callable[[Session], None] | None = None,
) -> Stored:
    """Map and store one page of items from a live source in one transaction, with `also`."""
    require_collectable(source)
    packer = posts_repo.capture_packer(db.write_engine.dialect)
    target = _Target.of(source, packer, raw_sealer(settings.secret))
    batch = _Batch()
    keys: dict[str | None, str | None] = {}
    for entry in entries:
        batch.read += 1
        if isinstance(entry, Rejected):
            batch.rejects.append((entry.location, entry.reason, storable(entry.raw)))
        else:
            _map_into(batch, target, entry, settings.secret, keys)
    imported, duplicates = _commit(db, settings, target, origin, batch, also)
    rejected = len(batch.rejects)
    return Stored(batch.read, imported, duplicates, batch.skipped, rejected, dict(batch.skip_reasons))


def _quarantine_file(
    db: Database, settings: Settings, source: Source, origin: str, path: Path, reason: str
) -> ImportSummary:
    """Keep an unreadable file's first bytes in quarantine so the operator can see what it was."""
    with path.open("rb") as handle:
        head = handle.read(65536).decode("utf-8", "replace")
    with db.write() as session:
        quarantine_repo.add_many(
            session,
            source.id,
            origin,
            [("file", reason, storable(head))],
            utcnow(),
            quarantine_sealer(settings.secret),
        )
    return ImportSummary(
        source=source.name, format="unknown", quarantined=1, quarantine_reasons=[f"{path.name}: {reason}"]
    )


def requeue_enrichment(db: Database, settings: Settings, chunk: int = 1000) -> int:
    """Queue the chain over every post; each run redoes only stages whose version changed."""
    queued, after = 0, 0
    while True:
        with db.write() as session:
            ids = list(posts_repo.ids_needing_enrichment(session, after, chunk))
            if not ids:
                return queued
            enqueue(session, settings, ENRICH_JOB, {"post_ids": ids})
        queued += len(ids)
        after = ids[-1]

"""Open an import file as a plain byte stream, whatever compression it came in, and read it as text."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO, cast

import zstandard

from earful.connectors.files._base import MAX_RECORD, QUARANTINE_LIMIT, Stream

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COMPRESSED_SUFFIXES = (".gz", ".zst", ".zstd")
HEAD_SIZE = 64 * 1024
# A compressed file may grow this many times over what was read of it so far, and always to
# RATIO_FLOOR: real exports compress 5 to 20 times, a decompression bomb thousands of times.
MAX_RATIO = 200
RATIO_FLOOR = 64 << 20
# zstd turns 4 input bytes into up to 128 KiB; feeding it this much at a time bounds each step
# to 16 MiB of output, where one call on a whole chunk of a bomb returns gigabytes.
_ZSTD_STEP = 512
_SKIP_CHUNK = 1 << 16


class DecompressionBomb(ValueError):
    """A compressed file grows far more than real data does: reading it on would exhaust memory."""


# What reading a damaged or vanished file can raise, past the point where opening it worked.
READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    zstandard.ZstdError,
    DecompressionBomb,
)


class _ZstdReader(io.RawIOBase):
    """Decompress every zstd frame in a stream, and raise EOFError when the last one is cut short.

    zstandard's own stream reader ends quietly on a truncated frame; gzip raises EOFError, and a
    truncated file must be reported the same way whichever compression it used.
    """

    def __init__(self, raw: Stream) -> None:
        self._raw = raw
        self._dctx = zstandard.ZstdDecompressor()
        self._obj: Any = self._dctx.decompressobj()
        self._pending = b""
        self._rest = b""
        self._in_frame = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._rest or self._raw.read(1 << 17)
            if not chunk:
                if self._in_frame:
                    raise EOFError("zstd stream ends inside a frame (the file is truncated)")
                return 0
            self._feed(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _feed(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            self._in_frame = True
            step, view = view[:_ZSTD_STEP], view[_ZSTD_STEP:]
            self._pending += self._obj.decompress(step)
            if self._obj.eof:
                self._in_frame = False
                view = memoryview(self._obj.unused_data + bytes(view))
                self._obj = self._dctx.decompressobj()
            if self._pending:
                # Hand out this step's output before decompressing more of the chunk.
                self._rest = bytes(view)
                return
        self._rest = b""


class _RatioGuard(io.RawIOBase):
    """Pass decompressed bytes through, raising DecompressionBomb once they outgrow the input."""

    def __init__(self, raw: Stream, decompressed: Stream, name: str) -> None:
        self._raw = raw
        self._decompressed = decompressed
        self._name = name
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = self._decompressed.readinto(buffer)
        self._total += size
        read = self._raw.tell()
        if self._total > max(RATIO_FLOOR, MAX_RATIO * read):
            raise DecompressionBomb(
                f"{self._name} decompresses to over {self._total:,} bytes from {read:,} compressed "
                f"bytes, more than {MAX_RATIO} times; decompress it yourself and import the plain file "
                "if it is real data"
            )
        return size


@contextmanager
def open_input(path: Path) -> Iterator[Stream]:
    """Open `path` for reading, decompressing gzip or zstd told by their magic bytes."""
    with path.open("rb") as raw:
        magic = raw.read(4)
        raw.seek(0)
        if magic.startswith(GZIP_MAGIC):
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield _guarded(raw, cast(Stream, unzipped), path)
        elif magic == ZSTD_MAGIC:
            with io.BufferedReader(_ZstdReader(raw)) as unzstd:
                yield _guarded(raw, unzstd, path)
        else:
            yield raw


def _guarded(raw: Stream, decompressed: Stream, path: Path) -> Stream:
    return io.BufferedReader(_RatioGuard(raw, decompressed, path.name))


def read_head(path: Path, size: int = HEAD_SIZE) -> bytes:
    """Return the first `size` decompressed bytes of `path`, or those before a break in the file."""
    parts: list[bytes] = []
    got = 0
    with open_input(path) as stream:
        try:
            while got < size:
                chunk = stream.read(min(8192, size - got))
                if not chunk:
                    break
                parts.append(chunk)
                got += len(chunk)
        except (EOFError, zlib.error, zstandard.ZstdError, gzip.BadGzipFile, DecompressionBomb):
            # A damaged file can still be recognised by what came before the damage.
            if not parts:
                raise
    return b"".join(parts)


def name_suffix(path: Path) -> str:
    """Return the lower-case suffix that names the format, looking past a compression suffix."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def text_stream(stream: Stream) -> io.TextIOWrapper:
    """Wrap `stream` as UTF-8 text: a BOM is dropped, bad bytes become lone surrogates, newlines kept.

    Keeping bad bytes as surrogates lets one bad line or row be rejected while the rest is read.
    """
    return io.TextIOWrapper(
        cast(IO[bytes], stream), encoding="utf-8-sig", errors="surrogateescape", newline=""
    )


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text, ending kept; an over-long one is `cut` to its first QUARANTINE_LIMIT characters.

    `size` is the whole line's length in characters, `quotes` how many `"` it holds (CSV needs
    that to find where a quoted field that spans lines ends, even in the part not kept).
    """

    number: int
    text: str
    size: int
    cut: bool = False
    quotes: int = 0


_ENDINGS = ("\n", "\r")


def bounded_lines(text: TextIO, limit: int = MAX_RECORD, count_quotes: bool = False) -> Iterator[Line]:
    """Yield the lines of `text`, holding no more than `limit` characters of any one in memory.

    A longer line is read on in small pieces and thrown away up to its end, so the lines after it
    are read as usual.
    """
    number = 0
    while piece := text.readline(limit + 1):
        number += 1
        quotes = piece.count('"') if count_quotes else 0
        if len(piece) <= limit or piece.endswith(_ENDINGS):
            yield Line(number, piece, len(piece), quotes=quotes)
            continue
        size, kept = len(piece), piece[:QUARANTINE_LIMIT]
        del piece
        while more := text.readline(_SKIP_CHUNK):
            size += len(more)
            quotes += more.count('"') if count_quotes else 0
            if more.endswith(_ENDINGS):
                break
        yield Line(number, kept, size, cut=True, quotes=quotes)


def iter_lines(stream: Stream) -> Iterator[Line]:
    """Yield each line of `stream` as text, an over-long one cut (see `bounded_lines`)."""
    text = text_stream(stream)
    try:
        yield from bounded_lines(text)
    finally:
        # The caller owns the byte stream: do not let the wrapper close it.
        text.detach()

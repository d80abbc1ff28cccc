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
        self._offset = 0  # how much of _pending was handed out
        self._rest = memoryview(b"")  # compressed input not yet fed
        self._in_frame = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._pending):
            if not self._rest:
                chunk = self._raw.read(1 << 17)
                if not chunk:
                    if self._in_frame:
                        raise EOFError("zstd stream ends inside a frame (the file is truncated)")
                    return 0
                self._rest = memoryview(chunk)
            self._pending, self._offset = self._step(), 0
        size = min(len(buffer), len(self._pending) - self._offset)
        buffer[:size] = self._pending[self._offset : self._offset + size]
        self._offset += size
        return size

    def _step(self) -> bytes:
        """Decompress the next few hundred bytes of input, a frame's end starting the next frame."""
        step, self._rest = self._rest[:_ZSTD_STEP], self._rest[_ZSTD_STEP:]
        self._in_frame = True
        out: bytes = self._obj.decompress(step)
        if self._obj.eof:
            self._in_frame = False
            left = self._obj.unused_data
            self._obj = self._dctx.decompressobj()
            if left:
                self._rest = memoryview(left + bytes(self._rest))
        return out


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


def _compression(magic: bytes) -> str | None:
    """Return "gzip" or "zstd" for a file whose first four bytes are `magic`, or None for neither."""
    if magic.startswith(GZIP_MAGIC):
        return "gzip"
    return "zstd" if magic == ZSTD_MAGIC else None


@contextmanager
def open_input(path: Path) -> Iterator[Stream]:
    """Open `path` for reading, decompressing gzip or zstd told by their magic bytes."""
    with path.open("rb") as raw:
        compression = _compression(raw.read(4))
        raw.seek(0)
        if compression == "gzip":
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield _guarded(raw, cast(Stream, unzipped), path)
        elif compression == "zstd":
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


def text_stream(stream: Stream, *, file_start: bool = True) -> io.TextIOWrapper:
    """Wrap `stream` as UTF-8 text: a BOM is dropped, bad bytes become lone surrogates, newlines kept.

    Keeping bad bytes as surrogates lets one bad line or row be rejected while the rest is read.
    A BOM is a file's first bytes: a stream that starts within a file (`file_start` False) keeps them.
    """
    encoding = "utf-8-sig" if file_start else "utf-8"
    return io.TextIOWrapper(cast(IO[bytes], stream), encoding=encoding, errors="surrogateescape", newline="")


class Window(io.RawIOBase):
    """`size` bytes of an open binary file from where it stands, read as a stream of their own."""

    def __init__(self, raw: io.BufferedReader, size: int) -> None:
        super().__init__()
        self._raw, self._left = raw, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._left)
        if want <= 0:
            return 0
        got: int = self._raw.readinto(view[:want])
        if not got:
            return 0
        self._left -= got
        return got


def plain_file(path: Path) -> bool:
    """Tell whether `path` is stored as it is read (not gzip or zstd), so it can be read in parts."""
    with path.open("rb") as raw:
        return _compression(raw.read(4)) is None


def line_start(raw: IO[bytes], position: int) -> int:
    """Return where the first line that starts at or after `position` starts: `position` itself
    when a line ends just before it, else just past the next "\n" (the file's size if none).

    Only "\n" is taken as a boundary (a lone "\r" ends a line too, but never a part of a file),
    so a part's first line is a whole line and "\r\n" is never cut in two.
    """
    if position <= 0:
        return 0
    raw.seek(position - 1)
    at = position - 1
    while piece := raw.read(_SKIP_CHUNK):
        found = piece.find(b"\n")
        if found >= 0:
            return at + found + 1
        at += len(piece)
    return at


def count_lines(raw: IO[bytes], size: int) -> int:
    """Read `size` bytes from where `raw` stands and return how many line endings they hold, as
    text read with `text_stream` ends lines: "\n", "\r\n" and a lone "\r" one each."""
    lines, left, last = 0, size, b""
    while left > 0 and (piece := raw.read(min(left, 1 << 20))):
        left -= len(piece)
        lines += piece.count(b"\n") + piece.count(b"\r") - piece.count(b"\r\n")
        if last == b"\r" and piece[:1] == b"\n":
            lines -= 1  # a "\r\n" across two pieces was counted twice
        last = piece[-1:]
    return lines


@dataclass(frozen=True, slots=True)
class Cut:
    """A line over the limit: its first QUARANTINE_LIMIT characters, its length and its `"` count.

    CSV needs the count to find where a quoted field that spans lines ends, even in the part not kept.
    """

    text: str
    size: int
    quotes: int


_ENDINGS = ("\n", "\r")


def bounded_lines(text: TextIO, limit: int = MAX_RECORD) -> Iterator[str | Cut]:
    """Yield the lines of `text`, endings kept, holding no more than `limit` characters of any one.

    A longer line comes as a Cut: it is read on in small pieces and thrown away up to its end, so
    the lines after it are read as usual.
    """
    while piece := text.readline(limit + 1):
        if len(piece) <= limit or piece.endswith(_ENDINGS):
            yield piece
            continue
        size, kept, quotes = len(piece), piece[:QUARANTINE_LIMIT], piece.count('"')
        del piece
        while more := text.readline(_SKIP_CHUNK):
            size += len(more)
            quotes += more.count('"')
            if more.endswith(_ENDINGS):
                break
        yield Cut(kept, size, quotes)


def iter_lines(stream: Stream, *, file_start: bool = True) -> Iterator[str | Cut]:
    """Yield each line of `stream` as text, an over-long one as a Cut (see `bounded_lines`);
    `file_start` False for a stream that starts within a file (see `text_stream`)."""
    text = text_stream(stream, file_start=file_start)
    try:
        yield from bounded_lines(text)
    finally:
        # The caller owns the byte stream: do not let the wrapper close it.
        text.detach()

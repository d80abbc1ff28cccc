"""Open an import file as a plain byte stream, whatever compression it came in, and read it as text."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import zstandard

from earful.connectors.files._base import Stream

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COMPRESSED_SUFFIXES = (".gz", ".zst", ".zstd")
HEAD_SIZE = 64 * 1024

# What reading a damaged or vanished file can raise, past the point where opening it worked.
READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, zstandard.ZstdError)


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
        self._in_frame = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._raw.read(1 << 17)
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
        while chunk:
            self._in_frame = True
            self._pending += self._obj.decompress(chunk)
            if not self._obj.eof:
                return
            self._in_frame = False
            chunk = self._obj.unused_data
            self._obj = self._dctx.decompressobj()


@contextmanager
def open_input(path: Path) -> Iterator[Stream]:
    """Open `path` for reading, decompressing gzip or zstd told by their magic bytes."""
    with path.open("rb") as raw:
        magic = raw.read(4)
        raw.seek(0)
        if magic.startswith(GZIP_MAGIC):
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped
        elif magic == ZSTD_MAGIC:
            with io.BufferedReader(_ZstdReader(raw)) as unzstd:
                yield unzstd
        else:
            yield raw


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
        except (EOFError, zlib.error, zstandard.ZstdError, gzip.BadGzipFile):
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


def iter_lines(stream: Stream) -> Iterator[tuple[int, str]]:
    """Yield each line's number and text without its line ending."""
    text = text_stream(stream)
    try:
        for number, line in enumerate(text, start=1):
            yield number, line.rstrip("\r\n")
    finally:
        # The caller owns the byte stream: do not let the wrapper close it.
        text.detach()

"""Run a reading generator in a second process, so reading and writing use both cores."""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterator
from typing import Any, TypeVar, cast

T = TypeVar("T")
_DONE = "__done__"
_FAILED = "__failed__"


def read_in_background(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """Yield what `items` yields, producing it in a forked child process.

    The child gets its own copy of the (not yet started) generator and sends each item back
    pickled through a bounded queue, so at most `depth` items wait in memory. If the child fails,
    its traceback is raised here; if this process dies, the child notices and exits.
    """
    with Background(items, depth) as produced:
        yield from produced


class Background(Iterator[T]):
    """What `items` yields, produced in a forked child process started at once (see
    `read_in_background`); `close` (or leaving its `with` block) stops the child."""

    def __init__(self, items: Iterator[T], depth: int = 4, *, nice: int = 0) -> None:
        context = multiprocessing.get_context("fork")
        self._channel: Any = context.Queue(maxsize=depth)
        args = (items, self._channel, os.getpid(), nice)
        self._child = context.Process(target=_produce, args=args, daemon=True)
        self._child.start()
        self._done = False

    def __next__(self) -> T:
        while not self._done:
            try:
                message = self._channel.get(timeout=1.0)
            except queue.Empty:
                if not self._child.is_alive():
                    raise RuntimeError(
                        f"the reader process stopped unexpectedly (exit code {self._child.exitcode})"
                    ) from None
                continue
            if isinstance(message, tuple) and message and message[0] == _FAILED:
                raise RuntimeError(f"reading the file failed:\n{message[1]}")
            if message == _DONE:
                self._done = True
                break
            return cast(T, message)
        raise StopIteration

    def close(self) -> None:
        """Stop the child if it still runs and free the channel."""
        self._done = True
        if self._child.is_alive():
            self._child.terminate()
        self._child.join(timeout=5)
        self._channel.close()

    def __enter__(self) -> Background[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _produce(items: Iterator[Any], channel: Any, parent: int, nice: int = 0) -> None:
    if nice:
        os.nice(nice)
    try:
        for item in items:
            _send(channel, item, parent)
        _send(channel, _DONE, parent)
    except Exception:  # noqa: BLE001 - every failure must reach the parent, which raises it
        _send(channel, (_FAILED, traceback.format_exc()), parent)


def _send(channel: Any, message: Any, parent: int) -> None:
    while True:
        try:
            channel.put(message, timeout=1.0)
            return
        except queue.Full:
            # An orphaned reader (its importer was killed) must not wait forever.
            if os.getppid() != parent:
                os._exit(1)

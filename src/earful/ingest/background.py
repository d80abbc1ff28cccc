"""Run a reading generator in a second process, so reading and writing use both cores."""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")
_DONE = "__done__"
_FAILED = "__failed__"


def read_in_background(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """Yield what `items` yields, producing it in a forked child process.

    The child gets its own copy of the (not yet started) generator and sends each item back
    pickled through a bounded queue, so at most `depth` items wait in memory. If the child fails,
    its traceback is raised here; if this process dies, the child notices and exits.
    """
    context = multiprocessing.get_context("fork")
    channel: Any = context.Queue(maxsize=depth)
    child = context.Process(target=_produce, args=(items, channel, os.getpid()), daemon=True)
    child.start()
    try:
        while True:
            try:
                message = channel.get(timeout=1.0)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(
                        f"the reader process stopped unexpectedly (exit code {child.exitcode})"
                    ) from None
                continue
            if isinstance(message, tuple) and message and message[0] == _FAILED:
                raise RuntimeError(f"reading the file failed:\n{message[1]}")
            if message == _DONE:
                return
            yield message
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)
        channel.close()


def _produce(items: Iterator[Any], channel: Any, parent: int) -> None:
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

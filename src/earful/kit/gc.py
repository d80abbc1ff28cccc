"""Garbage-collector settings for bulk work that allocates millions of short-lived objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_allocation(threshold: int = 50_000) -> Iterator[None]:
    """Run the block with cyclic garbage collection made rare, then restore the previous settings.

    An import builds a few dicts and strings per row and frees them by reference counting; none
    form cycles. With the default threshold (700 new objects) the collector runs every few dozen
    rows and, as the heap grows, walks every live object again and again: measured on the import
    path, that is a quarter of the reading time. Objects alive on entry are frozen (moved out of
    the collector's sight), which also keeps a forked reader process from copying them.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()

"""The near-duplicate stage: a MinHash signature, so reposts with small edits group together.

Exact copies share a fingerprint (the dedupe stage). Quotes, copy-paste with a word changed and
reposts with a comment added do not; they share most of their three-word shingles, which a
MinHash signature estimates (Broder's resemblance). The signature is cut into bands: posts
that share a band are candidates, and the store keeps an index of bands so finding them is a
lookup, not a scan. The job then compares signatures and joins a post to a group when the
estimated resemblance reaches THRESHOLD.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

from datasketch import MinHash

from earful.pipeline.dedupe import normalise_for_dedupe
from earful.pipeline.stage import WorkItem

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
# Two posts whose estimated resemblance reaches this are one group. With 16 bands of 4 rows a
# pair at 0.6 becomes a candidate 87% of the time, at 0.7 98%.
THRESHOLD = 0.6
MIN_WORDS = 6  # shorter posts ("app down again") say the same thing without being copies
SEED = 20261125
# The random permutations depend only on NUM_PERM and SEED: draw them once, not for every post.
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED)


def signature(text: str) -> list[int] | None:
    """Return the MinHash signature of `text`'s word 3-shingles, or None for too short a text."""
    words = normalise_for_dedupe(text).split()
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    minhash = MinHash(
        num_perm=NUM_PERM, seed=SEED, permutations=_TEMPLATE.permutations, scheme=_TEMPLATE.scheme
    )
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return [int(v) for v in minhash.hashvalues]


def bands(sig: list[int]) -> list[str]:
    """Return the band keys of a signature: posts sharing any key are candidate near-duplicates."""
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<{ROWS}I", *rows), digest_size=8).hexdigest()
        keys.append(f"{band}:{digest}")
    return keys


def resemblance(a: list[int], b: list[int]) -> float:
    """Return the share of equal positions: an estimate of the two texts' shingle resemblance."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


class NearDuplicateStage:
    """Compute the post's MinHash signature and its band keys."""

    name = "neardup"
    version = 1

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return {"signature": [...] or None, "bands": [...]} for the post's text."""
        sig = signature(item.text)
        return {"signature": sig, "bands": bands(sig) if sig else []}

"""The pseudonymise stage: replace an author's handle with a key that only groups their posts.

The key is an HMAC of the handle under a deployment secret, so the same person's posts can be
counted together while the handle itself is never stored, and nobody without the secret can test
a guessed handle against a key (a plain hash of "@someone" could be looked up by anyone).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import lru_cache
from typing import Any

from earful.pipeline.stage import WorkItem

KEY_PREFIX = "a_"
# 20 base32 characters carry 100 bits: no collisions among any realistic number of authors.
KEY_LENGTH = 20
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32's, in lower case
_PAIRS = [_ALPHABET[i >> 5] + _ALPHABET[i & 31] for i in range(1024)]
_SHIFTS = tuple(range(KEY_LENGTH * 5 - 10, -1, -10))


class PseudonymiseStage:
    """Key each post's author by a keyed hash of their handle, dropping the handle itself."""

    name = "pseudonymise"
    version = 1

    def __init__(self, secret: bytes) -> None:
        _check_secret(secret)
        self._secret = secret

    def __repr__(self) -> str:
        # The default repr would print the secret into logs and tracebacks.
        return f"{type(self).__name__}(secret=<hidden>)"

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return the author key for the post's handle, or None when the post has no author."""
        return {"author_key": author_key(self._secret, item.author_handle)}


def author_key(secret: bytes, handle: str | None) -> str | None:
    """Return the stable pseudonymous key for `handle` under `secret`, or None for no handle."""
    if handle is None:
        return None
    normalised = normalise_handle(handle)
    if not normalised:
        return None
    keyed = _keyed_hmac(secret).copy()
    keyed.update(normalised.encode("utf-8"))
    # The key's 20 characters are the first 100 bits of the digest in lower-case base32 (RFC 4648),
    # two characters per 10 bits: what base64.b32encode gives, without its per-character loop.
    bits = int.from_bytes(keyed.digest()[:13], "big") >> 4
    return KEY_PREFIX + "".join([_PAIRS[(bits >> shift) & 1023] for shift in _SHIFTS])


def normalise_handle(handle: str) -> str:
    """Return `handle` as platforms compare it: trimmed, without a leading "@", casefolded."""
    # NFKC first, so a full-width "＠Ｄｒｉｖｅｒ" is the same author as "@driver".
    return unicodedata.normalize("NFKC", handle).strip().lstrip("@").strip().casefold()


@lru_cache(maxsize=8)
def _keyed_hmac(secret: bytes) -> hmac.HMAC:
    # Copying an HMAC already keyed skips hashing the key on every call: half the cost of a key.
    _check_secret(secret)
    return hmac.new(secret, digestmod=hashlib.sha256)


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or not secret:
        # An empty key turns the HMAC into a public hash that anyone can reverse by guessing.
        raise ValueError("the pseudonymisation secret must be non-empty bytes")

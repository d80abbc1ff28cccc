"""Authenticated encryption for what must be kept but must not be readable in the database."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = b"\x01"  # AES-256-GCM, 12-byte random nonce, key from HKDF-SHA256 of the secret
NONCE = 12


def same_secret(expected: str, given: str) -> bool:
    """Tell whether `given` (sent by anyone: a form, a header) is the secret `expected`, in constant
    time. Compared as bytes: `hmac.compare_digest` refuses text that is not ASCII with a TypeError,
    which a stranger's "é" would turn into a server error."""
    return hmac.compare_digest(_bytes(expected), _bytes(given))


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class SealError(ValueError):
    """Sealed data that cannot be opened: another deployment's secret, or damaged bytes."""


class Sealer:
    """Seal text with AES-256-GCM under a key derived from the deployment secret for one purpose.

    Each purpose ("raw payloads", "quarantine") gets its own key, so a key can be rotated or a
    store shared without the two being interchangeable. Sealed text reveals only its length.
    """

    def __init__(self, secret: bytes, purpose: str) -> None:
        if not secret:
            raise ValueError("sealing needs a non-empty secret")
        self._aead = AESGCM(_derive(secret, f"earful:{purpose}"))
        self._tag_key = _derive(secret, f"earful:{purpose}:tag")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key=<hidden>)"

    def seal(self, text: str) -> bytes:
        """Return `text` encrypted and authenticated."""
        return self._seal(os.urandom(NONCE), text)

    def seal_many(self, texts: list[str]) -> list[bytes]:
        """Return each of `texts` sealed as `seal` seals it, drawing all their nonces at once (one
        system call for a batch of an import, not one a text)."""
        nonces = os.urandom(NONCE * len(texts))
        return [self._seal(nonces[i * NONCE : (i + 1) * NONCE], text) for i, text in enumerate(texts)]

    def _seal(self, nonce: bytes, text: str) -> bytes:
        return FORMAT + nonce + self._aead.encrypt(nonce, text.encode("utf-8"), None)

    def tag(self, text: str) -> str:
        """Return a keyed digest of `text`: equal texts get equal tags, and nobody without the
        secret can test a guess against one (a plain hash of a short post could be looked up)."""
        return hmac.new(self._tag_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def sign(self, data: bytes) -> str:
        """Return a keyed digest of `data`, so bytes read back can be checked as this deployment's own."""
        return hmac.new(self._tag_key, data, hashlib.sha256).hexdigest()

    def verify(self, data: bytes, signature: str) -> bool:
        """Return True when `signature` is `sign(data)`, compared in constant time."""
        return hmac.compare_digest(self.sign(data), signature)

    def open(self, sealed: bytes) -> str:
        """Return the text `seal` was given; raise SealError when it was not sealed by this key."""
        if len(sealed) < 1 + NONCE or sealed[:1] != FORMAT:
            raise SealError("not sealed data, or sealed in a format this version does not read")
        nonce = sealed[1 : 1 + NONCE]
        try:
            return self._aead.decrypt(nonce, sealed[1 + NONCE :], None).decode("utf-8")
        except InvalidTag:
            raise SealError(
                "sealed data does not open with this deployment's secret (was the secret key changed?)"
            ) from None


def _derive(secret: bytes, info: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(secret)

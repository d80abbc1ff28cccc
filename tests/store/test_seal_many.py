"""Sealing a batch at once (what an import's reader does) gives what sealing each text gives:
every text opens again, under this deployment's key only, and no two share a nonce."""

from __future__ import annotations

import pytest

from earful.kit.seal import NONCE, Sealer, SealError


def test_each_text_of_a_batch_is_sealed_apart_and_opens_again() -> None:
    sealer = Sealer(b"deployment secret", "raw payloads")
    texts = ['{"text": "app down"}', "", "¿dónde está mi propina? 😡", '{"text": "app down"}']
    sealed = sealer.seal_many(texts)
    assert [Sealer(b"deployment secret", "raw payloads").open(s) for s in sealed] == texts
    assert len({s[1 : 1 + NONCE] for s in sealed}) == len(texts)  # the same text twice: two nonces
    assert sealed[0] != sealed[3]
    assert all(b"app down" not in s for s in sealed)
    with pytest.raises(SealError):
        Sealer(b"deployment secret", "quarantine").open(sealed[0])
    assert sealer.seal_many([]) == []

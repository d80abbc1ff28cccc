"""The sealers for what the store keeps unreadable (raw items, quarantined input) or must trust
(the weights of trained models)."""

from __future__ import annotations

from functools import lru_cache

from earful.kit.seal import Sealer


@lru_cache(maxsize=8)
def raw_sealer(secret: bytes) -> Sealer:
    """Return the sealer of raw item payloads under `secret`."""
    return Sealer(secret, "raw-items")


@lru_cache(maxsize=8)
def quarantine_sealer(secret: bytes) -> Sealer:
    """Return the sealer of quarantined input under `secret`."""
    return Sealer(secret, "quarantine")


@lru_cache(maxsize=8)
def model_signer(secret: bytes) -> Sealer:
    """Return the sealer whose signatures vouch for stored model weights under `secret`."""
    return Sealer(secret, "model-weights")

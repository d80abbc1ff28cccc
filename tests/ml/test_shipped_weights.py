"""Every shipped weight file is refused when altered or missing, with what to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from earful.ml import linear, name_tagger, tone, urgency_model

SHIPPED: list[tuple[Path, str, Callable[[Path, str], object]]] = [
    (tone.WEIGHTS, tone.WEIGHTS_SHA256, tone.read),
    (tone.E5_WEIGHTS, tone.E5_WEIGHTS_SHA256, tone.read_e5),
    (tone.STATIC_WEIGHTS, tone.STATIC_WEIGHTS_SHA256, tone.read_static),
    (urgency_model.WEIGHTS, urgency_model.WEIGHTS_SHA256, urgency_model.read),
    (name_tagger.WEIGHTS, name_tagger.WEIGHTS_SHA256, name_tagger.read),
]


@pytest.mark.parametrize(("weights", "sha256", "read"), SHIPPED, ids=lambda x: getattr(x, "name", ""))
def test_altered_or_missing_weights_are_refused(
    weights: Path, sha256: str, read: Callable[[Path, str], object], tmp_path: Path
) -> None:
    read(weights, sha256)  # the shipped file itself is accepted
    altered = tmp_path / weights.name
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    altered.write_bytes(bytes(data))
    with pytest.raises(linear.ModelUnavailable, match="not the file Earful shipped"):
        read(altered, sha256)
    with pytest.raises(linear.ModelUnavailable, match="missing"):
        read(tmp_path / "absent.npz", sha256)

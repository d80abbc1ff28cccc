"""Near-duplicates: MinHash signatures of word shingles, compared by estimated resemblance."""

from __future__ import annotations

from earful.pipeline.neardup import THRESHOLD, NearDuplicateStage, bands, resemblance, signature
from earful.pipeline.stage import WorkItem

BASE = "Station wait was two hours again today and nobody from the site team told us why"


def test_small_edits_stay_above_the_threshold_and_other_posts_far_below() -> None:
    sig = signature(BASE)
    assert sig is not None
    for near in (
        BASE.replace("two hours", "2 hours"),
        BASE + " +1 same at DLA8",
        BASE.replace("why", "anything"),
        BASE.upper() + "!!!",
    ):
        other = signature(near)
        assert other is not None and resemblance(sig, other) >= THRESHOLD, near
    far = signature("Scanner broke and the new labels are too small for the camera to read")
    assert far is not None and resemblance(sig, far) < 0.2


def test_near_copies_share_a_band_and_short_posts_get_no_signature() -> None:
    a, b = signature(BASE), signature(BASE + " +1")
    assert a is not None and b is not None
    assert set(bands(a)) & set(bands(b))
    assert signature("app down again") is None
    assert NearDuplicateStage().run(WorkItem(text="app down again")) == {"signature": None, "bands": []}

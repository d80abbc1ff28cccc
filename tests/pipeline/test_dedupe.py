"""The dedupe stage: reposts and copy-pastes share a fingerprint, different posts do not."""

from __future__ import annotations

import re
import unicodedata

import pytest

from earful.pipeline.dedupe import DedupeStage, fingerprint, normalise_for_dedupe
from earful.pipeline.stage import WorkItem

ORIGINAL = "The app crashed AGAIN!!! #AmazonFlex https://t.co/abc123"


@pytest.mark.parametrize(
    "repost",
    [
        "RT @flexdriver: The app crashed AGAIN!!! #AmazonFlex https://t.co/abc123",
        "RT @flex_la: RT @flexdriver: The app crashed AGAIN!!! #AmazonFlex",
        "rt @flexdriver The app crashed again #amazonflex",
        "@AmazonHelp @flexsupport the app crashed again... #AmazonFlex",
        "The   app crashed\nagain — AmazonFlex http://example.com/post?id=1",
        "the app crashed again amazonflex",
        "ＴＨＥ app crashed again #AmazonFlex",  # full-width letters pasted from another app
    ],
)
def test_reposts_and_copy_pastes_share_the_original_fingerprint(repost: str) -> None:
    assert fingerprint(repost) == fingerprint(ORIGINAL)


@pytest.mark.parametrize(
    "other",
    [
        "The app crashed once",
        "The app crashed again today",
        "The app crashed again #AmazonFlex 😡",
        "thanks @bob the app crashed again #AmazonFlex",  # a mention mid-text is part of what was said
    ],
)
def test_different_posts_get_different_fingerprints(other: str) -> None:
    assert fingerprint(other) != fingerprint(ORIGINAL)


def test_accents_are_kept_because_they_change_the_word() -> None:
    accented = "¿Dónde está mi pago?"
    assert fingerprint(accented) != fingerprint("donde esta mi pago")
    assert fingerprint(accented) == fingerprint("dónde ESTÁ mi pago")
    # The same words typed with combining accents are the same words.
    assert fingerprint(unicodedata.normalize("NFD", accented)) == fingerprint(accented)


def test_the_normal_form_keeps_words_and_emoji_only() -> None:
    assert normalise_for_dedupe("RT @a: Pay cut, AGAIN?! 😡 https://x.co/1") == "pay cut again 😡"
    assert normalise_for_dedupe("❤️ the new route") == normalise_for_dedupe("❤ the new route")


@pytest.mark.parametrize("text", ["", "   ", "!!! ...", "RT @flexdriver:", "@a @b", "https://t.co/abc"])
def test_text_without_words_has_no_fingerprint(text: str) -> None:
    assert fingerprint(text) is None


def test_fingerprint_is_hex_sha256() -> None:
    value = fingerprint(ORIGINAL)
    assert value is not None and re.fullmatch(r"[0-9a-f]{64}", value)


def test_stage_fingerprints_the_items_text() -> None:
    out = DedupeStage().run(WorkItem(text=ORIGINAL, author_handle="@someone"))
    assert out == {"fingerprint": fingerprint(ORIGINAL)}

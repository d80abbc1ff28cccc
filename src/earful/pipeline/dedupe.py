"""The dedupe stage: give posts that say the same thing the same fingerprint.

A retweet, a repost with the link stripped, and a copy-paste with different spacing or
punctuation are one complaint, not three. The fingerprint is a hash of the text with those
differences normalised away, so the store can collapse reposts with an index lookup.

Accents are kept: "esta" and "está" are different Spanish words. NFKC still makes the same word
typed with a combining accent, a precomposed letter or a full-width form hash alike.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from earful.pipeline.stage import WorkItem

# A handle as written, or as the redact stage left it.
_HANDLE = r"(?:@\w+|\[HANDLE\])"
# "RT @handle: " (possibly chained, "RT @a: RT @b: ...") marks a repost of the text after it.
_RETWEET_PREFIX = re.compile(r"^(?:\s*rt\s+" + _HANDLE + r"\s*:?)+", re.IGNORECASE)
# Replies open with the handles they answer; they address people, not the complaint.
_LEADING_MENTIONS = re.compile(r"^(?:\s*" + _HANDLE + r"[:,]?)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


class _WordBreaks(dict[int, int | str]):
    """A `str.translate` table mapping punctuation to a space, filled in as characters are met."""

    def __missing__(self, codepoint: int) -> int | str:
        char = chr(codepoint)
        if unicodedata.category(char).startswith("P"):
            value: int | str = " "
        elif 0xFE00 <= codepoint <= 0xFE0F:
            value = ""  # emoji presentation selectors: "❤️" and "❤" are the same heart
        else:
            value = codepoint
        self[codepoint] = value
        return value


_PUNCTUATION_TO_SPACE = _WordBreaks()


class DedupeStage:
    """Fingerprint a post's text so reposts and copy-pastes of it collapse together."""

    name = "dedupe"
    version = 2

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return the fingerprint of the post's text, or None when no words are left to compare."""
        return {"fingerprint": fingerprint(item.text)}


def fingerprint(text: str) -> str | None:
    """Return the hex SHA-256 of `text`'s normalised form, or None when that form is empty."""
    normalised = normalise_for_dedupe(text)
    if not normalised:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def normalise_for_dedupe(text: str) -> str:
    """Return `text` reduced to casefolded words, without repost markers, links or punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _RETWEET_PREFIX.sub(" ", text)
    text = _LEADING_MENTIONS.sub(" ", text)
    text = _URL.sub(" ", text)
    # Punctuation (which includes "#" and "@") becomes a word break, so "crash!!!" and "crash"
    # match and "on-time" matches "on time"; symbols such as emoji and "$" are kept.
    text = text.translate(_PUNCTUATION_TO_SPACE)
    return _WHITESPACE.sub(" ", text).strip()

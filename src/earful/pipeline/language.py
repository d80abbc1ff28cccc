"""The language stage: name the language a post is written in, or say it cannot be told.

Detection is restricted to the languages the deployment expects, because lingua, like every
detector, confuses close languages on short texts far more when it may pick from seventy-five.
Tweets are short, so the source's own language tag (`language_hint`) settles texts too short to
judge and breaks near-ties on longer ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from earful.pipeline.stage import WorkItem

DEFAULT_LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "nl")
UNDETERMINED = "und"

# Fewer words than this carry too little evidence to overrule a hint from the source.
MIN_WORDS = 3
# With no hint, a one- or two-word text needs a clear winner ("gracias"), not a coin toss ("ok").
MIN_SHORT_CONFIDENCE = 0.6
# A hint wins on a longer text when lingua gives it at least this share of its favourite's score.
HINT_TIE_RATIO = 0.5
# Confidence reported for a language taken from the hint alone.
HINT_CONFIDENCE = 0.5
# The opening of a long article says what language it is in; reading all of it only costs time.
MAX_CHARS = 1000

_NOISE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#][\w.]+|^RT\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")


class LanguageStage:
    """Detect a post's language among a configured set of ISO 639-1 codes."""

    name = "language"
    version = 1

    def __init__(self, languages: Sequence[str] | None = None) -> None:
        codes = tuple(sorted({code.strip().lower() for code in (languages or DEFAULT_LANGUAGES)}))
        if len(codes) < 2:
            raise ValueError("language detection needs at least two languages to choose between")
        for code in codes:
            _iso_code(code)  # fail at start-up, not on the first post
        self.languages = codes

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return the post's language code (or "und") and the detector's confidence in it."""
        language, confidence = detect_language(item.text, item.language_hint, self.languages)
        return {"language": language, "confidence": confidence}


def detect_language(
    text: str, hint: str | None = None, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> tuple[str, float]:
    """Return the ISO 639-1 code of `text`'s language (or "und") and a confidence from 0 to 1."""
    hint = _normalise_hint(hint)
    prose = _NOISE.sub(" ", text[:MAX_CHARS])
    words = _WORD.findall(prose)
    if not words:
        return UNDETERMINED, 0.0
    if len(words) < MIN_WORDS and hint:
        return hint, HINT_CONFIDENCE
    scores = {
        value.language.iso_code_639_1.name.lower(): value.value
        for value in _detector(tuple(sorted(languages))).compute_language_confidence_values(prose)
    }
    best = max(scores, key=scores.__getitem__)
    if scores[best] <= 0.0:
        return UNDETERMINED, 0.0
    if hint and scores.get(hint, 0.0) >= scores[best] * HINT_TIE_RATIO:
        return hint, round(scores[hint], 4)
    if len(words) < MIN_WORDS and scores[best] < MIN_SHORT_CONFIDENCE:
        return UNDETERMINED, round(scores[best], 4)
    return best, round(scores[best], 4)


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    # Building loads every model (about a second); one detector per language set serves all posts.
    codes = [_iso_code(code) for code in languages]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()


def _iso_code(code: str) -> IsoCode639_1:
    try:
        return IsoCode639_1.from_str(code)
    except ValueError:
        raise ValueError(f"unknown ISO 639-1 language code: {code!r}") from None


def _normalise_hint(hint: str | None) -> str | None:
    # Sources tag posts "en-US", "pt_BR", "EN" or "und"; only the bare, known code is evidence.
    if not hint:
        return None
    code = re.split(r"[-_]", hint.strip().lower(), maxsplit=1)[0]
    if len(code) != 2:
        return None
    try:
        IsoCode639_1.from_str(code)
    except ValueError:
        return None
    return code

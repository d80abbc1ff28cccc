"""The clean stage: turn a scraped post or article into the plain text a person wrote.

Order matters. Entities are decoded before tags are stripped, because platforms (Twitter among
them) deliver `<` as `&lt;` and entity-encoded markup is markup. Encoding repair runs after
decoding, since `&#195;&#169;` is mojibake too. Page chrome is removed before looking for a
repeated copy, because the two copies of a twice-scraped page rarely share their menus.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

import ftfy

from earful.pipeline.boilerplate import strip_page_chrome
from earful.pipeline.markup import decode_entities, strip_tags
from earful.pipeline.stage import WorkItem

_FTFY = ftfy.TextFixerConfig(unescape_html=False, uncurl_quotes=False, explain=False)

# UTF-8 read as Latin-1 or Windows-1252 turns each lead byte into one of U+00C2..U+00F4 followed by
# a continuation byte's character (U+0080..U+00BF or a Windows-1252 punctuation mark); "Ã " is the
# same with its no-break space lost. Only texts with such a pair, or with ligatures, full-width
# forms or C1 controls, go through ftfy, which costs more than the rest of cleaning a short post.
_FTFY_WORTHY = re.compile(
    "[\xc2-\xf4][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|[\xc2\xc3] |[\x80-\x9f\ufb00-\ufb06\uff01-\uff5e]"
)
_LINE_BREAK = re.compile(r"\r\n?|[\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ODD_SPACE = re.compile(r"[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Zero-width joiners stay: emoji sequences are built from them.
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad]")
_SPACE_RUN = re.compile(r" {2,}")
_BULLET = re.compile(r"^(?:[•◦▪▫●○‣∙⁃■□►▸▹➢➤✦✧·]|\*(?=\s))\s*(?=\S)")
_CURLY_INNER_SPACE = re.compile(r"(?<=“)\s+|\s+(?=”)")
_BLANK_RUN = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")
# Below this many characters a doubled text is as likely meant ("so so", "lol lol") as scraped twice.
_MIN_REPEAT_CHARS = 20


def clean_text(text: str) -> str:
    """Return `text` as plain text, with markup, mojibake, page chrome and a doubled copy removed."""
    return _clean(text, None, Counter())


class CleanStage:
    """Clean a post's text and title, and say what kinds of debris were removed."""

    name = "clean"
    version = 1

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return the cleaned text and title, and short notes on what was removed."""
        found: Counter[str] = Counter()
        title = clean_title(item.title, found)
        text = _clean(item.text, title, found)
        # Counts of kinds only: a removed line may hold a reporter's phone number or e-mail.
        removed = [f"{kind} ({count})" for kind, count in found.items() if count > 0]
        return {"text": text, "title": title, "removed": removed}


def clean_title(title: str | None, found: Counter[str] | None = None) -> str | None:
    """Return `title` cleaned onto one line, or None when nothing is left of it."""
    if title is None:
        return None
    lines = _normalise_lines(_repair(title, found if found is not None else Counter()))
    joined = " ".join(line for line in lines if line)
    return joined or None


def _clean(text: str, title: str | None, found: Counter[str]) -> str:
    lines = _normalise_lines(_repair(text, found))
    lines = strip_page_chrome(lines, title, found)
    joined = _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()
    return _collapse_repeat(joined, found)


def _repair(text: str, found: Counter[str]) -> str:
    text = decode_entities(text, found)
    text = strip_tags(text, found)
    if _FTFY_WORTHY.search(text) is None:
        return unicodedata.normalize("NFC", _CONTROL.sub("", _LINE_BREAK.sub("\n", text)))
    fixed = ftfy.fix_text(text, _FTFY)
    if fixed != unicodedata.normalize("NFC", text):
        found["broken characters repaired"] += 1
    return fixed


def _normalise_lines(text: str) -> list[str]:
    text = _ODD_SPACE.sub(" ", _INVISIBLE.sub("", text))
    lines = []
    for line in text.split("\n"):
        line = _SPACE_RUN.sub(" ", line.strip())
        lines.append(_tidy_quotes(_BULLET.sub("- ", line)))
    return lines


def _tidy_quotes(line: str) -> str:
    # Spaced-out entities (`& quot; word & quot;`) leave quotes standing apart from their words.
    line = _CURLY_INNER_SPACE.sub("", line)
    if '" ' not in line and ' "' not in line:
        return line
    parts = line.split('"')
    if len(parts) % 2 == 0:
        return line  # unbalanced: an inch mark or a quote cut off, so pairing would guess
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].strip()
    return '"'.join(parts)


def _collapse_repeat(text: str, found: Counter[str]) -> str:
    # Compare without whitespace, so copies that differ only in spacing or line breaks still match.
    compact = _WHITESPACE.sub("", text)
    half, odd = divmod(len(compact), 2)
    if odd or half < _MIN_REPEAT_CHARS or compact[:half] != compact[half:]:
        return text
    cut = _position_after(text, half)
    first = text[:cut].rstrip()
    if _WHITESPACE.search(first) is None:
        # One long token ("hahahaha...") is a word, not a text scraped twice.
        return text
    found["repeated copy of the text"] += 1
    return first


def _position_after(text: str, visible: int) -> int:
    """Return the index in `text` just after its `visible`-th non-whitespace character."""
    seen = 0
    for word in _WORD.finditer(text):
        length = word.end() - word.start()
        if seen + length >= visible:
            return word.start() + (visible - seen)
        seen += length
    return len(text)

"""Find the lines a scraper copied from the page around a text rather than from the text itself.

Two rules, so that a short line a person wrote is never mistaken for a menu:

- *Page chrome* is removed only from the leading and trailing blocks of a text: short lines with
  no sentence punctuation whose words all come from a navigation vocabulary ("Follow Us",
  "Scroll to Top", "Education", "Share this article"), and calls to read on ("Read more").
- *Boilerplate* is a line whose whole shape gives it away wherever it stands: a "Last Updated on"
  stamp, a photo credit with its caption, a reporter's contact line, an advert marker.

A line inside a post such as "App crashed again." matches neither, and a text is never cut to
nothing: if every line looks like chrome, the text is returned as it came.
"""

from __future__ import annotations

import re
from collections import Counter


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that make up site menus, section fronts, share bars and footers.
_NAV_WORDS = _words(
    """home menu search skip content navigation top scroll back follow share tweet pin email print comment
    comments subscribe subscription newsletter newsletters sign log login logout register account
    profile read more next previous prev article articles story stories related recommended popular
    trending latest news video videos photos photo gallery podcast podcasts live opinion education
    business tech technology science health sport sports entertainment culture lifestyle politics world
    local national finance markets economy travel food style arts books weather advertisement
    advertising advertise sponsored source sources original tags topics categories category about
    contact privacy policy terms cookie cookies settings accept reject close facebook twitter instagram
    linkedin youtube whatsapp telegram reddit pinterest tiktok rss feed copyright rights reserved
    edition continue reading view full site mobile desktop version toggle click tap page jump main
    sections section"""
)
# Glue words a menu line may contain, but which alone never make a line a menu.
_GLUE_WORDS = _words("""a an the this that to on of and or in up out us our your with for all here | &""")
_SENTENCE_END = re.compile(r"[.!?…:;]\s*[\"'”’)]*$")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|[|&]")
_BULLET_PREFIX = re.compile(r"^[-*]\s+")

_CALL_TO_ACTION = re.compile(
    r"^(?:(?:go (?:and|to) )?read (?:the (?:full|whole|original|rest of the)\b|on$)"
    r"|read more(?:\s*[:»›>…]|\s+(?:here|at|on)\b|$)"
    r"|(?:click|tap) here\b|continue reading\b|(?:this|our) (?:web)?site uses cookies\b|we use cookies\b"
    r"|(?:accept|manage) (?:all )?cookies\b|by (?:continuing|using) (?:to browse|this (?:web)?site)\b)",
    re.IGNORECASE,
)
_STAMP = re.compile(
    r"^(?P<lead>last\s+updated(?:\s+on)?|(?:updated|published|posted)(?:\s+on|\s*:)|updated|published)"
    r"\s*:?\s*(?P<tail>.{0,60})$",
    re.IGNORECASE,
)
_DATE_WORDS = _words(
    """jan january feb february mar march apr april may jun june jul july aug august sep sept september
    oct october nov november dec december mon monday tue tuesday wed wednesday thu thursday fri friday
    sat saturday sun sunday am pm at ago today yesterday hour hours hr hrs minute minutes min mins day
    days week weeks month months year years utc gmt bst cet cest est edt cst cdt pst pdt ist th st nd
    rd"""
)
_CONTACT = re.compile(
    r"\b(?:contact|email|e-mail|reach|message|write to)\s+(?:the|this|our)\s+"
    r"(?:reporter|writer|author|journalist|editor)s?\b",
    re.IGNORECASE,
)
# A contact line gives a way to reach the reporter; "can someone contact the reporter?" does not.
_CONTACT_DETAILS = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|(?<!\w)@\w+|\+?\d[\d ()-]{6,}\d|\b(?:signal|whatsapp|phone|encrypted)\b",
    re.IGNORECASE,
)
_AGENCY = re.compile(
    r"\b(?:getty images|shutterstock|alamy|reuters|afp|ap|associated press|epa|istock(?:photo)?|unsplash"
    r"|bloomberg|zuma|nurphoto|anadolu|picture alliance)[\s).]*$",
    re.IGNORECASE,
)
_CREDIT_START = re.compile(r"^(?:photo|image|picture|video)s?\s*(?:by|credit)\b", re.IGNORECASE)
# "Caption (Photo by Name/Agency) Body": captions precede the credit that ends them.
_LEADING_CAPTION = re.compile(
    r"^[^.!?()]{0,160}?\s*\((?P<credit>(?:photo|image|picture)s?\s*(?:by|credit|:)[^)]{0,160})\)\s*",
    re.IGNORECASE,
)
_ADVERT = re.compile(
    r"^(?:advertisement|sponsored content|(?:story|article) continues below(?: advertisement)?"
    r"|visit .{1,60}(?:homepage|home page|website) for more\b.{0,30})$",
    re.IGNORECASE,
)


def strip_page_chrome(lines: list[str], title: str | None, found: Counter[str]) -> list[str]:
    """Return `lines` without page chrome and boilerplate, counting each kind removed in `found`."""
    removed: Counter[str] = Counter()
    kept = _drop_boilerplate(lines, removed)
    first = next((i for i, line in enumerate(kept) if line.strip()), None)
    if title and first is not None and _TOKEN.search(title) and _same_words(kept[first], title):
        del kept[first]
        removed["title repeated in text"] += 1
    kept = _trim_edges(kept, removed)
    if not any(line.strip() for line in kept):
        return lines
    found.update(removed)
    return kept


def _drop_boilerplate(lines: list[str], found: Counter[str]) -> list[str]:
    kept: list[str] = []
    for raw in lines:
        line = _BULLET_PREFIX.sub("", raw)
        if _is_stamp(line):
            found["last-updated stamps"] += 1
        elif _CONTACT.search(line) and _CONTACT_DETAILS.search(line):
            found["reporter contact lines"] += 1
        elif _ADVERT.match(line):
            found["advert/promo lines"] += 1
        elif _is_credit(line):
            found["photo credits"] += 1
            found["photo captions"] += _drop_caption_before(kept)
        else:
            caption = _LEADING_CAPTION.match(raw)
            if caption and caption.end() < len(raw) and _is_credit(caption.group("credit")):
                raw = raw[caption.end() :]
                found["photo captions"] += 1
            kept.append(raw)
    return kept


def _drop_caption_before(kept: list[str]) -> int:
    # A photo block reads [alt text] [caption] credit; its alt text is a bare, unpunctuated label.
    content = [i for i, line in enumerate(kept) if line.strip()][-2:]
    if content and _is_alt_text(kept[content[-1]]):
        doomed = content[-1:]
    elif len(content) == 2 and _is_alt_text(kept[content[0]]) and len(kept[content[1]].split()) <= 80:
        doomed = content
    else:
        return 0
    for index in reversed(doomed):
        del kept[index]
    return len(doomed)


def _trim_edges(lines: list[str], found: Counter[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and (not lines[start].strip() or _is_chrome(lines[start])):
        found["navigation lines"] += bool(lines[start].strip())
        start += 1
    while end > start and (not lines[end - 1].strip() or _is_chrome(lines[end - 1])):
        found["navigation lines"] += bool(lines[end - 1].strip())
        end -= 1
    kept = lines[start:end]
    if kept:
        # "...were taken offline. Go and read the full investigation here." ends a paragraph.
        body, _, last = kept[-1].rpartition(". ")
        if body and _is_chrome(last) and re.search(r"\b(?:here|below)[.!]?$", last, re.IGNORECASE):
            kept[-1] = body + "."
            found["navigation lines"] += 1
    return kept


def _is_chrome(line: str) -> bool:
    line = _BULLET_PREFIX.sub("", line.strip())
    if _CALL_TO_ACTION.match(line) and len(line) <= 300:
        return True
    if not _is_short_label(line, 6):
        return False
    words = [token.casefold() for token in _TOKEN.findall(line)]
    return (
        bool(words)
        and all(w in _NAV_WORDS or w in _GLUE_WORDS for w in words)
        and any(w in _NAV_WORDS for w in words)
    )


def _is_stamp(line: str) -> bool:
    match = _STAMP.match(line.strip())
    if match is None:
        return False
    tail = match.group("tail").casefold()
    tokens = re.findall(r"[^\W\d_]+|\d+", tail)
    # The bare word "Updated" starts real sentences; only a stamp is followed by a date and no more.
    lead = match.group("lead").casefold()
    has_marker = lead.startswith("last") or lead.endswith((" on", ":"))
    dated = any(token.isdigit() for token in tokens)
    only_dates = all(token.isdigit() or token in _DATE_WORDS for token in tokens)
    return only_dates and (has_marker or dated)


def _is_credit(line: str) -> bool:
    # A person may well write "photo by me" or name an agency; a credit also has the Name/Agency form.
    named = _CREDIT_START.match(line) is not None or "/" in line or " via " in line
    return named and _AGENCY.search(line) is not None and _is_short_label(line, 16, max_chars=160)


def _is_short_label(line: str, max_words: int, max_chars: int = 80) -> bool:
    return len(line) <= max_chars and len(line.split()) <= max_words and not _SENTENCE_END.search(line)


def _is_alt_text(line: str) -> bool:
    return _is_short_label(line, 12) and not re.search(r"[.,;:!?\"“”]", line) and not line.startswith("-")


def _same_words(a: str, b: str) -> bool:
    return _TOKEN.findall(a.casefold()) == _TOKEN.findall(b.casefold())

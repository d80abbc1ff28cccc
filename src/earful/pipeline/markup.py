"""Turn HTML debris in scraped text into plain text without eating text that merely looks like it.

Scraped posts and articles carry markup in every state of repair: real tags, tags a translator
spaced out (`< / P >`), entities with a space inside (`& quot;`) or the wrong case (`&Quot;`), and
lone `&` fragments left where an entity was cut. A `<` is only treated as a tag when a known HTML
element name follows it, so "5 < 6 and 7 > 3" and "I <3 this app" stay as they are.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from html.entities import html5


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Every element an article page or a post body is likely to carry; anything else after `<` is text.
_KNOWN_TAGS = _words(
    """a abbr address area article aside audio b base bdi bdo big blockquote body br button canvas caption
    center cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset
    figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i
    iframe img input ins kbd label legend li link main map mark math meta meter nav noscript object ol
    optgroup option output p param picture pre progress q rp rt ruby s samp script section select small
    source span strike strong style sub summary sup svg table tbody td template textarea tfoot th thead
    time title tr track tt u ul var video wbr"""
)
# Their content is code, styling or fallback chrome, never words a person wrote.
_DROP_CONTENT = ("script", "style", "noscript", "template", "svg", "math", "iframe", "object", "head")
_BLOCK_TAGS = _words(
    """address article aside blockquote body center dd details dialog div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hgroup hr html main nav ol p pre section summary table tbody
    tfoot thead tr ul"""
)
_CELL_TAGS = frozenset({"td", "th"})

_ATTR = r"""\s+[^\s<>"'=/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>"']+))?"""
_TAG = re.compile(rf"<\s*(?P<close>/?)\s*(?P<name>[a-zA-Z][a-zA-Z0-9]*)(?P<attrs>(?:{_ATTR})*)\s*/?\s*>")
_DROPPED_ELEMENT = re.compile(
    rf"<\s*(?P<name>{'|'.join(_DROP_CONTENT)})\b(?:{_ATTR})*\s*>.*?<\s*/\s*(?P=name)\s*>",
    re.IGNORECASE | re.DOTALL,
)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)|<!(?:doctype|\[cdata\[)[^>]*>", re.IGNORECASE | re.DOTALL)
# An entity, tolerating the spaces and case damage machine translation leaves; or a lone `&`
# glued to the start of a word, which is what remains of an entity whose name was cut off.
_ENTITY_OR_STRAY = re.compile(
    r"&[ \t]*(?P<ent>#[ \t]*[0-9]{1,7}|#[ \t]*[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31})[ \t]*;"
    r"|(?<!\w)&(?=[A-Za-z]|[^\x00-\x7f])"
)
_ENTITY_NAMES_FOLDED = {name.lower(): name for name in html5 if name.endswith(";")}


def decode_entities(text: str, found: Counter[str]) -> str:
    """Return `text` with entities decoded and stray `&` fragments dropped, counting both in `found`."""
    if "&" not in text:
        return text
    pieces: list[str] = []
    pos = 0
    for match in _ENTITY_OR_STRAY.finditer(text):
        if match.start() < pos:
            continue
        pieces.append(text[pos : match.start()])
        pos = match.end()
        name = match.group("ent")
        if name is None:
            if not _starts_word(text, pos):
                pieces.append("&")
                continue
            # Characters that cannot stand alone (combining marks) came with the broken entity.
            while pos < len(text) and unicodedata.category(text[pos]).startswith("M"):
                pos += 1
            found["stray & fragments"] += 1
            continue
        decoded = _resolve_entity(name.replace(" ", "").replace("\t", ""))
        if decoded is None:
            pieces.append(match.group(0))
        else:
            pieces.append(decoded)
            found["html entities"] += 1
    pieces.append(text[pos:])
    return "".join(pieces)


def _starts_word(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isalpha() or unicodedata.category(text[pos]).startswith("M"))


def _resolve_entity(name: str) -> str | None:
    if name.startswith("#"):
        return html.unescape(f"&{name};")
    if f"{name};" in html5:
        return html5[f"{name};"]
    canonical = _ENTITY_NAMES_FOLDED.get(f"{name.lower()};")
    return html5[canonical] if canonical else None


def strip_tags(text: str, found: Counter[str]) -> str:
    """Return `text` with markup removed, block ends turned into line breaks, counting in `found`."""
    if "<" not in text:
        return text
    text, comments = _COMMENT.subn("", text)
    found["html comments"] += comments
    text, dropped = _DROPPED_ELEMENT.subn("\n\n", text)
    found["script/style content"] += dropped
    return _TAG.sub(lambda match: _replace_tag(match, found), text)


def _replace_tag(match: re.Match[str], found: Counter[str]) -> str:
    name = match.group("name").lower()
    attrs = match.group("attrs")
    is_tag = (
        name in _KNOWN_TAGS
        # Bare words after a tag name ("a < b and c > d") are prose; real attributes carry a value.
        and (not attrs or "=" in attrs)
        and not (match.group("close") and attrs)
    )
    if not is_tag:
        return match.group(0)
    found["html tags"] += 1
    if name == "br":
        return "\n"
    if name == "li":
        return "" if match.group("close") else "\n- "
    if name in _BLOCK_TAGS:
        return "\n\n"
    if name in _CELL_TAGS:
        return " "
    return ""

"""The redact stage: replace personal data in a post with typed placeholders before it is stored.

Patterns find what has a shape (emails, phone, card, bank account and id numbers, street
addresses and postcodes, @handles); a name finder, when one is given, finds personal names.
Every candidate is checked before it is replaced: card numbers by their Luhn digit, IBANs by
their mod-97 check, phone numbers by their count of digits and by not being a date or a time.
The stage outputs the redacted text and title and how many of each kind it replaced, never
what it replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from earful.pipeline.stage import WorkItem

# The placeholder types, in the order overlapping finds are preferred (most specific first).
KINDS = ("EMAIL", "CARD", "ACCOUNT", "ID", "PHONE", "ADDRESS", "HANDLE", "NAME")

Span = tuple[int, int, str]
NameFinder = Callable[[str, str | None], Iterable[tuple[int, int]]]

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# 13-19 digits in groups separated by single spaces or dashes.
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_ACCOUNT_CUE = re.compile(
    r"(?i)\b(?:account(?:\s+(?:number|no\.?|#))?|acc(?:t|ount)?\.?(?:\s+(?:number|no\.?|#))?|a/c|routing(?:\s+(?:number|no\.?|#))?|"
    r"sort\s+code|clabe|cuenta(?:\s+(?:bancaria|n[uú]mero|n[ºo°]\.?))?|n[uú]mero\s+de\s+cuenta)"
    r"\s*(?:is|es|:|=|#)?\s*"
)
_DIGITS_AFTER_CUE = re.compile(r"\d(?:[ -]?\d){5,24}")
_EIGHTEEN = re.compile(r"(?<!\d)\d{18}(?!\d)")
_SORT_CODE = re.compile(r"(?<![\d-])\d{2}-\d{2}-\d{2}(?![\d-])")
_ID = re.compile(
    r"(?<![\w-])(?:\d{3}-\d{2}-\d{4}"  # US social security number
    r"|\d{8}[ -]?(?:[A-HJ-NP-TV-Z]|[a-hj-np-tv-z](?![a-z]))"  # Spanish DNI (letter in either case)
    r"|[A-Z]{6}\d{8}[HM]\d{3}"  # Mexican voter key (clave de elector)
    r"|[XYZ][ -]?\d{7}[ -]?[A-HJ-NP-TV-Z]"  # Spanish NIE
    r"|[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]"  # UK National Insurance number
    r")(?![\w-])"
)
_ID_CUE = re.compile(
    r"(?i)\b(?:licen[cs]e|licencia|carn[eé]t?|passport|pasaporte|ssn|dni|nie|curp|rfc|ine|dl|nss|"
    r"clave\s+de\s+elector)"
    r"(?:\s+(?:number|no\.?|#|n[uú]mero|de\s+conducir))?\s*(?:is|es|:|#)?\s*(?:(?:la|el|the)\s+)?"
)
_ID_AFTER_CUE = re.compile(r"[A-Z0-9](?:[ -]?[A-Z0-9]){5,19}(?![\w])")
_PHONE = re.compile(r"(?<![\w+-])(?:\+|00)?\(?\d[\d ().-]{6,18}\d(?![\w])")
# A local number without its area code ("555-0148") counts only right after a cue to call or text.
_PHONE_CUE = re.compile(
    r"(?i)\b(?:call|text|ring|phone|tel|cell|mobile|landline|llama(?:me)?|marca(?:me)?|"
    r"whats(?:app)?|móvil|celular|teléfono)\w*\s+(?:me\s+)?(?:on|at|al|en)?\s*:?\s*"
)
_LOCAL_NUMBER = re.compile(r"\d{3}[- ]\d{4}(?![\d-])")
_DATE_OR_TIME = re.compile(r"^(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)(?:\s.*)?$")
_STREET_EN = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|"
    r"Terrace|Close|Crescent|Cres|Parkway|Pkwy|Highway|Hwy|Square|Sq|Gardens|Grove|Row|Mews)"
)
# What may follow a street address: the town, and a UK, US, Spanish or Mexican postcode.
_TOWN_AND_CODE = (
    r"(?:,?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+){0,2}(?=,|\s+[A-Z]{1,2}\d|\s+\d{5}|,?\s+[A-Z]{2}\s+\d{5}))?"
    r"(?:,?\s+(?:[A-Z]{2}\s+)?\d{5}(?:-\d{4})?(?!\d)|,?\s+[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b)?"
)
_ADDRESS_EN = re.compile(
    r"(?:\b(?:Flat|Apt|Apartment|Unit)\s+\w+,?\s+(?:(?:[A-Z][\w'-]*\s+){1,3}(?:Court|House|Building|Lodge|"
    r"Mansions|Tower|Heights|Point),?\s+)?)?"
    r"\b\d{1,5}[A-Za-z]?\s+(?:(?:N|S|E|W|North|South|East|West)\.?\s+)?"
    r"(?:(?:[A-Z][\w'-]*|\d{1,3}(?:st|nd|rd|th))\.?\s+){1,4}" + _STREET_EN + r"\b\.?"
    r"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
    r"(?:,?\s+(?:Apt|Apartment|Unit|Suite|Flat|#)\.?\s*\w+)?" + _TOWN_AND_CODE
)
_PO_BOX = re.compile(
    r"\b(?:P\.?\s?O\.?\s+Box|Apartado(?:\s+de\s+correos)?|Apdo\.?)\s+\d{1,6}" + _TOWN_AND_CODE
)
# A Mexican neighbourhood ("Col. Roma Nte.", "Fracc. Las Quintas") and a town ("San Pedro Garza García").
_NEIGHBOURHOOD = (
    r"(?:Col(?:onia|\.)|Fracc(?:ionamiento|\.)|Barrio|Urb(?:anización|\.))\s+"
    r"(?:(?:de|del|la|las|los|el)\s+|[A-ZÁÉÍÓÚÑ][\wáéíóúñü]*\.?\s?){1,4}"
)
_PLACE = r"(?:CDMX|[A-ZÁÉÍÓÚÑ][\wáéíóúñü]+(?:\s+(?:de\s+|del\s+)?[A-ZÁÉÍÓÚÑ][\wáéíóúñü]+){0,3})"
_STREET_ES = (
    r"(?:Calle|C/|Avenida|Avda\.?|Av\.?|Paseo|Pº|Plaza|Pza\.?|Camino|Carrera|Calzada|Callej[oó]n|"
    r"Ronda|Traves[ií]a|Carretera|Ctra\.?|Privada|Priv\.|Cerrada|Cda\.|Andador|Boulevard|Blvd\.?|"
    r"Glorieta|Pasaje|Rambla|Vía)"
)
_ADDRESS_ES = re.compile(
    r"(?i:" + _STREET_ES + r")\s+(?:(?:de|del|la|las|los|el|y)\s+|[A-ZÁÉÍÓÚÑ0-9][\wáéíóúñü'.-]*\s*){1,6}?"
    r"(?:,?\s*(?:n[ºo°]\.?\s*|#\s*|número\s+)?\d{1,5}[A-Za-z]?)"
    r"(?:,?\s*(?:\d{1,2}\s*[ºª°]\s*(?:[A-Za-z]\b|izq(?:da|uierda)?\.?|dcha\.?|derecha|centro)?|piso\s+\d+|"
    r"puerta\s+\w+|int\.?\s*\w+|depto\.?\s*\w+|dpto\.?\s*\w+|esc(?:alera)?\.?\s*\w+|"
    r"bajo(?:\s+[A-Z]\b)?|entresuelo|ático|local\s+\w+))*"
    r"(?:,?\s*" + _NEIGHBOURHOOD + r")?"
    r"(?:,?\s*(?:C\.?\s?P\.?\s*)?\d{5}(?!\d)(?:,?\s+" + _PLACE + r")?)?"
    r"(?:,\s*" + _PLACE + r"(?:,\s*[A-Z][a-zA-Z]{0,4}\.(?:[A-Z]\.)?)?)?"
)
_COLONIA = re.compile(r"\b" + _NEIGHBOURHOOD + r"(?:,?\s*(?:C\.?\s?P\.?\s*)?\d{5}(?!\d))?")
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
_HANDLE = re.compile(
    r"(?<![\w@/])(?:@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])(?:@[\w.-]+\.[a-z]{2,})?|u/[A-Za-z0-9_-]{3,20})(?![\w@])"
)
# Names that a pattern can find without a model: after a title, or after "my name is".
_NAME_CUE = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Miss|Dr|Sr|Sra|Srta|Dña|Don|Doña)\.?\s+"
    r"|(?i:\bmy name is\s+|\bme llamo\s+|\bmi nombre es\s+|\bsoy\s+(?=[A-ZÁÉÍÓÚÑ])))"
    r"([A-ZÁÉÍÓÚÑ][a-záéíóúñü'-]+(?:\s+[A-ZÁÉÍÓÚÑ][a-záéíóúñü'-]+)?)"
)


def luhn_ok(digits: str) -> bool:
    """Tell whether a string of digits passes the Luhn check that payment card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def clabe_ok(digits: str) -> bool:
    """Tell whether 18 digits are a Mexican CLABE whose check digit holds."""
    if len(digits) != 18 or not digits.isdigit():
        return False
    weights = (3, 7, 1) * 6
    total = sum((int(d) * w) % 10 for d, w in zip(digits[:17], weights, strict=False))
    return (10 - total % 10) % 10 == int(digits[17])


def iban_ok(text: str) -> bool:
    """Tell whether `text` is an IBAN whose mod-97 check holds."""
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@dataclass(frozen=True, slots=True)
class Redaction:
    """Text with personal data replaced, and how many spans of each kind were replaced."""

    text: str
    counts: dict[str, int]


class Redactor:
    """Find and replace personal data. `public_handles` are accounts that may stay (brands, press)."""

    def __init__(self, public_handles: Sequence[str] = (), names: NameFinder | None = None) -> None:
        self._public = {h.lower().lstrip("@") for h in public_handles}
        self._names = names

    def spans(self, text: str, language: str | None = None) -> list[Span]:
        """Return the non-overlapping (start, end, kind) spans of personal data in `text`."""
        found: list[Span] = []
        found += [(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
        found += [(m.start(), m.end(), "CARD") for m in _CARD.finditer(text) if luhn_ok(_digits(m.group()))]
        found += [(m.start(), m.end(), "ACCOUNT") for m in _IBAN.finditer(text) if iban_ok(m.group())]
        found += list(self._cued(text, _ACCOUNT_CUE, _DIGITS_AFTER_CUE, "ACCOUNT"))
        found += [(m.start(), m.end(), "ACCOUNT") for m in _SORT_CODE.finditer(text)]
        found += [(m.start(), m.end(), "ACCOUNT") for m in _EIGHTEEN.finditer(text) if clabe_ok(m.group())]
        found += [(m.start(), m.end(), "ID") for m in _ID.finditer(text)]
        found += list(self._cued(text, _ID_CUE, _ID_AFTER_CUE, "ID"))
        found += [(m.start(), m.end(), "PHONE") for m in _PHONE.finditer(text) if _phone_like(m.group())]
        found += list(self._cued(text, _PHONE_CUE, _LOCAL_NUMBER, "PHONE"))
        found += [(m.start(), m.end(), "ADDRESS") for m in _ADDRESS_EN.finditer(text)]
        found += [(m.start(), m.end(), "ADDRESS") for m in _PO_BOX.finditer(text)]
        found += [(m.start(), m.end(), "ADDRESS") for m in _ADDRESS_ES.finditer(text)]
        found += [(m.start(), m.end(), "ADDRESS") for m in _COLONIA.finditer(text)]
        found += [(m.start(), m.end(), "ADDRESS") for m in _UK_POSTCODE.finditer(text)]
        found += [
            (m.start(), m.end(), "HANDLE")
            for m in _HANDLE.finditer(text)
            if m.group().lower().lstrip("@").split("@")[0] not in self._public
        ]
        found += [(m.start(1), m.end(1), "NAME") for m in _NAME_CUE.finditer(text)]
        if self._names is not None:
            found += [(start, end, "NAME") for start, end in self._names(text, language)]
        return _resolve(found)

    def redact(self, text: str, language: str | None = None) -> Redaction:
        """Return `text` with each span of personal data replaced by its `[KIND]` placeholder."""
        spans = self.spans(text, language)
        counts: dict[str, int] = {}
        pieces: list[str] = []
        at = 0
        for start, end, kind in spans:
            pieces.append(text[at:start])
            pieces.append(f"[{kind}]")
            counts[kind] = counts.get(kind, 0) + 1
            at = end
        pieces.append(text[at:])
        return Redaction("".join(pieces), counts)

    @staticmethod
    def _cued(text: str, cue: re.Pattern[str], value: re.Pattern[str], kind: str) -> Iterable[Span]:
        for m in cue.finditer(text):
            hit = value.match(text, m.end())
            if hit and any(ch.isdigit() for ch in hit.group()):
                yield hit.start(), hit.end(), kind


def _phone_like(candidate: str) -> bool:
    digits = _digits(candidate)
    if not 9 <= len(digits) <= 15:
        return False
    if _DATE_OR_TIME.match(candidate.strip("() ")):
        return False
    # A price or a quantity with decimals ("1.250.000") has groups of exactly three after the first.
    groups = re.split(r"[ .()-]+", candidate.strip("+() "))
    international = candidate.startswith(("+", "00"))
    return international or "." not in candidate or not all(len(g) == 3 for g in groups[1:])


def _resolve(found: list[Span]) -> list[Span]:
    """Keep non-overlapping spans: longer first, then the more specific kind."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    chosen: list[Span] = []
    for span in sorted(found, key=lambda s: (-(s[1] - s[0]), rank[s[2]], s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def default_redactor(public_handles: Sequence[str] = ()) -> Redactor:
    """Return the redactor the chain uses: every pattern, and the shipped name model (which reads
    the list-and-cue rules' verdict as one of its inputs)."""
    from earful.ml.name_tagger import shipped

    return Redactor(public_handles, names=shipped())


class RedactStage:
    """Replace personal data in the text and title with typed placeholders."""

    name = "redact"
    version = 3

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return the redacted text and title, and how many of each kind were replaced."""
        language = item.fields.get("language") or item.language_hint
        body = self._redactor.redact(item.text, language)
        counts = dict(body.counts)
        title = None
        if item.title:
            head = self._redactor.redact(item.title, language)
            title = head.text
            for kind, n in head.counts.items():
                counts[kind] = counts.get(kind, 0) + n
        return {"text": body.text, "title": title, "redactions": counts}


_MARK = re.compile(r"\{(" + "|".join(KINDS) + r"):([^{}]*)\}")


def parse_marked(line: str) -> tuple[str, list[Span]]:
    """Read a sentence with its personal data marked inline, `{KIND:text}`: return text and spans.

    This is the format of the PII test set (tests/data/pii/sentences.txt); anyone can write one
    for their own data and measure the redactor on it (`bench/pii_redaction.py --file`).
    """
    text: list[str] = []
    spans: list[Span] = []
    at = 0
    length = 0
    for m in _MARK.finditer(line):
        before = line[at : m.start()]
        text.append(before)
        length += len(before)
        spans.append((length, length + len(m.group(2)), m.group(1)))
        text.append(m.group(2))
        length += len(m.group(2))
        at = m.end()
    text.append(line[at:])
    plain = "".join(text)
    if "{" in plain or "}" in plain:
        raise ValueError(f"unbalanced or unknown marking in: {line!r}")
    return plain, spans

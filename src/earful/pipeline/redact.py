"""The redact stage: replace personal data in a post with typed placeholders before it is stored.

Patterns find what has a shape (emails, phone, card, bank account and id numbers, street
addresses and postcodes, @handles); a name finder, when one is given, finds personal names.
Every candidate is checked before it is replaced: card numbers by their Luhn digit and grouping,
IBANs by their mod-97 check, phone numbers by their count of digits, by not being a date, a time,
an IP address or a price, and by the words before them ("call me on" against "order"). A street
address is found by its street (number and suffix, in the orders of many countries) and then
takes the unit, town, state, postcode and country after it, across commas and line breaks.
Addresses as people type them in posts are found too: small letters, no commas, a flat or unit
before the house number, numbered roads, PO boxes and rural routes, a dorm room, a cross-street given
as where someone is, Latin American blocks and lots, colonias and "entre calles"; the Spanish forms
in small letters unless the post is known to be English.
The stage outputs the redacted text and title and how many of each kind it replaced, never
what it replaced.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    r"(?i)\b(?:account(?:\s+(?:number|no\.?|#))?|acc(?:t|ount)?\.?(?:\s+(?:number|no\.?|#))?|a/c"
    r"|routing(?:\s+(?:number|no\.?|#))?|"
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


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _either(words: Iterable[str]) -> str:
    """One alternation of literal words, longest first so that "Streets" is tried before "Street"."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w))) + ")"


# --- Phone numbers ---------------------------------------------------------------------------------
# An extension: "x123", " ext. 45", "extension 12", "anexo 3".
_EXT = r"(?:[ \t]*(?:x|ext|extn|extension|ext:|anexo|ext\.:?)[ \t]*\.?[ \t]*\d{1,6})"
# Digits with spaces, dots, dashes and brackets, after an optional "+", "00" or "(+57)"; the
# bounded run keeps the search linear.
_PHONE = re.compile(
    r"(?<![\w+/.,-])(?:\(\+\d{1,3}\)[ \t]?|\+[ \t]?|00[ \t]?)?\(?\d[\d ().-]{4,20}\d" + _EXT + r"?(?![\w])"
)
_PHONE_CUE = re.compile(
    r"(?i)(?:\b(?:call|calling|called|text|texted|ring|dial|phone|phones|tel|telephone|cell|cellphone|"
    r"mobile|mob|landline|fax|number|no|whats\s?app|sms|reach|contact|hotline|helpline|line|office|"
    r"ll[aá]m\w*|marc\w*|tel[eé]fono|tfno|tlf|m[oó]vil|cel|celular|n[uú]mero|fijo|centralita|contacto|"
    r"escr[ií]be\w*|mensaje)\b\.?)"
)
# Words before a number that say it is something else: an order, a reference, a code, a price.
_NOT_PHONE_CUE = re.compile(
    r"(?i)(?:\b(?:order|orders|pedido|ref|refs|reference|referencia|tracking|track|seguimiento|invoice|"
    r"factura|case|ticket|serial|sn|batch|lote|folio|confirmation|booking|reserva|transaction|"
    r"transacci[oó]n|id|isbn|sku|model|modelo|account|acct|cuenta|routing|iban|card|tarjeta|code|"
    r"c[oó]digo|pin|badge|page|pages|p[aá]ginas?|flight|vuelo|gu[ií]a|receipt|recibo|item|art[ií]culo|"
    r"part|pieza|bus|route|ruta|vin|plate|placa|matr[ií]cula|version|build|v|room|gate|locker|"
    r"score|marcador|zip|postcode|cp)\b(?:[ \t]+(?:number|no\.?|num|n[uú]mero|#))?|[#$€£%])"
)
_DATE_OR_TIME = re.compile(r"^(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)(?:\s.*)?$")
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_LOCAL = re.compile(r"[2-9]\d{2}[-.]\d{4}")
# A count of things after a number ("250-1000 words") says it is not a phone number.
_UNIT_AFTER = re.compile(
    r"[ \t]*(?i:words|people|pages|km|kms|miles|kg|lbs?|dollars|usd|eur|euros|pesos|mxn|items|"
    r"stops|parcels|paquetes|orders|pedidos|boxes|cajas|units|points|pts|years|a[nñ]os|steps|calories|"
    r"kcal|followers|views|likes)\b|[ \t]*%"
)
_EN_DIGITS = ("zero", "oh", "o", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ES_DIGITS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")
_DIGIT_WORD = r"(?:(?:double|triple|doble|triple)[ \t]+)?" + _either(_EN_DIGITS + _ES_DIGITS) + r"\b"
# Seven or more digits said as words ("five five five oh one four two"), after a cue to call.
_SPOKEN = re.compile(r"(?i)\b" + _DIGIT_WORD + r"(?:[ \t]*[,.-]?[ \t]+" + _DIGIT_WORD + r"){6,15}")


# Counting aloud is not a number: "one two three four five six seven".
_COUNTING = {
    " ".join(words[i : i + n])
    for words in (_EN_DIGITS[2:], _ES_DIGITS)
    for n in range(7, 11)
    for i in range(len(words) - n + 1)
}


def _phones(text: str) -> Iterable[tuple[int, int]]:
    for m in _PHONE.finditer(text):
        if _phone_ok(text, m.start(), m.group()):
            yield m.start(), m.end()
    for m in _SPOKEN.finditer(text):
        words = re.findall(r"[^\W\d_]+", m.group().lower())
        counting = " ".join(words) in _COUNTING
        if _phone_cue(text, m.start(), 60) > 0 or (len(words) >= 7 and not counting):
            yield m.start(), m.end()


def _phone_cue(text: str, start: int, reach: int = 32) -> int:
    """+1 when a cue to call comes last before `start`, -1 when one that says "not a phone", else 0."""
    window = text[max(0, start - reach) : start]
    window = window[window.rfind("\n") + 1 :]
    good = [m.end() for m in _PHONE_CUE.finditer(window)]
    bad = [m.end() for m in _NOT_PHONE_CUE.finditer(window)]
    if not good and not bad:
        return 0
    return 1 if max(good, default=-1) > max(bad, default=-1) else -1


def _phone_ok(text: str, start: int, candidate: str) -> bool:
    core = re.split(r"(?i)[ \t]*(?:x|ext|extn|extension|anexo)", candidate, maxsplit=1)[0]
    digits = _digits(core)
    international = candidate.startswith(("+", "00", "(+"))
    cue = _phone_cue(text, start)
    if cue < 0:
        return False
    end = start + len(candidate)
    # The line around the number, looked at no further than 40 characters either side.
    head = text[max(0, start - 40) : start]
    head = head[head.rfind("\n") + 1 :]
    rest = text[end : end + 40].split("\n", 1)[0]
    if not head.strip() and not rest.strip() and (start < 40 or "\n" in text[start - 40 : start]):
        cue = 1  # a number alone on its line, as in a signature or a contact block
    before = head.split()
    token = before[-1] if before else ""
    if token and any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
        return False  # the tail of a code such as "1Z 999 AA1 01 2345 6784"
    if _DATE_OR_TIME.match(core.strip("() ")) or _IP.fullmatch(core):
        return False
    if _UNIT_AFTER.match(text, end):
        return False
    if re.fullmatch(r"\d{2,4}-\d{2,5}", core) and core.endswith("0") and core.split("-")[0].endswith("0"):
        return False  # a range such as 100-2000
    # A price or a quantity with decimals ("1.250.000") has groups of exactly three after the first.
    groups = re.split(r"[ .()-]+", core.strip("+() "))
    decimals = "." in core and all(len(g) == 3 for g in groups[1:])
    if not international and decimals and len(groups[0]) <= 3 and not groups[0].startswith("0"):
        return False
    if re.fullmatch(r"\d+[.,]\d{2}", core):
        return False  # a price
    if candidate.startswith("00") and len(digits) < 10:
        international = False
    if 9 <= len(digits) <= 15 or (international and 7 <= len(digits) <= 15):
        return True
    if cue > 0 and 6 <= len(digits) <= 8:
        return True
    # A seven-digit local number ("555-0178") stands on its own.
    return len(digits) == 7 and _LOCAL.fullmatch(core.strip("() ")) is not None


# --- Street addresses --------------------------------------------------------------------------------
# The street suffixes of the USPS list (C1), in full and abbreviated, and the UK, Irish, Australian
# and Indian ones that list lacks.
_SUFFIXES = """
Alley Allee Aly Annex Anex Annx Anx Arcade Arc Avenue Av Ave Aven Avenu Avn Avnue Bayou Bayoo Byu Beach Bch
Bend Bnd Bluff Bluf Blf Bluffs Blfs Bottom Bot Btm Bottm Boulevard Blvd Boul Boulv Branch Br Brnch Bridge
Brdge Brg Brook Brk Brooks Brks Burg Bg Burgs Bgs Bypass Bypa Bypas Byps Byp Camp Cp Cmp Canyon Canyn Cnyn
Cyn Cape Cpe Causeway Causwa Cswy Center Cen Cent Centr Centre Cnter Cntr Ctr Centers Ctrs Circle Circ Circl
Crcl Crcle Cir Circles Cirs Cliff Clf Cliffs Clfs Club Clb Common Cmn Commons Cmns Corner Cor Corners Cors
Course Crse Court Ct Courts Cts Cove Cv Coves Cvs Creek Crk Crescent Cres Crsent Crsnt Crest Crst Crossing
Crssng Xing Crossroad Xrd Crossroads Xrds Curve Curv Dale Dl Dam Dm Divide Div Dv Dvd Drive Driv Drv Dr
Drives Drs Estate Est Estates Ests Expressway Exp Expr Express Expw Expy Extension Ext Extn Extnsn
Extensions Exts Fall Falls Fls Ferry Frry Fry Field Fld Fields Flds Flat Flt Flats Flts Ford Frd Fords Frds
Forest Forests Frst Forge Forg Frg Forges Frgs Fork Frk Forks Frks Fort Frt Ft Freeway Freewy Frway Frwy
Fwy Garden Gardn Grden Grdn Gdn Gardens Grdns Gdns Gateway Gatewy Gatway Gtway Gtwy Glen Gln Glens Glns Green
Grn Greens Grns Grove Grov Grv Groves Grvs Harbor Harb Harbr Hrbor Hbr Harbors Hbrs Haven Hvn Heights Ht
Hts Highway Highwy Hiway Hiwy Hway Hwy Hill Hl Hills Hls Hollow Hllw Holw Hollows Holws Inlet Inlt Island
Is Islnd Islands Islnds Iss Isle Isles Junction Jction Jctn Junctn Juncton Jct Junctions Jctns Jcts Key Ky
Keys Kys Knoll Knol Knl Knolls Knls Lake Lk Lakes Lks Land Landing Lndng Lndg Lane Ln Light Lgt Lights
Lgts Loaf Lf Lock Lck Locks Lcks Lodge Ldge Lodg Ldg Loop Loops Mall Manor Mnr Manors Mnrs Meadow Mdw
Meadows Mdws Medows Mews Mill Ml Mills Mls Mission Missn Mssn Msn Motorway Mtwy Mount Mnt Mt Mountain
Mntain Mntn Mountin Mtin Mtn Mountains Mntns Mtns Neck Nck Orchard Orchrd Orch Oval Ovl Overpass Opas Park
Prk Parks Parkway Parkwy Pkway Pky Pkwy Parkways Pkwys Pass Passage Psge Path Paths Pike Pikes Pine Pne
Pines Pnes Place Pl Plain Pln Plains Plns Plaza Plz Plza Point Pt Points Pts Port Prt Ports Prts Prairie
Prr Pr Radial Rad Radiel Radl Ramp Ranch Ranches Rnch Rnchs Rapid Rpd Rapids Rpds Rest Rst Ridge Rdge Rdg
Ridges Rdgs River Rvr Rivr Riv Road Rd Roads Rds Route Rte Row Rue Run Shoal Shl Shoals Shls Shore Shoar
Shr Shores Shoars Shrs Skyway Skwy Spring Spng Sprng Spg Springs Spngs Sprngs Spgs Spur Spurs Square Sqr
Sqre Squ Sq Squares Sqrs Sqs Station Statn Stn Sta Stravenue Strav Straven Stravn Strvn Strvnue Stra Stream
Streme Strm Street Strt Str St Streets Sts Summit Sumit Sumitt Smt Terrace Terr Ter Throughway Trwy Trace
Traces Trce Track Tracks Trak Trk Trks Trafficway Trfy Trail Trails Trl Trls Trailer Trlr Trlrs Tunnel
Tunel Tunls Tunnels Tunnl Tunl Turnpike Trnpk Turnpk Tpke Underpass Upas Union Un Unions Uns Valley Vally
Vlly Vly Valleys Vlys Viaduct Vdct Viadct Via Vis View Vw Views Vws Village Vill Villag Villg Villiage Vlg
Villages Vlgs Ville Vl Vista Vist Vst Vsta Walk Walks Wall Way Wy Ways Well Wl Wells Wls
Close Cl Gardens Mews Row Terrace Walk Wynd Yard Rise Vale Parade Pde Approach App Circus Embankment Gate
Quay Wharf Croft Chase Fold Garth Drove Esplanade Esp Promenade Prom Circuit Cct Cul-de-sac Pathway Reserve
Meander Lees Grange Glade Retreat Concourse Boardwalk Broadway Byway Courtyard Crossway Dell Driveway Elbow
Entrance Fairway Footway Frontage Highroad Laneway Link Lookout Mead Nook Outlook Parklands Piazza Plateau
Quadrant Ramble Reach Ridgeway Riverway Slope Strand Strip Tollway Towers Track Walkway Nagar Marg Chowk
Ganj Zila Colony Layout Bagh Peth Enclave Vihar Puram Palya Salai Gully Gap Anchorage Tarn Corso Distributor
Foreshore Deviation Copse Artery Alleyway Amble Arterial Basin Bend Brae Brow Centreway Circlet Colonnade
Cruiseway Cutting Entrance Firetrail Formation Glade Interchange Intersection Meander Mew Parklands Quays
Ridgeway Riviera Roadside Roadway Ronde Rosebowl Rotary Siding Tarn Thoroughfare Trunkway Wade Villas Lower
Upper Dip Ring Top Stairs Steps Gates Quad Access Lorong Lor
"""
_SUFFIX_WORDS = _words(_SUFFIXES)
# A suffix in full may be in capitals or not; an abbreviation only as written ("St", "ST", "Ave").
_FULL = tuple(w for w in _SUFFIX_WORDS if len(w) >= 5 or w in {"Way", "Row", "Run", "Via", "Key", "Mall"})
_SHORT = tuple(w for w in _SUFFIX_WORDS if w not in _FULL)
_SUFFIX = (
    "(?:(?i:" + _either(_FULL) + ")|" + _either(_SHORT + tuple(w.upper() for w in _SHORT)) + ")"
    r"(?![\w'’-])\.?"
)
_HOUSE = r"\d{1,6}[A-Za-z]?(?:[ \t]?[-/][ \t]?\d{1,5}[A-Za-z]?)?(?:[ \t]*½|[ \t]+(?:bis|ter|1/2))?"
_DIRECTION = r"(?:N|S|E|W|NE|NW|SE|SW|N\.E\.|N\.W\.|S\.E\.|S\.W\.|North|South|East|West)\.?"
# A word of a street's name: capitalised, an ordinal ("14th"), or an initial.
_NAME_WORD = (
    r"(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|(?:de|van|von|du|da|di|del|la|le)(?=[ \t]+[A-Z])"
    r"|\d{1,3}(?:st|nd|rd|th|ST|ND|RD|TH)|O['’][A-Z]\w*)"
)
_LINK = (
    r"(?:de|del|la|las|los|el|y|of|the|on|upon|in|sur|sous|les|le|du|des|am|an|der|den|im|vorm|d['’]|l['’])"
)
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
# A town: capitalised words with "de", "upon", "vorm" and the like between them; "Dublin 2".
_TOWN = (
    _CAP + r"(?:[ \t]+(?:" + _LINK + r"[ \t]+)*" + _CAP + r"){0,3}"
    r"(?:[ \t]+(?:los|las)[ \t]+(?:altos|bajos))?(?:[ \t]+\d{1,2}(?=[ \t]*,))?"
)
_STATE = r"(?:[A-Z]{2,5}|[A-Z][a-z]{1,4}\.|(?:[A-Z]\.){2,3})"
# Postcodes with letters: UK, Canada, Ireland (Eircode), Netherlands, Argentina.
_POST_ALNUM = (
    r"(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|(?:[A-Z]\d{2}|D6W)[ \t]?[0-9A-Z]{4}"
    r"|\d{4}[ \t]?[A-Z]{2}|[A-Z]\d{4}[A-Z]{0,3})(?![\w-])"
)
# Postcodes of digits: US ZIP and ZIP+4, five digits (DE, FR, ES, MX...), Brazil, Sweden, four (AU,
# NL...), Portugal, six (IN, CO), Poland; never followed by more digits (that is a phone number).
_POST_NUM = (
    r"(?:\d{5}(?:-\d{4}|-\d{3})?|\d{3}[ \t]\d{2}|\d{4}(?:-\d{3})?|\d{6}|\d{2}-\d{3})"
    r"(?![\w-])(?![ \t]*\d)"
)
_POSTCODE = r"(?:(?:(?i:c\.?[ \t]?p)\.?|PLZ|Pin|PIN)[ \t]*:?[ \t]*)?(?:" + _POST_ALNUM + "|" + _POST_NUM + ")"
_SEP = r"(?:[ \t]*[,;]?[ \t]*\n[ \t]*|[ \t]*[,;][ \t]*)"  # a comma, a line break, or both
_SEP_ANY = r"(?:" + _SEP + r"|[ \t]+)"
_UNIT_WORD = (
    r"(?i:apt|apartment|apts|suite|ste|unit|flat|floor|fl|level|lvl|room|rm|bldg|building|lot|space|"
    r"trailer|office|pmb|piso|puerta|pta|depto|dpto|departamento|dept|int|interior|edif|edificio|casa|"
    r"torre|apto|apartamento|local|oficina|bodega|etapa|esc|escalera|bloque|portal|mz|mza|manzana|lt|lote"
    r"|parcela|"
    r"étage|etage|bât|bat|wohnung|whg|studio|dock|bay|app|appt)"
)
_UNIT_ID = (
    r"(?:#[ \t]*)?(?:\d[\w-]{0,5}|[A-Za-z]\d[\w-]{0,4}|[A-Za-z](?![\w])"
    r"|(?i:izq(?:da|uierda)?|izda|dcha|derecha)\.?(?![\w]))"
)
_TAIL_UNIT = re.compile(
    _SEP_ANY
    + r"(?:"
    + _UNIT_WORD
    + r"(?![^\W\d_])\.?[ \t]*(?:n[º°o]\.?[ \t]*)?"
    + _UNIT_ID
    + r"(?:[ \t]+(?i:apartamento|apto\.?|depto\.?|int\.?)[ \t]*\w{1,5})?"
    r"|#[ \t]?[\w-]{1,6}"
    r"|\d{1,2}[ \t]*[ºª°](?:[ \t]*(?:[A-Za-z](?![\w])|(?i:izq(?:da|uierda)?\.?|izda\.?|dcha\.?|derecha"
    r"|centro)))?"
    r"|(?i:bajo|entresuelo|ático|principal)(?:[ \t]+[A-Z](?![\w]))?"
    r"|\d{1,3}(?:st|nd|rd|th)[ \t]+(?i:floor))"
)
_TAIL_DIRECTION = re.compile(
    r"[ \t]+(?:[NS]\.[EW]\.|NW|NE|SW|SE|N|S|E|W|North|South|East|West|Norte|Sur|Este|Oeste|Bis|Oriente"
    r"|Poniente"
    r"|nw|ne|sw|se|n|s|e|w|north|south|east|west|norte|sur|oeste|bis|oriente|poniente)(?![\w'’/])\.?"
)
# "Town, ST 12345", "Town\nW88 6FJ", "Town-833788", "Town, TAS, 2502".
_TAIL_TOWN_CODE = re.compile(
    _SEP_ANY + _TOWN + r"(?:[ \t]*,?[ \t]*\n?[ \t]*" + _STATE + r")??"
    r"(?:[ \t]*,?[ \t]*\n?[ \t]*|[ \t]*-[ \t]*)" + _POSTCODE
)
# "10115 Berlin", "1016 DV Amsterdam", "C.P. 06700, CDMX", "F83 7022 Caroline Ville".
_TAIL_CODE_TOWN = re.compile(
    r"(?:" + _SEP + _POSTCODE + r"|[ \t]+" + _POST_ALNUM + r")(?:[ \t]*,?[ \t]*" + _TOWN + r")?"
)
_TAIL_CODE = re.compile(_SEP + _POSTCODE)
# "..., Dublin 7." at the end of a sentence.
_TAIL_TOWN = re.compile(r"[ \t]*,[ \t]*" + _TOWN + r"(?:[ \t]+\d{1,2}(?=[ \t]*(?:[;!?)\n]|\.(?!\d)|$)))?")
# After a postcode, the town on the same line or the next: "10115 Berlin", "5907JO\nHasselt".
_TAIL_AFTER_CODE = re.compile(r"(?:[ \t]*\n[ \t]*|[ \t]*,?[ \t]+)" + _TOWN)
_ENDS_WITH_CODE = re.compile(r"(?<![\w-])(?:" + _POST_ALNUM + "|" + _POST_NUM + r")$")
_TAIL_STREET = re.compile(_SEP + r"(?:" + _NAME_WORD + r"[ \t]+){1,3}" + _SUFFIX)
# A street's or a tower's own number, before a comma and a capital or a unit: Singapore's "Ang Mo Kio Ave
# 3 #05-67", "Asia Square Tower 1, Singapore".
_TAIL_STREET_NUMBER = re.compile(
    r"[ \t]+\d{1,3}[A-Za-z]?(?![\w])(?=[ \t]*,[ \t]*(?:#|[A-Z])|[ \t]*,?[ \t]*#[ \t]?\d{1,3}-\d)"
)
# Singapore's postcode, after a tower or a mall and its number: "Suntec Tower 5 Singapore 038985".
_TAIL_SINGAPORE = re.compile(
    _SEP_ANY
    + r"(?:"
    + _TOWN
    + r"[ \t]+\d{1,3}[ \t]*,?[ \t]*)?(?:Singapore|SINGAPORE|S(?=\(?\d))[ \t]*\(?\d{6}\)?(?![\w])"
)
# A village or a suburb on a line of its own, when a town and its postcode follow on the next:
# "9 Orchard Way\nLower Slaughter\nCheltenham\nGL54 2EP".
_TAIL_TOWN_LINE = re.compile(
    r"[ \t]*,?[ \t]*\n[ \t]*"
    + _TOWN
    + r"(?=[ \t]*,?[ \t]*\n[ \t]*"
    + _TOWN
    + r"[ \t]*,?[ \t]*\n?[ \t]*"
    + _POSTCODE
    + ")"
)
_TAIL_NUMBER = re.compile(r"[ \t]+\d{1,4}(?![\w:/-]|[.,]\d)(?![ \t]*\d)")
_TAIL_COUNTRY = re.compile(
    r"[ \t]*,[ \t]*(?:USA|U\.S\.A?\.|US|UK|U\.K\.|Canada|Australia|Ireland|India|Germany|Deutschland|France|"
    r"Nederland|Netherlands|España|Spain|México|Mexico|Colombia|Argentina|Chile|United[ \t]+States(?:[ \t]+of"
    r"[ \t]+America)?|United[ \t]+Kingdom|New[ \t]+Zealand|South[ \t]+Africa|Singapore|Hong[ \t]+Kong"
    r"|Philippines|Malaysia|Nigeria|Kenya|Uganda|Ghana|Pakistan)(?![\w])"
)

# Number first: "12 Elm Street", "233 E 14th St Apt 5C", "90/69, Mallick Path", "12\nElm Street".
_NUMBER_FIRST = re.compile(
    r"(?<![\w/.,:$€£-])" + _HOUSE + r"(?:[ \t]*,)?(?:[ \t]+|[ \t]*\n[ \t]*)(?:" + _DIRECTION + r"[ \t]+)?"
    r"(?:" + _NAME_WORD + r"[ \t]+){1,4}" + _SUFFIX
)
# In small letters: "12 elm street", "4 oak rd"; not "12 hour drive" nor "20 mins down the road".
_LOWER_STOP = (
    r"(?:hour|hours|hr|hrs|min|mins|minute|minutes|mile|miles|km|block|blocks|day|days|week|weeks|way|lane|"
    r"lanes|car|cars|story|storey|stop|stops|more|of|the|to|on|in|at|down|up|a|an|and|or|for|from|by|my|"
    r"your|our|their|his|her|its|per|times|x|is|was|are|were|be|been|it|this|that|with|into|onto|off|"
    r"out|over|across|along|past|through|near|next|same|one|two|three|four|five|six|seven|eight|nine|ten|"
    # Counts and sizes, and the words that say "a right way", "a flash drive", "a 5 star place".
    r"right|wrong|best|other|only|hard|flash|test|star|stars|points|goals|votes|games|second|seconds|secs|"
    r"percent|people|kids|guys|bucks|dollars|euros|pounds|feet|ft|inches|yards|meters|metres|degrees|am|pm|"
    r"lbs|kg|mph|you|we|they|he|she|me|us|him|them|so|but|not|no|all|any|some|just|like|as|if|than|then)"
)
# Suffixes that count in small letters; "plz" (please), "row" (front row) and "park" do not.
_LOWER_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|terrace|terr|ter|crescent"
    r"|cres|"
    r"close|cl|parkway|pkwy|place|pl|way|loop|square|sq|parade|pde|circle|cir|highway|hwy|trail|trl|pike|"
    r"mews|grove|expressway|expy|"
    # Typed in a hurry: "bleeker stret", "grenvile avenu", "larch grv".
    r"stret|streat|sreet|steet|avenu|aveune|avnue|raod|grv|cresent|crt)"
)
_LOWER_DIRECTION = r"(?:n|s|e|w|ne|nw|se|sw|north|south|east|west)\.?"
_NUMBER_FIRST_LOWER = re.compile(
    r"(?<![\w/.,:$€£#-])" + _HOUSE + r"[ \t]+(?:" + _LOWER_DIRECTION + r"[ \t]+)?"
    r"(?:(?:(?!(?i:"
    + _LOWER_STOP
    + r")\b)[A-Za-z][a-z'’-]+|st\.|\d{1,3}(?:st|nd|rd|th))[ \t]+){1,3}"
    + _LOWER_SUFFIX
    + r"\b\.?"
)
# A numbered road: "5870 state route 37", "4512 county road 12", "1010 hwy 61 n".
_NUMBER_ROAD = re.compile(
    r"(?<![\w/.,:$€£#-])\d{1,6}[A-Za-z]?[ \t]+(?i:(?:county|state|us|u\.s\.|farm[ \t]+to[ \t]+market|ranch"
    r"|rural)"
    r"[ \t]+(?:road|rd|route|rte|highway|hwy)|co\.?[ \t]+rd|highway|hwy|route|rte)\.?[ \t]*\d{1,4}[A-Za-z]?"
    r"(?![\w.,:/-])(?:[ \t]+(?:[NSEWnsew]|(?i:north|south|east|west))(?![\w'’]))?"
)
# A British street named with "the": "9 the crescent", "14 The Parade".
_NUMBER_THE = re.compile(
    r"(?<![\w/.,:$€£#-])\d{1,5}[A-Za-z]?[ \t]+(?i:the)[ \t]+(?i:crescent|close|parade|avenue|drive|mall"
    r"|terrace|"
    r"mews|square|circle|boulevard|broadway|strand|esplanade|promenade|paddock|croft|glebe|grove|chase"
    r"|circuit|"
    r"spinney|causeway|quadrant)(?![\w'’-])"
)
# A number, a direction with its dot and one word: "40 n. main", "905 W. Alder".
_NUMBER_DIRECTION_WORD = re.compile(
    r"(?<![\w/.,:$€£#-])\d{1,6}[A-Za-z]?[ \t]+[NSEWnsew]\.[ \t]*[A-Za-z][a-z]{2,}(?![\w'’-])"
)
# Utah's grid and a numbered street after its direction: "1350 E 300 S", "1209 e 5th", "415 E 71st".
_NUMBER_GRID = re.compile(
    r"(?<![\w/.,:$€£#-])\d{1,6}[A-Za-z]?[ \t]+(?:[NSEW][ \t]+\d{1,4}[ \t]+[NSEW](?![\w'’/-])"
    r"|[NSEWnsew]\.?[ \t]*\d{1,3}(?:st|nd|rd|th)(?![\w'’-]))"
)
# A street named in one word: "88 Broadway", "12 Kingsway".
_NUMBER_ONE_WORD = re.compile(
    r"(?<![\w/.,:$€£#-])\d{1,5}[A-Za-z]?[ \t]+(?:Broadway|Kingsway|Queensway|Bowery|Strand)(?![\w'’-])"
)
# Quebec's types, first after the number, in any case: "4400 Boul. Saint-Laurent", "14 rue st-denis".
_NUMBER_QUEBEC = re.compile(
    r"(?<![\w/.,:$€£#-])\d{1,5},?[ \t]+(?i:rue|rua|boul\.?|boulevard|chemin|ch\.|rang|mont[ée]e)[ \t]+"
    r"(?:(?i:de|du|des|la|le|st|ste|saint|sainte)[ \t]+)?[A-Za-zÀ-ÿ][\w'’.-]{1,30}"
    r"(?:[ \t]+[A-Z][\w'’-]{1,30})?"
)
# A street named with its number in words, only when a floor, a town or a postcode follows (checked
# where it is used): "One Kestrel Plaza, 8th Floor, Hartford, CT 06103"; not "One Tree Hill".
_SPELLED_FIRST = re.compile(
    r"(?<![\w'’-])(?:One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)[ \t]+"
    r"(?:" + _NAME_WORD + r"[ \t]+){1,3}" + _SUFFIX
)
# A house number and one or two words in small letters, without a street type, when a town and its
# postcode follow: "56 kingsway, hove bn3 2wj", "27 woodland rise, sheffield s10 4ed".
_NUMBER_WORDS_THEN_CODE = re.compile(
    r"(?<![\w/.,:$€£#-])\d{1,5}[A-Za-z]?[ \t]+(?:(?!(?i:" + _LOWER_STOP + r")\b)[a-z][a-z'’-]{2,20}[ \t]+)?"
    r"(?!(?i:" + _LOWER_STOP + r")\b)[a-z][a-z'’-]{2,20}(?=[ \t]*,)"
)
# Words before a number that say it is no house number: "exit 14 route 9", "bus 42".
_NOT_HOUSE_BEFORE = re.compile(
    r"(?i:\b(?:exit|exits|bus|gate|route|rte|highway|hwy|interstate|platform|junction|jct|page|room|version|"
    r"level|chapter|season|episode|no|number|aisle|seat|row|track|line)[ \t]*#?[ \t]*)$"
)
# A street type that comes first, after the number: "14 Via Del Mar", "500 Camino Real".
_NUMBER_TYPE_FIRST = re.compile(
    r"(?<![\w/.,:$€£-])" + _HOUSE + r"[ \t]+(?:Via|Calle|Camino|Paseo|Avenida|Rue|Avenue[ \t]+of[ \t]+the)"
    r"(?:[ \t]+(?:" + _LINK + r"[ \t]+)*" + _CAP + r"){1,3}"
)
# French: "12 rue de la Paix", "825, boulevard de François", "3 bis allée des Pins".
_FR_TYPE = (
    r"(?:(?i:rue|allée|allees|impasse|chemin|quai|voie|sentier|rond-point|faubourg|montée|cité|résidence|"
    r"hameau|parvis|ruelle|traverse|bd)|avenue|av\.|boulevard|place|route|cours|passage|square|villa|"
    r"promenade|esplanade)"
)
_FR_LINK = r"(?:de|du|des|la|le|les|aux|au|à|sur|en|et)"
_FRENCH = re.compile(
    r"(?<![\w/.,:$€£-])\d{1,5}(?:[ \t]?(?:bis|ter|quater|[A-C](?![\w])))?,?[ \t]+"
    + _FR_TYPE
    + r"(?:[ \t]+(?:"
    + _FR_LINK
    + r"[ \t]+)*(?:[dl]['’])?"
    + _CAP
    + r"){1,4}"
)
# A French street without a number, then its postcode and town: "rue Honoré Albert\n34190 Maillard".
_FRENCH_NO_NUMBER = re.compile(
    r"(?<![\w])" + _FR_TYPE + r"(?:[ \t]+(?:" + _FR_LINK + r"[ \t]+)*(?:[dl]['’])?" + _CAP + r"){1,4}"
    r"(?=" + _SEP + r"\d{5}[ \t]+[A-ZÀ-Þ])"
)
# Name and suffix in one word, then the number: "Hauptstraße 12", "Keizersgracht 221", "Storgata 14B".
_COMPOUND = _words(
    "straße strasse str. gasse weg platz allee ring damm ufer chaussee steig pfad markt hof graben zeile "
    "stieg kamp twiete brücke promenade straat laan plein gracht kade singel steeg dijk dreef pad "
    "plantsoen boulevard baan wal haven gatan gata gate vägen väg veien vei vej gade stræde allé tie katu "
    "kuja polku tori gränd torg plads backe stig"
)
_STREET_FIRST = re.compile(
    r"(?<![\w'’.-])(?:[A-ZÀ-ÖØ-Þ][\w'’.-]{0,40}[ \t]+)?"
    r"[A-ZÀ-ÖØ-Þ][\w'’.-]{2,40}?(?i:" + _either(_COMPOUND) + r")(?![\w'’])"
    r"[ \t]+(?!(?:19|20)\d\d(?!\d))\d{1,4}[a-zA-Z]?(?:[ \t]?[-/][ \t]?\d{1,4}[a-zA-Z]?)?(?![\w])"
)
# Spanish and Latin American: "Calle Mayor 5", "C/ Sierpes, 14", "Av. Insurgentes Sur 1602",
# "Calle 45 # 12-30", "Cra. 15 No. 93-47 Sur", "Calle Real s/n".
_ES_TYPE = (
    r"(?:(?i:calle|avenida|avda\.|paseo|plaza|camino|carrera|calzada|callej[oó]n|ronda|traves[ií]a|"
    r"carretera|ctra\.|privada|priv\.|cerrada|cda\.|andador|boulevard|bulevar|blvd\.|glorieta|pasaje|"
    r"rambla|alameda|pasadizo|acceso|cañada|urbanizaci[oó]n|urb\.|retorno|eje[ \t]+vial|viaducto|"
    r"perif[eé]rico|circuito|circunvalaci[oó]n|continuaci[oó]n|diagonal|prolongaci[oó]n|prol\.|"
    r"peatonal|corredor|ampliaci[oó]n|transversal|cuesta|senda|rúa|praza|carrer|avinguda|passeig|"
    r"malec[oó]n)|[Cc]/|C\.|Cl\.?|Cll\.?|Cr\.|Cra\.?|Kr\.?|Dg\.|Tr\.|Tv\.|Av\.|Avda|Pza\.|Pº|V[ií]a|Vial"
    # The same order in Italian, Portuguese, Belgian and Swiss French, Polish: "Via Roma 12", "Rua Augusta,
    # 274", "Rue de la Loi 16", "ul. Marszałkowska 10".
    r"|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Strada|Rua|Travessa|Praça|Estrada|Rue|Chemin|ul\.|Ulica)"
)
_ES_WORD = r"(?:de|del|la|las|los|el|y|calle|carrera|[dl]['’][A-ZÁÉÍÓÚ]\w*|[A-ZÁÉÍÓÚÑ0-9][\wáéíóúñüª'.-]*)"
_ES_NUMBER = (
    r"(?:(?:n[ºo°]\.?|#|núm(?:ero)?\.?|No\.?|Nro\.?)[ \t]*)?(?:\d{1,5}[A-Za-z]?(?![ \t.-]?\d{2}[ \t.-]?\d{2})"
    r"(?:[ \t]?(?i:bis))?(?:-\d{1,4})?|s/n|S/N)(?![\w])"
)
_SPANISH = re.compile(
    r"(?<![\w])" + _ES_TYPE + r"(?:[ \t]+|(?<=/))(?!(?i:whats\s?app|telegram|e-?mail|sms|dm)\b)"
    r"(?:" + _ES_WORD + r",?[ \t]+){1,6}?" + r"(?:"
    r"(?:#|No\.?|N[º°o]\.?|Nro\.?)[ \t]*\d{1,3}[A-Za-z]?(?:[ \t]?(?i:bis))?[ \t]*-[ \t]*\d{1,3}[A-Za-z]?"
    r"|" + _ES_NUMBER + r")"
)
_H_NO = re.compile(r"\bH\.?[ \t]?No\.?[ \t]*\d{1,5}[\w/-]*")
# A line that names a flat and then the street, without a number: "Studio 46G\nAllen Place".
_UNIT_THEN_STREET = re.compile(
    r"\b(?:Flat|Studio|Apartment|Apt|Unit|Suite)\.?[ \t]+\w{1,5}[ \t]*(?:,[ \t]*|\n[ \t]*)"
    # The building between: "Apartment 12, The Maltings, Bow Street".
    r"(?:(?:The[ \t]+)?[A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’-]+){0,2}[ \t]*,[ \t]*)?"
    r"(?:" + _NAME_WORD + r"[ \t]+){1,3}" + _SUFFIX
)
_MILITARY = re.compile(
    r"\b(?:(?:US(?:NS|NV|S|CGC)[ \t]+[A-Z][\w'-]+|(?:Unit|PSC)[ \t]+\d{4},?[ \t]+Box[ \t]+\d{4})"
    r"(?:[ \t]*,?[ \t]*\n?[ \t]*))?(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+\d{5}(?![\w])"
)
# In any case, but "apartado 3" (a section) and "casilla 5" (a box on a form) only capitalised.
_PO_BOX = re.compile(
    r"\b(?:(?i:p\.?[ \t]?o\.?[ \t]*box|post[ \t]+office[ \t]+box|pob|apartado[ \t]+(?:de[ \t]+correos"
    r"|postal)|"
    r"apdo\.?|postfach|(?:rural[ \t]+route|rr|r\.r\.|hc|hcr|cmr)[ \t]*\d{1,4},?[ \t]*box|"
    r"(?:locked|private)[ \t]+bag(?:[ \t]*X(?=\d))?|gpo[ \t]+box)|Apartado|"
    r"Casilla(?:[ \t]+de[ \t]+[Cc]orreo)?)"
    r"[ \t]*#?[ \t]*\d{1,6}(?![\w])"
    # Canada's rural routes: "box 44 site 9 rr 1", "box 2031, rr 5", "RR 3, Site 12, Comp 9".
    r"|\b(?i:box[ \t]+\d{1,5},?[ \t]+(?:site[ \t]+\d{1,4},?[ \t]+)?(?:rr|r\.r\.)[ \t]*\d{1,3}"
    r"|(?:rr|r\.r\.)[ \t]*\d{1,3},?[ \t]+site[ \t]+\d{1,4}(?:,?[ \t]+comp(?:artment)?[ \t]+\d{1,4})?)(?![\w])"
    # Australia's roadside mail bags and New Zealand's rural delivery, capitalised and before a town
    # ("RMB 1420, Mansfield", "RD 2, Te Puke 3182"); "RMB 500" alone is money.
    r"|\b(?:RMB[ \t]+\d{1,5}(?=[ \t]*,?[ \t]*[A-Z][a-z])"
    r"|RD[ \t]+\d{1,2}(?=[ \t]*,[ \t]*[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?[ \t]+\d{4}(?![\w])))"
)
# A neighbourhood of a Mexican or Spanish address alone: "Col. Roma Nte.", "Fracc. Las Quintas".
_COLONIA = re.compile(
    r"\b(?:Col(?:onia|\.)|Fracc(?:ionamiento|\.)|Barrio|Urb(?:anización|\.))[ \t]+"
    r"(?:(?:de|del|la|las|los|el)[ \t]+|[A-ZÁÉÍÓÚÑ][\wáéíóúñü]*\.?[ \t]?){1,4}"
)
# Postcodes that stand alone: UK and Canadian by their shape, "Town, ST 12345" by its US, Canadian or
# Australian state, an Indian PIN after its town, any postcode after a cue ("zip", "Eircode", "C.P.").
_STATES = _words(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
    "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI AA AE AP AB BC MB NB NL NS NT NU ON "
    "PE QC SK YT"
)
# An Indian town before its PIN: "Nandyal-833788", "Mumbai - 400069", "Hubli–Dharwad-376198".
_IN_TOWN = r"[A-ZÀ-Þ][a-zà-ÿ]+(?:[–-][A-ZÀ-Þ][a-zà-ÿ]+)*"
_AU_STATES = ("NSW", "VIC", "QLD", "SA", "TAS", "ACT", "WA", "NT")
_STANDALONE_CODE = re.compile(
    r"\b(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[ABD-HJLNP-UW-Z]{2}"
    r"|[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ \t]?\d[ABCEGHJ-NPRSTV-Z]\d)(?![\w-])"
    r"|(?<![\w'’.-])" + _TOWN + r"[ \t]*,?[ \t]+(?:" + _either(_STATES) + r",?[ \t]+(?:\d{5}(?:-\d{4})?"
    r"|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d)|" + _either(_AU_STATES) + r",?[ \t]+\d{4})(?![\w-])"
    r"|(?<![\w'’.-])" + _IN_TOWN + r"(?:-|[ \t]+-[ \t]+)\d{6}(?![\w-])"
    r"|(?:(?<=,)|(?<=, )|(?<=\n))" + _IN_TOWN + r"(?:[ \t]+" + _IN_TOWN + r")?[ \t]+\d{6}(?![\w-])"
    # An Indian town and its state's two letters before the PIN: "Noida, UP 201301".
    r"|(?<![\w'’.-])" + _IN_TOWN + r"[ \t]*,[ \t]*[A-Z]{2}[ \t]+[1-8]\d{5}(?![\w-])"
)
# An Irish Eircode after a town: "Co. Kerry V92 HX72", "Dublin 4, D04 X2E1"; its last four mix
# letters and digits.
_EIRCODE = re.compile(
    r"(?<![\w-])(?:[AC-FHKNPRTV-Y]\d{2}|D6W)[ \t](?=[0-9A-Z]{0,3}\d)(?=[0-9A-Z]{0,3}[A-Z])"
    r"[0-9AC-FHKNPRTV-Y]{4}(?![\w-])"
)
_EIRCODE_BEFORE = re.compile(r"(?:[A-Z][a-z]+|[A-Z][a-z]+[ \t]+\d{1,2})[ \t]*,?[ \t]+$")
_CODE_CUE = re.compile(
    r"(?i)\b(?:post[ \t]?code|zip(?:[ \t]?code)?|postal[ \t]+code|pin[ \t]?code|eircode|c\.[ \t]?p\.|cp|"
    r"c[oó]digo[ \t]+postal|plz|code[ \t]+postal)\b\.?(?:[ \t]+(?:is|es|:))?[ \t]*:?[ \t]*"
)
_CUED_CODE = re.compile(r"(?i:" + _POST_ALNUM + "|" + _POST_NUM + ")")
# What may come before a street line: "Flat 3, ", "Apt. 479 ", "Level 7 ", "3rd floor, ".
_PREFIX_WORD = (
    r"(?:Flat|Apt|Apartment|Unit|Suite|Ste|Level|Studio|Room|Floor|Shop|Office|Lot|Bldg|Building|Block|Blk|"
    r"Tower|PMB|Dept)"
)
# "4", "#4", "No. 5B", "B".
_PREFIX_ID = r"(?:#[ \t]*)?(?:No\.?[ \t]*)?(?:\d[\w-]{0,4}|[A-Za-z]\d[\w-]{0,3}|[A-Z])"
# A flat word in small letters needs a comma or a line break after its number ("apartment 4C, "), so
# that "office 1 Kestrel Way" keeps its house number; capitalised, a space will do ("Apt. 479 6 Foster").
_PREFIX_CUED = r"(?i:" + _PREFIX_WORD + r")\.?[ \t]*" + _PREFIX_ID + r"(?:[ \t]*[,/][ \t]*|[ \t]*\n[ \t]*)"
_PREFIX = re.compile(
    r"(?:(?<![\w'’-])(?:" + _PREFIX_CUED + "|" + _PREFIX_WORD + r"\.?[ \t]*" + _PREFIX_ID + r"[ \t]+)"
    r"|(?<![\w'’-])(?:(?i:unit|apt\.?|flat|suite|shop|blk|block)|Lot)[ \t]+"
    # South Africa's PostNet suites: "Postnet Suite 123, Private Bag X1".
    r"|(?<![\w'’-])Post[Nn]et[ \t]+"
    # In small letters with a space only, before the house number: "apt 4c 311 grand ave", "u 5 18 beach rd",
    # "apartment 5 at 61 rowan street".
    r"|(?<![\w'’-])(?i:flat|apt|apartment|unit|suite|ste|u|rm)\.?[ \t]*#?[ \t]*(?:\d[\w/-]{0,4}|[a-z])[ \t]+"
    r"(?:at[ \t]+)?"
    r"|#[ \t]*\d{1,4}[A-Za-z]?[ \t]*-[ \t]*"
    r"|\d{1,2}(?:st|nd|rd|th)[ \t]+(?i:floor|fl\.?|flr\.?)[ \t]*,?[ \t]*"
    # Hong Kong's floors and rooms: "12/F, ", "Rm 1204, ".
    r"|(?<![\w/])\d{1,2}/F[ \t]*,[ \t]*|(?<![\w'’-])Rm\.?[ \t]*\d{1,5}[A-Za-z]?[ \t]*,[ \t]*)$"
)
# One chunk of a line before a postcode: "Mill Lane, ", "The Old Barn\n".
# Its words may carry numbers, as Indian, Irish and Singaporean lines do: "#45, ", "Door No 7/12, ",
# "Sector 15A, ", "Block B, ", "12-3-456, ", "2nd Cross, ".
_BACK_NUMBER = r"(?:#?\d{1,5}[A-Za-z]?(?:[/-]\d{1,5}[A-Za-z]?){0,2}|\d{1,3}(?:st|nd|rd|th))"
_BACK_CHUNK = re.compile(
    r"(?<![\w'’.#-])(?:" + _BACK_NUMBER + r"(?:[ \t]+" + _CAP + r")?|" + _CAP + r")"
    r"(?:[ \t]+(?:" + _LINK + r"[ \t]+)?(?:" + _CAP + "|" + _BACK_NUMBER + r"(?![\w/-]))){0,3}"
    r"[ \t]*(?:,[ \t]*|\n[ \t]*)$"
)
# A street line with its house number: going back from a postcode stops after it
# ("Tom Ashby, 9 Orchard Way, ").
_BACK_STREET_LINE = re.compile(r"\d{1,5}[A-Za-z]?(?:/\d{1,5})?[ \t]+.*" + _SUFFIX + "$")
_BACK_FIRST_LINE = re.compile(
    r"(?:(?i:flat|apt|apartment|unit|suite|room|rm|house[ \t]+no|door[ \t]+no|h\.?[ \t]?no|plot)\b"
    r"|No\.[ \t]*\d|#\d)"
)
# ... unless it names a flat or a building: "Flat 2/1, ", "Basement Flat, ", "The Gables, ".
_BACK_ABOVE_STREET = re.compile(
    r"\d|^The\b|\b(?i:flat|apt|apartment|unit|suite|floor|level|room|house|cottage|court|building|lodge|block"
    r"|tower|barn|farm|manor|villa|villas|apartments|mansions)\b"
)
# With the number before it when the "town" is a street: "4th Main Road, Bangalore 560095".
_BACK_TOWN = re.compile(
    r"(?<![\w'’.-])(?:(?:\d{1,5}[A-Za-z]?|\d{1,3}(?:st|nd|rd|th))[ \t]+)?" + _TOWN + r"[ \t]*,?[ \t]*$"
)
_BUILDING = re.compile(
    r"(?:(?i:flat|apt|apartment|unit|suite|studio|room)\.?[ \t]+\w{1,5}[ \t]*,[ \t]*)?"
    r"(?:[A-Z][\w'’-]*[ \t]+(?:(?:of|on|the)[ \t]+)?){1,3}"
    r"(?:Court|House|Building|Lodge|Mansions|Tower|Towers|Heights|Point|Apartments|Residency|Villas|Hall|"
    r"Block|Barn|Cottage|Farm|Manor|Apartamentos|Edificio|Residencial|Residence)[ \t]*(?:,[ \t]*|\n[ \t]*)$"
    # A flat in a building named with "the", in small letters: "flat 12b, the maltings, ".
    r"|(?i:flat|apt|apartment|unit|suite|studio)\.?[ \t]+\w{1,5}[ \t]*,[ \t]*the[ \t]+[a-z][\w'’-]{2,30}"
    r"[ \t]*,[ \t]*$"
    # In small letters, with a comma: "apt 5c, the whitmore building, ", "apt 6 the mill, ".
    r"|(?:(?i:flat|apt|apartment|unit|suite|studio)\.?[ \t]+\w{1,5}[ \t]*,?[ \t]*)?"
    r"(?:the[ \t]+(?:(?!(?i:" + _LOWER_STOP + r")\b)[a-z][\w'’-]*[ \t]+){0,2}"
    r"|(?:(?!(?i:" + _LOWER_STOP + r")\b)[a-z][\w'’-]*[ \t]+){1,2})"
    r"(?:building|house|tower|towers|apartments|mansions|court|lodge|mill|cottage|barn)[ \t]*,[ \t]*$"
)
_STREET_END = re.compile(
    r"(?:" + _SUFFIX + r"|(?:Court|House|Building|Lodge|Mansions|Tower|Heights|Apartments|Barn|Cottage|Farm"
    r"|Manor|Villas|Residency|Residence))$"
)
_YEAR_BEFORE = re.compile(
    r"(?i)\b(?:in|since|of|from|by|until|till|during|year|season|circa|class|en|desde|de|del|hasta)[ \t]+$"
)
# --- Addresses as typed in posts: small letters, no commas, short forms ----------------------------
# A town, then a state and ZIP or a postcode, in small letters: "austin tx 78703", "london n16 9pl",
# "vancouver bc v6z 1r4", "fitzroy vic 3065", "\nbristol\nbs7 8ht".
_LOW_WORD = r"[A-Za-zà-öø-ÿ][a-zà-öø-ÿ'’.-]{0,30}"
_UK_LOWER = r"[a-z]{1,2}\d[a-z\d]?[ \t]\d[abd-hjlnp-uw-z]{2}"
_CA_LOWER = r"[a-z]\d[a-z][ \t]?\d[a-z]\d"
_TAIL_LOWER_CODE = re.compile(
    r"[ \t]*,?[ \t]*\n?[ \t]*(?:" + _LOW_WORD + r"(?:[ \t]+" + _LOW_WORD + r"){0,2}[ \t]*,?[ \t]*\n?[ \t]*)??"
    r"(?:"
    + _UK_LOWER
    + "|"
    + _either([*(w.lower() for w in _STATES), "usa"])
    + r"[ \t]*,?[ \t]*(?:\d{5}(?:-\d{4})?|"
    + _CA_LOWER
    + r")|"
    + _either(w.lower() for w in _AU_STATES)
    + r"[ \t]*,?[ \t]*\d{4})"
    r"(?![\w-])(?![ \t]*\d)"
)
# Suburbs and a town in small letters, then a four-digit postcode (New Zealand, Australia, South
# Africa): ", ohope 3121", ", te aro, wellington 6011"; not ", since 2019".
_LOW_TOWN_WORD = (
    r"(?!(?i:" + _LOWER_STOP + r"|since|until|till|circa|year|years|about|around)\b)[a-z][a-z'’-]{1,20}"
)
_TAIL_LOWER_TOWN_4 = re.compile(
    r"(?:[ \t]*,[ \t]*" + _LOW_TOWN_WORD + r"(?:[ \t]+" + _LOW_TOWN_WORD + r")?){1,3}[ \t]+\d{4}(?![\w-])"
    r"(?![ \t]*\d)"
)
# A town in small letters after a comma, last on its line or before a closing word: ", madrid",
# ", galway x", ", medellín porfa"; not ", thanks" nor ", gracias".
_CLOSING = r"(?:thanks|thx|ty|please|pls|plz|asap|lol|lmao|btw|x+|gracias|porfa|plis|saludos|jaja\w*|xd)"
_TAIL_END_TOWN = re.compile(
    r"[ \t]*,[ \t]*(?:(?:la|el|los|las|san|santa|st\.?|port|new|de)[ \t]+)?(?!" + _CLOSING + r"\b)"
    r"[a-zà-öø-ÿ]{3,20}(?=[ \t]*[.!?]*[ \t]*(?:\n|$|" + _CLOSING + r"[ \t]*[.!?]*[ \t]*(?:\n|$)))"
)
# Spanish: words that are no part of a street's name, and the links inside one ("de la", "a").
_ES_STOP = (
    r"(?:a|al|en|por|para|con|sin|que|qué|es|está|esta|estaba|están|son|fue|era|tiene|tienen|hay|se|me|te|le|"
    r"lo|les|nos|no|si|sí|desde|hasta|hace|muy|más|mas|ya|pero|o|u|ni|cuando|donde|como|porque|mi|mis|tu|tus|"
    r"su|sus|un|una|unos|unas|otra|otro|todo|toda|todos|siempre|nunca|hoy|ayer|mañana|ahora|ahí|allí|aquí|"
    r"aqui|ahi|allá|este|estos|esos|ese|eso|gracias|porfa|favor|y|e|vs|entre|esquina|esq|cerca|frente|junto|"
    r"lado|detrás|llena|lleno|cerrada|cerrado|tarda|tardan|pasa|pasan|sale|llega|llegó|nadie|cp|c\.p|"
    r"de|del|la|las|los|el)"
)
_ES_LINK = r"(?:de|del|la|las|los|el|a|al)"
_ES_CONTENT = r"(?:(?!" + _ES_STOP + r"(?![\wáéíóúñü]))[A-Za-záéíóúñüÁÉÍÓÚÑ][\wáéíóúñüÁÉÍÓÚÑ'’.-]{0,30})"
_ES_PART = r"(?:" + _ES_LINK + r"[ \t]+){0,3}" + _ES_CONTENT
# A street's name: a number first ("calle 5 de mayo"), then words, never ending on a link.
_ES_NAME = r"(?:\d{1,3}[A-Za-z]?|" + _ES_PART + r")(?:[ \t]+" + _ES_PART + r"){0,4}"
_ES_TYPE_ANY = (
    r"(?i:calle|cll\.?|cl\.|c/|carrera|cra\.?|kra\.?|kr\.|avenida|avda\.?|av\.?|paseo|plaza|pza\.|camino"
    r"|calzada|"
    r"callej[oó]n|ronda|traves[ií]a|privada|priv\.|cerrada|cda\.|andador|pasaje|pje\.?|bulevar|boulevard|"
    r"blvd\.?|diagonal|dg\.|transversal|tv\.|retorno|prolongaci[oó]n|prol\.|glorieta|rambla|alameda|circuito|"
    r"urbanizaci[oó]n|urb\.|residencial)"
)
_ES_NUMBER_ANY = (
    r"(?:(?:#|N[º°o]\.?|n[º°]\.?|[Nn]ro\.?)[ \t]*\d{1,3}[A-Za-z]?(?:[ \t]?(?i:bis))?(?:[ \t]+(?i:sur|norte"
    r"|este))?"
    r"[ \t]*-[ \t]*\d{1,3}[A-Za-z]?"
    r"|[Nn]\d{1,3}-\d{1,4}(?:[ \t]+y[ \t]+" + _ES_CONTENT + r")?"  # Quito: "n34-120 y whymper"
    r"|(?:(?:N[º°o]\.?|n[º°]\.?|#|[Nn]úm(?:ero)?\.?|[Nn]ro\.?)[ \t]*)?(?:\d{1,5}[A-Za-z]?(?:[ \t]?(?i:bis))?"
    r"(?:-\d{1,4})?|s/n|S/N))(?![\w:/]|[.,]\d)"
)
# "c/ mayor 12 3ºb", "avda. de la constitución 45", "calle 5 de mayo 123", "cra. 15 # 93-47".
_SPANISH_LOWER = re.compile(
    r"(?<![\w])"
    + _ES_TYPE_ANY
    + r"(?:[ \t]+|(?<=/))(?!(?i:whats\s?app|telegram|e-?mail|sms|dm)\b)"
    + _ES_NAME
    + r"[ \t]*,?[ \t]+"
    + _ES_NUMBER_ANY
)
# A number followed by a count, a date or a time is no house number: "40 minutos", "2 de mayo".
_ES_NOT_HOUSE_AFTER = re.compile(
    r"[ \t]*(?i:min|mins|minutos|horas|hrs|h|km|kms|metros|mts|m|años|días|dias|"
    r"semanas|meses|segundos|noches|veces|personas|pesos|euros|"
    r"cuotas|kg|puntos|goles|grados|cuadras|calles|manzanas|bloques|pisos|plantas|cajas|paquetes|pedidos|mil|"
    r"millones|de[ \t]+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|"
    r"diciembre))(?![\w])|[ \t]*[%€$]"
)
# Without a street type, when a flat follows: "los aromos 1520 depto 31", "san juan 845 dpto 2b".
_ES_NO_TYPE = re.compile(
    r"(?<![\w'’.-])(?:(?:los|las|el|la)[ \t]+)?"
    + _ES_CONTENT
    + r"(?:[ \t]+"
    + _ES_CONTENT
    + r")?[ \t]+\d{1,5}"
    r"[ \t]*,?[ \t]+(?i:depto|dpto|dto|departamento|apto|apartamento|piso|int|interior|oficina)"
    r"(?![^\W\d_])\.?[ \t]*"
    r"(?:\d{1,4}[A-Za-z]?|[A-Za-z])(?![\w])"
)
# A block and a lot: "mz 4 lt 12", "lote 15 manzana b".
_MZ = r"(?i:mz|mza|manzana)\.?[ \t]*(?:\d{1,4}[A-Za-z]?|[A-Za-z])(?![\w])"
_LT = r"(?i:lt|lote)\.?[ \t]*(?:\d{1,4}[A-Za-z]?|[A-Za-z])(?![\w])"
_MZ_LT = re.compile(
    r"(?<![\w])(?:" + _MZ + r"[ \t]*,?[ \t]*" + _LT + "|" + _LT + r"[ \t]*,?[ \t]*" + _MZ + ")"
)
# A place on a road by its kilometre: "carretera a chalco km 3.5", "km 12 carretera federal 200". Someone's
# place only when the post says so, before ("estamos en") or after ("es mi taller").
_KM = re.compile(
    r"(?<![\w])(?:(?i:carretera|ctra\.|autopista|camino)[ \t]+(?:"
    + _ES_LINK
    + r"[ \t]+){0,3}"
    + _ES_CONTENT
    + r"(?:[ \t]+"
    + _ES_CONTENT
    + r")?[ \t]*,?[ \t]+(?i:km)\.?[ \t]*\d{1,4}(?:[.,]\d{1,3})?"
    r"|(?i:km)\.?[ \t]*\d{1,4}(?:[.,]\d{1,3})?[ \t]+(?:de[ \t]+la[ \t]+)?(?i:carretera|ctra\."
    r"|autopista)[ \t]+" + _ES_CONTENT + r"(?:[ \t]+" + _ES_CONTENT + r")?(?:[ \t]+\d{1,4}(?![\w]))?)(?![\w])"
)
_ES_PLACE_BEFORE = re.compile(
    r"(?i:\b(?:vivo|vivimos|vive|viven|estoy|estamos|queda|quedamos|casa|taller|rancho|finca|nave|"
    r"direcci[oó]n|domicilio|entreg\w*|d[eé]ja\w*|m[aá]nd\w*|env[ií]\w*|tr[aá]e\w*)\b[^.!?\n]{0,30})$"
)
_ES_PLACE_AFTER = re.compile(r"[ \t]*,?[ \t]*(?i:es|está|queda)[ \t]+(?i:mi|la|el|nuestra|nuestro)\b")
# Tails of a Spanish address: the neighbourhood, the streets it lies between, the corner, the postcode.
_TAIL_ES_COLONIA = re.compile(
    _SEP_ANY + r"(?i:col(?:onia|\.)|fracc(?:ionamiento|\.)|barrio|urb(?:anizaci[oó]n|\.)|"
    r"unidad[ \t]+habitacional|residencial)[ \t]+" + _ES_PART + r"(?:[ \t]+" + _ES_PART + r")?"
)
_ES_CROSS_WORD = (
    r"(?:(?i:calle|c/|av\.?|avenida|avda\.?|cra\.?|carrera)[ \t]*)?"
    r"(?:\d{1,3}[A-Za-z]?(?![\w])|" + _ES_CONTENT + ")"
)
_TAIL_ES_ENTRE = re.compile(
    r"[ \t]*,?[ \t]+(?:(?i:entre)(?:[ \t]+(?:las[ \t]+)?calles)?|e/|x)[ \t]*"
    + _ES_CROSS_WORD
    + r"[ \t]+[ye][ \t]+"
    + _ES_CROSS_WORD
)
_TAIL_ES_ESQUINA = re.compile(r"[ \t]*,?[ \t]+(?i:esquina|esq\.)(?:[ \t]+(?:con|de))?[ \t]+" + _ES_CROSS_WORD)
_TAIL_ES_CODE = re.compile(r"[ \t]*,?[ \t]*\n?[ \t]*(?:(?i:c\.?[ \t]?p)\.?[ \t]*)?\d{5}(?![\w-])(?![ \t]*\d)")
_TAIL_ES_TOWN = re.compile(r"(?:[ \t]*\n[ \t]*|[ \t]*,?[ \t]+)" + _ES_CONTENT)
# A neighbourhood before the street: "colonia el roble calle 4 casa 12".
_ES_BEFORE = re.compile(
    r"(?<![\w])(?i:colonia|col\.|barrio|fracc(?:ionamiento|\.)|urb(?:anizaci[oó]n|\.)|residencial)[ \t]+"
    + _ES_PART
    + r"(?:[ \t]+"
    + _ES_PART
    + r")?[ \t]*,?[ \t]*$"
)
# A cross-street given as where someone lives or wants a parcel: "i'm on the corner of 5th and main",
# "we live at maple and 3rd", "vivo en calle hidalgo esquina con zaragoza". A corner named as news
# ("accident at the corner of 5th and main") stays.
_X_WORD = (
    r"(?:\d{1,3}(?:st|nd|rd|th)|(?!(?i:" + _LOWER_STOP + r")\b)[A-Za-z][a-z'’-]+)"
    r"(?:[ \t]+(?i:" + _LOWER_SUFFIX + r")\b\.?)?"
)
_CROSS_EN = re.compile(
    r"(?i:\b(?:i'?m|im|i[ \t]+am|we['’]re|we[ \t]+are|live|lives|living|staying|stay|drop(?:[ \t]+(?:it"
    r"|them|off))?|"
    r"dropoff|deliver(?:[ \t]+it)?|bring[ \t]+it|leave[ \t]+it|i'?ll[ \t]+be|pick[ \t]+me[ \t]+up)[ \t]+"
    r"(?:at|on|to)[ \t]+)"
    r"((?i:(?:the[ \t]+)?corner[ \t]+of[ \t]+|cnr\.?[ \t]+(?:of[ \t]+)?)?"
    + _X_WORD
    + r"[ \t]+(?:and|&)[ \t]+"
    + _X_WORD
    + ")"
)
# A house number and a street's name alone, only after being or sending somewhere, and only one word
# that is no count ("5 guys", "2 bars", "7 eleven", "90 percent"): "I'm at 905 Mission next door".
_AT_NUMBER_WORD = re.compile(
    r"(?i:\b(?:(?:i'?m|im|i[ \t]+am|we['’]re|we[ \t]+are|live|lives|living)[ \t]+(?:at|on)|(?:went"
    r"|sent[ \t]+it|"
    r"ship(?:ped)?[ \t]+it|deliver(?:ed)?[ \t]+it|delivered|brought[ \t]+it|left[ \t]+it|dropped[ \t]+it)"
    r"[ \t]+(?:to|at))[ \t]+)"
    r"(\d{1,5}[A-Za-z]?[ \t]+(?:[NSEWnsew][ \t]+)?"
    r"(?!(?i:" + _LOWER_STOP + r"|o'?clock|noon|midnight|eleven|twelve|"
    r"twenty|thirty|forty|fifty|hundred|thousand|million|percent|bar|min|sec|mins|hr"
    r"|ish)\b)[A-Za-z][a-z'’-]{2,20}"
    r"(?<![sS]))(?=[ \t]*(?:[,.;:!?)\n]|$)|[ \t]+(?i:next|instead|and|but|not|lol|btw|pls|please|thx|thanks"
    r"|by|"
    r"near|across|off|with|where|which|so)\b)"
)
_STREETLIKE = re.compile(r"(?i)\d(?:st|nd|rd|th)\b|[ \t]" + _LOWER_SUFFIX + r"\b")
_CROSS_ES = re.compile(
    r"(?i:\b(?:vivo|vivimos|vive|viven|estoy|estamos|queda|d[eé]ja\w*|entr[eé]g\w*|m[aá]nd\w*|env[ií]\w*|"
    r"tr[aá]e\w*)[ \t]+(?:en|a)[ \t]+(?:la[ \t]+)?)"
    r"((?i:esquina[ \t]+(?:de[ \t]+)?)"
    + _ES_CROSS_WORD
    + r"(?:[ \t]+"
    + _ES_CONTENT
    + r")?[ \t]+(?:y|e|con)[ \t]+"
    + _ES_CROSS_WORD
    + "|"
    + _ES_CROSS_WORD
    + r"(?:[ \t]+"
    + _ES_CONTENT
    + r")?[ \t]+(?i:esquina|esq\.)"
    r"(?:[ \t]+(?:con|de))?[ \t]+" + _ES_CROSS_WORD + ")"
)
# A room in a named hall: "hamilton hall rm 314"; a lot in a park of mobile homes.
_HALL_ROOM = re.compile(
    r"(?<![\w'’-])(?:(?!(?i:" + _LOWER_STOP + r")\b)[A-Za-z][\w'’-]*[ \t]+){1,2}"
    r"(?i:hall|house|tower|towers|building|residence|apartments|mansions|court|lodge)[ \t]*,?[ \t]*"
    r"(?i:rm|room|apt|flat|unit|suite|ste)\.?[ \t]*#?[ \t]*\d{1,5}[A-Za-z]?(?![\w])"
)
_PARK_LOT = re.compile(
    r"(?<![\w'’-])(?i:lot|space|site|pad"
    r"|unit)[ \t]*#?[ \t]*\d{1,4}[A-Za-z]?[ \t]*,?[ \t]+(?:[A-Za-z][\w'’-]*[ \t]+){0,3}?"
    r"(?i:mobile[ \t]+home|trailer|rv|caravan|holiday|manufactured[ \t]+home)[ \t]+"
    r"(?i:park|court|estates?|village|community)(?![\w])"
)
_NEW_NUMBER_CORES = (
    *(_NUMBER_FIRST_LOWER, _NUMBER_ROAD, _NUMBER_THE, _NUMBER_DIRECTION_WORD),
    *(_NUMBER_GRID, _NUMBER_ONE_WORD, _NUMBER_QUEBEC),
)
_SPANISH_CORES = (_SPANISH_LOWER, _ES_NO_TYPE, _MZ_LT)
_CORES = (
    *(_NUMBER_FIRST, _NUMBER_TYPE_FIRST, _FRENCH, _FRENCH_NO_NUMBER),
    *(_STREET_FIRST, _SPANISH, _H_NO),
)
_TAILS = (
    *(_TAIL_UNIT, _TAIL_DIRECTION, _TAIL_TOWN_CODE, _TAIL_CODE_TOWN, _TAIL_STREET, _TAIL_TOWN),
    *(_TAIL_LOWER_CODE, _TAIL_LOWER_TOWN_4, _TAIL_END_TOWN, _TAIL_STREET_NUMBER, _TAIL_TOWN_LINE),
    _TAIL_SINGAPORE,
)
_TAILS_ES = (*_TAILS, _TAIL_ES_COLONIA, _TAIL_ES_ENTRE, _TAIL_ES_ESQUINA, _TAIL_ES_CODE)


def _extend(text: str, end: int, spanish: bool = False) -> int:
    """Take the unit, town, state, postcode and country that follow a street, as far as they go."""
    for _ in range(10):
        for tail in _TAILS_ES if spanish else _TAILS:
            m = tail.match(text, end)
            if m and m.end() > end:
                break
        else:
            m = _TAIL_CODE.match(text, end)
            if m is None and _ENDS_WITH_CODE.search(text, max(0, end - 12), end):
                m = _TAIL_AFTER_CODE.match(text, end)
                if m is None and spanish:
                    m = _TAIL_ES_TOWN.match(text, end)  # "28001 madrid", "cp 5000\ncórdoba"
            if m is None and spanish:
                m = _TAIL_NUMBER.match(text, end)
            if m is None:
                m = _TAIL_COUNTRY.match(text, end)
            if m is None or m.end() <= end:
                break
        end = m.end()
    return end


def _typed_addresses(text: str, language: str | None) -> Iterable[tuple[int, int]]:
    """Addresses as people type them in posts: small letters, short forms, no commas. The Spanish
    forms in small letters are looked for unless the post is known to be English."""
    for core in _NEW_NUMBER_CORES:
        for m in core.finditer(text):
            start, end = m.start(), m.end()
            if _NOT_HOUSE_BEFORE.search(text, max(0, start - 16), start):
                continue
            number = re.match(r"\d{4}\b", m.group())
            year = number and 1900 <= int(number.group()) <= 2099
            if year and _YEAR_BEFORE.search(text, max(0, start - 16), start):
                continue
            yield _before(text, start), _extend(text, end)
    for pattern in (_HALL_ROOM, _PARK_LOT):
        for m in pattern.finditer(text):
            yield _before(text, m.start()), _extend(text, m.end())
    for m in _SPELLED_FIRST.finditer(text):
        end = _extend(text, m.end())
        if any(c.isdigit() for c in text[m.end() : end]):
            yield _before(text, m.start()), end
    for m in _NUMBER_WORDS_THEN_CODE.finditer(text):
        code = _TAIL_LOWER_CODE.match(text, m.end())
        counted = _NOT_HOUSE_BEFORE.search(text, max(0, m.start() - 16), m.start())
        if code and "," in code.group() and not counted:
            yield _before(text, m.start()), _extend(text, m.end())
    for m in _CROSS_EN.finditer(text):
        # Without "corner", the second street names itself ("maple and 3rd"), or the first does and the
        # second ends the phrase ("5th and main, the blue house"; not "5th street and loving it").
        first, _, second = re.split(r"[ \t]+(and|&)[ \t]+", m.group(1), maxsplit=1)
        closed = re.match(r"[ \t]*(?:[,.;:!?)\n]|$)", text[m.end(1) :])
        if (
            "corner" in first.lower()
            or first.lower().startswith("cnr")
            or _STREETLIKE.search(" " + second)
            or (_STREETLIKE.search(" " + first) and closed)
        ):
            yield m.start(1), _extend(text, m.end(1))
    for m in _AT_NUMBER_WORD.finditer(text):
        yield m.start(1), m.end(1)
    if language == "en":
        return
    for core in _SPANISH_CORES:
        for m in core.finditer(text):
            start, end = m.start(), m.end()
            if core is not _MZ_LT and _ES_NOT_HOUSE_AFTER.match(text, end):
                continue
            before = _ES_BEFORE.search(text, max(0, start - 50), start)
            yield _before(text, before.start() if before else start), _extend(text, end, spanish=True)
    for m in _KM.finditer(text):
        start, end = m.span()
        if _ES_PLACE_BEFORE.search(text, max(0, start - 50), start) or _ES_PLACE_AFTER.match(text, end):
            yield start, _extend(text, end, spanish=True)
    for m in _CROSS_ES.finditer(text):
        yield m.start(1), _extend(text, m.end(1), spanish=True)


def _back(text: str, start: int, chunks: int) -> int:
    """Take the town and up to `chunks` parts of an address written before a postcode at `start`."""
    m = _BACK_TOWN.search(text, max(0, start - 50), start)
    if m:
        start = m.start()
    after_street = False
    for _ in range(chunks):
        m = _BACK_CHUNK.search(text, max(0, start - 60), start)
        if m is None or m.start() == start:
            break
        chunk = m.group().strip(" \t,\n")
        streetlike = any(c.isdigit() for c in chunk) or _STREET_END.search(chunk)
        if "\n" in m.group() and not streetlike:
            break  # a name on the line above an address is not part of it
        if after_street and not _BACK_ABOVE_STREET.search(chunk):
            break  # a name before the street line is not part of it: "Tom Ashby, 9 Orchard Way, "
        start = m.start()
        if _BACK_FIRST_LINE.match(chunk):
            break  # a flat or a house's number starts an address: "Meera, Flat 12, Lakeview Residency, "
        after_street = after_street or _BACK_STREET_LINE.match(chunk) is not None
    return _before(text, start)


def _before(text: str, start: int) -> int:
    """Take a flat or a building named before a street line: "Flat 14, Ashgrove Court, "."""
    for _ in range(4):  # "Suite 5, Level 2, ", "Rm 1204, 12/F, Kingston Tower, "
        window = max(0, start - 60)
        m = _BUILDING.search(text, window, start) or _PREFIX.search(text, max(0, start - 30), start)
        if m is None or m.start() == start:
            break
        start = m.start()
    return start


def _addresses(text: str, language: str | None = None) -> Iterable[tuple[int, int]]:
    for core in _CORES:
        for m in core.finditer(text):
            start, end = m.start(), m.end()
            number = re.match(r"\d{4}\b", m.group())
            if number and 1900 <= int(number.group()) <= 2099 and _YEAR_BEFORE.search(text, 0, start):
                continue
            yield _before(text, start), _extend(text, end, spanish=core is _SPANISH)
    yield from _typed_addresses(text, language)
    for pattern in (_UNIT_THEN_STREET, _MILITARY, _PO_BOX, _COLONIA):
        for m in pattern.finditer(text):
            own = pattern in (_PO_BOX, _UNIT_THEN_STREET)  # "Sunrise Court, Block C, Flat 14, Nairobi Road"
            yield _before(text, m.start()) if own else m.start(), _extend(text, m.end())
    for m in _STANDALONE_CODE.finditer(text):
        # An Indian line runs longer: "Flat 302, Sai Krupa Apartments, Plot No. 45, Sector 17, Vashi, ..."
        pin = m.group()[-6:].isdigit()
        yield _back(text, m.start(), 4 if pin else 3), _extend(text, m.end())
    for m in _EIRCODE.finditer(text):
        if _EIRCODE_BEFORE.search(text, max(0, m.start() - 30), m.start()):
            yield _back(text, m.start(), 3), _extend(text, m.end())
    for m in _CODE_CUE.finditer(text):
        hit = _CUED_CODE.match(text, m.end())
        if hit:
            yield hit.start(), _extend(text, hit.end())


# --- Names that belong to a firm or a place ---------------------------------------------------------
# Firms, streets and towns are often named after people ("Marsh, Patel and Miller", "Dennis Ltd",
# "Caroline Plains", "South Nathan", "rue Marcel Leclercq"); the name finder reads their words as a
# person's. A name found inside such a firm or place is taken back (only the finder's: a name after
# a title or "my name is" stays).
_CAPW = r"[A-ZÀ-ÖØ-Þ][\w'’]*(?:-[A-ZÀ-ÖØ-Þ][\w'’]*)*"  # "O'Byrne-Donohoe"
# Capitalised words, with the particles of names between them ("Koninklijke van Breukeleveen").
_CAPS = _CAPW + r"(?:[ \t]+(?:(?:van|von|der|den|de|del|da|di|du|la|le)[ \t]+)?" + _CAPW + r"){0,3}"
# One firm's name: capitalised words, or a list of them closed by "and", "&" or "y"
# ("Gilbert, Jackson and Marquez", "Villa y Véliz"); a list that no "and" closes is not one name.
_ENTITY = re.compile(
    r"(?<![\w'’-])" + _CAPS + r"(?:(?:[ \t]*,[ \t]*" + _CAPS + r"){0,4}"
    r"[ \t]*,?[ \t]+(?:and|&|y|e|et|und)[ \t]+" + _CAPS + r")?"
)
# Three or more surnames in a list closed by "and" without a comma before it, no given name among
# them: how firms of partners are named ("Marsh, Patel and Miller", "Barajas, Orozco and Hess").
_SURNAME_LIST = re.compile(
    r"(?<![\w'’-])"
    + _CAPW
    + r"(?:[ \t]*,[ \t]*"
    + _CAPW
    + r"){1,4}[ \t]+(?:and|&)[ \t]+"
    + _CAPW
    + r"(?![\w'’-])"
)
# Legal forms and the like, after a firm's name: "Ltd", "S.A.S.", "S. de R.L.", "& Co. KGaA", "Group".
_LEGAL = (
    r"(?:Ltd|Limited|Inc|Incorporated|LLC|L\.L\.C|LLP|PLC|plc|Corp|Corporation|Co|GmbH|gGmbH|AG|KG|KGaA|OHG|"
    r"GbR|e\.[ \t]?V|SE|S\.[ \t]?A(?:\.[ \t]?S)?|SA|SAS|SASU|SARL|S\.A\.R\.L|EURL|SNC|SCP|S\.[ \t]?L(?:\.L)?|"
    r"SL|SLU|"
    r"S\.[ \t]?C(?:\.[ \t]?P)?|S\.[ \t]?Com|S\.?[ \t]?R\.?[ \t]?L|S\.?[ \t]?de[ \t]+R\.?[ \t]?L|S\.p\.A|SpA|"
    r"S\.r\.l|Srl|B\.V|BV|N\.V|NV|Pty|AB|ASA|Oy|A\.[ \t]?C|Ltda|Cía|Group|Holdings?|Stiftung|Hnos|Industries|"
    r"Enterprises)\.?(?![\w])"
)
_PARTNERS = (
    r"(?:&|and|y|e|et|und)[ \t]+(?:Sons|Son|Daughters|Co|Cie|Cía|Company|Associates|Asociados|asociados|"
    r"Partners|Hijos|Hermanos|Fils|Brothers|Bros)\.?(?![\w])"
)
_FIRM_NOUN = (
    r"(?:campus|office|offices|warehouse|warehouses|depot|depots|factory|plant|headquarters|HQ|store|stores|"
    r"dealership|franchise|firm|company|corporation|brand)(?![\w'’-])"
)
# What after a name says it is a firm's: its legal form, "& Sons", "office", "moved their warehouse".
_FIRM_AFTER = re.compile(
    r"[ \t]*,?[ \t]+"
    + _LEGAL
    + r"|[ \t]+"
    + _PARTNERS
    + r"|[ \t]+[a-z]+[ \t]+(?:their|its)[ \t]+"
    + _FIRM_NOUN
)
# "the Matthews-Holloway office": a firm's word after the name, and a determiner before it ("tell John
# office hours" is a person's).
_FIRM_NOUN_AFTER = re.compile(r"[ \t]+" + _FIRM_NOUN)
_DETERMINER_BEFORE = re.compile(r"(?i:\b(?:the|a|an|our|their|its|this|that|every)[ \t]+)$")
_AND = re.compile(r"[ \t]+(?:and|&|y|e|et|und)[ \t]+")
# Words that head a firm's name: "Grupo Sarmiento", "Laboratorios Cano y Apodaca", "Koninklijke van ...".
_FIRM_HEADS = frozenset(
    """grupo industrias proyectos fábrica fabrica minería mineria laboratorios comercial corporación
    corporacion distribuciones distribuidora inversiones servicios soluciones construcciones constructora
    talleres transportes hermanos hnos banco bodegas consultores consultora compañía compania editorial
    inmobiliaria tecnologías tecnologias suministros importaciones almacenes koninklijke groupe société
    societe établissements etablissements cabinet stichting gebrüder gebruder""".split()  # noqa: SIM905
)
# Words before a firm: "la empresa", "the company"; "I work as a driver at".
_FIRM_BEFORE = re.compile(
    r"(?i:\b(?:(?:la|una|the|a)[ \t]+)?(?:empresa|compañía|firma|company|firm|corporation)[ \t]+)$"
)
_WORK_AT_BEFORE = re.compile(
    r"(?i:\b(?:work|works|worked|working|employed|job|intern|interning|trabajo|trabaja"
    r"|trabajé)\b[^.!?\n]{0,50}"
    r"\b(?:at|en)[ \t]+)$"
)
# "as a Librarian", "an Uber": an article says a word that is no given name is not a person's name.
_ARTICLE_BEFORE = re.compile(r"(?<![\w'’-])(?:as[ \t]+an?|an)[ \t]+$")
# Places: "South Nathan", "Port Carolyn", "Saint Helena", "Lake David".
_PLACE_LEAD = re.compile(
    r"(?<![\w'’-])(?:North|South|East|West|Northeast|Northwest|Southeast|Southwest|New|Port|Lake|Mount|Mt\.|"
    r"Fort|Ft\.|Saint|St\.|San|Santa|Cape)[ \t]+" + _CAPW
)
# A street whose type comes first: "rue Marcel Leclercq", "Av. Manuel José Betancur", "Vial de Marcela
# Ibáñez".
# Types that are also everyday words ("en la plaza Juan me saludó", "camino de Juan") count capitalised.
_TYPE_FIRST = re.compile(
    r"(?<![\w'’-])(?:(?:(?i:rue|allée|impasse|chemin|quai|boulevard|avenue|avenida|avda\.?|av\.|callej[oó]n|"
    r"perif[eé]rico|traves[ií]a|carrer|avinguda|passeig)|Calle|Camino|Paseo|Plaza|Alameda|Calzada|Circuito|"
    r"Diagonal|Transversal|Cañada|Glorieta|Pasaje|Carretera|Rúa|Praza|Vial|Via)[ \t]+|C/[ \t]*)"
    r"(?:(?:de|del|la|las|los|el|du|des|d['’]|l['’])[ \t]*)*" + _CAPS
)
# A street in one word: "Loeklaan", "Margrafweg", "Magarete-Mangold-Straße".
_ONE_WORD_STREET = re.compile(
    r"(?<![\w'’-])[A-ZÀ-ÖØ-Þ][\w'’-]+?(?i:straße|strasse|gasse|weg|platz|allee|damm|ufer|chaussee|straat"
    r"|laan|"
    r"plein|gracht|kade|singel|steeg|dijk|dreef|gatan|vägen|veien)(?![\w'’-])"
)
# A town in one word, a person's name and a town's ending: "Gibsonshire", "Marymouth", "Jacksonville".
_NAME_TOWN = re.compile(
    r"(?<![\w'’-])([A-ZÀ-ÖØ-Þ][a-zà-ÿ]{2,})(shire|borough|bury|ville|town|mouth|haven|side|land|port|furt"
    r"|burgh|"
    r"berg|chester|view|stad|fort|ton)(?![\w'’-])"
)
# A street named without a number: capitalised words and a street suffix ("Caroline Plains", "Ward Lakes").
_STREET_WORDS = (
    *sorted({w for w in _SUFFIX_WORDS if w.isalpha() and len(w) >= 3 and w[0].isupper() and not w.isupper()}),
    *("Ave", "Blvd", "Rd", "Ln", "Hwy", "Pkwy"),
)
_NAMED_STREET = re.compile(
    r"(?<![\w'’-])((?:" + _CAPW + r"[ \t]+){1,3})(" + _either(_STREET_WORDS) + r")\.?(?![\w'’-])"
)
# A suffix that is also a common surname ("Wells", "Ridge") makes a street of a given name only after
# a word of going or being somewhere; the most common ones ("Hill", "Gates") only after one of going.
_GOING = r"down|along|up|onto|off|via|near|past|across|through|toward|towards"
_GOING_BEFORE = re.compile(r"(?i:\b(?:" + _GOING + r")[ \t]+(?:the[ \t]+)?)$")
_SOMEWHERE_BEFORE = re.compile(r"(?i:\b(?:" + _GOING + r"|on|in|into)[ \t]+(?:the[ \t]+)?)$")
_COMMON_SURNAME_RANK = 1000
_SURNAME_RANK = 10000


def _firm_or_place(text: str) -> list[tuple[int, int]]:
    """Return the spans of `text` that name a firm or a place after people, or with their words."""
    from earful.ml.names import _fold, _lists, surname_ranks

    given, frequent = _lists()[:2]
    ranks = surname_ranks(_SURNAME_RANK)
    out: list[tuple[int, int]] = []
    for m in _ENTITY.finditer(text):
        a, b = m.span()
        words = list(re.finditer(_CAPW, m.group()))
        ends = [a + w.end() for w in words]
        headed = _fold(words[0].group()) in _FIRM_HEADS or any(_FIRM_AFTER.match(text, end) for end in ends)
        if (
            headed
            or (
                _DETERMINER_BEFORE.search(text, max(0, a - 8), a)
                and any(_FIRM_NOUN_AFTER.match(text, end) for end in ends)
            )
            or _FIRM_BEFORE.search(text, max(0, a - 30), a)
        ):
            out.append((a, b))
        elif _WORK_AT_BEFORE.search(text, max(0, a - 80), a):
            # "I work at Tesco and Sarah is my manager": after "work at", two names joined by "and"
            # are a firm and a person; a list with commas ("at Gilbert, Jackson and Marquez") is one firm.
            pair = "," not in m.group() and _AND.search(m.group())
            out.append((a, a + pair.start()) if pair else (a, b))
    for m in _SURNAME_LIST.finditer(text):
        items = re.findall(_CAPW, m.group())
        partners = all(len(w) >= 3 and not w.isupper() and _fold(w) not in frequent for w in items)
        if partners and not text.startswith(("'s", "’s"), m.end()):
            out.append(m.span())
    for pattern in (_PLACE_LEAD, _TYPE_FIRST):
        out += [m.span() for m in pattern.finditer(text)]
    # A surname may end like a street ("Hartweg"): only a word that is no common surname counts.
    out += [m.span() for m in _ONE_WORD_STREET.finditer(text) if _fold(m.group()) not in ranks]
    for m in _NAME_TOWN.finditer(text):
        stem, word = _fold(m.group(1)), _fold(m.group())
        if (stem in given or stem in ranks) and word not in given and word not in ranks:
            out.append(m.span())
    for m in _NAMED_STREET.finditer(text):
        a, b = m.span()
        rank = ranks.get(_fold(m.group(2)))
        person_like = any(_fold(w) in given for w in m.group(1).split())
        if rank is not None and person_like:
            if text.startswith(("'s", "’s"), b):
                continue
            cue = _GOING_BEFORE if rank < _COMMON_SURNAME_RANK else _SOMEWHERE_BEFORE
            if not cue.search(text, max(0, a - 20), a):
                continue
        out.append((a, b))
    return out


def _people_only(text: str, names: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Take back the names that lie inside a firm or a place, or that follow an article."""
    if not names:
        return names
    taken = _firm_or_place(text)
    given = _given_names()
    return [
        (s, e)
        for s, e in names
        if not any(a <= s and e <= b for a, b in taken) and not _job_title(text, s, e, given)
    ]


def _given_names() -> frozenset[str]:
    from earful.ml.names import _lists

    return _lists()[0]


def _job_title(text: str, start: int, end: int, given: frozenset[str]) -> bool:
    """Tell whether a name found after "as a" or "an" is one word that no list knows as a given name
    ("I work as a Librarian"); "as a Jamie fan" keeps its name."""
    from earful.ml.names import _fold

    word = text[start:end]
    return (
        _ARTICLE_BEFORE.search(text, max(0, start - 8), start) is not None
        and " " not in word
        and _fold(word) not in given
    )


_HANDLE = re.compile(
    r"(?<![\w@/])(?:@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])(?:@[\w.-]+\.[a-z]{2,})?"
    r"|u/[A-Za-z0-9_-]{3,20})(?![\w@])"
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


def _card_like(candidate: str) -> bool:
    """Luhn, and grouped as cards are (4-4-4-4, 4-6-5 or none), not as order numbers (3-7-7)."""
    sizes = [len(g) for g in re.split(r"[ -]", candidate)]
    grouped = len(sizes) == 1 or all(n == 4 for n in sizes[:-1]) or sizes in ([4, 6, 5], [4, 6, 4])
    return grouped and luhn_ok(_digits(candidate))


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
        found += [(m.start(), m.end(), "CARD") for m in _CARD.finditer(text) if _card_like(m.group())]
        found += [(m.start(), m.end(), "ACCOUNT") for m in _IBAN.finditer(text) if iban_ok(m.group())]
        found += list(self._cued(text, _ACCOUNT_CUE, _DIGITS_AFTER_CUE, "ACCOUNT"))
        found += [(m.start(), m.end(), "ACCOUNT") for m in _SORT_CODE.finditer(text)]
        found += [(m.start(), m.end(), "ACCOUNT") for m in _EIGHTEEN.finditer(text) if clabe_ok(m.group())]
        found += [(m.start(), m.end(), "ID") for m in _ID.finditer(text)]
        found += list(self._cued(text, _ID_CUE, _ID_AFTER_CUE, "ID"))
        found += [(start, end, "PHONE") for start, end in _phones(text)]
        found += [(a, _full_stop(text, a, b), "ADDRESS") for a, b in _addresses(text, language)]
        found += [
            (m.start(), m.end(), "HANDLE")
            for m in _HANDLE.finditer(text)
            if m.group().lower().lstrip("@").split("@")[0] not in self._public
        ]
        found += [(m.start(1), m.end(1), "NAME") for m in _NAME_CUE.finditer(text)]
        if self._names is not None:
            names = _people_only(text, list(self._names(text, language)))
            found += [(start, end, "NAME") for start, end in names]
        return _resolve(_name_before_address(text, found))

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


def _full_stop(text: str, start: int, end: int) -> int:
    """Leave out the full stop after a town or a country that ends a sentence ("..., United States.");
    an abbreviation keeps its own ("Ave.", "D.C.")."""
    m = _LONG_WORD_STOP.search(text, start, end)
    return end - 1 if m else end


_LONG_WORD_STOP = re.compile(r"(?<![\w.])[A-Za-zÀ-ÿ]{5,}\.$")


def _name_before_address(text: str, found: list[Span]) -> list[Span]:
    """Going back from a postcode takes the lines before it, and a person's name written first on the
    line ("Mrs Sunita Patel, 38a Cowley Road, Oxford, OX4 1HZ") is one of them. Where a name found
    on its own (two words or more, or after a title) is the first part of an address, that part is
    the name, and the address starts after its comma."""
    names = [(start, end) for start, end, kind in found if kind == "NAME"]
    out: list[Span] = []
    widened: dict[tuple[int, int], int] = {}
    for start, end, kind in found:
        if kind == "ADDRESS" and not _MILITARY.match(text, start):  # "USS Estrada, FPO AE 52591" is a ship
            for name_start, name_end in names:
                if not start <= name_start < name_end < end:
                    continue
                head = text[start:name_start]
                cut = _AFTER_NAME.match(text, name_end)
                # One word alone may be the house's or the village's name ("Ballyroe, Tralee, ...").
                # One word alone may be the house's or the village's name ("Ballyroe, Tralee, ..."), and
                # so may words that end as a house's or a street's do ("Ivy Cottage, Main Street, ...").
                name = text[name_start:name_end].strip()
                whole = head.strip() or (" " in name and not _STREET_END.search(name))
                if cut and whole and _TITLES_ONLY.fullmatch(head):
                    widened[(name_start, name_end)] = start
                    start = cut.end()
                    break
        out.append((start, end, kind))
    return [(widened.get((s, e), s) if k == "NAME" else s, e, k) for s, e, k in out]


# Nothing, or titles only, before the name.
_TITLES_ONLY = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Rev|Capt|Sgt|Staff|Cpl|Lt|Col|Maj|Gen|Pvt|Attn|c/o|C/O)\.?:?"
    r"[ \t]+)*"
)
_AFTER_NAME = re.compile(r"[ \t]*(?:,[ \t]*\n?|\n)[ \t]*(?=\S)")


def _resolve(found: list[Span]) -> list[Span]:
    """Keep non-overlapping spans: longer first, then the more specific kind."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    # The chosen spans never overlap, so kept in order of start only the neighbours on either side
    # of where a new span would go can overlap it: a bisection each, not a scan of all chosen.
    chosen: list[Span] = []
    starts: list[int] = []
    for span in sorted(found, key=lambda s: (-(s[1] - s[0]), rank[s[2]], s[0])):
        at = bisect.bisect_right(starts, span[0])
        if at and chosen[at - 1][1] > span[0]:
            continue
        if at < len(chosen) and chosen[at][0] < span[1]:
            continue
        chosen.insert(at, span)
        starts.insert(at, span[0])
    return chosen


def default_redactor(public_handles: Sequence[str] = ()) -> Redactor:
    """Return the redactor the chain uses: every pattern, and the shipped name model (which reads
    the list-and-cue rules' verdict as one of its inputs)."""
    from earful.ml.name_tagger import shipped

    return Redactor(public_handles, names=shipped())


class RedactStage:
    """Replace personal data in the text and title with typed placeholders."""

    name = "redact"
    # 7: names-2 (a possessive "'s" apart from the name; public figures' surnames); 8: names-3
    # (trained on WNUT-17 dev too).
    version = 8

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


def read_marked(path: Path) -> list[tuple[str, str, list[Span]]]:
    """Read a file of marked sentences (`parse_marked`): return (language, text, spans) for each.

    Lines "# Spanish" and "# English" set the language of those after them (English first); other
    lines starting "# " are comments (a post may start with a hashtag). A line break inside one post
    is written as the two characters backslash and n.
    """
    out: list[tuple[str, str, list[Span]]] = []
    language = "en"
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line == "#" or line.startswith("# "):  # a post may start with a hashtag
            if "spanish" in line.lower():
                language = "es"
            elif "english" in line.lower():
                language = "en"
            continue
        if line:
            text, spans = parse_marked(line.replace("\\n", "\n"))
            out.append((language, text, spans))
    return out


def read_conll(path: Path, language: str = "en") -> list[tuple[str, str, list[Span]]]:
    """Read a CoNLL file (token TAB tag, a blank line between sentences): its person mentions
    (B-/I-person, B-/I-PER) become NAME spans; no other entity is marked."""
    out: list[tuple[str, str, list[Span]]] = []
    words: list[tuple[str, str]] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            parts = line.split("\t") if "\t" in line else line.split()
            words.append((parts[0], parts[-1].strip()))
            continue
        if not words:
            continue
        text: list[str] = []
        spans: list[Span] = []
        at = 0
        for token, tag in words:
            person = tag.endswith(("-person", "-PER"))
            if person and tag.startswith("I-") and spans and spans[-1][1] == at - 1:
                spans[-1] = (spans[-1][0], at + len(token), "NAME")
            elif person:
                spans.append((at, at + len(token), "NAME"))
            text.append(token)
            at += len(token) + 1
        out.append((language, " ".join(text), spans))
        words = []
    return out

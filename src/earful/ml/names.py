"""Find private persons' names in short posts, English and Spanish, without a trained model.

A name is found from three kinds of evidence:

- a given name from the 1990 US Census lists (public domain, shipped in the `names` package;
  they hold many Hispanic names too), or from Earful's own lists of Spanish given names and
  nicknames and of common names from elsewhere (the UK, Europe, South Asia, Africa, the Middle
  East, East Asia), written capitalised; written in lower case only when it is not also a word;
- a word before it that introduces a person ("my manager", "driver", "el supervisor", "doña",
  "ask for", "soy"), which also catches surnames alone and names no list knows;
- capitalised words after a name, which extend it to a full name ("María José Fernández").

Given names that are also words, places or brands ("Will", "Rose", "Paris", "Mercedes",
"Santiago", "Dolores") count only with a cue or a surname. The finder reports character spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from importlib.resources import files

from earful.ml.keywords import fold

# Spanish and Mexican given names and nicknames the Census lists lack or spell without accents.
SPANISH_GIVEN = """
adrián agustín aitana alba álvaro amparo andrés ángel ángela antonio araceli arturo asunción
aurora beatriz begoña benito borja camila carmen catalina celia césar chelo chema chuy concha
consuelo cristóbal dani daniela desirée dolores eduardo elena emilio encarna enrique esperanza
esteban eugenia fátima federico felipe fernando fran francisco gonzalo guadalupe guillermo
gustavo héctor hernán hugo ignacio inés iñaki íñigo irene isabel jaime javier jesús jimena
joaquín jordi jorge josé josefa juan julia julián julio lidia lola lorena lucía luis lupe
manolo manuel marco marcos margarita mari maría mariana marina mario marisol marta martín
mateo matías maximiliano mercedes miguel milagros mireia montse montserrat nacho natalia
nerea nicolás nuria óscar pablo paco paloma patricia paula pedro pepe pilar quique rafa
rafael ramón raquel raúl remedios ricardo roberto rocío rodrigo rogelio rosa rosario rubén
salvador samuel santiago sara sebastián sergio silvia sofía soledad susana teresa tomás
valentina valeria vanesa verónica vicente víctor xavi ximena yolanda
"""

# Given names common in the UK, Europe, South Asia, Africa, the Middle East and East Asia that the
# 1990 US Census lists lack (drivers and customers come from everywhere). Written here.
WORLD_GIVEN = """
aaliyah abdul abdullah abena abimbola adebayo adeola adewale aditi aditya adwoa afia agnieszka
ahmad ahmed aisha akosua alejandra aleksandra aleksei alexei alibek amara amina amir anand
anastasia andrzej anil anita anjali ankit anna-maria anya arjun aryan asha ashok ayesha ayodele
babajide bartosz bilal bogdan callum chidi chiamaka chidinma chinedu chioma chukwuemeka cormac
dariusz dawid deepa deepak dev dimitri divya dmitri dmitry efua ekaterina emeka eoin esi fahad
farah farhan fatima fatma femi fiona folake funmilayo ganesh gintaras goran gulnara hamza hana
hassan hina hiroshi ibrahim ifeoma ikechukwu imran inma irina iryna ivan jakub jamal javed jin
jiho joanna kacper kamal kamila karim kasia katarzyna kayode kemi kenji khadija kofi krzysztof
kwabena kwame kwasi lakshmi lamar latoya leila lukasz łukasz magdalena mahmoud maite malik
mandeep manpreet marek mariusz mehmet mei mohamed mohammad mohammed muhammad nadia nasir natasha
navdeep neha ngozi nikhil nikolai nkechi nnamdi obinna oksana olamide oleksandr olena olga
oluwaseun omar osagie pavel pawel paweł piotr pooja priya priyanka radek rahul rajesh rakesh
ravi reza rohan sadia saeed sahil salma samir sanjay sarita seun shabnam shahid shreya siddharth
sina siobhan sunil svetlana tariq tatiana temitope tendai tomasz tunde uchenna usman vikram
vikas vladimir wei wojciech xin yan yasmin yemi yetunde yousef yusuf zainab zara zeynep zhang
zofia zuzanna aoife ciara niamh saoirse sinead oisin ruairi eilidh isla lachlan hamish ailsa
iker aitor unai asier ane leire ainhoa itziar nekane iratxe josu jon mikel xabier oriol pau
arnau jordi laia nuria montse maite nacho quim txema kepa ibai eneko
"""

# Given names that are also everyday words, places, months or brands: a cue or surname is needed.
AMBIGUOUS = """
will rose paris mercedes victoria santiago dolores rosa jesús jesus guadalupe paloma pilar
consuelo amparo angel ángel mark bill grace hope faith joy april may june summer dawn jack
frank pat sue don art ray rich chase hunter carter lane drew miles max victor sierra dallas
austin jordan london sol luz mar rocío soledad remedios milagros asunción esperanza aurora
patience charity ivy holly lily violet iris daisy pearl ruby crystal amber jade sky skye
river rain storm autumn winter star king page lady miss love guy bob sunny rusty penny
dusty sandy misty candy destiny trinity harmony melody brook brooke cliff dale glen heath
lee long man many moon see son tiny van young lincoln jackson madison kent chester florence
georgia virginia carolina montana phoenix sydney adelaide regina salvador mateo marina
charlotte valencia rosario leon león blanca blanco carmen savannah aurora
concepción ciudad santa carmen clemente roma reyes jesús
"""

# Words too common to be read as a name in lower case (English and Spanish function words and
# everyday words that the Census lists happen to hold).
COMMON = """
a an and are as at be but by do for go he her him his i if in is it me my no not of oh ok on
or our out so the to up us we who yes you all any can day did get got had has how its let new
now off old one own say see set she too two use was way why yet al de del el en es la las le
lo los mi mis muy ni no nos o para pero por que se si sin su sus te tu un una uno y ya bien
dia año mes hoy van von mai ma mi ha hay ella ellas dan era eras alta else han está esta nada
buena deja mía mia min ida hung german sunday monday tuesday friday saturday cristal rico
cruz santo sola solo casa bonita linda mayo junio julio pronto claro lunes mon tue wed thu fri
sat sun jan feb mar apr jun jul aug sep sept oct nov dec manual
"""

# Titles: they introduce a name but are never one.
TITLES = """
mr mrs ms miss dr sir madam sr sra srta don doña dña st san santa santo saint
"""

# Words right before a person ("my manager Sarah", "el supervisor Ramírez", "ask for Pete").
_CUES_EN = (
    r"driver|manager|supervisor|dispatcher|dispatch|wife|husband|partner|girlfriend|boyfriend|mates?|"
    r"friend|colleague|co-?worker|customer|rep|boss|sister|brother|mum|mom|dad|son|daughter|cousin|"
    r"neighbou?r|lead|marshal|trainer|named|called|ask\s+for|tell|told|email|emailed|call|contact|"
    r"this\s+is|i\s+am|i'm|im|with|and|mrs?|ms|miss|dr|sir|madam|paired\s+with|agent"
)
_CUES_ES = (
    r"compañer[oa]|compa|supervisor[a]?|encargad[oa]|jef[ea]|gerente|licenciad[oa]|ingenier[oa]|"
    r"client[ea]|señor[a]?|sr|sra|srta|don|doña|dña|repartidor[a]?|vecin[oa]|espos[oa]|mujer|marido|"
    r"novi[oa]|herman[oa]|amig[oa]|prim[oa]|soy|llamad[oa]|se\s+llama|agente|a|con|y|e"
)
# Cues that vouch for a listed given name but not for any capitalised word ("thanks Amazon").
_WEAK_CUES = r"asked|ask|asking|thanks|thank\s+you|shout\s*out(?:\s+to)?|knows?|oye|pregúntale\s+a"
_CUE_BEFORE = re.compile(r"(?i:\b(?:" + _CUES_EN + "|" + _CUES_ES + "|" + _WEAK_CUES + r"))[.,:]?\s+$")
# Words that introduce a person strongly enough that an unknown capitalised word after them is a
# name ("driver Kwame", "el supervisor Ramírez"); "and", "y", "a", "con" are too weak for that.
_STRONG_CUE_BEFORE = re.compile(
    r"(?i:\b(?:"
    + _CUES_EN.replace("|with|and", "")
    + "|"
    + _CUES_ES.replace("|a|con|y|e", "")
    + r"))[,:]?\s+$"
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# A name in lower case counts only if it is among this many most frequent given names of its list.
LOWER_CASE_RANK = 400
# Words after an ambiguous name that show it is a person ("Rose from onboarding", "Rosa la de").
_PERSON_AFTER = re.compile(
    r"^(?:['’]s\s|\s+(?:from|said|says|told|tells|asked|answered|is|was|has|had|keeps|and\s+(?:me|i|my)\b|"
    r"at\s+the|la\s+de|el\s+de|dijo|me\s+dijo|contestó|me\s+firmó|de\s+pagos|de\s+rrhh|"
    r"(?:and|y|&)\s+[A-ZÁÉÍÓÚÑ]))"
)
_PLACE_BEFORE = re.compile(r"(?i:\b(?:san|santa|santo|st|saint|são)\.?\s+)$")
# Words before an ambiguous name that show it is a place ("hasta Dolores Hidalgo", "in Jackson Heights").
_PLACE_CUE = re.compile(r"(?i:\b(?:en|por|hasta|hacia|desde|in|to|into|near|via|colonia|col\.)\s+)$")


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    """Lower case without accents, one kind of apostrophe: how the lists are compared (cached:
    posts repeat the same words, and folding one costs more than looking it up)."""
    return fold(word).replace("’", "'")


def _words(text: str) -> set[str]:
    return {_fold(w) for w in text.split()}


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """Return (given names, names common enough to find in lower case, surnames, ambiguous names,
    words never read as names), all folded."""
    folder = files("names")
    given = set(_words(SPANISH_GIVEN)) | _words(WORLD_GIVEN)
    frequent = set(given)
    rare: set[str] = set()
    for name, usual in (("dist.male.first", 1000), ("dist.female.first", 2000)):
        for rank, line in enumerate(folder.joinpath(name).read_text().splitlines()):
            if line.strip():
                folded = _fold(line.split()[0])
                given.add(folded)
                if rank < LOWER_CASE_RANK:
                    frequent.add(folded)
                elif rank >= usual:
                    rare.add(folded)
    # The tail of the Census lists holds typos and words ("Manual", "Thu"): treat as ambiguous.
    rare -= frequent
    surnames = set()
    for line in folder.joinpath("dist.all.last").read_text().splitlines()[:30000]:
        if line.strip():
            surnames.add(_fold(line.split()[0]))
    common = _words(COMMON) | _words(TITLES)
    given = {g for g in given if len(g) >= 3 and g not in common}
    frequent = {g for g in frequent if g in given}
    return (
        frozenset(given),
        frozenset(frequent),
        frozenset(surnames),
        frozenset(_words(AMBIGUOUS) | rare),
        frozenset(common),
    )


@lru_cache(maxsize=1)
def surname_ranks(top: int = 10000) -> dict[str, int]:
    """Return the `top` most frequent surnames of the 1990 US Census (folded), each with its rank
    (0 the most frequent)."""
    ranks: dict[str, int] = {}
    for line in files("names").joinpath("dist.all.last").read_text().splitlines()[:top]:
        if line.strip():
            ranks.setdefault(_fold(line.split()[0]), len(ranks))
    return ranks


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def find_names(text: str, language: str | None = None) -> Iterator[tuple[int, int]]:
    """Yield the (start, end) spans of the personal names found in `text`."""
    del language  # the lists and cues cover English and Spanish together
    given, frequent, surnames, ambiguous, common = _lists()
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        match = words[i]
        word = match.group()
        folded = _fold(word)
        known = folded in given
        if not known and not (_is_capitalised(word) and folded not in common and len(folded) > 1):
            i += 1  # most words: neither a listed name nor a capitalised unknown word
            continue
        # Cues sit right before a name; looking at a short window keeps this linear in the text.
        before = text[max(0, match.start() - 48) : match.start()]
        if before.endswith(("@", "/", "#")) or before[-1:].isalnum() or _PLACE_BEFORE.search(before):
            i += 1
            continue
        cue = bool(_CUE_BEFORE.search(before))
        strong = bool(_STRONG_CUE_BEFORE.search(before))
        is_name = False
        if known:
            if folded in ambiguous:
                nxt = words[i + 1] if i + 1 < len(words) else None
                surname = (
                    nxt is not None
                    and text[match.end() : nxt.start()] == " "
                    and _is_capitalised(nxt.group())
                    and _fold(nxt.group()) in surnames
                    and _fold(nxt.group()) not in given
                )
                after = bool(_PERSON_AFTER.match(text[match.end() :]))
                place = bool(_PLACE_CUE.search(before))
                is_name = _is_capitalised(word) and not place and (cue or surname or after)
            else:
                is_name = _is_capitalised(word) or folded in frequent
        else:
            is_name = strong  # capitalised, not a common word: a name only after a strong cue
        if not is_name:
            i += 1
            continue
        end_index = i
        while end_index + 1 < len(words) and _continues(
            text, words[end_index], words[end_index + 1], given, surnames, common
        ):
            end_index += 1
        yield match.start(), words[end_index].end()
        i = end_index + 1


def _continues(
    text: str,
    current: re.Match[str],
    following: re.Match[str],
    given: frozenset[str],
    surnames: frozenset[str],
    common: frozenset[str],
) -> bool:
    """Tell whether the next word carries a name on: a capitalised word right after it."""
    gap = text[current.end() : following.start()]
    if gap != " ":
        return False
    word = following.group()
    folded = _fold(word)
    if not _is_capitalised(word) or (word.isupper() and len(word) > 1 and not current.group().isupper()):
        return False
    return folded not in common and (folded in surnames or folded in given or len(folded) > 3)

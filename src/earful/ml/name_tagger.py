"""A statistical finder of people's names in short posts, English and Spanish: a linear-chain CRF.

Each token of a post is described by its own form (folded word, prefix, suffix, shape, case),
by whether lists know it (given names, surnames, titles, words too common to be names), by the
same for its neighbours, and by whether the list-and-cue rules (`earful.ml.names`) took it
for a name. A conditional random field (CRFsuite, through python-crfsuite) reads the whole post
and tags each token B-NAME, I-NAME or O, so a lower-case "kevin" after "told" and "Ramírez" after
"el supervisor" are found while "Jordan" the country and "Ford" the car are not.

The weights are trained here by training/train_names.py (data and figures in docs/model-card.md)
and are stored in CRFsuite's own binary format, which holds numbers and feature names only. The
file's SHA-256 is checked before the tagger reads it, from memory, so an altered file is refused.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import pycrfsuite

from earful.ml import names as rules
from earful.ml.linear import ModelUnavailable

WEIGHTS = Path(__file__).parent / "data" / "models" / "names-3.crfsuite"
WEIGHTS_SHA256 = "b47be685e11c0cc882176393df1633e9d1dd1f298f6a6017cb7cbc494e7489b9"
# Word clusters of e5 vectors (training/build_name_clusters.py) as features: off in every shipped
# name model. They were tried (2026-12-07, `train_names.py --dev-only --clusters F`) and did not help on the
# development split; see docs/model-card.md. A model that reads them must pin the file here.
CLUSTERS: Path | None = None
CLUSTERS_SHA256: str | None = None
CLUSTER_LEVELS: tuple[str, ...] = ("cc=", "c=")  # coarse, fine
CLUSTER_WINDOW = 1  # neighbours this close have their clusters read too
THRESHOLD = 0.3  # chosen on the training script's development split, see training/train_names.py
MAX_TOKENS = 400  # a post longer than this is tagged in windows of this many tokens

# A word (letters and digits, with inner apostrophes and hyphens: "O'Brien", "J-Rod"), a handle
# or hashtag, a possessive "'s", or any other single character that is not a space. The "'s" is
# not part of the word: "Kevin's van" is "Kevin", "'s", "van", as WNUT-17 train's tokens read, so
# the name is the word the lists and the model know.
_TOKEN = re.compile(r"[@#]?\w+(?:['’](?![sS]\b)\w+|-\w+)*|['’][sS]\b|[^\w\s]")
_ENDS_SENTENCE = frozenset('.!?¡¿:;"“”()[]-–—…|•')


def tokens(text: str) -> list[tuple[int, int, str]]:
    """Return the (start, end, token) of each token of `text`."""
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    out: list[str] = []
    for ch in word:
        kind = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out[:6])


@lru_cache(maxsize=131072)
def _own(word: str) -> tuple[str, ...]:
    """Features of a token by itself (cached: posts repeat the same words)."""
    given, frequent, surnames, ambiguous, common = rules._lists()
    folded = rules._fold(word.lstrip("@#"))
    feats = [
        "w=" + folded,
        "sh=" + _shape(word),
        "p2=" + folded[:2],
        "s3=" + folded[-3:],
        "s2=" + folded[-2:],
    ]
    if word[:1] in "@#":
        feats.append("tag=" + word[0])
    if folded in _figure_surnames():
        feats.append("figsur")  # "Trump", "Obama": a public figure is often named by surname alone
    if word[:1].isupper():
        feats.append("cap")
        if word.isupper() and len(word) > 1:
            feats.append("allcaps")
    elif word[:1].islower():
        feats.append("low")
    if len(word) <= 2:
        feats.append("short")
    if folded in given:
        feats.append("given")
        if folded in frequent:
            feats.append("freq")
    if folded in surnames:
        feats.append("sur")
    if folded in ambiguous:
        feats.append("amb")
    if folded in common:
        feats.append("common")
    if folded in _titles():
        feats.append("title")
    feats += _cluster(word)
    seen = _case().get(folded)
    if seen is None:
        feats.append("case=unseen")
    else:
        low, cap = seen
        share = cap / (low + cap)
        feats.append("case=cap" if share >= 0.7 else "case=low" if share <= 0.1 else "case=mix")
        if low + cap >= 50:
            feats.append("case=often")
    return tuple(feats)


@lru_cache(maxsize=1)
def _case() -> dict[str, tuple[int, int]]:
    """Return how often each word was seen in lower case and capitalised mid-sentence
    (training/build_case_lexicon.py)."""
    path = files("earful.ml").joinpath("data", "gazetteers", "case.tsv")
    out: dict[str, tuple[int, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, low, cap = line.split("\t")
            out[word] = (int(low), int(cap))
    return out


_REPEAT3 = re.compile(r"(.)\1{2,}")


@lru_cache(maxsize=131072)
def _cluster(word: str) -> tuple[str, ...]:
    """Return the cluster features of a word (lower-cased as the clustered vocabulary was,
    letters repeated three times or more cut to two); none for a word the clusters lack."""
    if CLUSTERS is None or not CLUSTER_LEVELS:
        return ()
    key = _REPEAT3.sub(r"\1\1", word.lstrip("@#").lower().replace("’", "'"))
    found = _clusters().get(key)
    if found is None:
        return ()
    pairs = zip(("cc=", "c="), found, strict=True)
    return tuple(level + cluster for level, cluster in pairs if level in CLUSTER_LEVELS)


@lru_cache(maxsize=1)
def _clusters() -> dict[str, tuple[str, str]]:
    """Return each clustered word's (coarse, fine) cluster, from the pinned file."""
    return read_clusters(CLUSTERS, CLUSTERS_SHA256) if CLUSTERS is not None else {}


def use_clusters(
    path: Path | None, sha256: str | None, levels: Sequence[str] = ("cc=", "c="), window: int = 1
) -> None:
    """Make the features read the word clusters at `path` (None: none), at these levels ("cc=" the
    coarse cluster, "c=" the fine one), for the token and its neighbours up to `window` away: for
    training experiments (training/train_names.py --clusters)."""
    global CLUSTERS, CLUSTERS_SHA256, CLUSTER_LEVELS, CLUSTER_WINDOW
    CLUSTERS, CLUSTERS_SHA256, CLUSTER_LEVELS, CLUSTER_WINDOW = path, sha256, tuple(levels), window
    for cached in (_own, _near, _cluster, _clusters):
        cached.cache_clear()


def _checked_bytes(path: Path, sha256: str | None, what: str, script: str) -> bytes:
    """Return the file at `path`, refusing it unless its SHA-256 is `sha256` (None skips the check,
    for a file just built); `what` names it and `script` is what builds it again."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as missing:
        raise ModelUnavailable(
            f"the {what} {path.name} is missing: reinstall Earful, or build it with {script}"
        ) from missing
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ModelUnavailable(
            f"the {what} {path.name} is not the file Earful shipped (its SHA-256 differs): reinstall "
            f"Earful, or rebuild it with {script} and record the new hash in earful/ml/name_tagger.py"
        )
    return data


def read_clusters(path: Path, sha256: str | None) -> dict[str, tuple[str, str]]:
    """Read a word-cluster table, refusing it unless its SHA-256 is `sha256` (None skips the check,
    for a table just built)."""
    data = _checked_bytes(path, sha256, "word clusters", "training/build_name_clusters.py")
    out: dict[str, tuple[str, str]] = {}
    for line in data.decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            word, coarse, fine = line.split("\t")
            out[word] = (coarse, fine)
    return out


@lru_cache(maxsize=1)
def _titles() -> frozenset[str]:
    return frozenset(rules._words(rules.TITLES))


# Of a neighbour, only these features are copied (with the neighbour's offset as a prefix).
_NEAR = ("w=", "sh=", "cap", "low", "given", "sur", "title", "common", "tag=", "case=")


@lru_cache(maxsize=131072)
def _near(word: str) -> tuple[str, ...]:
    return tuple(f for f in _own(word) if f.startswith(_NEAR))


GAZETTEERS = ("places", "brands", "people")


@lru_cache(maxsize=len(GAZETTEERS))
def _entries(kind: str) -> tuple[tuple[str, ...], ...]:
    """Return the entries of one list (places, brands or people), each as its tokens."""
    folder = files("earful.ml").joinpath("data", "gazetteers")
    out = []
    for line in folder.joinpath(f"{kind}.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(tuple(w for _, _, w in tokens(line)))
    return tuple(out)


@lru_cache(maxsize=1)
def _gazetteers() -> dict[str, tuple[str, ...]]:
    """Map each folded entry of the place, brand and people lists (as a space-joined run of
    folded tokens) to the lists it is on; a prefix of a longer entry maps to ()."""
    entries: dict[str, tuple[str, ...]] = {}
    for kind in GAZETTEERS:
        for entry in _entries(kind):
            words = [rules._fold(w) for w in entry]
            for k in range(1, len(words)):
                entries.setdefault(" ".join(words[:k]), ())
            key = " ".join(words)
            if kind not in entries.get(key, ()):
                entries[key] = (*entries.get(key, ()), kind)
    return entries


LONGEST_ENTRY = 6  # tokens
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


@lru_cache(maxsize=1)
def _figure_surnames() -> frozenset[str]:
    """Return the last words of the people list's names of two words or more ("Donald Trump" gives
    "trump"), without generational suffixes."""
    out: set[str] = set()
    for entry in _entries("people"):
        words = [rules._fold(w) for w in entry if w[:1].isalpha()]
        words = [w for w in words if w.rstrip(".") not in _SUFFIXES]
        if len(words) >= 2 and len(words[-1]) >= 3:
            out.add(words[-1])
    return frozenset(out)


def listed(words: Sequence[str]) -> list[tuple[str, ...]]:
    """Return, for each token, the gazetteer features of the longest listed run it starts or
    continues ("gz=places", "gzB=people", ...)."""
    entries = _gazetteers()
    folded = [rules._fold(w) for w in words]
    marks: list[tuple[str, ...]] = [()] * len(words)
    i = 0
    while i < len(words):
        best, key = 0, ""
        kinds: tuple[str, ...] = ()
        for k in range(i, min(len(words), i + LONGEST_ENTRY)):
            key = folded[k] if k == i else key + " " + folded[k]
            found = entries.get(key)
            if found is None:
                break
            if found:
                best, kinds = k - i + 1, found
        if not best:
            i += 1
            continue
        for k in range(i, i + best):
            edge = "gzB=" if k == i else "gzI="
            marks[k] = tuple(f"gz={kind}" for kind in kinds) + tuple(edge + kind for kind in kinds)
        i += best
    return marks


def features(
    words: Sequence[str],
    ruled: Sequence[bool],
    language: str | None,
    gazetteer: Sequence[tuple[str, ...]] | None = None,
) -> list[list[str]]:
    """Return the CRF features of each token: its own, its neighbours', the lists it is on (`listed`,
    computed here unless the caller has it), the rules' verdict."""
    lang = "lang=" + (language or "?")
    out: list[list[str]] = []
    n = len(words)
    if gazetteer is None:
        gazetteer = listed(words)
    for i, word in enumerate(words):
        feats = ["bias", lang, *_own(word), *gazetteer[i]]
        if _starts_sentence(words, i):
            feats.append("first")
        if ruled[i]:
            feats.append("rule")
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < n:
                prefix = f"{offset:+d}"
                feats.extend(prefix + f for f in _near(words[j]))
                if abs(offset) <= CLUSTER_WINDOW:
                    feats.extend(prefix + f for f in _cluster(words[j]))
                if abs(offset) == 1:
                    feats.extend(prefix + f for f in gazetteer[j] if f.startswith("gz="))
                    if ruled[j]:
                        feats.append(prefix + "rule")
            else:
                feats.append(f"{offset:+d}edge")
        out.append(feats)
    return out


SURE = 0.5  # what a lone word that is also a place, a brand or an everyday word needs


def _on_a_name_list(folded: str, listed_as: tuple[str, ...]) -> bool:
    given, _, surnames, _, _ = rules._lists()
    return folded in given or folded in surnames or "gz=people" in listed_as


def _starts_sentence(words: Sequence[str], i: int) -> bool:
    return i == 0 or words[i - 1] in _ENDS_SENTENCE


def _usually_lower(folded: str) -> bool:
    """Tell whether the case lexicon saw the word mostly in lower case, often enough to trust it."""
    seen = _case().get(folded)
    return seen is not None and seen[0] >= 5 and seen[1] <= 0.1 * (seen[0] + seen[1])


def _doubt_lone_words(
    words: Sequence[str], gazetteer: Sequence[tuple[str, ...]], labels: list[str], chance: Sequence[float]
) -> None:
    """Take back what the model's marginals over-reach on: a token with a digit in it; a one-word
    name that is also an everyday word, a place or a brand, unless the model is sure of it (in
    lower case such a word, "blanca", "rosa", "mark", is never a name alone); a lone short word in
    capitals that no list knows as a name ("NIE", "ISBN"); a lone word that starts a sentence and
    is usually written in lower case ("Snow day bonus"), unless the model is sure."""
    ambiguous = rules._lists()[3]
    for i, word in enumerate(words):
        if any(ch.isdigit() for ch in word):
            labels[i] = "O"  # names hold no digits; codes, ids and numbers do (handles are found apart)
    for i, label in enumerate(labels):
        if label == "O":
            continue
        alone = (i == 0 or labels[i - 1] == "O") and (i + 1 == len(labels) or labels[i + 1] != "I-NAME")
        if not alone:
            continue
        folded = rules._fold(words[i])
        doubtful = folded in ambiguous or any(f in gazetteer[i] for f in ("gz=places", "gz=brands"))
        if doubtful and (words[i].islower() or chance[i] < SURE):
            labels[i] = "O"
        elif _starts_sentence(words, i) and _usually_lower(folded) and chance[i] < SURE:
            labels[i] = "O"  # "Snow day bonus": a capital that only starts the sentence says nothing
        elif words[i].isupper() and len(words[i]) <= 4 and not _on_a_name_list(folded, gazetteer[i]):
            labels[i] = "O"  # "NIE", "ISBN", "OTP": a short word in capitals alone is an acronym


def ruled_mask(text: str, spans: Sequence[tuple[int, int, str]], language: str | None) -> list[bool]:
    """Tell for each token whether the list-and-cue rules took it for (part of) a name."""
    # A token lies inside a found name when some name that starts at or before it ends at or after
    # its end: one sweep over both, in order of start, not every name against every token (a long
    # hostile line holds thousands of each).
    found = sorted(rules.find_names(text, language))
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    mask = [False] * len(spans)
    reach, j = -1, 0
    for i in order:
        start, end, _ = spans[i]
        while j < len(found) and found[j][0] <= start:
            reach = max(reach, found[j][1])
            j += 1
        mask[i] = end <= reach
    return mask


class NameTagger:
    """Tag the tokens of a post with the shipped CRF; yield the character spans of names.

    A token is part of a name when the model's probability that it is (its marginal of B-NAME
    plus I-NAME) reaches `threshold`: below one half, so the finder leans to recall, as a
    redactor should.
    """

    def __init__(self, model: bytes, threshold: float = THRESHOLD) -> None:
        self._tagger = pycrfsuite.Tagger()
        self.threshold = threshold
        # CRFsuite's in-memory loader loses the label names that marginals need, so the checked
        # bytes go through a private temporary file, removed as soon as the model is read.
        with tempfile.NamedTemporaryFile(suffix=".crfsuite") as copy:
            copy.write(model)
            copy.flush()
            self._tagger.open(copy.name)

    def tag(self, text: str, language: str | None = None) -> list[tuple[int, int, str, str]]:
        """Return (start, end, token, tag) for each token of `text`."""
        spans = tokens(text)
        if not spans:
            return []
        ruled = ruled_mask(text, spans, language)
        words = [w for _, _, w in spans]
        labels: list[str] = []
        for at in range(0, len(words), MAX_TOKENS):
            part = slice(at, at + MAX_TOKENS)
            tagger = self._tagger
            window_words = words[part]
            gazetteer = listed(window_words)
            tagger.set(features(window_words, ruled[part], language, gazetteer))
            best = tagger.tag()
            chance = [1.0 - tagger.marginal("O", i) for i in range(len(best))]
            window = list(best)
            for i, label in enumerate(window):
                if label == "O" and chance[i] >= self.threshold:
                    window[i] = "I-NAME"  # a likely name token the best path left out
            _doubt_lone_words(window_words, gazetteer, window, chance)
            labels += window
        return [(s, e, w, t) for (s, e, w), t in zip(spans, labels, strict=True)]

    def __call__(self, text: str, language: str | None = None) -> Iterator[tuple[int, int]]:
        """Yield the (start, end) character spans of the names in `text`: runs of name tokens
        with nothing but spaces between them."""
        start = end = -1
        for s, e, _, label in self.tag(text, language):
            if label == "O":
                if start >= 0:
                    yield start, end
                start = -1
            elif start >= 0 and label == "I-NAME" and not text[end:s].strip():
                end = e
            else:
                if start >= 0:
                    yield start, end
                start, end = s, e
        if start >= 0:
            yield start, end


def read(path: Path, sha256: str | None) -> NameTagger:
    """Return a tagger over the model at `path`, refusing it unless its SHA-256 is `sha256`
    (None skips the check, for a model just trained)."""
    model = _checked_bytes(path, sha256, "name model", "training/train_names.py")
    return NameTagger(model)


@lru_cache(maxsize=1)
def shipped() -> NameTagger:
    """Return the tagger with the weights that ship with Earful."""
    return read(WEIGHTS, WEIGHTS_SHA256)

"""Train the name model that ships with Earful (src/earful/ml/data/models/names-3.crfsuite).

Data, all of it allowed to train a model that ships:
- WNUT-17 training split (English tweets, CC BY 4.0, Derczynski et al. 2017), read from
  ../shared/data/wnut17: its person mentions are names, every other entity type is not;
- posts the team wrote for this purpose, English and Spanish, social and news style, with names
  and look-alikes (brands, places, products) marked: training/data/pii/names-{en,es}.txt;
- the redactor's first two development sets, tests/data/pii/{sentences,heldout}.txt;
- in the final run only (since names-3), WNUT-17's dev split too (YouTube comments, CC BY 4.0, the
  same source and licence), seen DEV_WEIGHT times: comments of that kind are the hidden target's
  nearest public text, and five-fold cross-validation on it (`--dev-folds`) measured the gain.
Each team post is also seen again with its names swapped for names that Faker's locales make
(so that the model learns where names stand, not which names the team likes), and some in lower
case (as people type).

Never read here: the held-out tests/data/pii/heldout2.txt and the blind sets under bench/blind.

The development run trains on four fifths of WNUT-17 train and of the team's posts and reports on
the other fifths (chosen by a hash of the text): settings and features are chosen on those. It
does not train on WNUT-17 dev, and reports on it. `--dev-folds` splits WNUT-17 dev in five (by a
hash of the text) and, for each fifth, trains as the final run does but on the other four fifths
only, then scores that fifth: the held-out figure for a model that trains on WNUT-17 dev.

    .venv/bin/python training/train_names.py            # train, report, write the weights
    .venv/bin/python training/train_names.py --dev-only # report on the dev split, write nothing
    .venv/bin/python training/train_names.py --dev-folds [--dev-weight 1] # WNUT-17 dev held out by fifths
    .venv/bin/python training/train_names.py --dev-only --clusters F [--cluster-levels cc,c]
        [--cluster-window 1]  # the same with word-cluster features (training/build_name_clusters.py)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pycrfsuite
from build_case_lexicon import lexicon_half

from earful.ml import name_tagger
from earful.pipeline.redact import read_conll, read_marked

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "wnut17"
GOEMOTIONS = ROOT.parent / "shared" / "data" / "goemotions" / "original"
SILVER = 7000  # GoEmotions comments whose masked names are filled with Faker names
DEV_WEIGHT = 2  # times WNUT-17 dev is seen in the final run (chosen by --dev-folds)
TEMPLATED = 1000  # sentences from TEMPLATES (3,000 cost recall on the team split for little precision)
TEAM = ROOT / "training" / "data" / "pii"
RULE_SETS = [
    ROOT / "tests" / "data" / "pii" / "sentences.txt",
    ROOT / "tests" / "data" / "pii" / "heldout.txt",
]
OUT = name_tagger.WEIGHTS
C1 = 0.05
C2 = 0.02
ITERATIONS = 150
FAKER_LOCALES = [
    "en_US", "en_GB", "en_IN", "en_AU", "en_IE", "en_NG", "es_ES", "es_MX", "es_CO", "es_AR",
    "pt_BR", "pl_PL", "de_DE", "fr_FR", "it_IT", "vi_VN", "tr_TR", "ro_RO", "fil_PH", "zh_CN",
]  # fmt: skip

Example = tuple[str, str, list[tuple[int, int]]]  # language, text, name spans


def conll(path: Path) -> list[Example]:
    """Read a CoNLL file of WNUT-17: sentences as text, with the spans of its person mentions."""
    return [(language, text, _names(spans)) for language, text, spans in read_conll(path)]


def marked(path: Path) -> list[Example]:
    """Read a marked set: each sentence with the spans of its NAME marks."""
    return [(language, text, _names(spans)) for language, text, spans in read_marked(path)]


def _names(spans: Sequence[tuple[int, int, str]]) -> list[tuple[int, int]]:
    return [(start, end) for start, end, kind in spans if kind == "NAME"]


def bio(text: str, names: Sequence[tuple[int, int]]) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Tokenise `text` and tag each token B-NAME, I-NAME or O from the name spans."""
    spans = name_tagger.tokens(text)
    labels: list[str] = []
    previous: tuple[int, int] | None = None
    for start, end, _ in spans:
        inside = next(((s, e) for s, e in names if start < e and s < end), None)
        if inside is None:
            labels.append("O")
        else:
            labels.append("I-NAME" if inside == previous else "B-NAME")
        previous = inside
    return spans, labels


def swapped(examples: Iterable[Example], seed: int) -> list[Example]:
    """Return the examples that hold names, each name swapped for a Faker name, some lower-cased."""
    fakers = _fakers(seed)
    rng = random.Random(seed)
    out: list[Example] = []
    for language, text, names in examples:
        if not names:
            continue
        fake = rng.choice(fakers)
        pieces, spans, at, length = [], [], 0, 0
        for start, end in sorted(names):
            original = text[start:end]
            new = _a_name(fake, rng, full=" " in original)
            if original.islower():
                new = new.lower()
            before = text[at:start]
            pieces += [before, new]
            spans.append((length + len(before), length + len(before) + len(new)))
            length += len(before) + len(new)
            at = end
        pieces.append(text[at:])
        out.append((language, "".join(pieces), spans))
    return out


def _fakers(seed: int) -> list[Any]:
    from faker import Faker

    fakers = [Faker(locale) for locale in FAKER_LOCALES]
    for i, fake in enumerate(fakers):
        fake.seed_instance(seed + i)
    return fakers


def _a_name(fake: Any, rng: random.Random, full: bool | None = None) -> str:
    """A Faker name as people type it: full or first or last, mostly capitalised, some lower case."""
    if full is None:
        full = rng.random() < 0.4
    name = fake.name() if full else rng.choice([fake.first_name(), fake.first_name(), fake.last_name()])
    roll = rng.random()
    return name.lower() if roll < 0.2 else name.upper() if roll < 0.23 else name


def silver(seed: int, count: int = SILVER) -> list[Example]:
    """Return Reddit comments from GoEmotions (Apache-2.0) whose "[NAME]" masks are filled with
    Faker names: name contexts of real social text. Half as many comments without a mask come too,
    as they are: their capitalised words are mostly not people."""
    rng = random.Random(seed)
    fakers = _fakers(seed)
    masked, plain = [], []
    for path in sorted(GOEMOTIONS.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.split("\t", 1)[0]
            if lexicon_half(text):
                continue
            (masked if "[NAME]" in text else plain).append(text)
    rng.shuffle(masked)
    rng.shuffle(plain)
    out: list[Example] = []
    for text in masked[:count]:
        if "[RELIGION]" in text:
            continue
        fake = rng.choice(fakers)
        pieces = text.split("[NAME]")
        built, spans = pieces[0], []
        for piece in pieces[1:]:
            name = _a_name(fake, rng)
            spans.append((len(built), len(built) + len(name)))
            built += name + piece
        out.append(("en", built, spans))
    out += [("en", text, []) for text in plain[: count // 2] if "[RELIGION]" not in text]
    return out


# Sentences the team wrote as templates: {company}, {street}, {town} stay unmarked (Faker makes
# company names out of surnames, "Cox, Hewitt and Hope", and streets out of given names, "Jessica
# Inlet"); {name}, {first} and {last} are names.
TEMPLATES = [
    "{company} sent me the wrong order again",
    "I work nights at {company} and the app keeps logging me out",
    "the {company} warehouse on {street} is closed until monday",
    "drove down {street} for twenty minutes because the map said so",
    "traffic on {street} in {town} is a nightmare today",
    "{company} and {company} both pay more than Kestrel per drop",
    "my delivery to {town} got rerouted through {street}",
    "does anyone know if {company} is hiring drivers in {town}?",
    "la bodega de {company} en {street} no abre hasta las 10",
    "me mandaron a {street} en {town} y no había nadie",
    "{name} from {company} never called me back",
    "my manager {first} said {company} would cover the fuel",
    "ask for {first} at the {town} hub, she knows the routes",
    "{name} is the best support agent I've talked to",
    "thanks {first}!! you saved my shift",
    "shoutout to {first} {last} for finding my lost parcel",
    "el encargado {last} nos dijo que {company} paga los viernes",
    "hablé con {first} de soporte y me colgó",
    "{first} and I waited 40 min at {company} on {street}",
    "Mr {last} signed for it, not me",
    "Contact: {name}, {company}",
    "Regards, {name}",
    "I'm {first}, I drive for Kestrel in {town}",
    "Hi, my name is {name} and my account was deactivated",
    "{last}, {first} - driver since 2021",
    "a dog went for me at a house near {town} last night",
    "stuck in traffic outside {town} again",
    "the hub in {town} closed early and nobody told us",
    "moved from {town} to {town} and the app still shows the old zone",
    "deliveries around {town} pay less than in the city",
    "I'm from {town} and we never get surge pricing",
    "cerca de {town} no hay señal y la app se cae",
    "vivo en {town} desde 2019 y nunca me había pasado",
    "{first} from {town} says the same thing happened to her",
]


def templated(seed: int, count: int) -> list[Example]:
    """Return `count` sentences filled from TEMPLATES with Faker's companies, streets, towns and names."""
    rng = random.Random(seed)
    fakers = _fakers(seed)
    out: list[Example] = []
    slot = re.compile(r"\{(company|street|town|name|first|last)\}")
    for _ in range(count):
        fake = rng.choice(fakers)
        template = rng.choice(TEMPLATES)
        built, spans, at = "", [], 0
        for m in slot.finditer(template):
            built += template[at : m.start()]
            kind = m.group(1)
            if kind == "company":
                value = fake.company()
            elif kind == "street":
                value = fake.street_name()
            elif kind == "town":
                value = fake.city()
            else:
                value = _a_name(fake, rng, full=kind == "name")
                if kind == "first" and " " not in value:
                    value = value if rng.random() < 0.8 else value.lower()
            if kind in ("name", "first", "last"):
                spans.append((len(built), len(built) + len(value)))
            built += value
            at = m.end()
        built += template[at:]
        out.append(("es" if " de " in template or " en " in template else "en", built, spans))
    return out


def train(examples: Sequence[Example], path: Path) -> None:
    """Train a CRF on the examples and write it to `path`."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for language, text, names in examples:
        spans, labels = bio(text, names)
        if not spans:
            continue
        words = [w for _, _, w in spans]
        trainer.append(
            name_tagger.features(words, name_tagger.ruled_mask(text, spans, language), language), labels
        )
    trainer.set_params(
        {"c1": C1, "c2": C2, "max_iterations": ITERATIONS, "feature.possible_transitions": True}
    )
    trainer.train(str(path))


def tally(tagger: name_tagger.NameTagger, examples: Sequence[Example]) -> tuple[int, int, int, int]:
    """Return (names, names found: every character of it, spans found, spans that overlap a name)."""
    gold = caught = found = right = 0
    for language, text, names in examples:
        spans = list(tagger(text, language))
        covered = {i for s, e in spans for i in range(s, e)}
        for s, e in names:
            gold += 1
            caught += all(i in covered for i in range(s, e) if not text[i].isspace())
        for s, e in spans:
            found += 1
            right += any(s < ge and gs < e for gs, ge in names)
    return gold, caught, found, right


def ratios(gold: int, caught: int, found: int, right: int) -> tuple[float, float, int]:
    """Return recall, precision and the number of names of a `tally`."""
    return caught / max(gold, 1), right / max(found, 1), gold


def score(tagger: name_tagger.NameTagger, examples: Sequence[Example]) -> tuple[float, float, int]:
    """Return recall (a name every character of which is found) and precision (a found span that
    overlaps a name) of names, and how many names there were."""
    return ratios(*tally(tagger, examples))


def team_examples() -> list[Example]:
    """Return every team-written example (the name sets and the rules' development sets)."""
    out: list[Example] = []
    for path in [*sorted(TEAM.glob("names-*.txt")), *RULE_SETS]:
        out += marked(path)
    return out


def fit(base: Sequence[Example], team: Sequence[Example], path: Path) -> name_tagger.NameTagger:
    """Train on the base and team examples plus the swapped copies of the team's; return the tagger."""
    examples = [
        *base,
        *team,
        *swapped(team, seed=7),
        *swapped(team, seed=8),
        *silver(seed=9),
        *templated(seed=10, count=TEMPLATED),
    ]
    started = time.perf_counter()
    train(examples, path)
    print(f"  trained on {len(examples):,} sentences in {time.perf_counter() - started:.0f} s")
    return name_tagger.read(path, None)


def held_out(example: Example) -> bool:
    """Tell whether an example is in the fifth held out by the development run (by a hash of its text)."""
    return _fifth(example) == 0


def development(
    wnut: Sequence[Example], team: Sequence[Example], wnut_dev: Sequence[Example]
) -> dict[str, tuple[float, float, int]]:
    """Train on 4/5 of WNUT-17 train and of the team's posts; report on the other fifths, the sets
    that features and settings are chosen on, and on WNUT-17 dev, which nothing is chosen on."""
    wnut_held = [e for e in wnut if held_out(e)]
    held = [e for e in team if held_out(e)]
    figures: dict[str, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        print("Development run: WNUT-17 train and team posts split 4/5 train, 1/5 held out")
        rest_wnut = [e for e in wnut if not held_out(e)]
        tagger = fit(rest_wnut, [e for e in team if not held_out(e)], Path(tmp) / "dev.crfsuite")
        for name, examples in (
            ("WNUT-17 train held-out fifth (tweets)", wnut_held),
            ("team held-out fifth, English", [e for e in held if e[0] == "en"]),
            ("team held-out fifth, Spanish", [e for e in held if e[0] == "es"]),
            ("WNUT-17 dev (YouTube comments, never tuned on)", wnut_dev),
        ):
            figures[name] = score(tagger, examples)
            recall, precision, gold = figures[name]
            print(f"  {name:52} names {gold:4}  recall {recall:.3f}  precision {precision:.3f}")
    return figures


def dev_folds(
    wnut: Sequence[Example], team: Sequence[Example], wnut_dev: Sequence[Example], weight: int
) -> tuple[float, float]:
    """Train as the final run does with one fifth of WNUT-17 dev left out, score that fifth, for each
    fifth; print and return recall and precision over the five."""
    total = [0, 0, 0, 0]  # names, found, spans, right: summed over the fifths
    with tempfile.TemporaryDirectory() as tmp:
        for fold in range(5):
            kept = [e for e in wnut_dev if _fifth(e) != fold]
            left = [e for e in wnut_dev if _fifth(e) == fold]
            tagger = fit([*wnut, *kept * weight], team, Path(tmp) / f"fold{fold}.crfsuite")
            counts = tally(tagger, left)
            total = [a + b for a, b in zip(total, counts, strict=True)]
            recall, precision, names = ratios(*counts)
            print(
                f"  fifth {fold} of WNUT-17 dev: names {names}  "
                f"recall {recall:.3f}  precision {precision:.3f}"
            )
    recall, precision, gold = ratios(*total)
    print(
        f"  WNUT-17 dev, each fifth held out (weight {weight}): names {gold}  "
        f"recall {recall:.3f}  precision {precision:.3f}"
    )
    return recall, precision


def _fifth(example: Example) -> int:
    """Return which fifth (0-4) an example falls in, by a hash of its text."""
    return int(hashlib.sha256(example[1].encode()).hexdigest(), 16) % 5


def main() -> None:
    """Train, report on WNUT-17 dev and a team split, and write the shipped weights."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dev-only", action="store_true", help="train on 4/5 of the team's posts, report, write nothing"
    )
    parser.add_argument(
        "--clusters", type=Path, help="a word-cluster table (training/build_name_clusters.py) to try"
    )
    parser.add_argument("--cluster-levels", default="cc,c", help="cc: coarse cluster, c: fine cluster")
    parser.add_argument("--cluster-window", type=int, default=1, help="neighbours whose clusters count")
    parser.add_argument(
        "--dev-folds", action="store_true", help="five-fold figures on WNUT-17 dev, write nothing"
    )
    parser.add_argument("--dev-weight", type=int, default=DEV_WEIGHT, help="times WNUT-17 dev is seen")
    args = parser.parse_args()
    if args.clusters is not None:
        if not args.dev_only:
            sys.exit("--clusters is for --dev-only experiments: names-3 reads no clusters")
        levels = [level + "=" for level in args.cluster_levels.split(",") if level]
        name_tagger.use_clusters(args.clusters.resolve(), None, levels, args.cluster_window)
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Faker and the feature lists iterate over sets: a fixed hash seed makes the weights the
        # same bytes on every run, so the pinned SHA-256 can be reproduced.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})  # noqa: S606
    if not SHARED.is_dir():
        sys.exit(f"WNUT-17 is not at {SHARED}: the model is trained with ../shared beside the repository")
    wnut = conll(SHARED / "wnut17train.conll")
    wnut_dev = conll(SHARED / "emerging.dev.conll")
    team = team_examples()
    if args.dev_folds:
        dev_folds(wnut, team, wnut_dev, args.dev_weight)
        return
    development(wnut, team, wnut_dev)
    if args.dev_only:
        return
    print("Final run: every training example, WNUT-17 dev included")
    tagger = fit([*wnut, *wnut_dev * args.dev_weight], team, OUT)
    recall, precision, gold = score(tagger, wnut_dev)
    print(
        f"  WNUT-17 dev (trained on: not a held-out figure): names {gold} "
        f"recall {recall:.3f} precision {precision:.3f}"
    )
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.1f} MB), SHA-256 {digest}")
    print("paste it into WEIGHTS_SHA256 in src/earful/ml/name_tagger.py")


if __name__ == "__main__":
    main()

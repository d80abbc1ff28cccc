"""PII redaction: recall and precision of the redact stage on marked test sets.

Sets written for Earful in English and Spanish mark each piece of personal data inline as
{KIND:text}. The rules were developed against tests/data/pii/sentences.txt and then improved
against the misses on tests/data/pii/heldout.txt, and the name model trains on both, so the
figures on them are optimistic. tests/data/pii/heldout2.txt was written afterwards, blind to the
rules, and never used to tune them; bench/blind/pii-{en,es}.txt (about 400 social posts each) were
written before anyone looked at what the redactor misses and are never tuned on: their figures
are the honest ones. WNUT-17's dev split (public, person names only, read from ../shared) is
printed too, but the name model trains on it since names-3: its held-out figure is the one
`training/train_names.py --dev-folds` prints (each fifth scored by a model trained without it).
A marked span counts as caught when every one of its
characters is inside a redacted span (of any kind; the typed figure also asks for the right kind).
A redacted span is correct when it overlaps a marked one. Sentences under a "# Spanish" header are
Spanish; the rest English. Run with `make bench` or
`.venv/bin/python bench/pii_redaction.py [--file F] [--conll F --language en|es] [--show]`.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from earful.pipeline.redact import KINDS, default_redactor, read_conll, read_marked

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "data" / "pii"
BLIND = ROOT / "bench" / "blind"
DEFAULTS = [
    SETS / "sentences.txt",
    SETS / "heldout.txt",
    SETS / "heldout2.txt",
    BLIND / "pii-en.txt",
    BLIND / "pii-es.txt",
    BLIND / "names-social-en.txt",
    BLIND / "names-news-es.txt",
]
# Public sets read from ../shared when it is there: WNUT-17's dev split (YouTube comments, CC BY 4.0),
# whose person mentions are marked as names and nothing else is marked.
WNUT_DEV = ROOT.parent / "shared" / "data" / "wnut17" / "emerging.dev.conll"
ROLES = {
    "sentences.txt": "development set: the rules were tuned on it; the name model trains on it",
    "heldout.txt": "second development set: written blind, then the rules were improved on its misses; "
    "the name model trains on it",
    "heldout2.txt": "held-out set: written blind, never tuned on",
    "pii-en.txt": "BLIND set, English social posts: written before the redactor's misses were looked at, "
    "never tuned on",
    "pii-es.txt": "BLIND set, Spanish social and news posts: written before the redactor's misses were "
    "looked at, never tuned on",
    "names-social-en.txt": "BLIND set, English comments about music, games, sport and TV, names only: "
    "written after the name model was built, never tuned on",
    "names-news-es.txt": "BLIND set, Spanish newswire sentences, names only: written after the name "
    "model was built, never tuned on",
    "emerging.dev.conll": "public set, WNUT-17 dev (persons only are marked): the name model TRAINS on it "
    "(since names-3), so this is not a held-out figure; training/train_names.py --dev-folds prints one",
}
PUBLIC = ["KestrelSupport", "KestrelFlex", "kestrel_es"]


def main() -> None:
    """Run the redactor over the sets and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, action="append", help="a marked set (default: all of ours)")
    parser.add_argument("--conll", type=Path, action="append", help="a CoNLL file whose persons are marked")
    parser.add_argument("--language", default="en", help="the language of --conll files (en or es)")
    parser.add_argument("--show", action="store_true", help="print each miss and false alarm")
    args = parser.parse_args()
    if not args.file and not args.conll:
        args.file = [p for p in DEFAULTS if p.exists()]
        args.conll = [WNUT_DEV] if WNUT_DEV.exists() else []
        if not WNUT_DEV.exists():
            print(f"(WNUT-17 dev is not at {WNUT_DEV}: ../shared is not beside the repository; skipped)\n")
    for path in args.file or []:
        measure(path, args.show)
        print()
    for path in args.conll or []:
        measure_sentences(path.name, read_conll(path, args.language), args.show)
        print()


def measure(path: Path, show: bool) -> None:
    """Print recall and precision of the redactor on one marked set."""
    measure_sentences(path.name, read_marked(path), show)


def measure_sentences(
    name: str, sentences: list[tuple[str, str, list[tuple[int, int, str]]]], show: bool
) -> None:
    """Print recall and precision of the redactor, per kind and language, on sentences with marks."""
    redactor = default_redactor(PUBLIC)
    Key = tuple[str, str]  # (language, kind)
    gold: Counter[Key] = Counter()
    caught: Counter[Key] = Counter()
    typed: Counter[Key] = Counter()
    predicted: Counter[Key] = Counter()
    correct: Counter[Key] = Counter()
    started = time.perf_counter()
    for language, text, marked in sentences:
        found = redactor.spans(text, language)
        covered: set[int] = set()
        for start, end, _ in found:
            covered.update(range(start, end))
        for start, end, kind in marked:
            needed = {i for i in range(start, end) if not text[i].isspace()}
            key = (language, kind)
            gold[key] += 1
            if needed <= covered:
                caught[key] += 1
                if any(s <= start and end <= e and k == kind for s, e, k in found):
                    typed[key] += 1
            elif show:
                print(f"MISS {kind:8} {text[start:end]!r:40} in: {text}")
        for start, end, kind in found:
            key = (language, kind)
            predicted[key] += 1
            if any(start < e and s < end for s, e, _ in marked):
                correct[key] += 1
            elif show:
                print(f"FALSE {kind:7} {text[start:end]!r:40} in: {text}")
    elapsed = time.perf_counter() - started

    def ratio(a: int, b: int) -> str:
        return f"{a / b:.3f}" if b else "  -  "

    what = ROLES.get(name, "yours")
    print(f"{len(sentences)} sentences, {sum(gold.values())} marked spans, {name} ({what})")
    print(f"{'kind':8} {'lang':4} {'marked':>6} {'recall':>7} {'typed':>7} {'found':>6} {'precision':>9}")
    for kind in KINDS:
        for language in ("en", "es"):
            k = (language, kind)
            print(
                f"{kind:8} {language:4} {gold[k]:>6} {ratio(caught[k], gold[k]):>7} "
                f"{ratio(typed[k], gold[k]):>7} {predicted[k]:>6} {ratio(correct[k], predicted[k]):>9}"
            )
    for only in ("en", "es", None):
        keys = [k for k in gold | predicted if only is None or k[0] == only]
        g = sum(gold[k] for k in keys)
        print(
            f"{'ALL':8} {only or 'both':4} {g:>6} {ratio(sum(caught[k] for k in keys), g):>7} "
            f"{ratio(sum(typed[k] for k in keys), g):>7} {sum(predicted[k] for k in keys):>6} "
            f"{ratio(sum(correct[k] for k in keys), sum(predicted[k] for k in keys)):>9}"
        )
    per = 1000 * elapsed / max(len(sentences), 1)
    print(f"speed: {per:.2f} ms a sentence ({len(sentences) / elapsed:,.0f} sentences/s)")


if __name__ == "__main__":
    main()

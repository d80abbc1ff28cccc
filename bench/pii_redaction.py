"""PII redaction: recall and precision of the redact stage on marked test sets.

Three sets, written for Earful in English and Spanish, mark each piece of personal data inline as
{KIND:text}. The rules were developed against tests/data/pii/sentences.txt and then improved
against the misses on tests/data/pii/heldout.txt, so the figures on both are optimistic.
tests/data/pii/heldout2.txt was written afterwards, blind to the rules, and never used to tune
them: its figures are the honest ones. A marked span counts as caught when every one of its
characters is inside a redacted span (of any kind; the typed figure also asks for the right kind).
A redacted span is correct when it overlaps a marked one. Sentences under a "# Spanish" header are
Spanish; the rest English. Run with `make bench` or
`.venv/bin/python bench/pii_redaction.py [--file F] [--show]`.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from earful.pipeline.redact import KINDS, default_redactor, parse_marked

SETS = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii"
DEFAULTS = [SETS / "sentences.txt", SETS / "heldout.txt", SETS / "heldout2.txt"]
PUBLIC = ["KestrelSupport", "KestrelFlex", "kestrel_es"]


def load(path: Path) -> list[tuple[str, str, list[tuple[int, int, str]]]]:
    """Return (language, text, marked spans) for each sentence of the file."""
    out = []
    language = "en"
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#"):
            if "spanish" in line.lower():
                language = "es"
            elif "english" in line.lower():
                language = "en"
            continue
        if line:
            # A line break inside one post is written as the two characters backslash and n.
            text, spans = parse_marked(line.replace("\\n", "\n"))
            out.append((language, text, spans))
    return out


def main() -> None:
    """Run the redactor over the set and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, action="append", help="a marked set (default: both of ours)")
    parser.add_argument("--show", action="store_true", help="print each miss and false alarm")
    args = parser.parse_args()
    for path in args.file or DEFAULTS:
        measure(path, args.show)
        print()


def measure(path: Path, show: bool) -> None:
    """Print recall and precision of the redactor on one marked set."""
    sentences = load(path)
    redactor = default_redactor(PUBLIC)
    gold, caught, typed = Counter(), Counter(), Counter()
    predicted, correct = Counter(), Counter()
    started = time.perf_counter()
    for language, text, marked in sentences:
        found = redactor.spans(text, language)
        covered = set()
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

    role = {
        "sentences.txt": "development set: the rules were tuned on it",
        "heldout.txt": "second development set: written blind, then the rules were improved on its misses",
        "heldout2.txt": "held-out set: written blind, never tuned on",
    }
    what = role.get(path.name, "yours")
    print(f"{len(sentences)} sentences, {sum(gold.values())} marked spans, {path.name} ({what})")
    print(f"{'kind':8} {'lang':4} {'marked':>6} {'recall':>7} {'typed':>7} {'found':>6} {'precision':>9}")
    for kind in KINDS:
        for language in ("en", "es"):
            k = (language, kind)
            print(
                f"{kind:8} {language:4} {gold[k]:>6} {ratio(caught[k], gold[k]):>7} "
                f"{ratio(typed[k], gold[k]):>7} {predicted[k]:>6} {ratio(correct[k], predicted[k]):>9}"
            )
    for language in ("en", "es", None):
        keys = [k for k in gold | predicted if language is None or k[0] == language]
        g = sum(gold[k] for k in keys)
        print(
            f"{'ALL':8} {language or 'both':4} {g:>6} {ratio(sum(caught[k] for k in keys), g):>7} "
            f"{ratio(sum(typed[k] for k in keys), g):>7} {sum(predicted[k] for k in keys):>6} "
            f"{ratio(sum(correct[k] for k in keys), sum(predicted[k] for k in keys)):>9}"
        )
    print(f"speed: {len(sentences) / elapsed:,.0f} sentences/s (target: recall at least 0.95)")


if __name__ == "__main__":
    main()

"""Build the case lexicon the name model reads (src/earful/ml/data/gazetteers/case.tsv).

For each word it records how people write it in social text: how often in lower case and how
often capitalised where a sentence does not start. A word nearly always in lower case is an
everyday word; one nearly always capitalised is a proper noun; one never seen is rare. GoEmotions
masks people's names as "[NAME]", so the names of private persons are mostly unseen, while brands
and places keep their capitals: the lexicon tells them apart.

Text read (all of it allowed to ship derived counts): half of GoEmotions' 58k Reddit comments
(Apache-2.0) and Banking77's queries (CC BY 4.0) from ../shared/data, and every post the team
wrote under training/data (English and Spanish).

    .venv/bin/python training/build_case_lexicon.py
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

from earful.ml import name_tagger
from earful.ml.names import _fold

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "earful" / "ml" / "data" / "gazetteers" / "case.tsv"
MIN_SEEN = 3


def lexicon_half(text: str) -> bool:
    """Tell whether a GoEmotions comment is in the half the lexicon counts. The other half is the
    name model's training text (training/train_names.py): were the lexicon counted from the same
    comments, every word of them would be "seen" and the model would learn that unseen means name."""
    return hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0


def texts() -> list[str]:
    """Return every text the lexicon is counted from."""
    out: list[str] = []
    for path in sorted((SHARED / "goemotions" / "original").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.split("\t", 1)[0]
            if lexicon_half(text):
                out.append(text)
    for path in sorted((SHARED / "banking77").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            out += [row["text"] for row in csv.DictReader(handle)]
    for path in sorted((ROOT / "training" / "data").glob("posts-*.jsonl")):
        out += [
            json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    return out


def main() -> None:
    """Count, and write the words seen at least MIN_SEEN times with their lower and capital counts."""
    if not (SHARED / "goemotions").is_dir():
        sys.exit(f"GoEmotions is not at {SHARED / 'goemotions'}: build with ../shared beside the repository")
    lower: Counter[str] = Counter()
    upper: Counter[str] = Counter()
    for text in texts():
        words = [w for _, _, w in name_tagger.tokens(text.replace("[NAME]", " ").replace("[RELIGION]", " "))]
        for i, word in enumerate(words):
            if not word[:1].isalpha():
                continue
            starts = i == 0 or words[i - 1] in name_tagger._ENDS_SENTENCE
            if word.islower():
                lower[_fold(word)] += 1
            elif word[:1].isupper() and not word.isupper() and not starts:
                upper[_fold(word)] += 1
    rows = sorted(w for w in lower.keys() | upper.keys() if lower[w] + upper[w] >= MIN_SEEN)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as handle:
        handle.write(
            "# word, times written in lower case, times capitalised mid-sentence. "
            "Built by training/build_case_lexicon.py\n"
        )
        for word in rows:
            handle.write(f"{word}\t{lower[word]}\t{upper[word]}\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(rows):,} words ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()

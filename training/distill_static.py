"""Distil multilingual-e5-small into static word vectors (step 1 of the tone-static-1 model).

Builds a vocabulary from corpora whose licences allow redistributing what is learned from them,
in English and Spanish, and runs each entry through e5 once, on its own, with the "query: "
prefix (as `earful.ml.embeddings` does), saving the raw 384-dim vectors in a cache
(artifacts/static/, not in git). `training/train_tone.py --static` reads that cache, reduces
the vectors and writes the shipped model.

Vocabulary sources (never any evaluation set's text): the team's posts (training/data/*.jsonl,
Apache-2.0, this repository), GoEmotions train (Apache-2.0), Banking77 train (CC BY 4.0), WNUT-17
train (CC BY 4.0), and Earful's own cue lexicon (`earful.ml.cues`). Every word of the team's
posts and the cue lexicon is kept, then the other corpora's words seen at least twice, most
frequent first, up to --size entries. Tokenisation is `earful.ml.static.tokens`, the one the
runtime uses. Entries are embedded in order of priority, in chunks saved as they finish, so a run
can be stopped and resumed (the model then uses the entries distilled so far).

    .venv/bin/python training/distill_static.py [--size 24000] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from earful.ml import cues
from earful.ml.static import tokens

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "artifacts" / "static"
CHUNK = 500


def corpora(shared: Path) -> tuple[list[str], list[str]]:
    """Return (team texts, public texts) that the vocabulary is drawn from."""
    team = []
    for path in sorted((ROOT / "training" / "data").glob("*.jsonl")):
        team += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    public = []
    for line in (shared / "goemotions" / "group" / "train.tsv").read_text(encoding="utf-8").splitlines():
        public.append(line.split("\t")[0])
    with (shared / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        public += [row["text"] for row in csv.DictReader(handle)]
    sentence: list[str] = []
    for line in (shared / "wnut17" / "wnut17train.conll").read_text(encoding="utf-8").splitlines():
        if line.strip():
            sentence.append(line.split("\t")[0])
        elif sentence:
            public.append(" ".join(sentence))
            sentence = []
    return team, public


def vocabulary(shared: Path, size: int) -> tuple[list[str], Counter[str]]:
    """Return the entries in order of priority and the word counts over all the corpora."""
    team, public = corpora(shared)
    team_counts = Counter(w for t in team for w in tokens(t))
    public_counts = Counter(w for t in public for w in tokens(t))
    lexicon = {w for block in (cues.COMPLAINT, cues.PRAISE) for w in tokens(re.sub(r"[|()?\\]", " ", block))}
    counts = team_counts + public_counts
    first = sorted(set(team_counts) | lexicon, key=lambda w: (-counts[w], w))
    chosen = set(first)
    rest = sorted(
        (w for w, n in public_counts.items() if n >= 2 and w not in chosen), key=lambda w: (-counts[w], w)
    )
    return (first + rest)[:size], counts


def main() -> None:
    """Build the vocabulary and embed the entries not yet cached."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--size", type=int, default=24_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--part", default="0/1", help="K/N: embed only chunks K, K+N, ... (parallel runs)")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    from earful.ml.embeddings import E5Embedder

    words, counts = vocabulary(args.shared, args.size)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "vocabulary.json").write_text(
        json.dumps({"words": words, "counts": {w: counts[w] for w in words}, "total": sum(counts.values())}),
        encoding="utf-8",
    )
    print(f"vocabulary: {len(words):,} entries")
    part, parts = (int(x) for x in args.part.split("/"))
    model = E5Embedder()
    for number, start in enumerate(range(0, len(words), CHUNK)):
        out = CACHE / f"chunk-{start // CHUNK:04d}.npy"
        if number % parts != part or out.exists():
            continue
        started = time.perf_counter()
        vectors = model.embed(words[start : start + CHUNK])
        np.save(out, vectors.astype(np.float32))
        print(f"{out.name}: {len(vectors)} words in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

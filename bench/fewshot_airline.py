"""Few-shot taxonomy: the complaint reasons of the Twitter US Airline Sentiment data, 0/8/32/128
labelled examples per reason, macro-F1 on the rest, Earful's classifier next to two baselines.

The taxonomy (bench/taxonomies/airline-complaints.yaml) gives each of the 10 reasons a description
and example phrases written for Earful from the reason names alone. Negative tweets with a reason
(../shared/data/twitter-airline-sentiment; never copied; duplicate texts dropped) are the data.
For each seed, N tweets per reason are drawn for training (at most half of a reason's tweets, so
every reason keeps some to test on) and every other tweet is a test tweet. Compared:

- TF-IDF + LR: word and character n-grams, one logistic regression (baseline);
- e5 + LR: multilingual-e5-small embeddings, one logistic regression (baseline);
- Earful as deployed by default: the classifier `earful train` builds (`new_classifier`), which
  learns from the labels and from the taxonomy's descriptions and examples, over n-grams and the
  light embedder's vectors (all-MiniLM-L6-v2, earful.ml.minilm; since 2026-12-07);
- Earful with EARFUL_EMBEDDINGS=true: the classifier `earful train` builds then (e5 vectors and
  centroids).

Earful is scored as deployed: a tweet's reason is the first label the classifier gives (what
`predict`, which enrichment calls, returns), or none, which counts as a miss, as `earful eval`
scores it. Every method reads the tweets as Earful stores them (`earful.cli.scoring.as_stored`:
cleaned, then redacted), since the learning loop trains on stored posts and enrichment classifies
redacted text; the deployment watches the six airlines, so their handles are its public handles
(EARFUL_PUBLIC_HANDLES) and stay, while every other @handle becomes [HANDLE]. Tweets that are the
same once stored count once.

The "0" column is the same classifier trained on no labels at all (the taxonomy alone); the
learning curve must never dip below it, so each seed's score is also compared with the zero-label
classifier's on that seed's own test tweets, and the smallest margin is printed.

Split discipline: `--rows select` and `--rows report` keep one half of the tweets each (by a hash
of the text). The classifier's settings (src/earful/ml/trained.py) were chosen with
`--rows select` (seeds 0-4); the figures reported for them come from `--rows report --first-seed
100`, tweets and draws not looked at while choosing. `--rows all` (the default) uses every tweet.

Run with `make bench` or `.venv/bin/python bench/fewshot_airline.py [--shots 8 32 128] [--seeds 5]
[--rows all|select|report] [--first-seed 0] [--no-embeddings] [--embedding-cache FILE.npz]`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from earful.cli.scoring import as_stored
from earful.ml.evaluate import score
from earful.ml.minilm import MiniLMEmbedder
from earful.ml.taxonomy import Taxonomy, load
from earful.ml.trained import new_classifier, train_text_classifier
from earful.pipeline.chain import build_chain
from embedding_cache import CachedEmbedder

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parents[1] / "shared" / "data" / "twitter-airline-sentiment" / "Tweets_minus_holdout.csv"
TAXONOMY = ROOT / "taxonomies" / "airline-complaints.yaml"
NO_LABEL = "(no label)"
TARGET_32 = 45.6  # the hidden target at 32 per reason (on rows kept out of ../shared)
# The accounts the tweets are addressed to: a deployment watching these airlines lists them as public.
AIRLINES = ("united", "AmericanAir", "USAirways", "SouthwestAir", "JetBlue", "VirginAmerica")

Method = Callable[[list[int], list[int]], list[str]]


def read(taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    """Return the negative tweets with a reason, and their reasons as taxonomy keys."""
    key_of = {n.name: n.key for n in taxonomy.nodes}
    texts, keys, seen = [], [], set()
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text, reason = row["text"], row["negativereason"]
            if row["airline_sentiment"] == "negative" and reason and text not in seen:
                seen.add(text)
                texts.append(text)
                keys.append(key_of[reason])
    return texts, keys


def stored(texts: Sequence[str], keys: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """Return (raw texts, texts as Earful stores them, keys), a tweet whose stored text repeats an
    earlier one's left out. The raw text still decides the select / report half, as it always has."""
    chain = build_chain(b"fewshot-bench", None, AIRLINES)
    kept: tuple[list[str], list[str], list[str]] = ([], [], [])
    seen: set[str] = set()
    for text, as_kept, key in zip(texts, as_stored(chain, texts), keys, strict=True):
        if as_kept not in seen:
            seen.add(as_kept)
            for column, value in zip(kept, (text, as_kept, key), strict=True):
                column.append(value)
    return kept


def half(text: str) -> str:
    """Return the half of the rows a tweet belongs to: "select" or "report", by a hash of its text."""
    return "select" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "report"


def split(keys: Sequence[str], shots: int, seed: int, rows: Sequence[int]) -> tuple[list[int], list[int]]:
    """Return (train, test) indices among `rows`: `shots` per key (at most half of its tweets there),
    the rest to test."""
    rng = np.random.default_rng(seed)
    train: list[int] = []
    for key in sorted({keys[i] for i in rows}):
        members = [i for i in rows if keys[i] == key]
        take = min(shots, len(members) // 2)
        train += [int(i) for i in rng.choice(members, size=take, replace=False)]
    chosen = set(train)
    return sorted(train), [i for i in rows if i not in chosen]


def cell(values: Sequence[float]) -> str:
    if not values:
        return f"{'-':>16}"
    if len(values) == 1:
        return f"{100 * values[0]:>16.1f}"
    return f"{100 * np.mean(values):>10.1f} ± {100 * np.std(values):3.1f}"


def main() -> None:
    """Run every method for every number of shots and seed; print macro-F1, mean ± sd over seeds."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--shots", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rows", choices=("all", "select", "report"), default="all")
    parser.add_argument("--no-embeddings", action="store_true", help="leave out the methods using e5")
    parser.add_argument("--embedding-cache", type=Path, help="keep e5 and MiniLM vectors here between runs")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    taxonomy = load(TAXONOMY)
    raw, texts, keys = stored(*read(taxonomy))
    rows = [i for i, t in enumerate(raw) if args.rows == "all" or half(t) == args.rows]
    classes = sorted(set(keys))
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    print(
        f"{len(texts):,} negative tweets with a reason (as stored: cleaned and redacted, the airlines' "
        f"handles public), {len(classes)} reasons; rows: {args.rows}"
    )
    embedder = None if args.no_embeddings else CachedEmbedder([texts[i] for i in rows], args.embedding_cache)
    light = CachedEmbedder([texts[i] for i in rows], args.embedding_cache, MiniLMEmbedder)

    def tfidf(train: list[int], test: list[int]) -> list[str]:
        model = train_text_classifier([texts[i] for i in train], [keys[i] for i in train], c=10.0)
        return [str(p) for p in model.predict([texts[i] for i in test])]

    def e5(train: list[int], test: list[int]) -> list[str]:
        assert embedder is not None
        model = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced")
        model.fit(embedder.embed([texts[i] for i in train]), [keys[i] for i in train])
        return [str(p) for p in model.predict(embedder.embed([texts[i] for i in test]))]

    def earful(embeddings: bool) -> Method:
        def run(train: list[int], test: list[int]) -> list[str]:
            model = new_classifier(taxonomy, embeddings, embedder=embedder if embeddings else light)
            model.fit([texts[i] for i in train], [keys[i] for i in train])
            given = model.predict_many([texts[i] for i in test])  # what `predict` gives, in one batch
            return [found[0].key if found else NO_LABEL for found in given]

        return run

    methods: dict[str, Method] = {"TF-IDF + LR (baseline)": tfidf}
    if embedder is not None:
        methods["e5 + LR (baseline)"] = e5
    ours = {"Earful (default: n-grams + MiniLM)": earful(False)}
    if embedder is not None:
        ours["Earful with EARFUL_EMBEDDINGS"] = earful(True)
    methods.update(ours)

    # Zero labels: each Earful classifier trained on the taxonomy alone, scored on each seed's test rows.
    zero = {name: dict(zip(rows, run([], rows), strict=True)) for name, run in ours.items()}
    results: dict[tuple[str, int], list[float]] = {}
    margins: dict[str, list[tuple[float, int, int]]] = {name: [] for name in ours}
    seconds: dict[str, list[float]] = {}
    for shots in args.shots:
        for seed in seeds:
            train, test = split(keys, shots, seed, rows)
            truth = [keys[i] for i in test]
            labels = [*classes, NO_LABEL]
            for name, method in methods.items():
                started = time.perf_counter()
                predicted = method(train, test)
                seconds.setdefault(name, []).append(time.perf_counter() - started)
                found = score(truth, predicted, labels).macro_f1
                results.setdefault((name, shots), []).append(found)
                if name in zero:
                    results.setdefault((name, 0), [])
                    cold = score(truth, [zero[name][i] for i in test], labels).macro_f1
                    results[name, 0].append(cold)
                    margins[name].append((found - cold, shots, seed))
    header = f"{'0 labels':>16}" + "".join(f"{f'{n} per class':>16}" for n in args.shots)
    print(
        f"macro-F1 × 100 on the test tweets, mean ± sd over seeds {seeds[0]}-{seeds[-1]}, rows: {args.rows}"
        f"\n{'':34}{header}{'s a fit':>9}"
    )
    for name in methods:
        cells = cell(results.get((name, 0), [])) + "".join(cell(results[name, n]) for n in args.shots)
        print(f"{name:34}{cells}{np.mean(seconds[name]):>9.1f}")
    for name, margin in margins.items():
        low, shots, seed = min(margin)
        verdict = "never below it" if low >= 0 else "BELOW IT"
        print(
            f"{name}: {verdict}; smallest margin over the zero-label classifier on the same test tweets "
            f"{100 * low:+.1f} ({shots} per class, seed {seed})"
        )
    if 32 in args.shots:
        baselines = [n for n in methods if n not in ours]
        best = max(np.mean(results[b, 32]) for b in baselines)
        for name in ours:
            mean = 100 * np.mean(results[name, 32])
            print(
                f"{name} at 32 per class: {mean:.1f}, {mean - 100 * best:+.1f} over the better baseline "
                f"(the issue's hidden-row target: {TARGET_32})"
            )


if __name__ == "__main__":
    main()

"""Few-shot taxonomy: the complaint reasons of the Twitter US Airline Sentiment data, 8/32/128 labelled
examples per reason, macro-F1 on the rest, Earful's classifier next to two baselines.

The taxonomy (bench/taxonomies/airline-complaints.yaml) gives each of the 10 reasons a description
and example phrases written for Earful from the reason names alone. Negative tweets with a reason
(../shared/data/twitter-airline-sentiment; never copied; duplicate texts dropped) are the data.
For each seed, N tweets per reason are drawn for training (at most half of a reason's tweets, so
every reason keeps some to test on) and every other tweet is a test tweet. Compared:

- TF-IDF + LR: word and character n-grams, one logistic regression (baseline);
- e5 + LR: multilingual-e5-small embeddings, one logistic regression (baseline);
- Earful, keywords off the table: the taxonomy classifier as deployed by default (TF-IDF, the
  taxonomy's descriptions and examples as prior training data);
- Earful with embeddings (EARFUL_EMBEDDINGS=true): the same, with the e5 embeddings as features.

Target: Earful 5 points of macro-F1 above both baselines at 32 per class.
Run with `make bench` or `.venv/bin/python bench/fewshot_airline.py [--shots 8 32 128] [--seeds 3]`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from earful.ml.evaluate import score
from earful.ml.taxonomy import Taxonomy, load
from earful.ml.trained import TrainedClassifier, train_text_classifier
from embedding_cache import CachedEmbedder

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parents[1] / "shared" / "data" / "twitter-airline-sentiment" / "Tweets_minus_holdout.csv"
TAXONOMY = ROOT / "taxonomies" / "airline-complaints.yaml"


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


def split(keys: Sequence[str], shots: int, seed: int) -> tuple[list[int], list[int]]:
    """Return (train, test) indices: `shots` per key (at most half of its tweets), the rest to test."""
    rng = np.random.default_rng(seed)
    train: list[int] = []
    for key in sorted(set(keys)):
        members = [i for i, k in enumerate(keys) if k == key]
        take = min(shots, len(members) // 2)
        train += [int(i) for i in rng.choice(members, size=take, replace=False)]
    chosen = set(train)
    return sorted(train), [i for i in range(len(keys)) if i not in chosen]


def main() -> None:
    """Run every method for every number of shots and seed; print macro-F1, mean ± sd over seeds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shots", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    taxonomy = load(TAXONOMY)
    texts, keys = read(taxonomy)
    classes = sorted(set(keys))
    print(f"{len(texts):,} negative tweets with a reason, {len(classes)} reasons")
    embedder = CachedEmbedder(texts)

    def tfidf(train: list[int], test: list[int]) -> list[str]:
        model = train_text_classifier([texts[i] for i in train], [keys[i] for i in train], c=10.0)
        return [str(p) for p in model.predict([texts[i] for i in test])]

    def e5(train: list[int], test: list[int]) -> list[str]:
        model = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced")
        model.fit(embedder.embed([texts[i] for i in train]), [keys[i] for i in train])
        return [str(p) for p in model.predict(embedder.embed([texts[i] for i in test]))]

    def earful(embeddings: bool) -> Callable[[list[int], list[int]], list[str]]:
        def run(train: list[int], test: list[int]) -> list[str]:
            model = TrainedClassifier(taxonomy, embedder=embedder if embeddings else None)
            model.fit([texts[i] for i in train], [keys[i] for i in train])
            return model.predict_keys([texts[i] for i in test])

        return run

    methods: dict[str, Callable[[list[int], list[int]], list[str]]] = {
        "TF-IDF + LR (baseline)": tfidf,
        "e5 + LR (baseline)": e5,
        "Earful (default, no embeddings)": earful(False),
        "Earful with embeddings": earful(True),
    }
    results: dict[tuple[str, int], list[float]] = {}
    for shots in args.shots:
        for seed in range(args.seeds):
            train, test = split(keys, shots, seed)
            truth = [keys[i] for i in test]
            for name, method in methods.items():
                predicted = method(train, test)
                results.setdefault((name, shots), []).append(score(truth, predicted, classes).macro_f1)
    header = "".join(f"{f'{n} per class':>16}" for n in args.shots)
    print(f"macro-F1 × 100, mean ± sd over {args.seeds} seeds\n{'':34}{header}")
    for name in methods:
        cells = "".join(
            f"{100 * np.mean(results[name, n]):>10.1f} ± {100 * np.std(results[name, n]):3.1f}"
            for n in args.shots
        )
        print(f"{name:34}{cells}")
    if 32 in args.shots:
        best = max(np.mean(results[b, 32]) for b in ("TF-IDF + LR (baseline)", "e5 + LR (baseline)"))
        for name in ("Earful (default, no embeddings)", "Earful with embeddings"):
            gain = 100 * (np.mean(results[name, 32]) - best)
            print(f"{name} at 32 per class: {gain:+.1f} points over the better baseline (target: +5)")


if __name__ == "__main__":
    main()

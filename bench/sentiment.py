"""Sentiment: macro-averaged recall on the SemEval-2017 Task 4A test set (the TweetEval test set).

Scores the shipped tone model as the default settings run it (tone-cascade-1, zero labels; its
product labels, complaint = negative, which is what `earful eval-sentiment` scores, and its four
classes read as three; target 62), Earful's old cue-word scorer, Earful's trainable sentiment
model trained on the 2013-2016 sets (as it would be on a deployment's own judgements) as it is
deployed by default (n-grams, the shipped tone model's log-probabilities and the light embedder's
all-MiniLM-L6-v2 vectors) and with n-grams alone (EARFUL_LIGHT_EMBEDDINGS=false), the same with
e5's sentence embeddings (`--embeddings`, EARFUL_EMBEDDINGS; embedding the ~57,000 tweets takes
20-30 minutes on 2 cores, MiniLM about 17), and a plain TF-IDF + logistic-regression baseline, in
one run; then the two default forms again trained on 1,800 tweets (600 a class, three draws), the
size of a deployment's first judgements. `--embedding-cache FILE.npz` keeps the vectors between
runs (outside the repository: they are derived from the shared data).
Reads ../shared/data/semeval2017-task4a; never copies it.
Run with `make bench` or
`.venv/bin/python bench/sentiment.py [--embeddings] [--no-light] [--embedding-cache FILE.npz]`.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import statistics
import sys
import time
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.pipeline import FeatureUnion, make_pipeline

from earful.ml import tone
from earful.ml.embeddings import Embedder
from earful.ml.minilm import MiniLMEmbedder
from earful.ml.trained import LIGHT_SENTIMENT_WEIGHT, TrainedSentiment
from earful.pipeline.sentiment import score_text
from embedding_cache import CachedEmbedder

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2017-task4a"
LABELS = ("negative", "neutral", "positive")
OURS = {"complaint": "negative", "neutral": "neutral", "positive": "positive"}
# SemEval's labels as analysts' tones
TONES = {"negative": "complaint", "neutral": "neutral", "positive": "positive"}
# Some files hold literal \u2019-style escapes.
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def read(path: Path) -> tuple[list[str], list[str]]:
    """Return the texts and labels of one SemEval TSV file."""
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 3 and row[1] in LABELS:
                labels.append(row[1])
                texts.append(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), row[2]))
    return texts, labels


def report(name: str, truth: list[str], predicted: list[str], seconds: float) -> None:
    """Print macro-recall, per-class recall and speed."""
    macro = recall_score(truth, predicted, labels=list(LABELS), average="macro")
    per = recall_score(truth, predicted, labels=list(LABELS), average=None)
    classes = "  ".join(f"{label} {r * 100:.1f}" for label, r in zip(LABELS, per, strict=True))
    print(f"{name:28} macro-recall {macro * 100:5.1f}   ({classes})   {len(truth) / seconds:,.0f} texts/s")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embeddings", action="store_true", help="also train with e5 sentence embeddings")
    parser.add_argument(
        "--no-light", action="store_true", help="leave out the light embedder (the default form), for speed"
    )
    parser.add_argument("--embedding-cache", type=Path, help="keep the sentence vectors here between runs")
    parser.add_argument(
        "--choose",
        action="store_true",
        help="only choose the light embedder's weight, on the 2016 dev-test (the 2017 test is not read)",
    )
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    if args.choose:
        choose(args.embedding_cache)
        return
    train_texts, train_labels = earlier_sets()
    test_texts, test_labels = read(DATA / "SemEval2017-task4-test.subtask-A.english.tsv")
    print(f"train {len(train_texts):,} tweets (2013-2016), test {len(test_texts):,} (2017); target: 70")

    started = time.perf_counter()
    ours = [OURS[score_text(text)[0]] for text in test_texts]
    report("Earful's old cue-word scorer", test_labels, ours, time.perf_counter() - started)
    shipped = tone.for_settings(embeddings=False, cascade=True)  # the default settings' tone model
    started = time.perf_counter()
    rows = shipped.probabilities(test_texts)
    seconds = time.perf_counter() - started
    report(f"{shipped.name}, zero labels", test_labels, [OURS[tone.label_of(r)] for r in rows], seconds)
    report("  the same, four classes as three", test_labels, [tone.polarity_of(r) for r in rows], seconds)

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True)),
        ]
    )
    model = make_pipeline(features, LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced"))
    model.fit(train_texts, train_labels)
    started = time.perf_counter()
    predicted = list(model.predict(test_texts))
    report("TF-IDF + logistic regression", test_labels, predicted, time.perf_counter() - started)

    light = (
        None
        if args.no_light
        else CachedEmbedder(train_texts + test_texts, args.embedding_cache, MiniLMEmbedder)
    )
    runs: list[tuple[str, Embedder | None, float]] = [("Earful, trained, n-grams alone", None, 1.0)]
    if light is not None:
        runs.append(("Earful, trained (as deployed)", light, LIGHT_SENTIMENT_WEIGHT))
    if args.embeddings:
        runs.append(
            ("Earful, trained, e5", CachedEmbedder(train_texts + test_texts, args.embedding_cache), 1.0)
        )
    if light is not None or args.embeddings:
        print("(rows with vectors leave embedding out of their speed: MiniLM adds ~15 ms a text, e5 ~26)")
    for name, embedder, weight in runs:
        trained = TrainedSentiment(embedder=embedder, embedding_weight=weight)
        trained.fit(train_texts, [TONES[x] for x in train_labels])
        started = time.perf_counter()
        predicted = [OURS[x] for x in trained.labels(test_texts)]
        report(name, test_labels, predicted, time.perf_counter() - started)

    print("trained on 1,800 of the 2013-2016 tweets (600 a class), three draws, macro-recall on 2017:")
    for name, embedder, weight in runs[:2]:
        figures = []
        for seed in range(3):
            texts, labels = draws(train_texts, train_labels, seed)
            trained = TrainedSentiment(embedder=embedder, embedding_weight=weight).fit(texts, labels)
            predicted = [OURS[x] for x in trained.labels(test_texts)]
            figures.append(recall_score(test_labels, predicted, labels=list(LABELS), average="macro") * 100)
        shown = ", ".join(f"{f:.1f}" for f in figures)
        print(f"{name:30} macro-recall {statistics.mean(figures):5.1f}   (draws {shown})")


def earlier_sets(but: str = "") -> tuple[list[str], list[str]]:
    """Return the texts and labels of the 2013-2016 sets, less the file named `but`."""
    texts: list[str] = []
    labels: list[str] = []
    for path in sorted(DATA.glob("twitter-201[3-6]*.tsv")):
        if path.name != but:
            found, marks = read(path)
            texts += found
            labels += marks
    return texts, labels


def draws(texts: list[str], labels: list[str], seed: int, each: int = 600) -> tuple[list[str], list[str]]:
    """Return `each` texts of every label, drawn with `seed`, and their tones."""
    rng = random.Random(seed)
    by_label: dict[str, list[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        by_label.setdefault(label, []).append(text)
    chosen, marks = [], []
    for label in LABELS:
        chosen += rng.sample(by_label[label], each)
        marks += [TONES[label]] * each
    return chosen, marks


def choose(cache: Path | None) -> None:
    """Print the 2016 dev-test macro-recall of a model trained on 1,800 of the other 2013-2016
    tweets (600 a class, seeds 0-2) at each weight of the light embedder's vectors (0: none): how
    LIGHT_SENTIMENT_WEIGHT was chosen."""
    texts, labels = earlier_sets(but="twitter-2016devtest-A.tsv")
    dev_texts, dev_labels = read(DATA / "twitter-2016devtest-A.tsv")
    light = CachedEmbedder(texts + dev_texts, cache, MiniLMEmbedder)
    print(f"choosing on the 2016 dev-test ({len(dev_texts):,} tweets), trained on 1,800 of {len(texts):,}")
    for weight in (0.0, 0.5, 1.0, 2.0, 3.0):
        figures = []
        for seed in range(3):
            sample, tones = draws(texts, labels, seed)
            model = TrainedSentiment(embedder=light if weight else None, embedding_weight=weight or 1.0)
            predicted = [OURS[x] for x in model.fit(sample, tones).labels(dev_texts)]
            figures.append(recall_score(dev_labels, predicted, labels=list(LABELS), average="macro") * 100)
        shown = ", ".join(f"{f:.1f}" for f in figures)
        print(
            f"weight {weight:3}: macro-recall {statistics.mean(figures):5.1f}   (draws {shown})", flush=True
        )


if __name__ == "__main__":
    main()

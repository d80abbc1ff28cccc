"""Sentiment: macro-averaged recall on the SemEval-2017 Task 4A test set (the TweetEval test set).

Scores Earful's built-in sentiment scorer (complaint = negative), Earful's trainable sentiment
model trained on the 2013-2016 sets (as it would be on a deployment's own judgements), the same
with sentence embeddings (`--embeddings`, EARFUL_EMBEDDINGS; embedding the ~57,000 tweets takes
20-30 minutes on 2 cores), and a plain TF-IDF + logistic-regression baseline, in one run.
Reads ../shared/data/semeval2017-task4a; never copies it.
Run with `make bench` or `.venv/bin/python bench/sentiment.py [--embeddings]`.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.pipeline import FeatureUnion, make_pipeline

from earful.ml.embeddings import Embedder
from earful.ml.trained import TrainedSentiment
from earful.pipeline.sentiment import score_text
from embedding_cache import CachedEmbedder

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2017-task4a"
LABELS = ("negative", "neutral", "positive")
OURS = {"complaint": "negative", "neutral": "neutral", "positive": "positive"}
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
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    train_texts: list[str] = []
    train_labels: list[str] = []
    for path in sorted(DATA.glob("twitter-201[3-6]*.tsv")):
        texts, labels = read(path)
        train_texts += texts
        train_labels += labels
    test_texts, test_labels = read(DATA / "SemEval2017-task4-test.subtask-A.english.tsv")
    print(f"train {len(train_texts):,} tweets (2013-2016), test {len(test_texts):,} (2017); target: 70")

    started = time.perf_counter()
    ours = [OURS[score_text(text)[0]] for text in test_texts]
    report("Earful lexicon (no training)", test_labels, ours, time.perf_counter() - started)

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

    tones = {"negative": "complaint", "neutral": "neutral", "positive": "positive"}
    runs: list[tuple[str, Embedder | None]] = [("Earful, trained", None)]
    if args.embeddings:
        runs.append(("Earful, trained, embeddings", CachedEmbedder(train_texts + test_texts)))
    if args.embeddings:
        print("(the embeddings row's speed leaves out embedding, done beforehand: e5 adds ~26 ms a text)")
    for name, embedder in runs:
        trained = TrainedSentiment(embedder=embedder).fit(train_texts, [tones[x] for x in train_labels])
        started = time.perf_counter()
        predicted = [OURS[x] for x in trained.labels(test_texts)]
        report(name, test_labels, predicted, time.perf_counter() - started)


if __name__ == "__main__":
    main()

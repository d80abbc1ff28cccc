"""Two-level check: GoEmotions as a taxonomy of Ekman group > emotion, macro-F1 at both levels.

Trains Earful's taxonomy classifier (bench/taxonomies/goemotions.yaml: 7 groups, 28 emotions, our
own descriptions) on the GoEmotions training comments (../shared/data/goemotions; never copied),
predicts emotions for the test comments (multi-label), and scores the emotions and, rolled up to
their groups, the Ekman groups. Published with BERT-base (Demszky et al. 2020): 0.46 for the 28
emotions, 0.64 for Ekman. Figures are given at the product's own threshold (0.5), at one threshold
tuned on the dev set, and at one threshold per emotion tuned on the dev set (groups are then
rolled up from the emotions given).
Run with `make bench` or `.venv/bin/python bench/goemotions.py [--train-rows N]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from earful.ml.evaluate import multilabel_scores
from earful.ml.taxonomy import load
from earful.ml.trained import TrainedClassifier

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parents[1] / "shared" / "data" / "goemotions"
TAXONOMY = ROOT / "taxonomies" / "goemotions.yaml"


def read(split: str, level: str) -> tuple[list[str], list[list[str]]]:
    """Return the texts of one split and their label names at one level (original or ekman)."""
    names = (DATA / level / "labels.txt").read_text().split()
    texts, labels = [], []
    for line in (DATA / level / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        texts.append(text)
        labels.append([names[int(i)] for i in ids.split(",")])
    return texts, labels


def main() -> None:
    """Train, predict and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train-rows", type=int, default=0, help="use only this many training rows")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    taxonomy = load(TAXONOMY)
    key_of = {n.key.split(".")[-1]: n.key for n in taxonomy.nodes if not taxonomy.children(n.key)}
    group_of = {key: (taxonomy.get(key).parent or key) for key in key_of.values()}

    train_texts, train_fine = read("train", "original")
    if args.train_rows:
        train_texts, train_fine = train_texts[: args.train_rows], train_fine[: args.train_rows]
    dev_texts, dev_fine = read("dev", "original")
    test_texts, test_fine = read("test", "original")
    _, test_ekman = read("test", "ekman")
    rolled = [sorted({group_of[key_of[n]] for n in names}) for names in test_fine]
    agree = np.mean([set(a) == set(b) for a, b in zip(rolled, test_ekman, strict=True)])
    print(f"our taxonomy's roll-up matches the dataset's own Ekman labels on {agree:.1%} of test rows")

    started = time.perf_counter()
    model = TrainedClassifier(taxonomy).fit(train_texts, [[key_of[n] for n in names] for names in train_fine])
    print(f"trained on {len(train_texts):,} comments in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    dev_probs = model.probabilities(dev_texts)
    test_probs = model.probabilities(test_texts)
    speed = (len(dev_texts) + len(test_texts)) / (time.perf_counter() - started)
    print(f"prediction: {speed:,.0f} comments/s")

    dev_truth = [[key_of[n] for n in names] for names in dev_fine]
    test_truth = [[key_of[n] for n in names] for names in test_fine]
    groups = sorted(set(group_of.values()))

    def scores(
        probs: np.ndarray, truth: list[list[str]], threshold: float | np.ndarray
    ) -> tuple[float, float]:
        predicted = [[model.classes[j] for j in np.flatnonzero(row >= threshold)] for row in probs]
        fine = multilabel_scores(truth, predicted, model.classes)["macro_f1"]
        coarse = multilabel_scores(
            [sorted({group_of[k] for k in t}) for t in truth],
            [sorted({group_of[k] for k in p}) for p in predicted],
            groups,
        )["macro_f1"]
        return fine, coarse

    grid = np.arange(0.05, 0.8, 0.05)
    tuned = max(grid, key=lambda t: scores(dev_probs, dev_truth, float(t))[0])
    dev_matrix = np.array([[1 if k in t else 0 for k in model.classes] for t in dev_truth])
    per_label = np.array([_best(dev_matrix[:, j], dev_probs[:, j], grid) for j in range(len(model.classes))])
    print(f"{'threshold':32} {'28 emotions':>12} {'Ekman groups':>13}")
    rows: list[tuple[str, float | np.ndarray]] = [
        ("0.50 (the product's)", 0.5),
        (f"{tuned:.2f} (one, tuned on dev)", float(tuned)),
        ("one per emotion, tuned on dev", per_label),
    ]
    for label, threshold in rows:
        fine, coarse = scores(test_probs, test_truth, threshold)
        print(f"{label:32} {fine:>12.3f} {coarse:>13.3f}")
    print(f"{'published, BERT-base':32} {0.46:>12.3f} {0.64:>13.3f}")


def _best(truth: np.ndarray, probs: np.ndarray, grid: np.ndarray) -> float:
    """Return the threshold of `grid` that gives one emotion its best F1."""
    return float(max(grid, key=lambda t: _f1(truth, probs >= t)))


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = float(np.sum(truth & predicted))
    return 2 * tp / (float(truth.sum()) + float(predicted.sum())) if tp else 0.0


if __name__ == "__main__":
    main()

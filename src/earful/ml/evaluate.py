"""Hold a classifier against labelled data: per-category precision, recall, F1, confusion matrix.

Used by `earful eval` and `earful eval-sentiment`, and by the benchmarks, so anyone can measure
Earful's models on their own data the same way the project does.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


class EvalDataError(ValueError):
    """A labelled CSV that cannot be used, with what to fix."""


@dataclass(frozen=True, slots=True)
class Scores:
    """How well predictions match the truth, per label and overall."""

    labels: list[str]
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    macro_f1: float
    macro_recall: float
    accuracy: float
    confusion: list[list[int]]


def read_labelled(path: Path, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    """Read (texts, labels) from a CSV with a header; rows with an empty text or label are skipped."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            for needed in (text_column, label_column):
                if needed not in columns:
                    raise EvalDataError(
                        f"{path.name} has no column {needed!r}; its columns are "
                        f"{', '.join(columns) or 'none'}. "
                        "Name the right ones with --text-column and --label-column."
                    )
            texts, labels = [], []
            for row in reader:
                text, label = (row.get(text_column) or "").strip(), (row.get(label_column) or "").strip()
                if text and label:
                    texts.append(text)
                    labels.append(label)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EvalDataError(f"cannot read {path}: {exc}") from exc
    if not texts:
        raise EvalDataError(f"{path.name} has no rows with both a text and a label")
    return texts, labels


def sample_shots(
    texts: Sequence[str], labels: Sequence[str], shots: int, seed: int
) -> tuple[list[str], list[str]]:
    """Return at most `shots` examples of each label, drawn with `seed`."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(seed)
    chosen: list[int] = []
    for label in sorted(by_label):
        indices = by_label[label]
        chosen += rng.sample(indices, min(shots, len(indices)))
    chosen.sort()
    return [texts[i] for i in chosen], [labels[i] for i in chosen]


def score(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> Scores:
    """Return the scores of `predicted` against `truth`."""
    names = list(labels) if labels else sorted(set(truth) | set(predicted))
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=names, zero_division=0)
    present = [n for n in names if n in set(truth)]
    return Scores(
        labels=names,
        precision=[float(x) for x in p],
        recall=[float(x) for x in r],
        f1=[float(x) for x in f],
        support=[int(x) for x in s],
        macro_f1=float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)),
        macro_recall=float(np.mean([r[names.index(n)] for n in present])) if present else 0.0,
        accuracy=float(np.mean([a == b for a, b in zip(truth, predicted, strict=True)])),
        confusion=confusion_matrix(truth, predicted, labels=names).tolist(),
    )


def over_seeds(run: Callable[[int], Scores], seeds: int) -> tuple[Scores, float, float]:
    """Run `run(seed)` for each seed; return the first run's scores and the mean and spread of macro-F1."""
    results = [run(seed) for seed in range(seeds)]
    values = [r.macro_f1 for r in results]
    return results[0], float(np.mean(values)), float(np.std(values))


def multilabel_scores(
    truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], labels: Sequence[str]
) -> dict[str, Any]:
    """Return per-label precision/recall/F1/support of label sets, with macro-F1 over the labels
    that occur in the truth and micro-F1 over all decisions."""
    per_label: dict[str, dict[str, float]] = {}
    tp_all = fp_all = fn_all = 0
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if label in t and label in p)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if label not in t and label in p)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if label in t and label not in p)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    present = [v["f1"] for v in per_label.values() if v["support"]]
    micro = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all else 0.0
    return {
        "labels": per_label,
        "macro_f1": round(float(np.mean(present)), 4) if present else 0.0,
        "micro_f1": round(micro, 4),
    }


def calibration_error(probabilities: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Return the expected calibration error: how far, weighted by how often, the stated
    probabilities are from the observed frequencies, over equal-width probability bins."""
    p = probabilities.ravel()
    y = truth.ravel().astype(float)
    if p.size == 0:
        return 0.0
    edges = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        inside = edges == b
        if inside.any():
            error += float(inside.sum()) / p.size * abs(float(p[inside].mean()) - float(y[inside].mean()))
    return round(float(error), 4)


def holdout_split(n: int, share: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Return (train, held-out) index lists, a `share` of `n` held out at random with `seed`."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    cut = max(1, round(n * share))
    return sorted(order[cut:]), sorted(order[:cut])

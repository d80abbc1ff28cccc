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

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support


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

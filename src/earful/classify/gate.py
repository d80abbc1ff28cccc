"""The gate a retrained classifier passes before it is put to use.

One analyst-labelled post in five, chosen by its id, is held out: no model is ever trained on it,
so every model (and the keyword classifier) can be scored on the same posts none of them has seen.
A new model is put to use only when

- at least MIN_HELD_OUT held-out posts carry analyst labels,
- at least MIN_CATEGORIES subcategories have MIN_PER_CATEGORY held-out labels each (the scored
  subcategories), and
- its macro-F1 over the scored subcategories beats the model in use by at least MARGIN.

Otherwise it is kept as a candidate, with the reason, for a lead to promote or leave.

Analysts may label a post with a whole category ("safety") when no subcategory fits or they cannot
tell which. Such a label counts for its category: a held-out post carrying one is scored in the
category-level figures, but not in the subcategory figures the gate decides on (its subcategories
are unknown, so a model that names one would be wrongly counted as a false alarm). Posts whose
labels are all subcategories, or categories without subcategories, are scored at both levels.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from earful.ml.evaluate import calibration_error, multilabel_scores
from earful.ml.taxonomy import Taxonomy
from earful.ml.trained import TrainedClassifier
from earful.pipeline.classify import Classifier

HOLDOUT_BUCKETS = 5  # one analyst-labelled post in this many is held out of every training
MIN_HELD_OUT = 20
MIN_PER_CATEGORY = 5
MIN_CATEGORIES = 2
MARGIN = 0.02

Example = tuple[int, str, list[str]]  # post id, text, leaf keys


def held_out(post_id: int) -> bool:
    """Return True when the post's analyst labels are kept for evaluation, never for training."""
    # A multiplicative hash, so the held-out posts are spread over time and sources, not every fifth.
    return (post_id * 2654435761) % 2**32 % HOLDOUT_BUCKETS == 0


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """Return (training, held-out) analyst-labelled posts."""
    train = [e for e in examples if not held_out(e[0])]
    held = [e for e in examples if held_out(e[0])]
    return train, held


def subcategory_level(taxonomy: Taxonomy, examples: list[Example]) -> list[Example]:
    """Return the examples whose every label is a leaf (a subcategory, or a category without any)."""
    return [e for e in examples if all(not taxonomy.children(key) for key in e[2])]


@dataclass(slots=True)
class Verdict:
    """Whether a new model goes into use, and why."""

    better: bool
    reason: str


def _predict(classifier: Classifier, texts: list[str]) -> list[list[str]]:
    if isinstance(classifier, TrainedClassifier):
        return [[p.key for p in found] for found in classifier.predict_many(texts)]
    return [[p.key for p in classifier.predict(text)] for text in texts]


def evaluate(
    taxonomy: Taxonomy,
    held: list[Example],
    candidate: TrainedClassifier,
    in_use: Classifier,
    in_use_name: str,
    trained_on: int,
) -> tuple[dict[str, Any], Verdict]:
    """Score the candidate and the model in use on the held-out posts; say whether to switch."""
    evaluation: dict[str, Any] = {
        "held_out": len(held),
        "trained_on": trained_on,
        "in_use_model": in_use_name,
    }
    whole = held
    held = subcategory_level(taxonomy, whole)
    if len(held) < len(whole):
        evaluation["held_out_category_level"] = len(whole) - len(held)
    support = Counter(key for _, _, keys in held for key in keys)
    scored = sorted(key for key, n in support.items() if n >= MIN_PER_CATEGORY)
    evaluation["scored_subcategories"] = scored
    if not whole:
        evaluation["note"] = f"no held-out labels yet; at least {MIN_HELD_OUT} are needed to score a model"
        return evaluation, Verdict(False, f"0 held-out labels; needs at least {MIN_HELD_OUT}")
    parent = {node.key: node.parent or node.key for node in taxonomy.nodes}
    everything = _predict(candidate, [text for _, text, _ in whole])
    evaluation["categories"] = multilabel_scores(
        [sorted({parent[k] for k in keys}) for _, _, keys in whole],
        [sorted({parent[k] for k in p if k in parent}) for p in everything],
        sorted({node.key for node in taxonomy.categories}),
    )
    if not held:
        return evaluation, Verdict(False, f"0 held-out subcategory labels; needs at least {MIN_HELD_OUT}")
    texts = [text for _, text, _ in held]
    truth = [keys for _, _, keys in held]
    by_id = {e[0]: p for e, p in zip(whole, everything, strict=True)}
    mine = [by_id[pid] for pid, _, _ in held]
    theirs = _predict(in_use, texts)
    evaluation["subcategories"] = multilabel_scores(truth, mine, candidate.classes)
    probabilities = candidate.probabilities(texts)
    truth_matrix = np.array([[1 if key in t else 0 for key in candidate.classes] for t in truth])
    evaluation["calibration_error"] = calibration_error(probabilities, truth_matrix)
    if len(held) < MIN_HELD_OUT:
        return evaluation, Verdict(False, f"{len(held)} held-out labels; needs at least {MIN_HELD_OUT}")
    if len(scored) < MIN_CATEGORIES:
        return evaluation, Verdict(
            False,
            f"{len(scored)} subcategor{'y has' if len(scored) == 1 else 'ies have'} "
            f"{MIN_PER_CATEGORY} held-out labels or more; needs at least {MIN_CATEGORIES}",
        )
    new = multilabel_scores(truth, mine, scored)["macro_f1"]
    old = multilabel_scores(truth, theirs, scored)["macro_f1"]
    evaluation["gate"] = {"macro_f1": new, "in_use_macro_f1": old, "margin": MARGIN}
    figures = f"macro-F1 {new:.2f} vs {old:.2f} for {in_use_name} on {len(held)} held-out labels"
    if new >= old + MARGIN:
        return evaluation, Verdict(True, figures)
    return evaluation, Verdict(False, f"{figures}; needs to beat it by {MARGIN}")

"""Train the urgency model that ships with Earful (src/earful/ml/data/models/urgency-1.npz).

Data: every post in training/data/*.jsonl (written by our team for this purpose, English and
Spanish, Apache-2.0), with its "urgent" flag. The rules' development sets under training/dev are
left out on purpose: the rules were tuned on them, so the model would learn to trust the rules
more than they deserve. The blind set under bench/blind is never read here.

One post in five (by a hash of its text) is held out: the script trains on the rest and prints
precision and recall of "urgent" on it, then trains on everything and writes the weights and
their SHA-256 (paste it into WEIGHTS_SHA256 in src/earful/ml/urgency_model.py).

    .venv/bin/python training/train_urgency.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score, recall_score
from train_tone import held_out

from earful.ml import linear, urgency, urgency_model

ROOT = Path(__file__).resolve().parents[1]
TEAM = ROOT / "training" / "data"
C = 1.0
RULES_SCALE = 3.0  # the rules' columns are held back less by the L2 penalty than any one n-gram


def posts() -> list[tuple[str, bool, str]]:
    """Return (text, urgent, file stem) for every post the team wrote."""
    rows = []
    for path in sorted(TEAM.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((row["text"], bool(row["urgent"]), path.stem))
    return rows


def fit(texts: list[str], urgent: list[bool], c: float = C) -> urgency_model.UrgencyModel:
    """Train an urgency model on texts and their urgent flags."""
    idf = linear.idf_of(texts)
    found = [urgency.assess(t) for t in texts]
    matrix = linear.rows(linear.clip(texts), idf, urgency_model.dense(found))
    scale = np.ones(matrix.shape[1])
    scale[-urgency_model.DENSE :] = RULES_SCALE
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(matrix @ sparse.diags(scale), urgent)
    weights = model.coef_[0] * scale
    coef = np.stack([np.zeros_like(weights), weights])
    intercept = np.array([0.0, model.intercept_[0]])
    return urgency_model.UrgencyModel(idf=idf, coef=coef, intercept=intercept)


def main() -> None:
    """Train, report on the held-out posts, train on everything, write the weights."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=urgency_model.WEIGHTS)
    parser.add_argument("-C", type=float, default=C, help="inverse L2 strength")
    parser.add_argument(
        "--held-out-only", action="store_true", help="train on the 4/5 split only and save that"
    )
    args = parser.parse_args()
    rows = posts()
    kept = [r for r in rows if not held_out(r[0])]
    dev = [r for r in rows if held_out(r[0])]
    print(f"team posts: {len(rows):,}, {sum(r[1] for r in rows):,} urgent; {len(dev):,} held out")
    started = time.perf_counter()
    model = fit([r[0] for r in kept], [r[1] for r in kept], args.C)
    print(f"trained on {len(kept):,} posts in {time.perf_counter() - started:.0f} s")
    for language in ("en", "es"):
        part = [r for r in dev if f"-{language}" in r[2]]
        texts = [r[0] for r in part]
        truth = [r[1] for r in part]
        found = [urgency.assess(t) for t in texts]
        rules = [said.score >= urgency.URGENT for said in found]
        mine = list(model.probability(texts, found) >= urgency.URGENT)
        print(
            f"held out, {language} ({len(part)} posts, {sum(truth)} urgent):"
            f" model precision {precision_score(truth, mine):.3f} recall {recall_score(truth, mine):.3f};"
            f" rules precision {precision_score(truth, rules):.3f} recall {recall_score(truth, rules):.3f}"
        )
    final = model if args.held_out_only else fit([r[0] for r in rows], [r[1] for r in rows], args.C)
    digest = final.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), sha256 {digest}")


if __name__ == "__main__":
    main()

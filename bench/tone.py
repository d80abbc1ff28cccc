"""Tone with zero labels: complaint or not, and negative / neutral / positive, in English and
Spanish, for every candidate model, with its speed, in one table.

Candidates: Earful's shipped tone models (`ml/tone.py`): tone-static-1 (static word vectors
distilled from e5, measured here and not used by the server), tone-1 (hashed n-grams), with
`--embeddings` the shipped e5 tone model (what it runs under EARFUL_EMBEDDINGS) and
tone-cascade-1 (what it runs by default, before any label), the
cue-word scorer they replaced, and VADER (a lexicon; English and emoji only). None of them was
trained on any set scored here.

Sets:
- airline: 14,000 tweets to US airlines (../shared), "negative" counted as a complaint; its dev
  fifth (rows whose index % 5 == 0) was used to choose tone-static-1's settings, so the other
  four fifths are scored apart: only they (and the sets below) were never tuned on;
- blind complaint / blind urgency: posts the team wrote for testing only (bench/blind), never
  used to train or tune; Spanish rows give the Spanish three-way figure;
- SemEval-2017 test (../shared): general English tweets, three-way macro-recall, the task's own
  measure (VADER 57.8 there; target 62).
Three-way figures are given two ways: "3-way" reads a model's four classes as three (complaint
and a bad feeling both negative); "product labels" scores what Earful stores and `earful
eval-sentiment` scores (a bad feeling that reports no problem is neutral, by the product's
definition of a complaint), which is lower wherever general bad feelings are labelled negative.
Speed is texts per second one at a time on one core, as the enrichment chain calls it. With
`--embeddings` it also scores tone-cascade-1 (tone-1, then tone-e5-1 on the posts whose tone-1
complaint probability falls in tone.CASCADE_BAND, a band chosen on the airline dev fifth and
the held-out team posts) and prints the share of each set it sent to e5.

    .venv/bin/python bench/tone.py [--embeddings] [--sample N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, recall_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from earful.ml import tone
from earful.ml.cues import score_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BLIND = ROOT / "bench" / "blind"
POLARITY = ("negative", "neutral", "positive")

# A candidate gives, for a list of texts, (complaint?, polarity, product label) per text: the
# polarity reads the model's four classes as three (complaint and a bad feeling both negative);
# the product label is what Earful stores (`tone.label_of`: a bad feeling that reports no problem
# is neutral), with complaint written as negative, which is what `earful eval-sentiment` scores.
Candidate = Callable[[list[str]], list[tuple[bool, str, str]]]


def one_at_a_time(
    model: tone.ToneModel | tone.EmbeddingToneModel | tone.StaticToneModel, texts: list[str]
) -> list[tuple[bool, str, str]]:
    """Score a shipped tone model one text at a time, as the chain runs it (embedding included)."""
    out = []
    for text in texts:
        row = model.probabilities([text])[0]
        out.append(triple(row))
    return out


def triple(row: np.ndarray) -> tuple[bool, str, str]:
    """Return (complaint?, polarity, product label with complaint as negative) of one probability row."""
    label = tone.label_of(row)
    return label == "complaint", tone.polarity_of(row), "negative" if label == "complaint" else label


def shipped(texts: list[str]) -> list[tuple[bool, str, str]]:
    """The shipped tone model, tone-1."""
    return one_at_a_time(tone.shipped(), texts)


def shipped_static(texts: list[str]) -> list[tuple[bool, str, str]]:
    """The static tone model, tone-static-1."""
    return one_at_a_time(tone.shipped_static(), texts)


def shipped_e5(texts: list[str]) -> list[tuple[bool, str, str]]:
    """The shipped e5 tone model (EARFUL_EMBEDDINGS on)."""
    return one_at_a_time(tone.shipped_e5(), texts)


ESCALATED: list[float] = []  # the share of each scored set the cascade sent to e5, in order


def shipped_cascade(texts: list[str]) -> list[tuple[bool, str, str]]:
    """The cascade (EARFUL_TONE_CASCADE on): tone-1, then tone-e5-1 where tone-1 is unsure."""
    model = tone.shipped_cascade()
    out = []
    again = 0
    for text in texts:
        first = model.first.probabilities([text])
        unsure = bool(model.unsure(first)[0])
        row = model.second.probabilities([text])[0] if unsure else first[0]
        again += unsure
        out.append(triple(row))
    ESCALATED.append(again / max(len(texts), 1))
    return out


def cue_words(texts: list[str]) -> list[tuple[bool, str, str]]:
    """The old built-in scorer: complaint counts as negative."""
    out = []
    for text in texts:
        label = score_text(text)[0]
        said = {"complaint": "negative"}.get(label, label)
        out.append((label == "complaint", said, said))
    return out


def vader(texts: list[str]) -> list[tuple[bool, str, str]]:
    """VADER with its authors' thresholds (compound >= 0.05 positive, <= -0.05 negative)."""
    analyser = SentimentIntensityAnalyzer()
    out = []
    for text in texts:
        compound = analyser.polarity_scores(text)["compound"]
        polarity = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
        out.append((polarity == "negative", polarity, polarity))
    return out


CANDIDATES: dict[str, Candidate] = {
    "tone-static-1": shipped_static,
    "tone-1": shipped,
    "cue words (old)": cue_words,
    "VADER": vader,
}


def airline(dev: bool, shared: Path = SHARED) -> list[tuple[str, bool, str]]:
    """Return (text, complaint?, polarity) for the airline tweets of the dev fifth or the rest (the
    one split: training/choose_cascade.py reads the dev fifth from here too)."""
    path = shared / "twitter-airline-sentiment" / "Tweets_minus_holdout.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (r["text"], r["airline_sentiment"] == "negative", r["airline_sentiment"])
            for i, r in enumerate(csv.DictReader(handle))
            if (i % 5 == 0) == dev
        ]


def semeval() -> list[tuple[str, bool, str]]:
    """Return (text, negative?, polarity) for the SemEval-2017 test tweets."""
    path = SHARED / "semeval2017-task4a" / "SemEval2017-task4-test.subtask-A.english.tsv"
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 3 and row[1] in POLARITY:
                rows.append((row[2], row[1] == "negative", row[1]))
    return rows


def blind(name: str, language: str | None) -> list[tuple[str, bool, str]]:
    """Return (text, complaint?, polarity) for a blind set, of one language or all."""
    rows = []
    for line in (BLIND / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if language in (None, row["lang"]):
            label = row["label"]
            rows.append((row["text"], label == "complaint", "negative" if label == "complaint" else label))
    return rows


def main() -> None:
    """Score every candidate on every set and print one table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--embeddings", action="store_true", help="also score the e5 tone model (slow)")
    parser.add_argument("--sample", type=int, default=0, help="score at most this many rows of each set")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    missing = [p for p in (SHARED, BLIND / "complaint.jsonl", BLIND / "urgency.jsonl") if not p.exists()]
    if missing:
        sys.exit(
            f"missing {', '.join(map(str, missing))}: this benchmark needs ../shared/data and bench/blind"
        )
    sets = {
        "airline dev fifth (tuned), complaint F1": ("complaint", airline(True)),
        "airline dev fifth (tuned), 3-way recall": ("polarity", airline(True)),
        "airline other 4/5, complaint F1 (en)": ("complaint", airline(False)),
        "airline other 4/5, 3-way macro-recall": ("polarity", airline(False)),
        "blind complaint, complaint F1 (en)": ("complaint", blind("complaint", "en")),
        "blind complaint, complaint F1 (es)": ("complaint", blind("complaint", "es")),
        "blind, 3-way macro-recall (es)": ("polarity", blind("complaint", "es") + blind("urgency", "es")),
        "blind, 3-way macro-recall (en)": ("polarity", blind("complaint", "en") + blind("urgency", "en")),
        "SemEval-2017 test, 3-way macro-recall (en)": ("polarity", semeval()),
        "SemEval-2017 test, product labels, 3-way": ("product", semeval()),
        "blind, product labels, 3-way (es)": ("product", blind("complaint", "es") + blind("urgency", "es")),
    }
    if args.sample:
        rng = random.Random(0)
        sets = {k: (kind, rng.sample(rows, min(args.sample, len(rows)))) for k, (kind, rows) in sets.items()}
    if args.embeddings:
        CANDIDATES["tone-e5-1 (EMBEDDINGS on)"] = shipped_e5
        CANDIDATES["tone-cascade-1"] = shipped_cascade
    names = list(CANDIDATES)
    share = " share to e5" if args.embeddings else ""
    print(f"{'set':44} {'rows':>6} " + " ".join(f"{n:>24}" for n in names) + share)
    speed: dict[str, float] = {}
    for title, (kind, rows) in sets.items():
        texts = [r[0] for r in rows]
        cells = []
        for name in names:
            started = time.perf_counter()
            found = CANDIDATES[name](texts)
            speed[name] = speed.get(name, 0.0) + time.perf_counter() - started
            if kind == "complaint":
                value = f1_score([r[1] for r in rows], [f[0] for f in found], average="macro")
            else:
                said = [f[1] if kind == "polarity" else f[2] for f in found]
                value = recall_score([r[2] for r in rows], said, labels=list(POLARITY), average="macro")
            cells.append(f"{value * 100:24.1f}")
        sent = f" {ESCALATED[-1]:11.0%}" if args.embeddings else ""
        print(f"{title:44} {len(rows):6,} " + " ".join(cells) + sent)
    total = sum(len(rows) for _, rows in sets.values())
    print(
        f"{'speed, texts/s, one at a time, 1 core':44} {total:6,} "
        + " ".join(f"{total / speed[n]:24,.0f}" for n in names)
    )
    print("complaint F1: binary macro-F1, complaint or not. Hidden target on brand-directed tweets: 75;")
    print("Spanish 3-way macro-recall with zero labels: 60; SemEval-2017: 62.")


if __name__ == "__main__":
    main()

"""Choose the band of tone-1's complaint probability that tone-cascade-1 sends to the e5 model.

Reads development data only:
- the airline dev fifth (../shared, rows whose index % 5 == 0), scored by the shipped tone-1 and
  tone-e5-1, neither of which was trained on it;
- the held-out fifth of the team's posts, scored by tone-1 and tone-e5-1 trained without it
  (the shipped models were trained on every team post, so they would look sure of these):
  make them first with
      .venv/bin/python training/train_tone.py --held-out-only --out artifacts/tone-1-ho.npz
      .venv/bin/python training/train_tone.py --embeddings --held-out-only --out artifacts/tone-e5-1-ho.npz

For each band it prints the share of posts sent to e5 and the complaint F1 (binary macro-F1)
and 3-way macro-recall of tone-1 alone, e5 alone and the cascade (e5's probabilities, or the
mean of both, for the posts in the band). Besides bands of tone-1's P(complaint) it tries rules on
its largest probability (the posts tone-1 is unsure of in any class). What a band costs is
printed as the share of `bench/enrichment_throughput.py`'s own tweets (the SemEval 2013-2016
training tweets; their labels are not read) it would send to e5: multiply by e5's cost a text
(~15-30 ms) for the added time a post. The blind sets, the airline other four fifths and the
SemEval-2017 test are never read here.

    .venv/bin/python training/choose_cascade.py --team-models artifacts/tone-1-ho.npz \
        artifacts/tone-e5-1-ho.npz [--embedding-cache artifacts/e5-dev.npz]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, recall_score

from earful.ml import linear, tone

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "training"))

from train_tone import held_out, team_posts  # noqa: E402

from embedding_cache import CachedEmbedder  # noqa: E402
from enrichment_throughput import tweets as bench_tweets  # noqa: E402
from tone import airline as airline_fifths  # noqa: E402  (bench/tone.py: the same dev split)

POLARITY = ["negative", "neutral", "positive"]
# [low, high) of tone-1's P(complaint); high above 1 means every post from low up.
BANDS = [
    (0.03, 0.5),
    (0.05, 0.5),
    (0.08, 0.5),
    (0.1, 0.5),
    (0.15, 0.5),
    (0.2, 0.5),
    (0.08, 0.6),
    (0.08, 0.7),
    (0.06, 0.6),
    (0.06, 0.7),
    (0.05, 0.6),
    (0.05, 0.7),
    (0.04, 0.6),
    (0.04, 0.7),
    (0.03, 0.7),
    (0.02, 0.9),
    (0.08, 1.01),
    (0.05, 1.01),
    (0.03, 1.01),
]
# tone-1's largest probability below y: unsure of every class, not only of complaint.
MAX_BELOW = [0.5, 0.6, 0.7]


def team_dev(language: str) -> list[tuple[str, bool, str]]:
    """Return (text, complaint?, polarity) for the held-out team posts of one language."""
    polarity = {"complaint": "negative", "negative": "negative", "neutral": "neutral", "positive": "positive"}
    return [
        (text, label == "complaint", polarity[label])
        for text, label, stem in team_posts()
        if held_out(text) and f"-{language}-" in stem
    ]


def unsure_rules() -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """Return (name, rule) for every band tried: a rule marks the probability rows sent to e5."""

    def band(low: float, high: float) -> Callable[[np.ndarray], np.ndarray]:
        return lambda rows: (rows[:, 0] >= low) & (rows[:, 0] < high)

    def below(top: float) -> Callable[[np.ndarray], np.ndarray]:
        return lambda rows: rows.max(axis=1) < top

    return [(f"P(complaint) in [{low}, {min(high, 1.0)})", band(low, high)) for low, high in BANDS] + [
        (f"max probability < {top}", below(top)) for top in MAX_BELOW
    ]


def figures(rows: list[tuple[str, bool, str]], probs: np.ndarray) -> tuple[float, float]:
    """Return complaint F1 and 3-way macro-recall (x100) of probability rows against `rows`."""
    complaint = [tone.label_of(p) == "complaint" for p in probs]
    polarity = [tone.polarity_of(p) for p in probs]
    return (
        100 * f1_score([r[1] for r in rows], complaint, average="macro"),
        100 * recall_score([r[2] for r in rows], polarity, labels=POLARITY, average="macro"),
    )


def main() -> None:
    """Print, for each band, what the cascade scores on each development set."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--team-models", type=Path, nargs=2, required=True, metavar=("TONE1", "E5"))
    parser.add_argument("--embedding-cache", type=Path, help="keep e5 vectors here between runs")
    parser.add_argument(
        "--bench-posts", type=int, default=10_000, help="enrichment benchmark tweets to count the share on"
    )
    args = parser.parse_args()
    sets = {
        "airline dev fifth": airline_fifths(dev=True, shared=args.shared),
        "team held out, en": team_dev("en"),
        "team held out, es": team_dev("es"),
    }
    texts = [t for rows in sets.values() for t, _, _ in rows]
    embedder = CachedEmbedder(linear.clip(texts), args.embedding_cache)
    shipped = (tone.shipped(), tone.read_e5(tone.E5_WEIGHTS, tone.E5_WEIGHTS_SHA256, embedder=embedder))
    held = (tone.read(args.team_models[0], None), tone.read_e5(args.team_models[1], None, embedder=embedder))
    scored = {}
    for name, rows in sets.items():
        first, second = shipped if name.startswith("airline") else held
        batch = [t for t, _, _ in rows]
        scored[name] = (first.probabilities(batch), second.probabilities(batch))
    # What the enrichment benchmark's chain scores: the post's title (none) and text.
    bench = tone.shipped().probabilities([f"\n{t}" for t in bench_tweets(args.bench_posts)])
    print(f"{'posts sent to e5':36} {'bench':>6} " + " ".join(f"{n:>34}" for n in sets))
    print(
        f"{'':36} {'to e5':>6} "
        + " ".join(f"{'to e5':>7} {'F1 e5/mean':>13} {'3-way e5/mean':>13}" for _ in sets)
    )
    line = f"{'none (tone-1 alone)':36} {'0%':>6} "
    for name, rows in sets.items():
        f1, three = figures(rows, scored[name][0])
        line += f"{'0%':>7} {f1:13.1f} {three:13.1f} "
    print(line)
    line = f"{'all (tone-e5-1 alone)':36} {'100%':>6} "
    for name, rows in sets.items():
        f1, three = figures(rows, scored[name][1])
        line += f"{'100%':>7} {f1:13.1f} {three:13.1f} "
    print(line)
    for title, rule in unsure_rules():
        line = f"{title:36} {rule(bench).mean():6.1%} "
        for name, rows in sets.items():
            first, second = scored[name]
            unsure = rule(first)
            alone, mean = first.copy(), first.copy()
            alone[unsure] = second[unsure]
            mean[unsure] = (first[unsure] + second[unsure]) / 2
            (f1, three), (f1_mean, three_mean) = figures(rows, alone), figures(rows, mean)
            line += f"{unsure.mean():7.0%} {f1:6.1f}/{f1_mean:<6.1f} {three:6.1f}/{three_mean:<6.1f} "
        print(line)


if __name__ == "__main__":
    main()

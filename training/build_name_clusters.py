"""Build a table of word clusters for the name model to try as features (artifacts/word-clusters.tsv).

Input: the cache of raw 384-dimensional multilingual-e5-small vectors (MIT licence), one per
lower-cased word, that training/distill_static.py writes (it comes with the static-vector work,
merged from its own branch): artifacts/static/vocabulary.json and chunk-NNNN.npy, 500 words a
chunk in vocabulary order. Its vocabulary, about 22,000 English and Spanish words, is drawn from
the team's posts, GoEmotions train, Banking77 train, WNUT-17 train and Earful's cue words, never
from an evaluation set. Pass the cache's folder as --cache.

The vectors are L2-normalised and grouped twice by k-means (a fixed seed, one thread, so the file
is the same bytes on every run): into COARSE clusters and into FINE ones. Each line of the output
is `word<TAB>coarse<TAB>fine`. The hope was that first names would fall together, so that the
name model could generalise from the names it was trained on to words it never saw as names. In
practice e5's vectors of single words cluster by spelling more than by meaning ("march",
"marzo", "marco", "marcus" share a cluster; with k = 64, 256, 500 or 1,000, no cluster of five
words or more is even a third frequent first names), and the features did not help on the
development split (docs/model-card.md): names-1 reads none. Try a table with
`training/train_names.py --dev-only --clusters F`.

    .venv/bin/python training/build_name_clusters.py --cache artifacts/static [--coarse 256 --fine 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "artifacts" / "word-clusters.tsv"
COARSE = 256
FINE = 1000
SEED = 0


def load(cache: Path) -> tuple[list[str], np.ndarray]:
    """Return the cached words and their vectors (one row each, in vocabulary order)."""
    words = json.loads((cache / "vocabulary.json").read_text(encoding="utf-8"))["words"]
    chunks = sorted(cache.glob("chunk-*.npy"))
    vectors = np.concatenate([np.load(path, allow_pickle=False) for path in chunks])
    if len(vectors) < len(words):  # a distillation stopped early: only the words embedded so far
        words = words[: len(vectors)]
    return words, vectors[: len(words)].astype(np.float64)


def kmeans(vectors: np.ndarray, k: int) -> np.ndarray:
    """Return the k-means cluster of each (normalised) vector, renumbered by first appearance."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        labels = KMeans(n_clusters=k, n_init=1, max_iter=100, random_state=SEED).fit_predict(vectors)
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return np.array([order[int(label)] for label in labels])


def build(cache: Path, out: Path, coarse: int = COARSE, fine: int = FINE) -> None:
    """Cluster the cached vectors and write the word -> cluster table to `out`."""
    words, vectors = load(cache)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    started = time.perf_counter()
    wide = kmeans(vectors, coarse)
    narrow = kmeans(vectors, fine)
    lines = [
        f"# e5 word clusters: training/build_name_clusters.py, k-means {coarse} and {fine}",
        *(f"{w}\t{c}\t{f}" for w, c, f in zip(words, wide, narrow, strict=True) if "\t" not in w),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"{len(words):,} words clustered in {time.perf_counter() - started:.0f} s")
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB), SHA-256 {digest}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cache", type=Path, required=True, help="the vectors training/distill_static.py cached"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--coarse", type=int, default=COARSE)
    parser.add_argument("--fine", type=int, default=FINE)
    args = parser.parse_args()
    build(args.cache, args.out, args.coarse, args.fine)


if __name__ == "__main__":
    main()

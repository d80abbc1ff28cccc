"""Train the tone model that ships with Earful (src/earful/ml/data/models/tone-1.npz).

Data, all of it allowed to be redistributed as a trained model:
- training/data/posts-*.jsonl: posts our team wrote for this purpose, English and Spanish, labelled
  complaint / negative / neutral / positive (Apache-2.0, this repository);
- GoEmotions (Google Research, Apache-2.0): Reddit comments whose one sentiment group is
  negative, neutral or positive;
- Banking77 (PolyAI, CC BY 4.0): customer messages to a bank, those whose intent reports a
  problem as complaints and those that only ask as neutral.
GoEmotions and Banking77 are read from ../shared/data (--shared); nothing of them is copied.

One post in five of the team's data (by a hash of its text) is held out: the script trains on
the rest, prints the held-out figures, then trains again on everything and writes the weights
and their SHA-256 (paste it into WEIGHTS_SHA256 in src/earful/ml/tone.py).
The blind sets under bench/blind are never read here.

    .venv/bin/python training/train_tone.py [--shared ../shared/data]
    .venv/bin/python training/train_tone.py --embeddings   # the e5 tone model (tone-e5-1.npz)

    .venv/bin/python training/distill_static.py            # once: e5 word vectors, cached
    .venv/bin/python training/train_tone.py --static        # the static tone model (tone-static-1.npz)

With --embeddings it trains the tone model used when EARFUL_EMBEDDINGS is on: the same data (with
fewer GoEmotions rows, as embedding costs ~25 ms a text) over multilingual-e5-small sentence
embeddings and the same cues.

With --static it trains tone-static-1: the word vectors `distill_static.py` cached (e5 run on each
vocabulary entry alone) are centred, reduced by PCA to STATIC_DIMS and stored as int8 with a
scale per word, each word weighted by smooth inverse frequency (STATIC_SIF / (STATIC_SIF + p));
a post is the weighted mean of its words' vectors, so embedding costs microseconds and the head
trains on every GoEmotions row (STATIC_GOEMOTIONS_ROWS). Its settings were chosen on the
held-out fifth of the team's posts and a development fifth of the airline tweets (rows whose
index % 5 == 0), nothing else; see docs/model-card.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report

from earful.ml import linear, tone
from earful.ml.static import StaticVectors

ROOT = Path(__file__).resolve().parents[1]
TEAM = ROOT / "training" / "data"
SEED = 20261206
GOEMOTIONS_ROWS = 15_000
BANKING_ROWS = 3_000
TEAM_WEIGHT = 10.0  # the team's posts are the closest to what Earful reads: each counts ten times
C = 0.5
E5_C = 1.0
E5_GOEMOTIONS_ROWS = 5_000  # embedding costs ~25 ms a text: fewer public rows for the e5 model
STATIC_CACHE = ROOT / "artifacts" / "static"  # written by training/distill_static.py
STATIC_DIMS = 256
STATIC_SIF = 1e-2
STATIC_C = 1.0
STATIC_TFIDF = False
STATIC_GOEMOTIONS_ROWS = 100_000  # all of them: embedding is now cheap

# Banking77 intents whose messages report a problem, and those that only ask or request.
# Intents that mix both ("card_arrival": "where is my card?" and "my card never came") are left out.
PROBLEM = [
    "card_not_working",
    "lost_or_stolen_card",
    "pin_blocked",
    "contactless_not_working",
    "wrong_amount_of_cash_received",
    "transfer_not_received_by_recipient",
    "top_up_reverted",
    "balance_not_updated_after_cheque_or_cash_deposit",
    "card_payment_not_recognised",
    "unable_to_verify_identity",
    "compromised_card",
    "direct_debit_payment_not_recognised",
    "declined_cash_withdrawal",
    "Refund_not_showing_up",
    "declined_card_payment",
    "declined_transfer",
    "card_swallowed",
    "transaction_charged_twice",
    "reverted_card_payment?",
    "failed_transfer",
    "virtual_card_not_working",
    "wrong_exchange_rate_for_cash_withdrawal",
    "top_up_failed",
    "balance_not_updated_after_bank_transfer",
    "cash_withdrawal_not_recognised",
    "card_payment_wrong_exchange_rate",
    "extra_charge_on_statement",
    "lost_or_stolen_phone",
    "beneficiary_not_allowed",
]
ASKING = [
    "exchange_rate",
    "fiat_currency_support",
    "card_delivery_estimate",
    "automatic_top_up",
    "exchange_via_app",
    "age_limit",
    "top_up_by_bank_transfer_charge",
    "top_up_limits",
    "supported_cards_and_currencies",
    "getting_virtual_card",
    "card_acceptance",
    "edit_personal_details",
    "why_verify_identity",
    "get_physical_card",
    "visa_or_mastercard",
    "topping_up_by_card",
    "disposable_card_limits",
    "atm_support",
    "terminate_account",
    "verify_source_of_funds",
    "transfer_timing",
    "change_pin",
    "receiving_money",
    "transfer_into_account",
    "verify_top_up",
    "getting_spare_card",
    "top_up_by_cash_or_cheque",
    "order_physical_card",
    "get_disposable_virtual_card",
    "exchange_charge",
    "top_up_by_card_charge",
    "activate_my_card",
    "card_about_to_expire",
    "apple_pay_or_google_pay",
    "verify_my_identity",
    "country_support",
    "card_linking",
]
GOEMOTIONS_GROUPS = {1: "negative", 2: "neutral", 3: "positive"}  # 0 is "ambiguous": left out


def held_out(text: str) -> bool:
    """Return whether a team post is in the held-out fifth (stable across runs and machines)."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 5 == 0


def team_posts() -> list[tuple[str, str, str]]:
    """Return (text, label, file stem) for every post the team wrote."""
    rows = []
    for path in sorted(TEAM.glob("posts-*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["label"] not in tone.CLASSES:
                sys.exit(f"{path}:{number}: label {row['label']!r} is not one of {tone.CLASSES}")
            rows.append((row["text"], row["label"], path.stem))
    return rows


def goemotions(shared: Path) -> list[tuple[str, str]]:
    """Return GoEmotions training comments with exactly one sentiment group, as (text, tone)."""
    rows = []
    for line in (shared / "goemotions" / "group" / "train.tsv").read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        groups = {int(x) for x in ids.split(",")}
        if len(groups) == 1 and (group := groups.pop()) in GOEMOTIONS_GROUPS:
            rows.append((text, GOEMOTIONS_GROUPS[group]))
    return rows


def banking(shared: Path) -> list[tuple[str, str]]:
    """Return Banking77 training messages as (text, complaint|neutral)."""
    rows = []
    with (shared / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["category"] in PROBLEM:
                rows.append((row["text"], "complaint"))
            elif row["category"] in ASKING:
                rows.append((row["text"], "neutral"))
    return rows


def fit(texts: list[str], labels: list[str], weights: list[float], c: float = C) -> tone.ToneModel:
    """Train a tone model on weighted, labelled texts."""
    idf = linear.idf_of(texts)
    matrix = tone.features(texts, idf)
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(matrix, labels, sample_weight=np.asarray(weights))
    order = [list(model.classes_).index(name) for name in tone.CLASSES]
    return tone.ToneModel(idf=idf, coef=model.coef_[order], intercept=model.intercept_[order])


def public_rows(
    shared: Path, goemotions_rows: int = GOEMOTIONS_ROWS, banking_rows: int = BANKING_ROWS
) -> list[tuple[str, str]]:
    """Return the sampled GoEmotions and Banking77 rows the shipped model is trained on."""
    rng = random.Random(SEED)
    comments = goemotions(shared)
    return rng.sample(comments, min(goemotions_rows, len(comments))) + rng.sample(
        banking(shared), banking_rows
    )


def _rows(
    public: list[tuple[str, str]], team: list[tuple[str, str, str]], team_weight: float
) -> tuple[list[str], list[str], list[float]]:
    """Return the texts, labels and weights of public rows and team posts (each team post counts
    `team_weight` times)."""
    texts = [t for t, _ in public] + [t for t, _, _ in team]
    labels = [label for _, label in public] + [label for _, label, _ in team]
    return texts, labels, [1.0] * len(public) + [team_weight] * len(team)


def train(
    public: list[tuple[str, str]],
    team: list[tuple[str, str, str]],
    *,
    team_weight: float = TEAM_WEIGHT,
    c: float = C,
) -> tone.ToneModel:
    """Train a tone model on public rows and team posts (each team post counts `team_weight` times)."""
    texts, labels, weights = _rows(public, team, team_weight)
    return fit(texts, labels, weights, c)


def train_e5(
    public: list[tuple[str, str]],
    team: list[tuple[str, str, str]],
    vectors: dict[str, np.ndarray],
    *,
    team_weight: float = TEAM_WEIGHT,
) -> tone.EmbeddingToneModel:
    """Train the embedding tone model on precomputed e5 vectors of every text plus the cues."""
    texts, labels, weights = _rows(public, team, team_weight)
    inputs = np.hstack([np.stack([vectors[t] for t in texts]), tone.dense(linear.clip(texts))])
    model = LogisticRegression(C=E5_C, max_iter=3000, class_weight="balanced")
    model.fit(inputs, labels, sample_weight=np.asarray(weights))
    order = [list(model.classes_).index(name) for name in tone.CLASSES]
    return tone.EmbeddingToneModel(coef=model.coef_[order], intercept=model.intercept_[order])


def main_e5(
    args: argparse.Namespace, public: list[tuple[str, str]], team: list[tuple[str, str, str]]
) -> None:
    """Embed every training text once, report on the held-out fifth, train on all, write the weights."""
    from earful.ml.embeddings import E5Embedder

    texts = list(dict.fromkeys([t for t, _ in public] + [t for t, _, _ in team]))
    started = time.perf_counter()
    vectors = dict(zip(texts, E5Embedder().embed(linear.clip(texts)), strict=True))
    print(f"embedded {len(texts):,} texts in {time.perf_counter() - started:.0f} s")
    kept = [r for r in team if not held_out(r[0])]
    dev = [r for r in team if held_out(r[0])]
    model = train_e5(public, kept, vectors, team_weight=args.team_weight)
    for language in ("en", "es"):
        rows = [r for r in dev if f"-{language}-" in r[2]]
        inputs = np.hstack([np.stack([vectors[t] for t, _, _ in rows]), tone.dense([t for t, _, _ in rows])])
        found = [tone.CLASSES[i] for i in linear.softmax(inputs @ model.coef.T + model.intercept).argmax(1)]
        print(f"\nheld-out team posts, {language} ({len(rows)}):")
        print(classification_report([r[1] for r in rows], found, labels=list(tone.CLASSES), digits=3))
    final = model if args.held_out_only else train_e5(public, team, vectors, team_weight=args.team_weight)
    out = tone.E5_WEIGHTS if args.out == tone.WEIGHTS else args.out
    digest = final.save(out)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB), sha256 {digest}")
    print("set E5_WEIGHTS_SHA256 in src/earful/ml/tone.py to that value")


def static_vectors(
    cache: Path = STATIC_CACHE, dims: int = STATIC_DIMS, sif: float = STATIC_SIF
) -> StaticVectors:
    """Return the distilled word vectors: centred, PCA-reduced to `dims`, int8 with a scale per word."""
    vocabulary = json.loads((cache / "vocabulary.json").read_text(encoding="utf-8"))
    chunks = []
    while (path := cache / f"chunk-{len(chunks):04d}.npy").is_file():
        chunks.append(np.load(path, allow_pickle=False))
    if not chunks:
        sys.exit(f"{cache} holds no distilled vectors: run training/distill_static.py first")
    raw = np.vstack(chunks).astype(np.float64)
    words = vocabulary["words"][: len(raw)]
    centred = raw - raw.mean(axis=0)
    if dims < centred.shape[1]:
        _, _, components = np.linalg.svd(centred, full_matrices=False)
        centred = centred @ components[:dims].T
    scales = np.abs(centred).max(axis=1) / 127
    scales[scales == 0] = 1.0
    codes = np.round(centred / scales[:, None]).astype(np.int8)
    share = np.array([vocabulary["counts"][w] for w in words], dtype=np.float64) / vocabulary["total"]
    return StaticVectors(words, codes, scales.astype(np.float32), (sif / (sif + share)).astype(np.float32))


def train_static(
    public: list[tuple[str, str]],
    team: list[tuple[str, str, str]],
    vectors: StaticVectors,
    *,
    team_weight: float = TEAM_WEIGHT,
    c: float = STATIC_C,
    tfidf: bool = STATIC_TFIDF,
) -> tone.StaticToneModel:
    """Train the static tone model's head on public rows and team posts."""
    texts, labels, weights = _rows(public, team, team_weight)
    idf = linear.idf_of(texts) if tfidf else np.zeros(0)
    empty = tone.StaticToneModel(vectors=vectors, coef=np.zeros(0), intercept=np.zeros(0), idf=idf)
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(empty.inputs(linear.clip(texts)), labels, sample_weight=np.asarray(weights))
    order = [list(model.classes_).index(name) for name in tone.CLASSES]
    return tone.StaticToneModel(
        vectors=vectors, coef=model.coef_[order], intercept=model.intercept_[order], idf=idf
    )


def main_static(
    args: argparse.Namespace, public: list[tuple[str, str]], team: list[tuple[str, str, str]]
) -> None:
    """Reduce the distilled vectors, report on the held-out fifth, train on all, write the weights."""
    vectors = static_vectors()
    print(f"static vectors: {len(vectors.words):,} words x {vectors.dim} dims; public rows: {len(public):,}")
    kept = [r for r in team if not held_out(r[0])]
    dev = [r for r in team if held_out(r[0])]
    model = train_static(public, kept, vectors, team_weight=args.team_weight)
    for language in ("en", "es"):
        rows = [r for r in dev if f"-{language}-" in r[2]]
        print(f"\nheld-out team posts, {language} ({len(rows)}):")
        found = model.tones([t for t, _, _ in rows])
        print(classification_report([r[1] for r in rows], found, labels=list(tone.CLASSES), digits=3))
    final = model if args.held_out_only else train_static(public, team, vectors, team_weight=args.team_weight)
    out = tone.STATIC_WEIGHTS if args.out == tone.WEIGHTS else args.out
    digest = final.save(out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB), sha256 {digest}")
    print("set STATIC_WEIGHTS_SHA256 in src/earful/ml/tone.py to that value")


def main() -> None:
    """Train, report on the held-out team posts, train on everything, write the weights."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=tone.WEIGHTS)
    parser.add_argument("--goemotions", type=int, default=GOEMOTIONS_ROWS, help="GoEmotions rows to sample")
    parser.add_argument("--banking", type=int, default=BANKING_ROWS, help="Banking77 rows to sample")
    parser.add_argument("--team-weight", type=float, default=TEAM_WEIGHT)
    parser.add_argument("-C", type=float, default=C, help="inverse L2 strength")
    parser.add_argument(
        "--held-out-only", action="store_true", help="train on the 4/5 split only and save that"
    )
    parser.add_argument(
        "--embeddings",
        action="store_true",
        help=f"train the e5 tone model instead ({E5_GOEMOTIONS_ROWS:,} GoEmotions rows unless --goemotions)",
    )
    parser.add_argument(
        "--static",
        action="store_true",
        help="train the static tone model (after distill_static.py), all GoEmotions rows unless --goemotions",
    )
    args = parser.parse_args()
    if not (args.shared / "goemotions").is_dir() or not (args.shared / "banking77").is_dir():
        sys.exit(f"{args.shared} lacks goemotions/ or banking77/: pass --shared PATH")
    if args.embeddings and args.goemotions == GOEMOTIONS_ROWS:
        args.goemotions = E5_GOEMOTIONS_ROWS
    if args.static and args.goemotions == GOEMOTIONS_ROWS:
        args.goemotions = STATIC_GOEMOTIONS_ROWS
    public = public_rows(args.shared, args.goemotions, args.banking)
    if args.static:
        main_static(args, public, team_posts())
        return
    if args.embeddings:
        main_e5(args, public, team_posts())
        return
    team = team_posts()
    kept = [r for r in team if not held_out(r[0])]
    dev = [r for r in team if held_out(r[0])]
    print(
        f"team posts: {len(team):,} ({len(kept):,} train, {len(dev):,} held out);"
        f" public rows: {len(public):,}"
    )

    def run(rows: list[tuple[str, str, str]]) -> tone.ToneModel:
        started = time.perf_counter()
        model = train(public, rows, team_weight=args.team_weight, c=args.C)
        print(f"trained on {len(public) + len(rows):,} texts in {time.perf_counter() - started:.0f} s")
        return model

    model = run(kept)
    for language in ("en", "es"):
        rows = [r for r in dev if f"-{language}-" in r[2]]
        if rows:
            found = model.tones([t for t, _, _ in rows])
            print(f"\nheld-out team posts, {language} ({len(rows)}):")
            print(classification_report([r[1] for r in rows], found, labels=list(tone.CLASSES), digits=3))
    final = model if args.held_out_only else run(team)
    digest = final.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), sha256 {digest}")
    print("set WEIGHTS_SHA256 in src/earful/ml/tone.py to that value")


if __name__ == "__main__":
    main()

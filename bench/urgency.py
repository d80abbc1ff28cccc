"""Urgency: precision and recall of "urgent" (urgency at least `URGENT`) on a labelled JSONL set.

Each line is {"text": ..., "urgent": true|false, "lang": "en"|"es"}. The default set,
bench/blind/urgency.jsonl, is kept apart from any tuning of the rules: its figures are the honest
ones. training/dev/urgency-dev.jsonl is the set the rules were tuned on (optimistic figures).
Beside Earful (the shipped model over the rules) it scores the rules alone, and a baseline that
calls a post urgent whenever it uses any harm word of the same lexicon (what the rules did before
they weighed what a post is about). Prints counts of false
positives and negatives, never the posts' texts. Run with `make bench` or
`.venv/bin/python bench/urgency.py [--data FILE]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from earful.ml import urgency as rules
from earful.pipeline.stage import WorkItem
from earful.pipeline.urgency import URGENT, UrgencyStage, cues

DEFAULT = Path(__file__).resolve().parent / "blind" / "urgency.jsonl"
HARM = ("outage",)  # cues that are not about anyone's safety: the baseline ignores them


def load(path: Path) -> list[tuple[str, bool, str]]:
    """Return (text, urgent, language) for each line of the set."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append((str(row["text"]), bool(row["urgent"]), str(row.get("lang") or "?")))
        except (ValueError, KeyError, TypeError) as exc:
            sys.exit(f"{path}:{number}: not a {{text, urgent, lang}} object ({exc})")
    return rows


def figures(rows: list[tuple[str, bool, str]], said: list[bool]) -> str:
    """Return precision, recall and the counts of errors of one group, as one line."""
    tp = sum(1 for (_, truth, _), guess in zip(rows, said, strict=True) if truth and guess)
    fp = sum(1 for (_, truth, _), guess in zip(rows, said, strict=True) if guess and not truth)
    fn = sum(1 for (_, truth, _), guess in zip(rows, said, strict=True) if truth and not guess)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    urgent = sum(1 for _, truth, _ in rows if truth)
    return (
        f"precision {precision:.3f}  recall {recall:.3f}  "
        f"false positives {fp:3}  false negatives {fn:3}  ({urgent} urgent of {len(rows)})"
    )


def measure(name: str, rows: list[tuple[str, bool, str]], urgent: Callable[[str], bool]) -> None:
    """Print one scorer's figures overall and per language, and its speed."""
    started = time.perf_counter()
    said = [urgent(text) for text, _, _ in rows]
    rate = len(rows) / max(time.perf_counter() - started, 1e-9)
    print(f"{name} ({rate:,.0f} posts/s)")
    for language in sorted({lang for _, _, lang in rows}):
        keep = [i for i, (_, _, lang) in enumerate(rows) if lang == language]
        print(f"  {language:7} " + figures([rows[i] for i in keep], [said[i] for i in keep]))
    print(f"  {'overall':7} " + figures(rows, said))


def main() -> None:
    """Score the set and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT, help="a labelled JSONL set")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} is absent (a labelled urgency set is needed; see the docstring)")
        return
    rows = load(args.data)
    print(f"{args.data.name}: {len(rows)} posts; urgent means urgency >= {URGENT}; target 0.85 each")
    stage = UrgencyStage()
    measure(
        "Earful urgency (rules + urgency-1 model, shipped)",
        rows,
        lambda text: float(stage.run(WorkItem(text=text))["urgency"]) >= URGENT,
    )
    measure("Rules alone", rows, lambda text: rules.assess(text).score >= URGENT)
    measure("Baseline: any harm word", rows, lambda text: any(c not in HARM for c in cues(text)))


if __name__ == "__main__":
    main()

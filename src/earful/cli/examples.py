"""Examples shown at the end of `--help` for the commands a newcomer reaches for first.

Each line is a whole command; tests/cli/test_help_examples.py parses every one against the
command it belongs to, so an example that names an option the command lacks fails the suite.
"""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "source add": [
        "earful source add forms --kind webhook --region UK",
        "earful source add couriers --kind reddit --config subreddit=couriers --config listing=comments",
        "earful source add drivers-group --kind community --private --consent-basis 'opted in, 2026-05'",
    ],
    "import": [
        "earful import feedback.csv --source forms",
        "earful import exports/ --source drivers-group",
        "earful import tweets.jsonl --source x-search --create --kind x --region US",
    ],
    "erase": ["earful erase --author @someone --source couriers"],
    "report": [
        "earful report --since 2026-11-01 --until 2026-11-30 --out reports/",
        "earful report --since 2026-11-24 --until 2026-11-30 --category safety --email lead@example.org",
    ],
    "eval": [
        "earful eval --test labelled.csv",
        "earful eval --test labelled.csv --train analyst-labels.csv --shots 32 --seeds 5",
    ],
    "eval-sentiment": [
        "earful eval-sentiment --test tones.csv --zero-label",
        "earful eval-sentiment --test tones.csv --train judged.csv --predictions out.csv",
    ],
    "train": ["earful train", "earful train --kind sentiment"],
    "spikes": ["earful spikes", "earful spikes --days 30 --until 2026-11-30"],
    "user add": ["earful user add ana --role lead --generate"],
}


def epilog(command: str, before: str = "") -> str:
    """Return the `--help` epilog of `command`: `before`, then its examples, one a line."""
    lines = "\n\n".join(EXAMPLES[command])
    return f"{before}\n\n" * bool(before) + f"Examples:\n\n{lines}"

"""The urgency stage: a 0-1 score with its reasons, so queues can put urgent posts first.

Each reason is a kind of harm or disruption with a weight; a post's score combines the weights
of the reasons it shows (1 minus the product of their complements), so two reasons together are
more urgent than either alone and the score never exceeds 1. English and Spanish.
"""

from __future__ import annotations

import re
from typing import Any

from earful.ml.keywords import fold
from earful.pipeline.stage import WorkItem

# A post scoring at least this is "urgent": the level queues, the demo and bench/urgency.py use.
URGENT = 0.5

# reason -> (weight, words that show it), matched as whole words on accent-free lower-case text.
REASONS: dict[str, tuple[float, tuple[str, ...]]] = {
    "violence": (
        0.8,
        (
            "robbed",
            "robbery",
            "mugged",
            "assaulted",
            "attacked",
            "punched",
            "stabbed",
            "shot at",
            "gunpoint",
            "gun",
            "knife",
            "carjacked",
            "me robaron",
            "robo",
            "asalto",
            "asaltaron",
            "me pegaron",
            "agredido",
            "agresion",
            "pistola",
            "cuchillo",
            "navaja",
        ),
    ),
    "threat": (
        0.7,
        (
            "threatened",
            "threat",
            "threatening",
            "said he would kill",
            "going to hurt",
            "amenazo",
            "amenaza",
            "amenazas",
            "amenazaron",
            "me va a matar",
        ),
    ),
    "injury": (
        0.7,
        (
            "injured",
            "injury",
            "hurt",
            "bleeding",
            "hospital",
            "ambulance",
            "a&e",
            "broke my",
            "bitten",
            "bit me",
            "herido",
            "herida",
            "sangre",
            "sangrando",
            "urgencias",
            "ambulancia",
            "me mordio",
            "mordido",
            "me rompi",
        ),
    ),
    "accident": (
        0.6,
        (
            "accident",
            "crashed into",
            "collision",
            "rear-ended",
            "rear ended",
            "hit by a car",
            "run over",
            "accidente",
            "choque",
            "me chocaron",
            "atropell*",
        ),
    ),
    "emergency": (
        0.5,
        (
            "emergency",
            "urgent",
            "help now",
            "called 911",
            "call 911",
            "called 999",
            "call 999",
            "emergencia",
            "urgente",
            "llame al 112",
            "llamar al 112",
            "llame al 911",
        ),
    ),
    "danger": (
        0.4,
        (
            "unsafe",
            "dangerous",
            "not safe",
            "black ice",
            "flooded",
            "flood",
            "heatstroke",
            "heat stroke",
            "fainted",
            "peligro",
            "peligroso",
            "inseguro",
            "inundad*",
            "golpe de calor",
            "me desmaye",
        ),
    ),
    "outage": (
        0.3,
        (
            "app is down",
            "app down",
            "outage",
            "nobody can log in",
            "no one can log in",
            "not working for anyone",
            "everyone is locked out",
            "servers down",
            "app caida",
            "se cayo la app",
            "no funciona para nadie",
            "caida del sistema",
        ),
    ),
}


def _word(word: str) -> str:
    # Whole words only ("robo" must not fire on "robot", nor "gun" on "gunna"); a trailing "*"
    # marks a stem that may go on ("atropell*": atropellado, atropellaron).
    if word.endswith("*"):
        return re.escape(word[:-1])
    return re.escape(word) + r"(?!\w)"


_PATTERNS = {
    reason: re.compile(r"(?<!\w)(?:" + "|".join(_word(w) for w in words) + r")")
    for reason, (_, words) in REASONS.items()
}


def cues(text: str) -> list[str]:
    """Return the reasons whose words `text` uses, ignoring what the post is about."""
    folded = fold(text)
    return [reason for reason, pattern in _PATTERNS.items() if pattern.search(folded)]


class UrgencyStage:
    """Score how urgently someone should look at a post, and say why."""

    name = "urgency"
    version = 2

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return {"urgency": 0-1, "urgency_reasons": [...]} for the post's text and title."""
        text = fold(f"{item.title or ''}\n{item.text}")
        reasons = [reason for reason, pattern in _PATTERNS.items() if pattern.search(text)]
        calm = 1.0
        for reason in reasons:
            calm *= 1 - REASONS[reason][0]
        return {"urgency": round(1 - calm, 3), "urgency_reasons": reasons}

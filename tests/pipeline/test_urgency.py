"""Urgency: a score with its reasons, so queues can put urgent posts first."""

from __future__ import annotations

from earful.pipeline.stage import WorkItem
from earful.pipeline.urgency import UrgencyStage

STAGE = UrgencyStage()


def _score(text: str) -> dict[str, object]:
    return STAGE.run(WorkItem(text=text))


def test_violence_and_injury_are_urgent_and_say_why() -> None:
    robbed = _score("Got robbed at gunpoint on my last stop")
    assert robbed["urgency_reasons"] == ["violence"] and float(str(robbed["urgency"])) >= 0.8
    both = _score("Me robaron y estoy herido, sangrando en la calle")
    assert set(both["urgency_reasons"]) == {"violence", "injury"}  # type: ignore[arg-type]
    assert float(str(both["urgency"])) > float(str(robbed["urgency"]))


def test_ordinary_complaints_are_not_urgent() -> None:
    assert _score("Surge pay disappeared again, annoying") == {"urgency": 0.0, "urgency_reasons": []}
    assert _score("Waited 112 minutes at Calle 112") == {"urgency": 0.0, "urgency_reasons": []}


def test_an_outage_is_mildly_urgent() -> None:
    out = _score("App is down, nobody can log in at DLA8")
    assert out["urgency_reasons"] == ["outage"] and 0 < float(str(out["urgency"])) < 0.5


def test_words_match_whole_not_inside_other_words() -> None:
    # Seen in the demo: an appeal answered "by a robot" was scored as a robbery.
    assert _score("Mandé apelación y me contestó un robot")["urgency_reasons"] == []
    assert _score("Gunther from support finally called back")["urgency_reasons"] == []
    assert _score("Hubo un robo en la estación")["urgency_reasons"] == ["violence"]
    assert _score("Casi me atropellan en el cruce")["urgency_reasons"] == ["accident"]

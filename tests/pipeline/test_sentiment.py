"""The old cue-word scorer (a benchmark baseline now) and the sentiment stage: complaints, praise,
and questions or suggestions that are neither."""

from __future__ import annotations

import pytest

from earful.pipeline.sentiment import SentimentStage, score_text
from earful.pipeline.stage import WorkItem


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("The app crashed again and support is useless", "complaint"),
        ("Sigo esperando mi pago, es una vergüenza", "complaint"),
        ("Why is my pay still missing??", "complaint"),
        ("not great, the scanner is not fast at all", "complaint"),
        ("Big thanks to the station team, loading was quick today", "positive"),
        ("Gracias al de soporte que me lo solucionó en cinco minutos", "positive"),
        ("Anyone know if the Leeds hub is hiring?", "neutral"),
        ("¿Alguien sabe a qué hora abren la estación?", "neutral"),
        ("It would be nice if the app showed tips per stop", "neutral"),
        ("Sería bueno poder elegir las rutas", "neutral"),
        ("Route 14 today, 38 stops", "neutral"),
    ],
)
def test_labels(text: str, label: str) -> None:
    assert score_text(text)[0] == label


def test_a_question_with_a_strong_complaint_stays_a_complaint() -> None:
    assert score_text("Anyone else deactivated for no reason and never told why?")[0] == "complaint"


def test_the_stage_scores_complaints_above_praise() -> None:
    stage = SentimentStage()
    bad = stage.run(WorkItem(text="Still not paid for last week and the app keeps crashing"))
    good = stage.run(WorkItem(text="Loving the new app, great update, thanks"))
    assert bad["sentiment"] == "complaint" and good["sentiment"] == "positive"
    assert float(bad["sentiment_score"]) > float(good["sentiment_score"])

"""The sentiment stage: positive, neutral or complaint, with a score, in English and Spanish.

This first version needs no training: it weighs complaint cues against praise cues written for
drivers' and customers' posts, handles negation ("not great", "no funciona"), and treats a
question or a suggestion as neutral unless it also carries a strong complaint. The score is the
complaint strength in 0-1 (0.5 is balanced); positive posts score below 0.5. A model trained on
labelled posts replaces it (bench/sentiment.py measures both).
"""

from __future__ import annotations

import math
import re
from typing import Any, Protocol

from earful.ml.keywords import fold
from earful.pipeline.stage import WorkItem

COMPLAINT = """
broken|useless|terrible|awful|horrible|worst|ridiculous|unfair|disgusting|joke|scam|nightmare|
angry|furious|fed up|sick of|tired of|annoyed|frustrat\\w*|disappointed|unacceptable|shameful|
never|nobody|no one|still no|still not|still waiting|again|another\\s+\\w+\\s+again|
crash\\w*|froze|freez\\w*|fail\\w*|error|bug|glitch|down|stuck|lost|missing|late|
not paid|unpaid|underpaid|short paid|no pay|no tips?|stolen|robbed|deactivated|suspended|
cancel\\w*|waited|waiting|hours? wait|problem|issue|complain\\w*|rude|hate|sucks|
doesn'?t work|does not work|not working|won'?t|can'?t|cannot|wrong|bad|poor|
no funciona|nunca|nadie|sigo esperando|todavia|otra vez|de nuevo|falta\\w*|fatal|
verguenza|harto|harta|hartos|ridiculo|injusto|abuso|robo|robaron|peor|pesimo|horrible|
desactiva\\w*|cancela\\w*|error|fallo|falla\\w*|se cierra|se cuelga|no me (?:pagan|pagaron|deja)|
esperando|espera|tarde|problema|queja|mal|malo|mala|enfadado|cabreado|indignado|estafa
"""
PRAISE = """
thanks|thank you|thx|great|love|loved|lovely|helpful|quick|quickly|sorted|fixed|resolved|
legend|best|awesome|amazing|excellent|happy|glad|nice|good|smooth|easy|appreciate\\w*|
well done|kudos|shout ?out|finally fixed|works now|working again|
gracias|genial|bien|rapido|solucionado|soluciono|contento|contenta|encantado|encantada|
buenisimo|perfecto|estupendo|maravilla|un sol|majo|maja|amable|de lujo|por fin
"""
NEGATORS = r"(?:not|never|no|isn'?t|wasn'?t|aren'?t|don'?t|didn'?t|ni|nada|tampoco)"
_QUESTION_START = re.compile(
    r"^(?:anyone|does anyone|has anyone|is anyone|is there|how do|how does|how can|what|where|when|"
    r"which|can i|should i|do you|alguien|alguno|como|que|donde|cuando|cual|se puede|hay)\b"
)
_SUGGESTION = re.compile(
    r"\b(?:it would be (?:nice|great|good|helpful)|would be (?:nice|great) if|suggestion|suggest|"
    r"could you (?:add|make|let)|please add|feature request|idea:|seria (?:bueno|genial|util)|"
    r"sugerencia|sugiero|propongo|podrian (?:anadir|poner|hacer)|estaria bien)\b"
)


def _pattern(words: str) -> re.Pattern[str]:
    alternatives = "|".join(w.strip() for w in words.replace("\n", "").split("|") if w.strip())
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


_COMPLAINT = _pattern(COMPLAINT)
_PRAISE = _pattern(PRAISE)
_NEGATED = re.compile(r"(?<!\w)" + NEGATORS + r"\s+(?:\w+\s+)?$")
# Strong on their own: no question or suggestion makes these neutral.
_STRONG = re.compile(
    r"(?<!\w)(?:robbed|stolen|deactivated|not paid|unpaid|still no|still missing|still not|still waiting|"
    r"never|worst|unacceptable|"
    r"me robaron|desactiva\w*|no me pagan|sigo esperando|nunca|verguenza|estafa|scam)(?!\w)"
)


class SentimentModel(Protocol):
    """A trained sentiment model: the label of a text and its complaint score in 0-1."""

    def score(self, text: str) -> tuple[str, float]:
        """Return (positive|neutral|complaint, complaint score)."""
        ...


class SentimentStage:
    """Say whether a post is praise, neutral, or a complaint, and how strongly.

    With no model it uses the built-in cue scorer; a model trained on analysts' judgements
    replaces it, and its id folds into the stage version so posts are scored again.
    """

    name = "sentiment"
    CODE_VERSION = 1

    def __init__(self, model: SentimentModel | None = None, model_id: int = 0) -> None:
        self.model = model
        self.model_id = model_id if model is not None else 0
        self._score = model.score if model is not None else score_text
        self.version = self.CODE_VERSION * 10**6 + model_id if model is not None else self.CODE_VERSION

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return {"sentiment": positive|neutral|complaint, "sentiment_score": 0-1}."""
        label, score = self._score(f"{item.title or ''}\n{item.text}")
        return {"sentiment": label, "sentiment_score": score}


def score_text(text: str) -> tuple[str, float]:
    """Return the sentiment label of `text` and its complaint score in 0-1."""
    folded = fold(text).replace("’", "'")
    complaint = praise = 0.0
    complaint += len(_COMPLAINT.findall(folded))
    for match in _PRAISE.finditer(folded):
        if _NEGATED.search(folded[max(0, match.start() - 24) : match.start()]):
            complaint += 1.0  # "not great", "no es rapido"
        else:
            praise += 1.0
    if "!" in folded and complaint > praise:
        complaint += 0.5
    balance = complaint - praise
    score = round(1 / (1 + math.exp(-1.2 * balance)), 3)
    stripped = folded.strip().lstrip("¿¡ ")
    asking = folded.rstrip().endswith("?") or bool(_QUESTION_START.match(stripped))
    suggesting = bool(_SUGGESTION.search(folded))
    if (asking or suggesting) and not _STRONG.search(folded) and complaint < 2:
        return "neutral", min(score, 0.5)
    if balance >= 1:
        return "complaint", score
    if balance <= -1:
        return "positive", score
    return "neutral", score

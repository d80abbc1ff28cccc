"""Earful's cue words for tone, in English and Spanish: complaint and praise words (with negation,
"not great", "no funciona"), question openings, suggestions, and strong complaint phrases.

They are the whole of the old rule-based scorer (`score_text`, kept as a baseline in the benchmarks)
and a few of the inputs of the shipped tone model (`ml/tone.py`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from earful.ml.text import fold

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


@dataclass(frozen=True)
class Signals:
    """What the cue words found in one text."""

    complaint: float
    praise: float
    asking: bool
    suggesting: bool
    strong: bool


def signals(text: str) -> Signals:
    """Return the complaint and praise cue counts of `text` and whether it asks, suggests or is strong."""
    folded = fold(text).replace("\u2019", "'")
    complaint = float(len(_COMPLAINT.findall(folded)))
    praise = 0.0
    for match in _PRAISE.finditer(folded):
        if _NEGATED.search(folded[max(0, match.start() - 24) : match.start()]):
            complaint += 1.0  # "not great", "no es rapido"
        else:
            praise += 1.0
    if "!" in folded and complaint > praise:
        complaint += 0.5
    stripped = folded.strip().lstrip("\u00bf\u00a1 ")
    asking = folded.rstrip().endswith("?") or bool(_QUESTION_START.match(stripped))
    return Signals(complaint, praise, asking, bool(_SUGGESTION.search(folded)), bool(_STRONG.search(folded)))


def score_text(text: str) -> tuple[str, float]:
    """Return the cue scorer's label of `text` (positive, neutral or complaint) and its complaint score."""
    found = signals(text)
    balance = found.complaint - found.praise
    score = round(1 / (1 + math.exp(-1.2 * balance)), 3)
    if (found.asking or found.suggesting) and not found.strong and found.complaint < 2:
        return "neutral", min(score, 0.5)
    if balance >= 1:
        return "complaint", score
    if balance <= -1:
        return "positive", score
    return "neutral", score

"""Text helpers every rule-based model here shares."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Return `text` lower-cased without accents, so "Aplicación" matches "aplicacion"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

"""The bundled demo dataset (invented posts) and its manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class DemoSource:
    """One demo source and the file holding its posts."""

    name: str
    kind: str
    region: str | None
    language: str | None
    path: Path
    format: str | None


def demo_sources() -> list[DemoSource]:
    """Return the demo sources listed in the bundled manifest."""
    entries = json.loads((DATA / "sources.json").read_text())
    return [
        DemoSource(
            name=e["name"],
            kind=e.get("kind", "file"),
            region=e.get("region"),
            language=e.get("language"),
            path=DATA / e["file"],
            format=e.get("format"),
        )
        for e in entries
    ]

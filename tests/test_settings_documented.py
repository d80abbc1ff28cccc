"""Every setting is described in code and documented for operators."""

from __future__ import annotations

from pathlib import Path

from earful.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def test_every_setting_has_a_description_and_a_line_in_the_operations_doc() -> None:
    doc = DOC.read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} has no description"
        assert f"`EARFUL_{name.upper()}`" in doc, f"EARFUL_{name.upper()} is not in docs/operations.md"

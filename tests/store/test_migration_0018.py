"""Upgrading past 0018 gives every stored model a status: the one in use stays in use, classifiers
replaced before the gate are retired, sentiment models never used are candidates."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.store.old_database import database_at

NOW = "2026-11-01 10:00:00"


def test_stored_models_get_a_status_and_a_reason(tmp_path: Path) -> None:
    with database_at("0017", tmp_path) as db:
        with db.write_engine.begin() as conn:
            for model_id, kind, active in [
                (1, "classifier", False),
                (2, "classifier", True),
                (3, "sentiment", False),
            ]:
                conn.execute(
                    text(
                        "INSERT INTO model_versions (id, kind, name, examples, evaluation, artifact, "
                        "artifact_tag, active, created_at) "
                        "VALUES (:id, :kind, 'm', 3, '{}', :blob, 't', :active, :now)"
                    ),
                    {"id": model_id, "kind": kind, "blob": b"w", "active": active, "now": NOW},
                )
        db.upgrade()
        with db.read_engine.connect() as conn:
            rows = conn.execute(text("SELECT id, status, reason FROM model_versions ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        (1, "retired", "replaced before the gate"),
        (2, "in_use", "in use before the gate"),
        (3, "candidate", "did not beat the built-in scorer"),
    ]

"""`earful eval` and `earful eval-sentiment` score what the server runs: the model in use, with
the embeddings it was trained with, through the same enrichment chain, or the cold-start one."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

import earful.classify.jobs  # registers the retrain job
import earful.ingest.jobs
from earful.classify.learning import relabel
from earful.classify.service import ensure_default
from earful.classify.versions import promote
from earful.cli.app import app
from earful.contracts import Actor
from earful.jobs.queue import drain
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Category, Label, ModelVersion, Post
from tests.factories import import_enriched

runner = CliRunner()
LOCKERS = "the yellow lockers jammed again, nobody could open them"
FILLER = [
    "The app crashed and logged me out three times today",
    "tip was missing from the last order again",
    "lovely sunset over the depot tonight",
]
PROBES = [
    "yellow lockers jammed this morning too, could not open them",
    "the app froze and logged me out at the depot",
    "my tips are missing again this week, not paid",
    "thanks for the quick fix, great support",
    "locker bank by the station would not open",
    "el casillero amarillo no se abre otra vez",
]


def _enriched(db: Database, text: str) -> tuple[list[str], str | None]:
    """Return the labels and sentiment enrichment stored for the post with this text."""
    with db.read() as session:
        post = next(p for p in session.scalars(select(Post)) if p.text == text)
        keys = session.scalars(
            select(Category.key)
            .join(Label, Label.category_id == Category.id)
            .where(Label.post_id == post.id, Label.by == "model")
        )
        return sorted(keys), post.sentiment


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("text", "label"))
        writer.writerows(rows)
    return path


def _predicted(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return [sorted(filter(None, row["labels"].split(";"))) for row in csv.DictReader(handle)]


def test_eval_with_embeddings_scores_the_model_enrichment_uses_item_by_item(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    on = settings.model_copy(update={"embeddings": True, "retrain_delay_seconds": 0.0})
    ensure_default(db)
    import_enriched(db, on, tmp_path, [LOCKERS, *FILLER], "first")
    with db.read() as session:
        lockers = next(p.id for p in session.scalars(select(Post)) if p.text == LOCKERS)
    relabel(db, on, Actor(None, "ana", "analyst"), lockers, categories=["operations.customer_access"])
    drain(db, on)  # the retrain, with embeddings on: a candidate
    with db.read() as session:
        model = session.scalars(select(ModelVersion)).one()
    assert model.name.endswith("+e5-small-q4")
    promote(db, on, Actor(None, "lea", "lead"), model.id)
    earful.ingest.jobs._CHAINS.clear()  # as a freshly started worker
    import_enriched(db, on, tmp_path, PROBES, "probe")
    stored = [_enriched(db, text) for text in PROBES]

    test = _csv(tmp_path / "test.csv", [(text, "operations.customer_access") for text in PROBES])
    out = tmp_path / "predicted.csv"
    env = {**cli_env, "EARFUL_EMBEDDINGS": "true"}
    result = runner.invoke(app, ["eval", "--test", str(test), "--predictions", str(out)], env=env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"model #{model.id}" in said and "EARFUL_EMBEDDINGS on" in said and "e5-small-q4" in said
    assert "taxonomy version 1" in said
    assert _predicted(out) == [keys for keys, _ in stored]
    assert _predicted(out)[0] == ["operations.customer_access"]  # the model, not the keywords

    # Zero labels: the keyword classifier enrichment falls back on, even with a model in use.
    cold = runner.invoke(app, ["eval", "--test", str(test), "--zero-label"], env=env)
    assert cold.exit_code == 0, cold.output
    assert "keyword/cold-start" in cold.output and f"model #{model.id}" not in cold.output

    tones = _csv(tmp_path / "tones.csv", [(text, "neutral") for text in PROBES])
    sentiment_out = tmp_path / "tones-predicted.csv"
    result = runner.invoke(
        app, ["eval-sentiment", "--test", str(tones), "--predictions", str(sentiment_out)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "shipped tone model" in result.output and "EARFUL_EMBEDDINGS on" in " ".join(result.output.split())
    with sentiment_out.open(newline="") as handle:
        assert [row["predicted"] for row in csv.DictReader(handle)] == [tone for _, tone in stored]


def test_a_zero_label_run_works_on_a_fresh_database(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ensure_default(db)  # what `earful init` leaves: the default taxonomy, no labels, no models
    test = _csv(
        tmp_path / "test.csv",
        [("the app crashed twice today", "app.crashes_login"), ("no tips showed up again", "pay.tips")],
    )
    result = runner.invoke(app, ["eval", "--test", str(test), "--zero-label"], env=cli_env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "keyword/cold-start" in said and "taxonomy version 1" in said and "EARFUL_EMBEDDINGS off" in said
    assert "macro-F1 1.000" in said
    tones = _csv(tmp_path / "tones.csv", [("app broken again, never paid", "complaint")])
    result = runner.invoke(app, ["eval-sentiment", "--test", str(tones), "--zero-label"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "shipped tone model tone-cascade-1 (cold-start)" in " ".join(result.output.split())

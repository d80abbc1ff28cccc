"""Learning from analysts: relabel over the API, retrain in the background, evaluate on held-out
labels, and label the next similar post differently."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

import earful.classify.jobs
import earful.ingest.jobs
import earful.ml.trained
from earful.classify import gate
from earful.classify.learning import TRAIN_JOB, relabel, train_classifier, train_sentiment
from earful.classify.service import ensure_default
from earful.classify.versions import promote
from earful.contracts import Actor
from earful.jobs.queue import drain
from earful.kit.errors import EarfulError
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Category, Job, Label, ModelVersion, Post
from earful.store.repos import learning as learning_repo
from earful.triage.feed import feed
from earful.web.app import create_app
from tests.factories import import_enriched
from tests.web.conftest import login

LOCKERS = "the yellow lockers jammed again, nobody could open them"
SIMILAR = "yellow lockers jammed this morning too, could not open them"
FILLER = [
    "The app crashed and logged me out three times today",
    "tip was missing from the last order again",
    "lovely sunset over the depot tonight",
]


def _keys(db: Database, text: str) -> list[str]:
    with db.read() as session:
        post = next(p for p in session.scalars(select(Post)) if p.text == text)
        rows = session.execute(
            select(Category.key)
            .join(Label, Label.category_id == Category.id)
            .where(Label.post_id == post.id, Label.by == "model")
        )
        return [key for (key,) in rows]


def _post_id(db: Database, text: str) -> int:
    with db.read() as session:
        return next(p.id for p in session.scalars(select(Post)) if p.text == text)


def _relabel_lockers(db: Database, settings: Settings, tmp_path: Path) -> None:
    """Import the lockers post and the fillers, and have an analyst file it under customer access."""
    import_enriched(db, settings, tmp_path, [LOCKERS, *FILLER], "first")
    actor = Actor(None, "t", "analyst")
    relabel(db, settings, actor, _post_id(db, LOCKERS), categories=["operations.customer_access"])


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Settings that retrain as soon as the worker looks, instead of gathering relabels first."""
    return settings.model_copy(update={"retrain_delay_seconds": 0.0})


def test_a_relabel_through_the_api_changes_the_next_models_prediction(
    db: Database, quick: Settings, tmp_path: Path
) -> None:
    ensure_default(db)
    import_enriched(db, quick, tmp_path, [LOCKERS, *FILLER], "first")
    assert _keys(db, LOCKERS) == []  # no keyword of the default taxonomy fits

    with TestClient(create_app(quick, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        response = client.put(
            f"/api/posts/{_post_id(db, LOCKERS)}/labels",
            json={"categories": ["operations.customer_access"], "sentiment": "complaint"},
        )
        assert response.status_code == 204, response.text

    drain(db, quick)  # the retrain job: one label is too few to tell a better model, so it waits
    with db.read() as session:
        model = session.scalars(select(ModelVersion)).one()
    assert model.kind == "classifier" and model.examples == 1 and not model.active
    assert _keys(db, LOCKERS) == []  # nothing relabelled by the candidate
    promote(db, quick, Actor(None, "lea", "lead"), model.id)
    drain(db, quick)  # the re-labelling of recent posts the promotion queues
    with db.read() as session:
        audit = [e.action for e in session.scalars(select(AuditEntry))]
    assert "post.relabel" in audit and "model.train" in audit and "model.promote" in audit
    # The relabelled post itself keeps the analyst's label, and the model now agrees.
    assert "operations.customer_access" in _keys(db, LOCKERS)
    shown = next(p for p in feed(db).posts if p.text == LOCKERS)
    assert [(c.key, c.confidence) for c in shown.categories] == [("operations.customer_access", 1.0)]

    import_enriched(db, quick, tmp_path, [SIMILAR], "second")
    assert _keys(db, SIMILAR)[0] == "operations.customer_access"
    # Unrelated posts are still labelled as before.
    assert _keys(db, FILLER[0])[0] == "app.crashes_login"


def test_relabelling_is_checked(db: Database, quick: Settings, tmp_path: Path) -> None:
    ensure_default(db)
    import_enriched(db, quick, tmp_path, [LOCKERS], "one")
    post_id = _post_id(db, LOCKERS)
    with TestClient(create_app(quick, db), follow_redirects=False) as client:
        login(client, db, "vic", "viewer")
        assert client.put(f"/api/posts/{post_id}/labels", json={"sentiment": "neutral"}).status_code == 403
    with TestClient(create_app(quick, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        unknown = client.put(f"/api/posts/{post_id}/labels", json={"categories": ["union.organising"]})
        assert unknown.status_code == 400 and "Not categories" in unknown.json()["detail"]
        parent = client.put(f"/api/posts/{post_id}/labels", json={"categories": ["app"]})
        assert parent.status_code == 204  # a whole category, when no subcategory fits
        assert client.put("/api/posts/999999/labels", json={"sentiment": "neutral"}).status_code == 404
        assert client.put(f"/api/posts/{post_id}/labels", json={"sentiment": "angry"}).status_code == 422
        assert client.put(f"/api/posts/{post_id}/labels", json={}).status_code == 400
        for _ in range(3):  # a burst of relabels queues one retrain
            assert (
                client.put(f"/api/posts/{post_id}/labels", json={"sentiment": "neutral"}).status_code == 204
            )
    with db.read() as session:
        waiting = session.scalars(select(Job).where(Job.name == TRAIN_JOB, Job.status == "queued")).all()
    assert len(waiting) == 1


DRIVER_POSTS = {
    "app.crashes_login": [
        "app crashed {} times before my first stop",
        "logged out of the app again, {} tries to get back in",
        "the app froze on the itinerary screen {} times",
    ],
    "pay.tips": [
        "tips missing from {} of my orders this week",
        "customer said they tipped but {} tips never showed up",
        "where did my tips go, {} deliveries with zero tip",
    ],
    "safety.animals": [
        "dog chased me off the porch at stop {}",
        "got bitten by a dog on my {} delivery today",
        "loose dogs at {} houses on this route",
    ],
}


def _labelled_corpus(db: Database, settings: Settings, tmp_path: Path) -> None:
    texts, keys = [], []
    for key, patterns in DRIVER_POSTS.items():
        for i in range(12):
            texts.append(patterns[i % 3].format(i + 2))
            keys.append(key)
    import_enriched(db, settings, tmp_path, texts, "corpus")
    with db.read() as session:
        ids = {p.text: p.id for p in session.scalars(select(Post))}
    actor = Actor(None, "test", "analyst")
    for text, key in zip(texts, keys, strict=True):
        tone = "complaint" if key != "safety.animals" else "neutral"
        relabel(db, settings, actor, ids[text], categories=[key], sentiment=tone)


def test_training_stores_a_held_out_evaluation_at_both_levels(
    db: Database, quick: Settings, tmp_path: Path
) -> None:
    ensure_default(db)
    _labelled_corpus(db, quick, tmp_path)
    with db.write() as session:
        result = train_classifier(session, quick)
    evaluation = result.evaluation
    with db.read() as session:
        held = sum(1 for pid in session.scalars(select(Post.id)) if gate.held_out(pid))
    assert result.examples == 36 and evaluation["held_out"] == held and evaluation["trained_on"] == 36 - held
    assert not result.active and f"{held} held-out labels; needs at least 20" in result.message
    assert set(evaluation["categories"]["labels"]) >= {"app", "pay", "safety"}
    assert evaluation["subcategories"]["labels"]["pay.tips"]["support"] > 0
    assert evaluation["subcategories"]["macro_f1"] >= 0.8  # these three are easy to tell apart
    assert 0 <= evaluation["calibration_error"] <= 1
    assert evaluation["calibrated"] == (36 - held >= 30)  # enough labels to calibrate on
    with db.read() as session:
        stored = session.get(ModelVersion, result.model_id)
        assert stored is not None and stored.evaluation == evaluation and stored.status == "candidate"


def test_sentiment_is_used_only_when_it_beats_the_built_in_scorer(
    db: Database, quick: Settings, tmp_path: Path
) -> None:
    ensure_default(db)
    with db.write() as session:
        too_few = train_sentiment(session, quick)
    assert too_few.model_id is None and "at least 30" in too_few.message
    _labelled_corpus(db, quick, tmp_path)
    with db.write() as session:
        result = train_sentiment(session, quick)
    figures = result.evaluation
    assert result.model_id is not None and figures["held_out"] == 7
    assert result.active == (figures["macro_recall"] >= figures["builtin_macro_recall"])


def test_retraining_sentiment_embeds_each_judgement_once(
    db: Database, quick: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The candidate trains on most judgements and is scored on the rest, then the model kept is
    trained on them all: each judgement's vector is computed once for the three."""
    asked: Counter[str] = Counter()

    class Counting:
        name = "minilm-l6"
        dim = 8

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            asked.update(texts)
            rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:8], dtype=np.uint8) for t in texts]
            return np.array(rows, dtype=np.float32).reshape(len(texts), self.dim) / 255

    monkeypatch.setattr(earful.ml.trained, "_light_embedder", Counting)
    ensure_default(db)
    _labelled_corpus(db, quick, tmp_path)
    with db.write() as session:
        result = train_sentiment(session, quick)
        judgements = [text for _, text, _ in learning_repo.analyst_sentiments(session)]
    assert result.model_id is not None
    assert set(asked) == set(judgements) and len(judgements) == 36
    assert max(asked.values()) == 1, asked.most_common(3)


def test_a_model_whose_signature_fails_is_not_used(db: Database, quick: Settings, tmp_path: Path) -> None:
    ensure_default(db)
    _relabel_lockers(db, quick, tmp_path)
    drain(db, quick)  # the retrain job
    with db.write() as session:
        session.execute(update(ModelVersion).values(artifact_tag="0" * 64))
    earful.ingest.jobs._CHAINS.clear()  # as a freshly started worker, which loads the model anew
    import_enriched(db, quick, tmp_path, [SIMILAR], "second")
    # Back on the keyword classifier, which has no keyword for lockers.
    assert "operations.customer_access" not in _keys(db, SIMILAR)


def test_training_needs_labels_and_the_right_role(db: Database, quick: Settings) -> None:
    ensure_default(db)
    with db.write() as session, pytest.raises(EarfulError, match="No analyst labels"):
        train_classifier(session, quick)
    with db.write() as session, pytest.raises(EarfulError, match="lead role"):
        train_classifier(session, quick, Actor(1, "ana", "analyst"))


def test_train_and_models_commands(
    db: Database, quick: Settings, tmp_path: Path, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from earful.cli.app import app

    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    runner = CliRunner()
    ensure_default(db)
    assert "No trained models yet" in runner.invoke(app, ["models"]).output
    empty = runner.invoke(app, ["train", "--kind", "classifier"])
    assert empty.exit_code == 1 and "No analyst labels" in " ".join(empty.output.split())
    _labelled_corpus(db, quick, tmp_path)
    trained = runner.invoke(app, ["train"])
    words = " ".join(trained.output.split())
    assert trained.exit_code == 0, trained.output
    assert "36 analyst-labelled posts" in words and "held-out posts" in words and "macro-F1" in words
    assert "kept as a candidate" in words
    assert "calibration error" in words and "sentiment" in words
    listed = " ".join(runner.invoke(app, ["models"]).output.split())
    # The test terminal is narrow, so rich shortens the cells.
    assert "classif" in listed and "sentim" in listed and "36" in listed and "candidate" in listed


def test_with_embeddings_on_the_model_uses_them_and_the_chain_loads_it(
    db: Database, quick: Settings, tmp_path: Path
) -> None:
    on = quick.model_copy(update={"embeddings": True})
    ensure_default(db)
    _relabel_lockers(db, on, tmp_path)
    drain(db, on)  # the retrain job, with embeddings on
    with db.read() as session:
        model = session.scalars(select(ModelVersion)).one()
    promote(db, on, Actor(None, "lea", "lead"), model.id)
    assert model.name.endswith("+e5-small-q4")
    earful.ingest.jobs._CHAINS.clear()  # as a freshly started worker
    import_enriched(db, on, tmp_path, [SIMILAR], "second")
    with db.read() as session:
        models = {label.model_version for label in session.scalars(select(Label).where(Label.by == "model"))}
    assert models == {f"tfidf-ovr-logreg-3#{model.id}"}
    assert _keys(db, SIMILAR)[0] == "operations.customer_access"


def test_a_new_model_relabels_the_newest_posts_up_to_the_limit(
    db: Database, quick: Settings, tmp_path: Path
) -> None:
    ensure_default(db)
    capped = quick.model_copy(update={"reclassify_limit": 2})
    _relabel_lockers(db, capped, tmp_path)
    with db.write() as session:
        result = train_classifier(session, capped)
    assert result.model_id is not None
    assert "2 recent posts queued" in promote(db, capped, Actor(None, "lea", "lead"), result.model_id)
    with db.read() as session:
        queued = session.scalars(select(Job).where(Job.name == "ingest.enrich", Job.status == "queued")).all()
    assert sorted(len(job.payload["post_ids"]) for job in queued) == [2]

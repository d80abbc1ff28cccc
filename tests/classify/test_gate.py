"""The gate on retrained models: one wrong relabel changes nothing else, enough consistent labels
put a better model to use, and leads promote and roll back (CLI and page), audited."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import earful.classify.jobs
import earful.ingest.jobs  # noqa: F401 - registers the enrichment job
from earful.classify.learning import relabel, train_classifier
from earful.classify.service import ensure_default
from earful.classify.versions import promote, rollback
from earful.contracts import Actor
from earful.demo import demo_sources
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.kit.errors import Forbidden
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Category, Label, ModelVersion, Post
from earful.web.app import create_app
from tests.web.conftest import csrf_of, login


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Settings that retrain as soon as the worker looks, and relabel every post a new model gets."""
    return settings.model_copy(
        update={"retrain_delay_seconds": 0.0, "reclassify_days": 36500, "reclassify_limit": 100_000}
    )


def model_labels(db: Database) -> dict[int, frozenset[str]]:
    """Return each post's categories given by the model in use."""
    with db.read() as session:
        found: dict[int, set[str]] = {pid: set() for pid in session.scalars(select(Post.id))}
        rows = session.execute(
            select(Label.post_id, Category.key)
            .join(Category, Category.id == Label.category_id)
            .where(Label.by == "model")
        )
        for post_id, key in rows:
            found[post_id].add(key)
    return {pid: frozenset(keys) for pid, keys in found.items()}


def load_demo(db: Database, settings: Settings) -> None:
    """Load and enrich the bundled demo posts, labelled by the built-in classifier."""
    ensure_default(db)
    for src in demo_sources():
        get_or_create_source(db, src.name, kind=src.kind, region=src.region, language=src.language)
        iter_import(db, settings, src.path, src.name, src.format)
    drain(db, settings)


def test_one_wrong_relabel_and_a_retrain_change_no_other_post(db: Database, quick: Settings) -> None:
    load_demo(db, quick)
    before = model_labels(db)
    assert sum(1 for keys in before.values() if keys) > 100  # the demo is labelled by the model
    with db.read() as session:
        robbery = session.scalars(
            select(Post.id).where(Post.text.like("Got robbed at gunpoint%"), Post.duplicate_of.is_(None))
        ).first()
    assert robbery is not None

    relabel(db, quick, Actor(None, "ana", "analyst"), robbery, categories=["pay.tips"])
    drain(db, quick)  # the retrain job, and any relabelling it queues

    after = model_labels(db)
    changed = sorted(pid for pid in before if pid != robbery and after[pid] != before[pid])
    assert changed == [], (
        f"{len(changed)} other posts changed labels, e.g. {before[changed[0]]} -> {after[changed[0]]}"
    )
    with db.read() as session:
        model = session.scalars(select(ModelVersion).where(ModelVersion.kind == "classifier")).one()
    assert not model.active and model.status == "candidate"
    assert (
        model.reason == "0 held-out labels; needs at least 20"
        or model.reason == "1 held-out labels; needs at least 20"
    )


# Posts that use none of the default taxonomy's keywords, so only a model trained on analysts'
# labels can file them.
TAUGHT = {
    "operations.customer_access": [
        "the yellow lockers jammed at building {n}, nobody could open them",
        "locker bank {n} would not open again this morning",
        "parcel lockers at block {n} stuck shut, had to take everything back",
        "smart lockers by entrance {n} refused my pin, drawer never popped",
    ],
    "safety.animals": [
        "a goose went after me at house {n} and would not stop hissing",
        "angry cat scratched my arm at stop {n}",
        "a goat was loose in the driveway at number {n}, I backed off",
        "swarm of wasps by the mailbox at stop {n}, got stung twice",
    ],
}
SIMILAR = "the lockers jammed at building 77 again, nobody could open them"


def import_texts(
    db: Database, settings: Settings, tmp_path: Path, texts: list[str], tag: str
) -> dict[str, int]:
    """Import `texts` as posts of one source, enrich them, and return their ids by text."""
    path = tmp_path / f"{tag}.jsonl"
    path.write_text("".join(json.dumps({"id": f"{tag}-{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    drain(db, settings)
    with db.read() as session:
        return {text: pid for pid, text in session.execute(select(Post.id, Post.text)) if text in texts}


def teach(db: Database, settings: Settings, tmp_path: Path, per_category: int) -> dict[str, int]:
    """Have an analyst file `per_category` keyword-free posts under each taught subcategory."""
    ensure_default(db)
    texts: dict[str, str] = {}
    for key, patterns in TAUGHT.items():
        for n in range(per_category):
            texts[patterns[n % len(patterns)].format(n=n + 2)] = key
    ids = import_texts(db, settings, tmp_path, list(texts), "taught")
    actor = Actor(None, "ana", "analyst")
    for text, key in texts.items():
        relabel(db, settings, actor, ids[text], categories=[key])
    return ids


TAUGHT_TEXTS = [p.format(n=n) for patterns in TAUGHT.values() for p in patterns for n in range(2, 6)]


def status_of(db: Database) -> list[tuple[int, str, bool, str]]:
    """Return (id, status, active, reason) of every classifier version, oldest first."""
    with db.read() as session:
        rows = session.scalars(
            select(ModelVersion).where(ModelVersion.kind == "classifier").order_by(ModelVersion.id)
        )
        return [(m.id, m.status, m.active, m.reason) for m in rows]


def test_enough_consistent_labels_put_a_better_model_to_use(
    db: Database, quick: Settings, tmp_path: Path
) -> None:
    teach(db, quick, tmp_path, 75)
    drain(db, quick)  # the retrain, then the relabelling of recent posts by the new model

    ((model_id, status, active, reason),) = status_of(db)
    assert status == "in_use" and active, reason
    assert re.fullmatch(
        r"macro-F1 (0|1)\.\d\d vs 0\.00 for the keyword classifier on \d+ held-out labels", reason
    )
    with db.read() as session:
        evaluation = session.get(ModelVersion, model_id).evaluation  # type: ignore[union-attr]
    assert evaluation["held_out"] >= 20 and evaluation["gate"]["macro_f1"] >= 0.8
    assert set(evaluation["scored_subcategories"]) == set(TAUGHT)
    ids = import_texts(db, quick, tmp_path, [SIMILAR], "next")
    assert "operations.customer_access" in model_labels(db)[ids[SIMILAR]]

    # Retrained on the same labels, the new model is no better than the one in use: it waits.
    with db.write() as session:
        again = train_classifier(session, quick)
    assert not again.active and "kept as a candidate" in again.message
    assert status_of(db)[-1][1:3] == ("candidate", False)
    assert re.search(
        rf"for model {model_id} on \d+ held-out labels; needs to beat it by 0.02", status_of(db)[-1][3]
    )
    assert status_of(db)[0][1:3] == ("in_use", True)


@pytest.fixture
def cli(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Run an `earful` command against the test database; return its output on one line."""
    from typer.testing import CliRunner

    from earful.cli.app import app

    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    monkeypatch.setenv("EARFUL_RECLASSIFY_DAYS", "36500")

    def run(*args: str, code: int = 0) -> str:
        done = CliRunner().invoke(app, list(args))
        assert done.exit_code == code, done.output
        return " ".join(done.output.split())

    return run


def audited(db: Database, action: str) -> list[tuple[str, str | None]]:
    with db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [(e.actor, e.target) for e in rows]


def test_leads_promote_and_roll_back_through_the_cli_and_the_page_and_labels_follow(
    db: Database, quick: Settings, tmp_path: Path, cli: Callable[..., str]
) -> None:
    teach(db, quick, tmp_path, 4)
    drain(db, quick)
    ((model_id, status, _, reason),) = status_of(db)
    assert status == "candidate" and "needs at least 20" in reason
    builtin = model_labels(db)
    assert "candidate" in cli("models") and "No trained classifier is in use" in cli("models")

    assert f"Model {model_id} is in use" in cli("models", "promote", str(model_id))
    drain(db, quick)
    taught = model_labels(db)
    assert taught != builtin
    assert sum(1 for keys in taught.values() if keys & set(TAUGHT)) >= 6  # the model files them now
    assert audited(db, "model.promote")[-1][1] == f"model:{model_id}"
    assert "already in use" in cli("models", "promote", str(model_id), code=1)
    assert "There is no model 999" in cli("models", "promote", "999", code=1)

    with TestClient(create_app(quick, db), follow_redirects=False) as client:
        login(client, db, "lea", "lead")
        page = client.get("/admin/models")
        assert page.status_code == 200 and f"#{model_id}" in page.text and "promoted by cli:" in page.text
        assert not any(text in page.text for text in TAUGHT_TEXTS)  # no post text on this page
        csrf = csrf_of(page.text)
        back = client.post("/admin/models/rollback", data={"csrf": csrf, "kind": "classifier"})
        assert back.status_code == 303
        assert "the built-in one is in use" in client.get("/admin/models").text
        assert status_of(db)[0][1:] == ("retired", False, "rolled back by lea")
        drain(db, quick)
        assert model_labels(db) == builtin
        assert audited(db, "model.rollback") == [("lea", f"model:{model_id}")]

        again = client.post(f"/admin/models/{model_id}/promote", data={"csrf": csrf})
        assert again.status_code == 303
        drain(db, quick)
        assert model_labels(db) == taught
        assert audited(db, "model.promote")[-1][0] == "lea"
        nothing = client.post("/admin/models/rollback", data={"csrf": csrf, "kind": "sentiment"})
        assert nothing.status_code == 400 and "No trained sentiment is in use" in nothing.text

    assert "the built-in one is in use" in cli("models", "rollback")
    drain(db, quick)
    assert model_labels(db) == builtin
    assert "the built-in one already is" in cli("models", "rollback", code=1)


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_analysts_cannot_promote_or_roll_back(
    db: Database, quick: Settings, tmp_path: Path, role: str
) -> None:
    teach(db, quick, tmp_path, 4)
    drain(db, quick)
    ((model_id, *_),) = status_of(db)
    with TestClient(create_app(quick, db), follow_redirects=False) as client:
        login(client, db, "ana", role)
        csrf = csrf_of(client.get("/teams").text)
        assert client.get("/admin/models").status_code == 403
        assert client.post(f"/admin/models/{model_id}/promote", data={"csrf": csrf}).status_code == 403
        assert client.post("/admin/models/rollback", data={"csrf": csrf}).status_code == 403
    with pytest.raises(Forbidden):
        promote(db, quick, Actor(None, "ana", role), model_id)
    with pytest.raises(Forbidden):
        rollback(db, quick, Actor(None, "ana", role))
    assert status_of(db)[0][1:3] == ("candidate", False)
    assert audited(db, "model.promote") == audited(db, "model.rollback") == []


def test_a_candidate_is_promoted_from_the_page_only_once_its_reason_was_shown_and_confirmed(
    db: Database, quick: Settings, tmp_path: Path
) -> None:
    # A lead's one click put a model scored on one label to use and relabelled every post.
    teach(db, quick, tmp_path, 4)
    drain(db, quick)
    ((model_id, status, _, reason),) = status_of(db)
    assert status == "candidate"
    with TestClient(create_app(quick, db), follow_redirects=False) as client:
        login(client, db, "lea", "lead")
        page = client.get("/admin/models").text
        assert "Roll back to the version before" not in page  # nothing trained is in use
        csrf = csrf_of(page)
        asked = client.post(f"/admin/models/{model_id}/promote", data={"csrf": csrf})
        assert asked.status_code == 200 and "has not passed the gate" in asked.text and reason in asked.text
        assert "Promote anyway" in asked.text and status_of(db)[0][1] == "candidate"
        assert audited(db, "model.promote") == []
        done = client.post(f"/admin/models/{model_id}/promote", data={"csrf": csrf, "confirm": "yes"})
        assert done.status_code == 303 and status_of(db)[0][1] == "in_use"
        page = client.get("/admin/models").text
        assert "Roll back to the version before" in page and '<option value="classifier">' in page
        assert '<option value="sentiment">' not in page

"""Routing takes safety first: a post with a safety label goes to the team that owns safety, on
safety's SLA, whichever of its labels the model is surest of."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post, TriageItem
from earful.store.repos import triage as triage_repo
from earful.triage import service
from earful.triage.sla import Sla
from earful.web.app import create_app
from tests.factories import import_enriched, label, make_posts, make_source
from tests.web.conftest import login

ADMIN = Actor(None, "root", "admin")
LEAD = Actor(None, "lee", "lead")
ROBBERY = "Robbed at gunpoint at my 9th stop, 12 packages still in the van"


def _hours(db: Database, post_id: int) -> tuple[float, float]:
    with db.read() as session:
        item = session.query(TriageItem).filter_by(post_id=post_id).one()
        assert item.escalated_at and item.ack_due_at and item.resolve_due_at
        return (
            (item.ack_due_at - item.escalated_at).total_seconds() / 3600,
            (item.resolve_due_at - item.escalated_at).total_seconds() / 3600,
        )


def _teams(db: Database) -> None:
    service.save_team(db, ADMIN, "Station operations", "station@example.org", ["operations", "scheduling"])
    service.save_team(db, ADMIN, "Safety", "safety-desk@example.org", ["safety"])


def test_a_package_volume_and_safety_post_goes_to_safety_on_its_sla(db: Database) -> None:
    robbery, analysed = make_posts(db, make_source(db), [ROBBERY, f"{ROBBERY} (relabelled)"])
    # The model is surer of "Package volume" (from "12 packages") than of the robbery.
    label(db, [robbery], "operations.volume", confidence=0.9)
    label(db, [robbery], "safety.violence", confidence=0.4)
    # An analyst's labels, the category-level "safety" second.
    label(db, [analysed], "operations.volume", by="analyst", confidence=1.0)
    label(db, [analysed], "safety", by="analyst", confidence=1.0)
    _teams(db)
    assert service.escalate(db, LEAD, robbery, defaults=Sla(6, 48)) == "Safety"
    assert _hours(db, robbery) == (1, 24)  # the default taxonomy's safety SLA, not the 8 h default
    assert service.escalate(db, LEAD, analysed, defaults=Sla(8, 72)) == "Safety"
    assert _hours(db, analysed) == (1, 24)


def test_the_api_escalates_the_robbery_to_safety(db: Database, settings: Settings) -> None:
    (robbery,) = make_posts(db, make_source(db), [ROBBERY])
    label(db, [robbery], "operations.volume", confidence=0.95)
    label(db, [robbery], "safety.violence", confidence=0.3)
    _teams(db)
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "lee", "lead")
        response = client.post(f"/api/posts/{robbery}/escalate", json={})
        assert response.status_code == 200, response.text
        assert response.json() == {"team": "Safety"}
    assert _hours(db, robbery) == (1, 24)


def test_without_a_safety_label_the_surest_label_still_decides(db: Database) -> None:
    (post_id,) = make_posts(db, make_source(db), ["no blocks again and tips missing"])
    label(db, [post_id], "scheduling.availability", confidence=0.9)
    label(db, [post_id], "pay.tips", confidence=0.5)
    _teams(db)
    service.save_team(db, ADMIN, "Driver pay", "pay@example.org", ["pay"])
    assert service.escalate(db, LEAD, post_id) == "Station operations"


def test_enrichment_labels_the_robbery_safety_first_in_english_and_spanish(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    ensure_default(db)
    spanish = "Me robaron a punta de pistola en la novena parada, con 12 paquetes en la furgo"
    import_enriched(db, settings, tmp_path, [ROBBERY, spanish], "robberies")
    with db.read() as session:
        posts = {p.text: p.id for p in session.scalars(select(Post))}
        firsts = {text: triage_repo.post_category_keys(session, pid)[0] for text, pid in posts.items()}
    # The surest label itself is the safety one, not only the routing order.
    assert firsts == {ROBBERY: "safety.violence", spanish: "safety.violence"}
    _teams(db)
    for post_id in posts.values():
        assert service.escalate(db, LEAD, post_id, defaults=Sla(8, 72)) == "Safety"
        assert _hours(db, post_id) == (1, 24)


def _pay_app_support_teams(db: Database) -> None:
    service.save_team(db, ADMIN, "App team", None, ["app"])
    service.save_team(db, ADMIN, "Driver pay", None, ["pay"])
    service.save_team(db, ADMIN, "Driver support", None, ["support"])


def test_after_safety_the_surest_label_decides_and_a_tie_goes_by_the_taxonomys_order(db: Database) -> None:
    pins, crash = make_posts(db, make_source(db), ["wrong map pins cost us more than any rates", "app crash"])
    # Stored pay first: the map pins post once went to Driver pay on this tie.
    label(db, [pins], "pay.rates", confidence=0.6)
    label(db, [pins], "app.gps_maps", confidence=0.6)
    # Deactivation has a stricter SLA than the app's default, but the model is much surer of the crash.
    label(db, [crash], "support.deactivation", confidence=0.4)
    label(db, [crash], "app.crashes_login", confidence=0.9)
    _pay_app_support_teams(db)
    assert service.escalate(db, LEAD, pins, defaults=Sla(8, 72)) == "App team"
    assert service.escalate(db, LEAD, crash, defaults=Sla(8, 72)) == "App team"
    assert _hours(db, crash) == (4, 48)  # the deadlines are still the strictest among its labels
    (shown,) = service.routes(db, LEAD, [crash], defaults=Sla(8, 72))
    assert (shown.team, shown.label, shown.safety, shown.acknowledge_hours) == (
        "App team",
        "app.crashes_login",
        False,
        4,
    )


def test_a_taxonomy_without_a_safety_category_routes_by_the_strictest_sla(db: Database) -> None:
    from earful.ml.taxonomy import Taxonomy, load_default
    from earful.store.repos import taxonomy as taxonomy_repo

    nodes = tuple(n for n in load_default().nodes if not n.key.startswith("safety"))
    plain = Taxonomy(name="no safety", nodes=nodes)
    with db.write() as session:
        taxonomy_repo.save(session, plain, note="test", user_id=None)
    (post_id,) = make_posts(db, make_source(db), ["logged out and deactivated"])
    label(db, [post_id], "app.crashes_login", confidence=0.9)
    label(db, [post_id], "support.deactivation", confidence=0.4)
    _pay_app_support_teams(db)
    assert service.escalate(db, LEAD, post_id) == "Driver support"

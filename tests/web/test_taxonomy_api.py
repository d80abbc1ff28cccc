"""The taxonomy through the API: read it, load a new version, and the same refusals as the CLI."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from earful.classify.service import ensure_default
from earful.store.db import Database
from earful.store.models import AuditEntry
from tests.web.conftest import login


def test_read_edit_and_load_the_taxonomy(client: TestClient, db: Database) -> None:
    login(client, db, "lee", "lead")
    assert client.get("/api/taxonomy").status_code == 404
    ensure_default(db)
    shown = client.get("/api/taxonomy").json()
    assert shown["version"] == 1
    data = shown["taxonomy"]
    assert data["categories"][0]["subcategories"][0]["key"] == "app.crashes_login"

    same = client.put("/api/taxonomy", json=data)
    assert same.json() == {"version": 1, "changed": False}
    data["categories"][0]["subcategories"][0]["name"] = "Crashes and sign-in"
    edited = client.put("/api/taxonomy", params={"note": "wording"}, json=data)
    assert edited.status_code == 200 and edited.json() == {"version": 2, "changed": True}
    assert client.get("/api/taxonomy").json()["taxonomy"]["categories"][0]["subcategories"][0]["name"] == (
        "Crashes and sign-in"
    )
    with db.read() as session:
        assert [e.action for e in session.scalars(select(AuditEntry))].count("taxonomy.load") == 1

    data["categories"].append({"key": "unions", "name": "Union talk", "description": "who is organising"})
    refused = client.put("/api/taxonomy", json=data)
    assert refused.status_code == 400 and "does not track" in refused.json()["detail"]
    broken = client.put("/api/taxonomy", json={"name": "x", "categories": [{"key": "Bad Key"}]})
    assert broken.status_code == 400 and "key" in broken.json()["detail"]


def test_only_leads_and_admins_load_a_taxonomy(client: TestClient, db: Database) -> None:
    ensure_default(db)
    login(client, db, "ana", "analyst")
    data = client.get("/api/taxonomy").json()["taxonomy"]
    response = client.put("/api/taxonomy", json=data)
    assert response.status_code == 403 and "lead role" in response.json()["detail"]

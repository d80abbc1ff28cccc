"""The taxonomy over the API: read the version in use, load a new one (the YAML's structure as JSON)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel

from earful.accounts.policies import signed_in
from earful.accounts.service import Account
from earful.classify.policies import can_edit_taxonomy
from earful.classify.service import current, submit
from earful.kit.errors import EarfulError, NotFound
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import get_db
from earful.web.params import storable
from earful.web.responses import errors

router = APIRouter(prefix="/api", responses=errors(401, 403))
reader = guard.api(signed_in, "Reading the taxonomy needs an account.")
editor = guard.api(can_edit_taxonomy, "Changing the taxonomy takes the lead role or higher.")


class TaxonomyRead(BaseModel):
    """The taxonomy in use: its version, and its categories as in the YAML file."""

    version: int
    taxonomy: dict[str, Any]


class TaxonomySaved(BaseModel):
    """The version in use after a load, and whether the load made a new one."""

    version: int
    changed: bool


@router.get("/taxonomy", response_model=TaxonomyRead, dependencies=[Depends(reader)], responses=errors(404))
def get_taxonomy(db: Database = Depends(get_db)) -> TaxonomyRead:
    """Return the taxonomy in use."""
    found = current(db)
    if found is None:
        raise NotFound("No taxonomy is loaded; load one with PUT /api/taxonomy or `earful taxonomy load`.")
    return TaxonomyRead(version=found.version, taxonomy=found.taxonomy.to_dict())


@router.put("/taxonomy", response_model=TaxonomySaved, responses=errors(400))
def put_taxonomy(
    data: dict[str, Any] = Body(..., description="name and categories, as in the YAML file"),
    note: str | None = Query(None, max_length=500, description="Why it changed (kept with the version)."),
    account: Account = Depends(editor),
    db: Database = Depends(get_db),
) -> TaxonomySaved:
    """Load a taxonomy as a new version (an unchanged one keeps the version); leads and admins only."""
    try:
        storable(data)
    except ValueError as exc:
        raise EarfulError(f"The taxonomy {exc}.") from None
    before = current(db)
    version = submit(db, data, role=account.role, user_id=account.id, actor=account.username, note=note)
    return TaxonomySaved(version=version, changed=before is None or before.version != version)

"""Posts over the API."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from earful.store.db import Database
from earful.triage.service import feed
from earful.web.deps import api_account, get_db

router = APIRouter(prefix="/api", dependencies=[Depends(api_account)])


class LabelRead(BaseModel):
    """A category on a post, with the labeller's confidence."""

    key: str
    name: str
    confidence: float | None


class PostRead(BaseModel):
    """A post as the API returns it; authors appear only as pseudonyms."""

    id: int
    source: str
    region: str | None
    language: str | None
    posted_at: datetime
    title: str | None
    text: str
    url: str | None
    author_key: str | None
    copies: int
    urgency: float | None
    urgency_reasons: list[str]
    sentiment: str | None
    categories: list[LabelRead]


class PostPage(BaseModel):
    """A page of posts and the cursor of the next page."""

    items: list[PostRead]
    next_cursor: str | None


@router.get("/posts", response_model=PostPage)
def list_posts(
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
    db: Database = Depends(get_db),
) -> PostPage:
    """Return posts newest first; pass `next_cursor` back as `cursor` for the next page."""
    page = feed(db, limit=limit, cursor=cursor)
    return PostPage(
        items=[PostRead.model_validate(post, from_attributes=True) for post in page.posts],
        next_cursor=page.next_cursor,
    )

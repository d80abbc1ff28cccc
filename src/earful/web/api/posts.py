"""Posts over the API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from earful.accounts.service import Account
from earful.classify.learning import relabel
from earful.contracts import Actor
from earful.settings import Settings
from earful.store.db import Database
from earful.triage.feed import feed
from earful.web.deps import api_account, get_db, get_settings

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
    story_id: int | None
    story_articles: int


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


class LabelsUpdate(BaseModel):
    """An analyst's correction: the post's categories (leaf keys), its tone, or both."""

    categories: list[str] | None = Field(default=None, max_length=10)
    sentiment: Literal["positive", "neutral", "complaint"] | None = None


@router.put("/posts/{post_id}/labels", status_code=204)
def put_labels(
    post_id: int,
    body: LabelsUpdate,
    account: Account = Depends(api_account),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> None:
    """Set the post's categories and/or tone as an analyst; the models retrain from it shortly after."""
    relabel(
        db,
        settings,
        Actor(account.id, account.username, account.role),
        post_id,
        categories=body.categories,
        sentiment=body.sentiment,
    )

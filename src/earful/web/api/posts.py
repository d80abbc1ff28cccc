"""Posts and triage over the API: the same services the pages use."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from earful.accounts.service import Account
from earful.classify.learning import relabel
from earful.classify.policies import can_relabel
from earful.settings import Settings
from earful.store.db import Database
from earful.triage import service
from earful.triage.feed import count, detail, feed
from earful.triage.policies import can_escalate, can_read_posts, can_triage
from earful.triage.sla import Sla, acknowledge
from earful.web import guard
from earful.web.deps import get_db, get_settings
from earful.web.forms import feed_query, filter_from, text_query
from earful.web.params import ApiBody, Id, PathId
from earful.web.responses import errors

router = APIRouter(prefix="/api", responses=errors(401, 403))
reader = guard.api(can_read_posts, "Reading posts needs an account with a role.")
triager = guard.api(can_triage, "Triage takes the analyst role or higher.")
escalator = guard.api(can_escalate, "Escalating takes the lead role or higher.")
relabeller = guard.api(can_relabel, "Relabelling posts takes the analyst role or higher.")


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
    status: str
    assignee: str | None
    flagged: bool


class PostPage(BaseModel):
    """A page of posts, the cursor of the next page, and how many match (capped at 10,001)."""

    items: list[PostRead]
    next_cursor: str | None
    matches: int | None = None


@router.get("/posts", response_model=PostPage, dependencies=[Depends(reader)], responses=errors(400))
def list_posts(
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = text_query(200, "`next_cursor` of the previous page."),
    with_count: bool = Query(False, description="Also count the matching posts (slower)."),
    params: dict[str, str] = Depends(feed_query),
    db: Database = Depends(get_db),
) -> PostPage:
    """Return posts; filter with source, region, language, category, sentiment, min_urgency, status,
    since, until and q (search), sort with sort=newest|urgency, and pass `next_cursor` back as `cursor`."""
    where, sort, _ = filter_from(params)
    page = feed(db, limit=limit, cursor=cursor, where=where, sort=sort)
    return PostPage(
        items=[PostRead.model_validate(post, from_attributes=True) for post in page.posts],
        next_cursor=page.next_cursor,
        matches=count(db, where) if with_count else None,
    )


@router.get("/posts/{post_id}", response_model=PostRead, responses=errors(404))
def get_post(post_id: PathId, account: Account = Depends(reader), db: Database = Depends(get_db)) -> PostRead:
    """Return one post (the read is audited, as a view of its page is)."""
    found = detail(db, post_id).post
    service.record_view(db, account.actor, post_id, "api")
    return PostRead.model_validate(found, from_attributes=True)


class LabelsUpdate(ApiBody):
    """An analyst's correction: the post's categories, its tone, or both; what is left out stays."""

    categories: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None,
        max_length=10,
        description="Every category that applies: category or subcategory keys (e.g. `safety`, "
        "`operations.volume`); they replace the analyst's earlier ones, and [] removes them.",
    )
    sentiment: Literal["positive", "neutral", "complaint"] | None = Field(
        default=None, description="The post's tone; left out, the tone is kept."
    )


@router.put("/posts/{post_id}/labels", status_code=204, responses=errors(400, 404, 409))
def put_labels(
    post_id: PathId,
    body: LabelsUpdate,
    account: Account = Depends(relabeller),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> None:
    """Set the post's categories and/or tone as an analyst (only what is sent changes); the models
    retrain from it shortly after."""
    relabel(db, settings, account.actor, post_id, categories=body.categories, sentiment=body.sentiment)


class StatusUpdate(ApiBody):
    """A new status for a post, and the reason (needed to dismiss)."""

    status: Literal["new", "investigating", "resolved", "dismissed"]
    reason: str | None = Field(default=None, max_length=500)


@router.post("/posts/{post_id}/status", status_code=204, responses=errors(400, 404, 409))
def post_status(
    post_id: PathId, body: StatusUpdate, account: Account = Depends(triager), db: Database = Depends(get_db)
) -> None:
    """Move a post to another status."""
    service.set_status(db, account.actor, post_id, body.status, body.reason)


class Escalation(ApiBody):
    """Escalate to the owning team, or to `team_id`."""

    team_id: Id | None = None
    note: str = Field(default="", max_length=4000)
    spike_id: Id | None = None  # the spike that raised it, which reports then follow


class Escalated(BaseModel):
    """The team the post went to."""

    team: str


@router.post("/posts/{post_id}/escalate", response_model=Escalated, responses=errors(400, 404, 409))
def post_escalate(
    post_id: PathId,
    body: Escalation,
    account: Account = Depends(escalator),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Escalated:
    """Hand a post to the team that owns its category, with deadlines from the category's SLA."""
    team = service.escalate(
        db,
        account.actor,
        post_id,
        body.team_id,
        body.note,
        defaults=Sla.from_settings(settings),
        spike_id=body.spike_id,
    )
    return Escalated(team=team)


@router.post("/posts/{post_id}/acknowledge", status_code=204, responses=errors(400, 404, 409))
def post_acknowledge(
    post_id: PathId, account: Account = Depends(triager), db: Database = Depends(get_db)
) -> None:
    """Record that the owning team has an escalated post in hand."""
    acknowledge(db, account.actor, post_id)


class Batch(BaseModel):
    """The posts dealt to the caller."""

    post_ids: list[int]


@router.post("/triage/batch", response_model=Batch)
def take_batch(
    size: int = Query(10, ge=1, le=50), account: Account = Depends(triager), db: Database = Depends(get_db)
) -> Batch:
    """Deal the caller up to `size` new, unassigned posts, most urgent first."""
    return Batch(post_ids=service.take_batch(db, account.actor, size))

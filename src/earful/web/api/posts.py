"""Posts and triage over the API: the same services the pages use."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from earful.accounts.service import Account
from earful.classify.learning import MAX_BULK, relabel, relabel_many
from earful.classify.policies import can_relabel
from earful.classify.teaching import MAX_PAGE, WINDOW, help_queue
from earful.settings import Settings
from earful.store.db import Database
from earful.triage import service
from earful.triage.feed import count, detail, feed, posts_by_ids
from earful.triage.policies import can_escalate, can_read_posts, can_triage
from earful.triage.sla import Sla, acknowledge
from earful.web import guard
from earful.web.deps import get_db, get_settings
from earful.web.forms import feed_query, filter_from, text_query
from earful.web.params import NO_NUL, ApiBody, Id, PathId
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


CategoryKey = Annotated[str, Field(min_length=1, max_length=120, pattern=NO_NUL)]


class BulkLabels(ApiBody):
    """Several posts corrected at once: categories added and/or removed, and/or their tone set.

    Each post starts from the categories it shows (the analyst's where given, else the model's);
    what `add` and `remove` do not name stays, and a left-out `sentiment` keeps each post's tone.
    """

    model_config = ConfigDict(extra="forbid")

    post_ids: list[Id] = Field(
        min_length=1,
        max_length=MAX_BULK,
        description=f"The posts to relabel: 1 to {MAX_BULK} ids, none twice. If any does not exist, "
        "nothing is changed (404).",
        json_schema_extra={"uniqueItems": True},
    )
    add: list[CategoryKey] = Field(
        default_factory=list,
        max_length=100,
        description="Category or subcategory keys to put on every post (e.g. `pay.tips`, `media`).",
    )
    remove: list[CategoryKey] = Field(
        default_factory=list,
        max_length=100,
        description="Keys to take off every post; a category goes with its subcategories.",
    )
    sentiment: Literal["positive", "neutral", "complaint"] | None = Field(
        default=None, description="The tone of every post; left out, each post keeps its own."
    )

    @model_validator(mode="after")
    def _one_meaning(self) -> BulkLabels:
        if len(set(self.post_ids)) != len(self.post_ids):
            raise ValueError("post_ids names a post twice")
        both = sorted(set(self.add) & set(self.remove))
        if both:
            raise ValueError(f"a key cannot be added and removed at once: {', '.join(both[:5])}")
        if not self.add and not self.remove and self.sentiment is None:
            raise ValueError("send categories to add or remove, a sentiment, or several of these")
        return self


class SkippedPost(BaseModel):
    """A post the bulk relabel left alone, and why."""

    post_id: int
    reason: str


class BulkRelabelled(BaseModel):
    """What a bulk relabel did: every post sent is in exactly one list."""

    relabelled: list[int] = Field(description="Posts whose change was recorded (and will teach the model).")
    unchanged: list[int] = Field(description="Posts already as asked: nothing recorded.")
    skipped: list[SkippedPost] = Field(description="Posts left alone, e.g. ones that would have no category.")


@router.post("/posts/relabel", response_model=BulkRelabelled, responses=errors(400, 404))
def relabel_posts(
    body: BulkLabels,
    account: Account = Depends(relabeller),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> BulkRelabelled:
    """Add and remove categories on several posts and/or set their tone, in one transaction. Each
    post's change is recorded and audited as a single relabel is, and the models retrain shortly
    after. Unknown category keys answer 400, and a post id that does not exist 404; then nothing
    is changed."""
    done = relabel_many(
        db, settings, account.actor, body.post_ids, add=body.add, remove=body.remove, sentiment=body.sentiment
    )
    return BulkRelabelled(
        relabelled=done.relabelled,
        unchanged=done.unchanged,
        skipped=[SkippedPost(post_id=pid, reason=why) for pid, why in done.skipped.items()],
    )


class CategoryNeedRead(BaseModel):
    """One category's analyst labels, and how many more the gate needs before it can score it."""

    key: str
    name: str
    parent: str | None
    scored_by_gate: bool = Field(
        description="A subcategory, or a category without any: the gate scores these."
    )
    labels: int = Field(description="Analyst labels naming it.")
    held_out: int = Field(description="Of those, on held-out posts the gate scores with.")
    more_needed: int = Field(
        description="About how many more labels before the gate can score it (one in five is held out); "
        "0 when it can, or when it is scored through its subcategories."
    )


class GateNeedsRead(BaseModel):
    """What the gate needs before it can score a new model at all, and what it has."""

    held_out: int
    min_held_out: int
    ready_categories: int
    min_categories: int
    min_per_category: int
    holdout_buckets: int
    more_held_out: int = Field(description="About how many more labels before enough are held out.")
    can_score: bool


class SuggestionRead(BaseModel):
    """A post worth labelling, and why."""

    post: PostRead
    top_confidence: float = Field(description="Confidence of its surest category (0: none given).")
    margin: float = Field(description="How far that is ahead of the next category.")
    predicted: list[str] = Field(description="Its categories as the model gave them, surest first.")
    rare_categories: list[str] = Field(description="Names of those with few analyst labels.")
    priority: float
    why: str


class HelpQueueRead(BaseModel):
    """A page of the posts whose labels would teach the model most, with per-category counts."""

    items: list[SuggestionRead]
    page: int
    next_page: int | None
    waiting: int = Field(
        description=f"Recent posts without an analyst's categories (the newest {WINDOW:,} are looked at)."
    )
    categories: list[CategoryNeedRead]
    gate: GateNeedsRead


@router.get("/help-the-model", response_model=HelpQueueRead)
def get_help_queue(
    page: int = Query(1, ge=1, le=MAX_PAGE),
    _account: Account = Depends(relabeller),
    db: Database = Depends(get_db),
) -> HelpQueueRead:
    """Return the posts the model is least sure of (lowest top confidence, smallest margin), those
    predicted in rare categories moved up, without posts an analyst has given categories; with every
    category's analyst labels and how many more the gate needs."""
    queue = help_queue(db, page)
    posts = {p.id: p for p in posts_by_ids(db, [s.post_id for s in queue.suggestions])}
    needs = queue.needs
    return HelpQueueRead(
        items=[
            SuggestionRead(
                post=PostRead.model_validate(posts[s.post_id], from_attributes=True),
                top_confidence=s.top,
                margin=s.margin,
                predicted=list(s.predicted),
                rare_categories=list(s.rare),
                priority=s.priority,
                why=s.why,
            )
            for s in queue.suggestions
            if s.post_id in posts
        ],
        page=queue.page,
        next_page=queue.page + 1 if queue.has_next else None,
        waiting=queue.waiting,
        categories=[CategoryNeedRead.model_validate(c, from_attributes=True) for c in queue.categories],
        gate=GateNeedsRead(
            held_out=needs.held_out,
            min_held_out=needs.min_held_out,
            ready_categories=needs.ready_categories,
            min_categories=needs.min_categories,
            min_per_category=needs.min_per_category,
            holdout_buckets=needs.holdout_buckets,
            more_held_out=needs.more_held_out,
            can_score=needs.can_score,
        ),
    )


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

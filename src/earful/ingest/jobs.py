"""Ingest's background jobs: run the enrichment chain over newly stored posts."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy.orm import Session

from earful.connectors.files import map_item
from earful.contracts import RawItem
from earful.ingest.schemas import ENRICH_JOB
from earful.jobs.registry import JobContext, job
from earful.kit.clock import utcnow
from earful.kit.text import storable
from earful.pipeline.chain import Chain, StageFailed, build_chain
from earful.pipeline.stage import WorkItem
from earful.store.models import Post
from earful.store.repos import posts as posts_repo
from earful.store.repos import quarantine as quarantine_repo


@lru_cache(maxsize=4)
def _chain(secret: bytes, languages: tuple[str, ...]) -> Chain:
    return build_chain(secret, list(languages))


@job(ENRICH_JOB)
def enrich(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Run the stale part of the enrichment chain over the posts in `payload["post_ids"]`.

    A post whose stage fails is quarantined with the reason and the rest of the batch goes on.
    """
    chain = _chain(ctx.settings.secret, tuple(ctx.settings.languages))
    post_ids = [int(i) for i in payload.get("post_ids", [])]
    stored = posts_repo.enrichments_for(ctx.session, post_ids)
    for post in posts_repo.get_many(ctx.session, post_ids):
        done = {stage: row.version for stage, row in stored[post.id].items()}
        start = chain.stale_from(done)
        if start >= len(chain.stages):
            continue
        item = _work_item(ctx.session, chain, post, start, {s: r.outputs for s, r in stored[post.id].items()})
        try:
            results = chain.run(item, start)
        except StageFailed as exc:
            quarantine_repo.add_many(
                ctx.session,
                post.source_id,
                f"enrich:post:{post.id}",
                [(exc.stage, f"stage {exc.stage} failed: {exc.original!r}", post.body)],
                utcnow(),
            )
            continue
        _save(ctx.session, post, item, results)


def _work_item(
    session: Session, chain: Chain, post: Post, start: int, outputs: dict[str, dict[str, Any]]
) -> WorkItem:
    """Rebuild the state a post had after the stages before `start`, so the chain can resume there."""
    names = [stage.name for stage in chain.stages]
    item = WorkItem(text=post.body, title=post.title, language_hint=post.language)
    for name in names[:start]:
        item.fields.update(outputs.get(name, {}))
    if start > 0 and "clean" in names[:start]:
        item.text, item.title = post.text if post.text is not None else post.body, post.title
    if "pseudonymise" in names[start:]:
        item.author_handle = _author_handle(session, post)
    return item


def _author_handle(session: Session, post: Post) -> str | None:
    # The handle is never stored on the post; only the raw payload still holds it.
    raw = posts_repo.raw_for(session, post)
    if raw is None:
        return None
    mapped = map_item(
        RawItem(format=raw.format, external_id=post.external_id, payload=orjson.loads(raw.payload))
    )
    return None if isinstance(mapped, str) or mapped is None else mapped.author_handle


def _save(
    session: Session, post: Post, item: WorkItem, results: list[tuple[str, int, dict[str, Any]]]
) -> None:
    now = utcnow()
    for name, version, outputs in results:
        posts_repo.save_enrichment(session, post.id, name, version, outputs, now)
    fields = item.fields
    changes: dict[str, Any] = {"text": storable(item.text), "title": item.title}
    if "language" in fields:
        changes["language"] = fields["language"]
    if "author_key" in fields:
        changes["author_key"] = fields["author_key"]
    if "fingerprint" in fields:
        changes["fingerprint"] = fields["fingerprint"]
    posts_repo.set_fields(session, post.id, **changes)
    if "fingerprint" in fields:
        posts_repo.fold_duplicate(session, post.id, fields["fingerprint"])

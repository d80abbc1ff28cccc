"""Ingest's background jobs: run the enrichment chain over newly stored posts."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from earful.connectors.files import map_item
from earful.contracts import PostDraft, RawItem
from earful.ingest.polling import poll
from earful.ingest.privacy import purge_expired
from earful.ingest.schemas import ENRICH_JOB, POLL_JOB
from earful.ingest.stages import chain_of, classify_stage, sentiment_stage
from earful.ingest.stories import assign_stories
from earful.jobs.queue import confirm_claim, enqueue, enqueue_once, narrow
from earful.jobs.registry import JobContext, job
from earful.kit.clock import utcnow
from earful.kit.seal import Sealer, SealError
from earful.kit.text import storable
from earful.pipeline import neardup
from earful.pipeline.chain import TEXT_STAGES, Chain, StageFailed
from earful.pipeline.stage import WorkItem
from earful.settings import Settings
from earful.store.models import Post
from earful.store.models import RawItem as StoredRaw
from earful.store.repos import labels as labels_repo
from earful.store.repos import learning as learning_repo
from earful.store.repos import posts as posts_repo
from earful.store.repos import quarantine as quarantine_repo
from earful.store.repos import reports as reports_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.sealing import quarantine_sealer, raw_sealer

log = logging.getLogger(__name__)
# Posts enriched and saved per transaction within one job (see enrich()).
ENRICH_SLICE = 100
# Posts one enrichment job keeps; it hands the rest of a larger list (an import batch is 2,000) to
# new jobs of this size, so that every worker has a share and none is left alone with a long one.
ENRICH_JOB_POSTS = 200
SCRUB_JOB = "ingest.scrub"
# A new redaction version re-runs every post in jobs of its own: one scrub, this long after the
# last of them asked for it, covers the whole re-run.
SCRUB_DELAY_SECONDS = 60.0
WITHDRAWN = "It quoted a post that a newer redaction has since redacted further; make it again."

_CHAINS: dict[tuple[Any, ...], Chain] = {}


def chain_for(session: Session, settings: Settings) -> Chain:
    """Return the chain for these settings, the taxonomy and the trained models now in use
    (built once per combination)."""
    latest = taxonomy_repo.latest(session)
    classifier_id = learning_repo.active_model_id(session, learning_repo.CLASSIFIER) or 0
    sentiment_id = learning_repo.active_model_id(session, learning_repo.SENTIMENT) or 0
    key = (
        settings.secret,
        tuple(settings.languages),
        tuple(settings.public_handles),
        latest.version if latest else 0,
        classifier_id,
        sentiment_id,
    )
    if key not in _CHAINS:
        classify = None
        if latest is not None:
            classify = classify_stage(session, settings, latest.version, taxonomy_repo.load(session, latest))
        _CHAINS.clear()  # one taxonomy and one set of models are in use at a time
        _CHAINS[key] = chain_of(settings, classify, sentiment_stage(session, settings))
    return _CHAINS[key]


def warm_up(session: Session, settings: Settings) -> None:
    """Load the enrichment chain's models (seconds of work) by running it once on a made-up post.

    A worker does this before it claims its first job: some loaders (the language detector's)
    hold the interpreter throughout, so the heartbeat thread could not mark a job alive meanwhile,
    and on a slow machine another worker would take the job from a live one.
    """
    chain_for(session, settings).run(WorkItem(text="The app crashed twice this morning at the depot."))


@job(ENRICH_JOB)
def enrich(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Run the stale part of the enrichment chain over the posts in `payload["post_ids"]`.

    A post whose stage fails (or whose raw item cannot be read) is quarantined with the reason
    and the rest of the batch goes on.
    """
    post_ids = [int(i) for i in payload.get("post_ids", [])]
    if ctx.db is None:
        _enrich_and_save(ctx.session, ctx.session, ctx.settings, post_ids)
        return
    if len(post_ids) > ENRICH_JOB_POSTS and ctx.job_id is not None:
        post_ids = _share_out(ctx, payload, post_ids)
    # In slices, each saved in a short transaction of its own: on SQLite the write lock is then
    # held for a fraction of a second at a time, so analysts' clicks never queue behind a whole
    # import batch, and the feed fills steadily. A retry redoes only the posts not yet saved.
    for start in range(0, len(post_ids), ENRICH_SLICE):
        ids = post_ids[start : start + ENRICH_SLICE]
        # The chain runs on a read transaction, so that on SQLite others can write meanwhile.
        with ctx.db.read() as reading, ctx.db.write() as writing:
            _enrich_and_save(reading, writing, ctx.settings, ids, ctx)


def _share_out(ctx: JobContext, payload: dict[str, Any], post_ids: list[int]) -> list[int]:
    """Queue jobs for all but the first ENRICH_JOB_POSTS posts, keep those, and return them.

    The new jobs and this job's shorter list commit together: a worker dying before then leaves
    the job whole, to be run again; after, each post is in exactly one job.
    """
    assert ctx.db is not None
    mine, rest = post_ids[:ENRICH_JOB_POSTS], post_ids[ENRICH_JOB_POSTS:]
    with ctx.db.write() as session:
        for start in range(0, len(rest), ENRICH_JOB_POSTS):
            enqueue(
                session,
                ctx.settings,
                ENRICH_JOB,
                {**payload, "post_ids": rest[start : start + ENRICH_JOB_POSTS]},
            )
        narrow(session, ctx, {**payload, "post_ids": mine})
    return mine


def _enrich_and_save(
    reading: Session, writing: Session, settings: Settings, post_ids: list[int], ctx: JobContext | None = None
) -> None:
    done_items, failed, exposed = _run_chain(reading, settings, post_ids)
    if ctx is not None:
        # A worker whose job was taken back while it ran (its beats stopped reaching the database)
        # saves nothing more: the worker that took it saves these posts.
        confirm_claim(writing, ctx)
    now = utcnow()
    # Posts erased (or expired) while the chain ran must not come back as rows derived from them.
    alive = set(posts_repo.existing_ids(writing, [p.id for p, _, _ in done_items] + [f[1] for f in failed]))
    done_items = [entry for entry in done_items if entry[0].id in alive]
    failed = [entry for entry in failed if entry[1] in alive]
    exposed = [post_id for post_id in exposed if post_id in alive]
    if exposed:
        # A newer redaction found personal data the stored text still held. The text is replaced
        # below; reports quoting the old one lose their files, and the old words are scrubbed from
        # the database files (SQLite's full-text segments and write-ahead log) once the re-run ends.
        reports_repo.withdraw_citing(writing, exposed, WITHDRAWN)
        enqueue_once(writing, settings, SCRUB_JOB, {}, delay_seconds=SCRUB_DELAY_SECONDS)
    for source_id, post_id, where, reason, sealed in failed:
        quarantine_repo.add_many(
            writing,
            source_id,
            f"enrich:post:{post_id}",
            [(where, reason, sealed)],
            now,
            quarantine_sealer(settings.secret),
        )
    _save(writing, done_items)


Done = list[tuple[Post, WorkItem, list[tuple[str, int, dict[str, Any]]]]]
Failed = list[tuple[int, int, str, str, str]]


def _run_chain(session: Session, settings: Settings, post_ids: list[int]) -> tuple[Done, Failed, list[int]]:
    """Run the stale stages over the posts; return what each produced, what failed and why
    (source id, post id, where, reason, the raw text to quarantine), and the posts whose stored
    text a newer redaction finds more personal data in."""
    chain = chain_for(session, settings)
    restart_below = max(i for i, stage in enumerate(chain.stages) if stage.name in TEXT_STAGES)
    sealer = raw_sealer(settings.secret)
    stored = posts_repo.enrichments_for(session, post_ids)
    raws = posts_repo.raws_for(session, post_ids)
    done_items: Done = []
    failed: Failed = []
    exposed: list[int] = []
    for post in posts_repo.get_many(session, post_ids):
        done = {stage: row.version for stage, row in stored[post.id].items()}
        start = chain.stale_from(done)
        if start >= len(chain.stages):
            continue
        if start <= restart_below:
            start = 0  # the text must be rebuilt from the raw item, before cleaning and redaction
        outputs = {s: r.outputs for s, r in stored[post.id].items()}
        try:
            item = _work_item(raws.get(post.id), sealer, chain, post, start, outputs)
            results = chain.run(item, start)
        except (StageFailed, SealError, ValueError) as exc:
            where = exc.stage if isinstance(exc, StageFailed) else "raw item"
            failed.append((post.source_id, post.id, where, str(exc), _sealed_text(raws.get(post.id), sealer)))
            continue
        done_items.append((post, item, results))
        if post.text is not None and _redacts_more(stored[post.id].get("redact"), results):
            exposed.append(post.id)
    return done_items, failed, exposed


def _redacts_more(before: Any, results: list[tuple[str, int, dict[str, Any]]]) -> bool:
    """Tell whether the redact stage just found more of some kind of personal data than the run
    that made the stored text (whose outputs are `before`)."""
    now = next((out.get("redactions") or {} for name, _, out in results if name == "redact"), None)
    if now is None:
        return False
    old = (before.outputs or {}).get("redactions") or {} if before is not None else {}
    return any(int(n) > int(old.get(kind, 0)) for kind, n in now.items())


def _work_item(
    raw: StoredRaw | None,
    sealer: Sealer,
    chain: Chain,
    post: Post,
    start: int,
    outputs: dict[str, dict[str, Any]],
) -> WorkItem:
    """Rebuild the state a post had after the stages before `start`, so the chain can resume there.

    From the start, the text comes from the raw item (sealed, as received); resuming later, from
    the post's stored text, which is already cleaned and redacted.
    """
    names = [stage.name for stage in chain.stages]
    needs_raw = start == 0 or "pseudonymise" in names[start:]
    draft = _mapped(raw, sealer, post) if needs_raw else None
    if start == 0:
        if draft is None:
            raise ValueError("the post's raw item is missing or maps to no post; it cannot be enriched again")
        return WorkItem(
            text=draft.text, title=draft.title, author_handle=draft.author_handle, language_hint=post.language
        )
    item = WorkItem(text=post.text or "", title=post.title, language_hint=post.language)
    for name in names[:start]:
        item.fields.update(outputs.get(name, {}))
    if draft is not None:
        item.author_handle = draft.author_handle
    return item


def _mapped(raw: StoredRaw | None, sealer: Sealer, post: Post) -> PostDraft | None:
    if raw is None:
        return None
    item = RawItem(
        format=raw.format, external_id=post.external_id, payload=orjson.loads(sealer.open(raw.sealed))
    )
    mapped = map_item(item)
    return None if isinstance(mapped, str) or mapped is None else mapped


def _sealed_text(raw: StoredRaw | None, sealer: Sealer) -> str:
    if raw is None:
        return ""
    try:
        return sealer.open(raw.sealed)
    except SealError:
        return ""


def _save(session: Session, done: list[tuple[Post, WorkItem, list[tuple[str, int, dict[str, Any]]]]]) -> None:
    """Write a job's results with a few statements for the whole batch, not a dozen per post."""
    if not done:
        return
    now = utcnow()
    # Text is kept once, on the post, redacted; a stage's own copy (the cleaned text before
    # redaction) is never stored. Resuming before redaction starts again from the raw item.
    posts_repo.save_enrichments(
        session,
        [
            (post.id, name, version, {k: v for k, v in outputs.items() if k not in ("text", "title")})
            for post, _, results in done
            for name, version, outputs in results
        ],
        now,
    )
    groups = _group_fingerprints(session, [(post, item.fields) for post, item, _ in done])
    # An analyst's judgement of a post's tone outranks the model's.
    judged = learning_repo.analyst_sentiments_of(session, [post.id for post, _, _ in done])
    rows = []
    for post, item, _ in done:
        fields = item.fields
        rows.append(
            {
                "post_id": post.id,
                "text": storable(item.text),
                "title": item.title,
                "language": fields.get("language", post.language),
                "author_key": fields.get("author_key", post.author_key),
                "fingerprint": groups.get(post.id, post.fingerprint),
                "urgency": fields.get("urgency", post.urgency),
                "sentiment": judged.get(post.id, fields.get("sentiment", post.sentiment)),
                "sentiment_score": fields.get("sentiment_score", post.sentiment_score),
            }
        )
    posts_repo.update_enriched(session, rows)
    posts_repo.fold_duplicates(
        session, {post.id: groups[post.id] for post, _, _ in done if post.id in groups}
    )
    assign_stories(session, [(post, item.fields) for post, item, _ in done])
    _save_labels(
        session,
        [(post.id, out) for post, _, results in done for name, _, out in results if name == "classify"],
        now,
    )


def _group_fingerprints(session: Session, done: list[tuple[Post, dict[str, Any]]]) -> dict[int, str | None]:
    """Return the fingerprint that names each post's group of copies (for posts the dedupe stage ran on).

    An exact copy already shares its original's fingerprint. A near copy (most shingles shared,
    by MinHash) takes the group fingerprint of the closest post it resembles, so the same fold
    that collapses exact copies collapses it too. Posts are taken in id order, so a near copy
    later in the same batch joins the group of an earlier one.
    """
    with_bands = {post.id: fields.get("bands") or [] for post, fields in done if "bands" in fields}
    posts_repo.replace_bands(session, with_bands)
    groups: dict[int, str | None] = {}
    mine = {post.id: fields.get("signature") for post, fields in done}
    neighbours = posts_repo.band_neighbours(session, with_bands)
    outside = {pid for ids in neighbours.values() for pid in ids if pid not in mine}
    known = posts_repo.signatures(session, sorted(outside))  # pid -> (signature, fingerprint)
    for post, fields in sorted(done, key=lambda pair: pair[0].id):
        if "fingerprint" not in fields:
            continue
        own: str | None = fields["fingerprint"]
        sig = fields.get("signature")
        best, best_score = None, neardup.THRESHOLD
        for pid in neighbours.get(post.id, []):
            if pid in mine:
                other_sig, other_group = mine[pid], groups.get(pid)
            else:
                other_sig, other_group = known.get(pid, (None, None))
            if sig and other_sig and other_group and len(other_sig) == len(sig):
                score = neardup.resemblance(sig, other_sig)
                if score >= best_score:
                    best, best_score = other_group, score
        groups[post.id] = best or own
    return groups


def _save_labels(session: Session, outputs: list[tuple[int, dict[str, Any]]], now: datetime) -> None:
    """Replace the model labels of these posts with the classify stage's outputs."""
    category_ids: dict[int, dict[str, int]] = {}
    rows = []
    for post_id, out in outputs:
        version = int(out["taxonomy_version"])
        if version not in category_ids:
            category_ids[version] = taxonomy_repo.category_ids(session, version)
        ids = category_ids[version]
        rows += [
            (post_id, ids[label["key"]], float(label["confidence"]), str(out["model"]), version)
            for label in out["labels"]
            if label["key"] in ids
        ]
    labels_repo.replace_model_labels(session, [post_id for post_id, _ in outputs], rows, now=now)


@job(SCRUB_JOB)
def scrub(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Make replaced texts unrecoverable from the database files (see Database.scrub)."""
    if ctx.db is None:
        raise RuntimeError("the scrub job needs the database, not one session")
    ctx.db.scrub()


RETENTION_JOB = "ingest.retention"


@job(RETENTION_JOB)
def retention(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Delete posts older than their source's retention period, with everything derived from them."""
    if ctx.db is None:
        raise RuntimeError("the retention job needs the database, not one session")
    purge_expired(ctx.db, ctx.settings)


@job(POLL_JOB)
def poll_source(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Poll one live source (queued by the worker's scheduler when the source is due)."""
    if ctx.db is None:
        raise RuntimeError("the poll job needs the database, not one session")
    poll(ctx.db, ctx.settings, int(payload["source_id"]))

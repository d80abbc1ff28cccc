"""Group news articles by story: an article joins the story of the most similar recent article."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from earful.kit.clock import as_utc
from earful.pipeline import stories
from earful.store.models import Post
from earful.store.repos import posts as posts_repo

WINDOW = timedelta(days=7)  # articles further apart than this are not compared


def assign_stories(session: Session, done: list[tuple[Post, dict[str, Any]]]) -> None:
    """Set the story of each post the story stage ran on (None for posts too short to be articles).

    Articles are taken oldest first, so the first report of a story names it and later ones in the
    same batch can join it.
    """
    ran = [(post, fields.get("story_terms")) for post, fields in done if "story_terms" in fields]
    if not ran:
        return
    articles = [(post, terms) for post, terms in ran if terms]
    assigned: dict[int, int | None] = {post.id: None for post, terms in ran if not terms}
    if articles:
        stamps = [as_utc(post.posted_at) or post.posted_at for post, _ in articles]
        mine = {post.id for post, _ in articles}
        pool = [
            (pid, story, terms, as_utc(at) or at)
            for pid, story, terms, at in posts_repo.story_candidates(
                session, min(stamps) - WINDOW, max(stamps) + WINDOW
            )
            if pid not in mine
        ]
        for (post, terms), at in sorted(zip(articles, stamps, strict=True), key=lambda x: (x[1], x[0][0].id)):
            best, best_score = None, stories.THRESHOLD
            for _, story, other, other_at in pool:
                if abs(other_at - at) <= WINDOW:
                    score = stories.similarity(terms, other)
                    if score >= best_score:
                        best, best_score = story, score
            story_id = best if best is not None else post.id
            assigned[post.id] = story_id
            pool.append((post.id, story_id, terms, at))
    posts_repo.set_stories(session, assigned)

"""Emerging topics: clusters among recent posts that no category fits, proposed as new subcategories.

Each run takes the recent posts whose labels are all weak (or only the catch-all category), turns
them into TF-IDF vectors (words and word pairs), reduces those to a hundred dimensions and finds
dense clusters with HDBSCAN, which leaves the scattered rest as noise rather than forcing every
post into some cluster. A cluster is named by the terms most over-represented in it, and shown
with the posts nearest its centre.

Topics keep their identity from run to run: each cluster is matched to the stored topic whose
term profile is most similar (cosine at least MATCH), so a topic that grows stays one topic, and a
rejected topic is not proposed again. Clusters whose key terms are about organising, strikes,
protest or contact with researchers or the press are dropped: Earful does not track them.

Accepting a topic saves a new taxonomy version with the topic as a subcategory (its key terms
become keywords; no post's words are copied into the taxonomy, so erasing a post leaves nothing of
it there) and re-queues the topic's posts for classification.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from earful.contracts import Actor
from earful.insights.policies import can_decide_topics
from earful.jobs.queue import enqueue
from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import Conflict, EarfulError, Forbidden, NotFound
from earful.ml.taxonomy import Node, Taxonomy, TaxonomyError, from_dict, surveillance_term
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Topic
from earful.store.repos import audit as audit_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.repos import topics as topics_repo

log = logging.getLogger(__name__)
ENRICH_JOB = "ingest.enrich"  # the ingest domain's job, handed work by name
WINDOW = timedelta(days=7)
MAX_POSTS = 20_000
WEAK = 0.5  # a label below this confidence does not make a post fit its category
MIN_POSTS = 30  # fewer unfitted posts than this: nothing to cluster
MATCH = 0.5  # term-profile cosine at which a cluster is the same topic as a stored one
COHERENCE = 0.25  # mean cosine of members to their centre; chatter is near 0.1, topics 0.3-0.7
MAX_SHARE = 0.2  # a "topic" holding more than this share of the unfitted posts is not one
TERMS = 8
PROFILE = 50
EXAMPLES = 3
SPANISH_STOP = frozenset(
    line.strip()
    for line in files("earful.insights")
    .joinpath("data", "stopwords_es.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
)


@lru_cache(maxsize=1)
def stop_words() -> list[str]:
    """Return the English and Spanish stop words, with the web's and the redactor's placeholders.

    scikit-learn (whose English list this is) takes seconds to import, so it is imported when
    topics are first found or a spike explained, not by every command that imports this module.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    extra = {"amp", "http", "https", "rt", "url", "handle", "email", "phone"}
    return sorted(ENGLISH_STOP_WORDS | SPANISH_STOP | extra)


@dataclass(frozen=True, slots=True)
class Cluster:
    """One cluster of one run."""

    terms: list[str]
    profile: dict[str, float]
    members: list[int]
    examples: list[int]
    parent: str | None


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    na = sum(w * w for w in a.values()) ** 0.5
    nb = sum(w * w for w in b.values()) ** 0.5
    return dot / (na * nb) if na and nb else 0.0


def find_clusters(posts: list[tuple[int, str, str | None]]) -> list[Cluster]:
    """Return the dense clusters among (post id, text, guessed parent) triples, largest first."""
    if len(posts) < MIN_POSTS:
        return []
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    vectorizer = TfidfVectorizer(
        stop_words=stop_words(),
        token_pattern=r"(?u)\b[^\W\d_]{3,}\b",  # noqa: S106 - a regex, not a password
        ngram_range=(1, 2),
        min_df=3,
        max_df=0.3,
        sublinear_tf=True,
    )
    try:
        tfidf = vectorizer.fit_transform([text for _, text, _ in posts])
    except ValueError:  # no term survives the document-frequency limits
        return []
    vocabulary = np.array(vectorizer.get_feature_names_out())
    if tfidf.shape[1] < 3:
        return []
    dims = min(100, tfidf.shape[1] - 1, len(posts) - 1)
    reduced = normalize(TruncatedSVD(n_components=dims, random_state=0).fit_transform(tfidf))
    labels = HDBSCAN(min_cluster_size=max(10, len(posts) // 150), min_samples=3, copy=True).fit_predict(
        reduced
    )
    overall = np.asarray(tfidf.mean(axis=0)).ravel()
    found = []
    for label in sorted(set(labels) - {-1}):
        rows = np.flatnonzero(labels == label)
        centre = np.asarray(tfidf[rows].mean(axis=0)).ravel()
        # HDBSCAN also finds the dense mass of everyday chatter: large and loose. A topic is tight.
        coherence = float(np.mean(tfidf[rows] @ centre) / (np.linalg.norm(centre) or 1.0))
        if coherence < COHERENCE or len(rows) > MAX_SHARE * len(posts):
            continue
        lift = centre - overall
        order = [i for i in np.argsort(-lift) if lift[i] > 0]
        terms = [str(vocabulary[i]) for i in order[:TERMS]]
        if not terms or any(surveillance_term(t) for t in terms):
            continue
        profile = {
            str(vocabulary[i]): round(float(centre[i]), 5)
            for i in np.argsort(-centre)[:PROFILE]
            if centre[i] > 0
        }
        nearest = rows[np.argsort(-(tfidf[rows] @ centre))][:EXAMPLES]
        parents = [posts[i][2] for i in rows if posts[i][2]]
        parent = max(set(parents), key=parents.count) if parents else None
        found.append(
            Cluster(terms, profile, [posts[i][0] for i in rows], [posts[i][0] for i in nearest], parent)
        )
    return sorted(found, key=lambda c: -len(c.members))


def run(db: Database, now: datetime | None = None, window: timedelta = WINDOW) -> list[int]:
    """Find the clusters of the `window` (a week) before `now` and store them as topics, matched to
    earlier ones; return their ids."""
    now = as_utc(now) or utcnow()
    with db.read() as session:
        posts = topics_repo.unfitted(session, now - window, now, WEAK, MAX_POSTS)
    clusters = find_clusters(posts)
    ids: list[int] = []
    with db.write() as session:
        known = list(topics_repo.all_topics(session))
        taken: set[int] = set()
        for cluster in clusters:
            scored = [(t, _cosine(cluster.profile, t.centroid or {})) for t in known if t.id not in taken]
            best = max(scored, key=lambda pair: pair[1], default=(None, 0.0))
            fields: dict[str, Any] = {
                "terms": cluster.terms,
                "centroid": cluster.profile,
                "size": len(cluster.members),
                "members": cluster.members[:2000],
                "examples": cluster.examples,
                "last_seen": now,
            }
            if best[0] is not None and best[1] >= MATCH:
                topic = best[0]
                for name, value in fields.items():
                    setattr(topic, name, value)
                topic.parent = topic.parent or cluster.parent
            else:
                topic = topics_repo.add(
                    session, first_seen=now, status="proposed", parent=cluster.parent, **fields
                )
            taken.add(topic.id)
            ids.append(topic.id)
    return ids


@dataclass(frozen=True, slots=True)
class TopicView:
    """A topic as the topics page shows it."""

    id: int
    terms: list[str]
    size: int
    status: str
    parent: str | None
    first_seen: datetime
    last_seen: datetime
    examples: list[tuple[int, str]]
    suggested_key: str
    suggested_name: str


def _slug(terms: list[str]) -> str:
    words = [w for t in terms[:2] for w in re.findall(r"[a-z0-9]+", t.lower())]
    return "_".join(dict.fromkeys(words))[:40] or "new_topic"


def views(db: Database, now: datetime | None = None) -> list[TopicView]:
    """Return the topics seen in the last weeks, proposed first."""
    now = now or utcnow()
    with db.read() as session:
        found = [
            t for t in topics_repo.all_topics(session) if (as_utc(t.last_seen) or now) >= now - 4 * WINDOW
        ]
        texts = topics_repo.texts(session, [pid for t in found for pid in t.examples])
    order = {"proposed": 0, "accepted": 1, "rejected": 2}
    return sorted(
        (
            TopicView(
                t.id,
                list(t.terms),
                t.size,
                t.status,
                t.parent,
                as_utc(t.first_seen) or now,
                as_utc(t.last_seen) or now,
                [(pid, texts[pid]) for pid in t.examples if pid in texts],
                _slug(list(t.terms)),
                " / ".join(list(t.terms)[:3]).capitalize(),
            )
            for t in found
        ),
        key=lambda v: (order.get(v.status, 3), -v.size),
    )


def reject(db: Database, actor: Actor, topic_id: int) -> None:
    """Reject a proposed topic; it will not be proposed again."""
    if not can_decide_topics(actor.role):
        raise Forbidden("Deciding on emerging topics takes the admin role.")
    with db.write() as session:
        topic = _proposed(session, topic_id)
        topic.status, topic.decided_by, topic.decided_at = "rejected", actor.id, utcnow()
        audit_repo.append(session, actor.id, actor.name, "topic.reject", f"topic:{topic_id}", {})


def accept(
    db: Database, settings: Settings, actor: Actor, topic_id: int, parent: str, key: str, name: str
) -> int:
    """Add the topic to the taxonomy as subcategory `parent`.`key` called `name`; return the new
    taxonomy version. The topic's posts are queued to be classified again."""
    if not can_decide_topics(actor.role):
        raise Forbidden("Accepting a topic into the taxonomy takes the admin role.")
    key, name = key.strip().lower(), " ".join(name.split())
    if not re.fullmatch(r"[a-z0-9_]{1,60}", key):
        raise EarfulError("The new subcategory's key is lower-case letters, digits and _, e.g. fuel_card.")
    if not name:
        raise EarfulError("Give the new subcategory a name.")
    with db.write() as session:
        topic = _proposed(session, topic_id)
        latest = taxonomy_repo.latest(session)
        if latest is None:
            raise EarfulError("Load a taxonomy first (`earful taxonomy load`).")
        current = taxonomy_repo.load(session, latest)
        try:
            parent_node = current.get(parent)
        except KeyError:
            raise EarfulError(
                f"There is no category {parent!r}; choose one of the taxonomy's categories."
            ) from None
        if parent_node.parent is not None:
            raise EarfulError("Choose a top-level category to put the new subcategory under.")
        full_key = f"{parent}.{key}"
        if any(n.key == full_key for n in current.nodes):
            raise Conflict(f"The taxonomy already has {full_key}.")
        node = Node(
            key=full_key,
            name=name,
            description=f"Emerging topic accepted from posts about: {', '.join(topic.terms[:TERMS])}.",
            keywords=tuple(topic.terms[:TERMS]),
            parent=parent,
        )
        try:
            grown = _with_node(current, node)
        except TaxonomyError as exc:
            raise EarfulError(str(exc)) from None
        version = taxonomy_repo.save(
            session, grown, note=f"accepted emerging topic {topic_id}", user_id=actor.id
        )
        topic.status, topic.parent, topic.decided_by, topic.decided_at = (
            "accepted",
            parent,
            actor.id,
            utcnow(),
        )
        members = [int(i) for i in topic.members]
        audit_repo.append(
            session,
            actor.id,
            actor.name,
            "topic.accept",
            f"topic:{topic_id}",
            {"category": full_key, "taxonomy_version": version.version},
        )
        for i in range(0, len(members), 500):
            enqueue(session, settings, ENRICH_JOB, {"post_ids": members[i : i + 500]})
        return version.version


def _with_node(taxonomy: Taxonomy, node: Node) -> Taxonomy:
    """Return the taxonomy with `node` added after its parent's last subcategory (validated again)."""
    nodes = list(taxonomy.nodes)
    at = max(i for i, n in enumerate(nodes) if n.key == node.parent or n.parent == node.parent) + 1
    nodes.insert(at, node)
    return from_dict(replace(taxonomy, nodes=tuple(nodes)).to_dict(), "the taxonomy with the accepted topic")


def _proposed(session: Session, topic_id: int) -> Topic:
    topic = topics_repo.topic(session, topic_id)
    if topic is None:
        raise NotFound(f"There is no topic {topic_id}.")
    if topic.status != "proposed":
        raise Conflict(f"This topic was already {topic.status}.")
    return topic

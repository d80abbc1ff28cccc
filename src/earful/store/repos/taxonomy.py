"""Taxonomy versions and their categories: every edit is saved as a new version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, aliased

from earful.ml.taxonomy import Node, Taxonomy
from earful.store.models import Category, Label, Post, TaxonomyVersion, User
from earful.store.repos.feed import effective_label


def latest(session: Session) -> TaxonomyVersion | None:
    """Return the newest taxonomy version, or None before any is saved."""
    return session.scalars(select(TaxonomyVersion).order_by(TaxonomyVersion.version.desc()).limit(1)).first()


def save(session: Session, taxonomy: Taxonomy, *, note: str | None, user_id: int | None) -> TaxonomyVersion:
    """Save `taxonomy` as the next version and return it."""
    number = int(session.scalar(select(func.coalesce(func.max(TaxonomyVersion.version), 0))) or 0) + 1
    version = TaxonomyVersion(version=number, name=taxonomy.name, note=note, created_by=user_id)
    session.add(version)
    session.flush()
    ids: dict[str, int] = {}
    for node in taxonomy.nodes:
        row = Category(
            taxonomy_version_id=version.id,
            parent_id=ids[node.parent] if node.parent else None,
            key=node.key,
            name=node.name,
            description=node.description,
            keywords=list(node.keywords),
            examples=list(node.examples),
            sla={"acknowledge_hours": node.acknowledge_hours, "resolve_hours": node.resolve_hours}
            if node.acknowledge_hours is not None or node.resolve_hours is not None
            else None,
        )
        session.add(row)
        session.flush()
        ids[node.key] = row.id
    return version


def load(session: Session, version: TaxonomyVersion) -> Taxonomy:
    """Return the taxonomy saved as `version`, categories in the order they were written."""
    rows = session.scalars(
        select(Category).where(Category.taxonomy_version_id == version.id).order_by(Category.id)
    ).all()
    keys = {row.id: row.key for row in rows}
    nodes = tuple(
        Node(
            key=row.key,
            name=row.name,
            description=row.description,
            keywords=tuple(row.keywords),
            examples=tuple(row.examples),
            parent=keys[row.parent_id] if row.parent_id else None,
            acknowledge_hours=(row.sla or {}).get("acknowledge_hours"),
            resolve_hours=(row.sla or {}).get("resolve_hours"),
        )
        for row in rows
    )
    return Taxonomy(name=version.name, nodes=nodes)


def category_ids(session: Session, version: int) -> dict[str, int]:
    """Return {category key: id} of taxonomy version number `version`."""
    rows = session.execute(
        select(Category.key, Category.id)
        .join(TaxonomyVersion, TaxonomyVersion.id == Category.taxonomy_version_id)
        .where(TaxonomyVersion.version == version)
    )
    return {key: cid for key, cid in rows}


def display_names(session: Session) -> dict[str, str]:
    """Return {category key: name} of the newest taxonomy, subcategories as "Parent > Name"."""
    found = latest(session)
    if found is None:
        return {}
    taxonomy = load(session, found)
    return {n.key: (taxonomy.get(n.parent).name + " > " if n.parent else "") + n.name for n in taxonomy.nodes}


def versions(
    session: Session, limit: int = 50
) -> list[tuple[int, str, str | None, str | None, datetime, int]]:
    """Return the newest versions first: (version, name, note, who saved it, when, categories)."""
    sizes = (
        select(Category.taxonomy_version_id, func.count().label("n"))
        .group_by(Category.taxonomy_version_id)
        .subquery()
    )
    rows = session.execute(
        select(
            TaxonomyVersion.version,
            TaxonomyVersion.name,
            TaxonomyVersion.note,
            User.username,
            TaxonomyVersion.created_at,
            func.coalesce(sizes.c.n, 0),
        )
        .outerjoin(User, User.id == TaxonomyVersion.created_by)
        .outerjoin(sizes, sizes.c.taxonomy_version_id == TaxonomyVersion.id)
        .order_by(TaxonomyVersion.version.desc())
        .limit(limit)
    )
    return [(v, name, note, who, at, int(n)) for v, name, note, who, at, n in rows]


def post_counts(session: Session) -> dict[str, int]:
    """Return how many original posts each category key holds, under any taxonomy version.

    A post counts under the labels it shows (an analyst's replace the model's); a category counts
    each post once however many of its subcategories it has.
    """
    parent = aliased(Category)
    top = func.coalesce(parent.key, Category.key)
    labelled = (
        select(Label.post_id, Category.key.label("key"), top.label("top"))
        .join(Category, Category.id == Label.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .join(Post, Post.id == Label.post_id)
        .where(effective_label(), Post.duplicate_of.is_(None), Post.text.is_not(None))
        .subquery()
    )
    found: dict[str, int] = {}
    for key_column in (labelled.c.key, labelled.c.top):
        rows = session.execute(
            select(key_column, func.count(distinct(labelled.c.post_id))).group_by(key_column)
        )
        found.update({key: int(n) for key, n in rows})
    return found

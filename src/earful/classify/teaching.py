"""Help the model: which posts an analyst's labels would teach most, and how many labels each
category still needs before the gate (`gate`) can score a new model on it.

Among the newest posts the feed shows that no analyst has given categories, a post ranks by how
unsure the model in use is of it, plus a boost when it is predicted in a rare category:

- doubt = 1 - (top + margin) / 2, where top is the confidence of its surest category and margin
  how far that is ahead of the next one (0 and 0 for a post given no category at all: the model
  could not place it);
- rarity of a category = 1 - labels / NEEDED_LABELS (0 once it has NEEDED_LABELS analyst labels):
  NEEDED_LABELS is what a category takes, on average, before the gate scores it, since only one
  labelled post in gate.HOLDOUT_BUCKETS is held out to score with;
- priority = doubt + RARE_WEIGHT x the rarest of its predicted categories; highest first.

Posts an analyst has only judged the tone of stay in the queue: their categories still teach.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from earful.classify import gate
from earful.classify.service import current
from earful.kit.errors import EarfulError
from earful.ml.taxonomy import Taxonomy
from earful.store.db import Database
from earful.store.repos import learning as learning_repo

PAGE_SIZE = 25
WINDOW = 5000  # the newest posts looked at: older ones were labelled by older models
MAX_PAGE = WINDOW // PAGE_SIZE
RARE_WEIGHT = 0.5
# Labels a category needs, on average, before the gate can score it: one in HOLDOUT_BUCKETS is held out.
NEEDED_LABELS = gate.MIN_PER_CATEGORY * gate.HOLDOUT_BUCKETS


@dataclass(frozen=True, slots=True)
class CategoryNeed:
    """One category's analyst labels and what the gate still needs of it."""

    key: str
    name: str
    parent: str | None
    scored_by_gate: bool  # a subcategory, or a category without any: the gate decides on these
    labels: int  # analyst labels naming it
    held_out: int  # of those, on held-out posts the gate scores with
    more_needed: int  # about how many more labels before the gate can score it (0: it can)

    @property
    def ready(self) -> bool:
        """True when the gate has enough held-out labels of this category to score it."""
        return self.scored_by_gate and self.held_out >= gate.MIN_PER_CATEGORY


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A post worth labelling, and why."""

    post_id: int
    top: float  # confidence of its surest category (0: none)
    margin: float  # how far that is ahead of the next one
    predicted: tuple[str, ...]  # its categories as the model gave them, surest first
    rare: tuple[str, ...]  # names of those with fewer than NEEDED_LABELS analyst labels
    priority: float

    @property
    def why(self) -> str:
        """Say in words why the post is here."""
        if not self.predicted:
            said = "the model gave it no category"
        else:
            said = f"surest category at {self.top:.2f}"
            if len(self.predicted) > 1:
                said += f", {self.margin:.2f} ahead of the next" if self.margin else ", tied with the next"
        if self.rare:
            kind = "a rare category" if len(self.rare) == 1 else "rare categories"
            said += f"; predicted in {kind} ({', '.join(self.rare)})"
        return said


@dataclass(frozen=True, slots=True)
class GateNeeds:
    """What the gate needs before it can score a new model at all, and what it has."""

    held_out: int  # held-out posts whose labels are all subcategories (or categories without any)
    min_held_out: int
    ready_categories: int
    min_categories: int
    min_per_category: int
    holdout_buckets: int

    @property
    def more_held_out(self) -> int:
        """About how many more labels before enough are held out (one in holdout_buckets is)."""
        return max(0, self.min_held_out - self.held_out) * self.holdout_buckets

    @property
    def can_score(self) -> bool:
        """True when the gate has enough held-out labels to score a new model."""
        return self.held_out >= self.min_held_out and self.ready_categories >= self.min_categories


@dataclass(frozen=True, slots=True)
class HelpQueue:
    """One page of the queue, with the per-category label counts."""

    suggestions: list[Suggestion]
    page: int
    has_next: bool
    waiting: int  # posts in the queue (at most WINDOW)
    categories: list[CategoryNeed]
    needs: GateNeeds
    taxonomy_loaded: bool


def _held(taxonomy: Taxonomy, labelled: list[tuple[int, list[str]]]) -> list[gate.Example]:
    """Return the held-out analyst-labelled posts the gate scores with (all labels subcategories,
    or categories without any), as the gate picks them."""
    known = {node.key for node in taxonomy.nodes}
    examples = [(pid, "", [k for k in keys if k in known]) for pid, keys in labelled]
    _, held = gate.split([e for e in examples if e[2]])
    return gate.subcategory_level(taxonomy, held)


def category_needs(taxonomy: Taxonomy, labelled: list[tuple[int, list[str]]]) -> list[CategoryNeed]:
    """Return every category of `taxonomy` with its analyst labels and what the gate still needs."""
    labels = Counter(key for _, keys in labelled for key in set(keys))
    held_support = Counter(key for _, _, keys in _held(taxonomy, labelled) for key in keys)
    found = []
    for node in taxonomy.nodes:
        leaf = not taxonomy.children(node.key)
        held_out = held_support[node.key] if leaf else 0
        more = max(0, gate.MIN_PER_CATEGORY - held_out) * gate.HOLDOUT_BUCKETS if leaf else 0
        found.append(CategoryNeed(node.key, node.name, node.parent, leaf, labels[node.key], held_out, more))
    return found


def gate_needs(taxonomy: Taxonomy, labelled: list[tuple[int, list[str]]]) -> GateNeeds:
    """Return how many held-out labels the gate has and needs before it can score a new model."""
    held = _held(taxonomy, labelled)
    support = Counter(key for _, _, keys in held for key in keys)
    return GateNeeds(
        held_out=len(held),
        min_held_out=gate.MIN_HELD_OUT,
        ready_categories=sum(1 for n in support.values() if n >= gate.MIN_PER_CATEGORY),
        min_categories=gate.MIN_CATEGORIES,
        min_per_category=gate.MIN_PER_CATEGORY,
        holdout_buckets=gate.HOLDOUT_BUCKETS,
    )


def rank(
    predictions: dict[int, list[tuple[str, float]]], labels: Counter[str], names: dict[str, str]
) -> list[Suggestion]:
    """Return the posts most worth labelling, first to last (see the module docstring); `predictions`
    come newest first, and ties keep that order."""
    found: list[Suggestion] = []
    order: list[tuple[float, int]] = []
    for position, (post_id, predicted) in enumerate(predictions.items()):
        confidences = sorted((c for _, c in predicted), reverse=True)
        top = confidences[0] if confidences else 0.0
        margin = top - (confidences[1] if len(confidences) > 1 else 0.0)
        doubt = 1 - (top + margin) / 2
        rarity = {key: max(0.0, 1 - labels[key] / NEEDED_LABELS) for key, _ in predicted if key in names}
        boost = max(rarity.values(), default=0.0)
        found.append(
            Suggestion(
                post_id=post_id,
                top=round(top, 3),
                margin=round(margin, 3),
                predicted=tuple(key for key, _ in predicted),
                rare=tuple(names.get(key, key) for key, value in rarity.items() if value > 0),
                priority=round(doubt + RARE_WEIGHT * boost, 4),
            )
        )
        order.append((-found[-1].priority, position))
    return [s for _, s in sorted(zip(order, found, strict=True), key=lambda pair: pair[0])]


def help_queue(db: Database, page: int = 1) -> HelpQueue:
    """Return page `page` of the posts whose labels would teach the model most, with the label
    counts of every category and what the gate still needs."""
    if not 1 <= page <= MAX_PAGE:
        raise EarfulError(f"Pages of this queue run from 1 to {MAX_PAGE}.")
    in_use = current(db)
    with db.read() as session:
        labelled = learning_repo.analyst_category_keys(session)
        waiting = learning_repo.newest_without_analyst_categories(session, WINDOW)
        predictions = learning_repo.model_confidences(session, waiting)
    if in_use is None:
        nothing = GateNeeds(
            0, gate.MIN_HELD_OUT, 0, gate.MIN_CATEGORIES, gate.MIN_PER_CATEGORY, gate.HOLDOUT_BUCKETS
        )
        return HelpQueue([], page, False, 0, [], nothing, False)
    categories = category_needs(in_use.taxonomy, labelled)
    counts = Counter({c.key: c.labels for c in categories})
    names = {c.key: c.name for c in categories}
    ranked = rank(predictions, counts, names)
    start = (page - 1) * PAGE_SIZE
    needs = gate_needs(in_use.taxonomy, labelled)
    return HelpQueue(
        ranked[start : start + PAGE_SIZE],
        page,
        len(ranked) > start + PAGE_SIZE,
        len(ranked),
        categories,
        needs,
        True,
    )

"""Explain a stored spike: what rose, which words, which posts, and one sentence that says it.

The spike's window is its first hour to the end of its last (`started_at` to `ended_at` + 1 h),
counted in its own series: its category ("" = every post) in its region ("" = everywhere). The
baseline is the same window one to four weeks earlier, the weeks the spike detector looks at
(spikes.expected); weeks before the first stored post are left out, and with none left, the same
window on each of the seven days before stands in. "Usual" is the median over those windows, so
one earlier incident does not raise it.

- Rises: posts in the window per top-level category, subcategory, region and source, against the
  median of the same count in the baseline windows. They are ranked by excess over the Poisson
  noise of the usual count, (observed - usual) / sqrt(max(usual, 1)), the detector's own yardstick;
  only those that rose by at least two posts are listed.
- Words: each post is split into words and two-word phrases (stop words in English and Spanish,
  redaction placeholders such as [NAME], pseudonym tokens, links and bare numbers left out; a phrase
  never spans a placeholder or a stop word). For each term, the posts that use it are compared
  between the spike and the baseline: one-sided Fisher's exact test of the two-by-two table (posts
  with and without the term, in the spike and in the baseline), the chance of so many of the term's
  posts falling in the spike if posts were drawn without regard to it. Exact, where a log-odds z
  with half a post added to the cells is far too timid when the baseline never used a term: 12 of
  59 spike posts against none of 27 baseline posts is p = 0.007 exactly, but a Wald z of 1.8. A term
  is kept when at least `MIN_TERM_POSTS` posts by at least two authors use it, p <= `MAX_P`, and it
  is no word of a better-ranked term, nor about organising (ml.taxonomy.surveillance_term); terms
  are ranked by p (shown as the normal z it equals). The baseline posts are the series' own; when
  it has under `MIN_BASELINE_POSTS` of them (a new issue, nearly silent before), those of every
  category in the region, then of every post, so a new issue's words still stand out.
- Examples: three posts that use most of the top terms (weighted by their z), each of a different
  text shape (numbers and placeholders aside) and author, no reposts. Their text is as stored:
  redacted; their author is the pseudonymous key.
- Sentence: "<what>: <n> posts in <h> hours where <u> are usual, mostly <region>; '<term>', '<term>'",
  about the subcategory that rose most when it carries at least half of the rise, else the series.

Bounded on big databases: counts are grouped in the database over the window and the baseline
windows (one query per level and window); text is read for at most `max_posts` of the spike's posts
and twice that many baseline posts, spread over their windows (`sampled` says when the cap was hit).
Alerts carry the sentence and the lists, never the example posts (docs/privacy.md).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
from scipy.special import ndtri
from sqlalchemy.orm import Session

from earful.insights.spikes import SpikeSettings
from earful.insights.topics import stop_words
from earful.kit.clock import as_utc
from earful.kit.text import printable
from earful.ml.taxonomy import surveillance_term
from earful.store.db import Database
from earful.store.models import Source, Spike
from earful.store.repos import insights as insights_repo
from earful.store.repos import sources as sources_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.repos.feed import FeedFilter
from earful.store.repos.insights import HOURLY

MAX_POSTS = 2_000  # spike posts whose text is read; baseline posts: twice that
MIN_TERM_POSTS = 3  # a term must be in at least this many of the spike's posts
MAX_P = 0.01  # one-sided Fisher exact p a term must reach
MIN_BASELINE_POSTS = 30  # baseline posts the words are compared with, at least, before it widens
MIN_RISE = 2  # posts a category, region or source must rise by to be listed
TOP = 5  # entries per list
TERMS = 8
EXAMPLES = 3
EXCERPT = 280
MOSTLY = 0.5  # a region holding more than this share of the window's posts is where it "mostly" was

_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")  # what redaction leaves: [NAME], [PHONE], ...
_PSEUDONYM = re.compile(r"(?<![\w])a_\w+")  # author keys, should one reach a text
_LINK = re.compile(r"\b(?i:https?://|www\.)\S+")
_MENTION = re.compile(r"(?<![\w])@\w+")
_NOT_WORDS = re.compile("|".join(p.pattern for p in (_LINK, _PLACEHOLDER, _PSEUDONYM, _MENTION)))
_BREAK = re.compile(r"[.!?;:,()\[\]{}\"“”«»…|/\\]+(?:\s|$)|\n")  # where a phrase may not run on
_WORD = re.compile(r"[^\W_]+(?:[.'’-][^\W_]+)*")
_NUMBER = re.compile(r"[\d.,'’-]+")


@dataclass(frozen=True, slots=True)
class Rise:
    """One category, subcategory, region or source: posts in the spike's window and usually."""

    key: str
    name: str
    observed: int
    usual: float

    @property
    def excess(self) -> float:
        return self.observed - self.usual

    @property
    def ratio(self) -> float:
        """How many times the usual count (the usual taken as at least one post)."""
        return self.observed / max(self.usual, 1.0)


@dataclass(frozen=True, slots=True)
class Term:
    """A word or two-word phrase over-represented in the spike's posts."""

    text: str
    posts: int  # spike posts (of those read) using it
    baseline_posts: int  # baseline posts (of those read) using it
    z: float  # the normal z of its Fisher exact p: higher is surer


@dataclass(frozen=True, slots=True)
class Example:
    """A representative post: redacted text and pseudonymous author only."""

    post_id: int
    text: str
    author_key: str | None
    source: str
    posted_at: datetime
    link: str = ""  # where a report links to it; the spike page links by post_id


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a spike happened, as far as counts and words say."""

    spike_id: int
    hours: int
    posts: int  # in the window, in the spike's series
    usual: float
    categories: list[Rise]
    subcategories: list[Rise]
    regions: list[Rise]
    sources: list[Rise]
    terms: list[Term]
    examples: list[Example]
    sentence: str
    read: int  # spike posts whose text was read
    baseline_read: int
    sampled: bool  # whether the cap on posts read was reached
    baseline_windows: int = 0


def explain(db: Database, spike_id: int, max_posts: int = MAX_POSTS) -> Explanation | None:
    """Return the explanation of a stored spike, or None when there is no such spike."""
    with db.read() as session:
        spike = insights_repo.spike(session, spike_id)
        if spike is None:
            return None
        return explain_spike(session, spike, taxonomy_repo.display_names(session), max_posts=max_posts)


def explain_spike(
    session: Session,
    spike: Spike,
    names: dict[str, str],
    *,
    weeks: int = SpikeSettings().weeks,
    max_posts: int = MAX_POSTS,
) -> Explanation:
    """Return the explanation of `spike`, read in an open session (reports and alerts have one)."""
    start = as_utc(spike.started_at) or spike.started_at
    end = (as_utc(spike.ended_at) or spike.ended_at) + timedelta(hours=1)
    hours = max(1, round((end - start).total_seconds() / 3600))
    sources = {s.id: s for s in sources_repo.all_sources(session)}
    category, region = spike.category or None, spike.region or None
    windows = _baseline_windows(session, start, end, weeks)

    def where(since: datetime, until: datetime) -> FeedFilter:
        return FeedFilter(category=category, region=region, since=since, until=until)

    now = _counts(session, where(start, end), sources)
    before = [_counts(session, where(a, b), sources) for a, b in windows]
    levels = {}
    for level in ("categories", "subcategories", "regions", "sources"):
        rises = _rises(now[level], [b[level] for b in before], names, level)
        levels[level] = rises
    if category:  # a spike of one category: its categories list would only repeat it
        levels["categories"] = []
    if region:
        levels["regions"] = []
    total = now["total"][""]
    usual = _usual([b["total"][""] for b in before])

    spike_posts = insights_repo.sample_posts(session, where(start, end), max_posts)
    per_window = (2 * max_posts) // max(1, len(windows))
    baseline_posts: list[Any] = []
    # The words are compared with the series' own baseline posts; a series that was (nearly) silent
    # before (a new issue: "where 0 are usual") has too few to compare with, so the baseline widens
    # to every category in the region, then to every post, which is what the words stand out from.
    for wider in ((category, region), (None, region), (None, None)):
        baseline_posts = [
            p
            for a, b in windows
            for p in insights_repo.sample_posts(
                session, FeedFilter(category=wider[0], region=wider[1], since=a, until=b), per_window
            )
        ]
        if len(baseline_posts) >= MIN_BASELINE_POSTS:
            break
    spike_terms = [_post_terms(_text(p)) for p in spike_posts]
    terms = _terms(spike_posts, spike_terms, baseline_posts)
    examples = _examples(spike_posts, spike_terms, terms, sources)
    found = Explanation(
        spike_id=spike.id,
        hours=hours,
        posts=total,
        usual=usual,
        categories=levels["categories"][:TOP],
        subcategories=levels["subcategories"][:TOP],
        regions=levels["regions"][:TOP],
        sources=levels["sources"][:TOP],
        terms=terms,
        examples=examples,
        sentence="",
        read=len(spike_posts),
        baseline_read=len(baseline_posts),
        sampled=len(spike_posts) < total,
        baseline_windows=len(windows),
    )
    what = names.get(spike.category, spike.category) if spike.category else "All posts"
    return _with_sentence(found, what, bool(region))


def _baseline_windows(
    session: Session, start: datetime, end: datetime, weeks: int
) -> list[tuple[datetime, datetime]]:
    """Return the same window in each of the previous `weeks` weeks that has posts stored before it;
    with none, the same window on each of the seven days before."""
    oldest = insights_repo.first_posted(session)
    first = (as_utc(oldest) or oldest) if oldest else start
    shifted = [(start - timedelta(weeks=k), end - timedelta(weeks=k)) for k in range(1, weeks + 1)]
    found = [(a, b) for a, b in shifted if a >= first]
    if not found:
        daily = [(start - timedelta(days=k), end - timedelta(days=k)) for k in range(1, 8)]
        found = [(a, b) for a, b in daily if b > first and b <= start]
    return found


def _counts(session: Session, where: FeedFilter, sources: dict[int, Source]) -> dict[str, Counter[str]]:
    """Return posts counted in `where` in total, per top-level category, subcategory, region and source."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for row in insights_repo.volume(session, where, HOURLY):
        found["total"][""] += row.posts
        source = sources.get(row.source_id)
        found["sources"][source.name if source else "?"] += row.posts
        found["regions"][(source.region if source else "") or "unknown"] += row.posts
    for level, counted in (("top", "categories"), ("sub", "subcategories")):
        for row in insights_repo.by_category(session, where, HOURLY, level):
            if level == "sub" and "." not in row.category:
                continue  # labelled with a top-level category only
            found[counted][row.category] += row.posts
    return found


def _usual(counts: Sequence[int]) -> float:
    return float(statistics.median(counts)) if counts else 0.0


def _rises(now: Counter[str], before: list[Counter[str]], names: dict[str, str], level: str) -> list[Rise]:
    rises = []
    for key, observed in now.items():
        usual = _usual([b.get(key, 0) for b in before])
        if observed - usual < MIN_RISE:
            continue
        name = names.get(key, key) if level in ("categories", "subcategories") else key
        rises.append(Rise(key, name, observed, usual))
    return sorted(rises, key=lambda r: (-r.excess / math.sqrt(max(r.usual, 1.0)), -r.observed, r.key))


@lru_cache(maxsize=1)
def _stop_set() -> frozenset[str]:
    return frozenset(stop_words())


def tokens(text: str) -> list[list[str]]:
    """Return the runs of kept words in `text`, lower-cased: a run ends at punctuation, a placeholder,
    a link, a mention, a pseudonym or a stop word, so a phrase is two kept words side by side."""
    if "[" in text or "_" in text or "@" in text or "/" in text or "www" in text:
        text = _NOT_WORDS.sub(" | ", text)  # most posts have none of these: skip the slow pattern
    stop = _stop_set()
    runs: list[list[str]] = []
    for piece in _BREAK.split(text.lower()):
        run: list[str] = []
        for word in _WORD.findall(piece):
            if word in stop or (len(word) < 2 and not word.isdigit()):
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(word)
        if run:
            runs.append(run)
    return runs


def _post_terms(text: str) -> set[str]:
    found: set[str] = set()
    for run in tokens(text):
        found.update([w for w in run if not (w[0].isdigit() and _NUMBER.fullmatch(w))])
        if len(run) > 1:
            found.update([f"{a} {b}" for a, b in pairwise(run)])
    return found


def _terms(
    spike_posts: Sequence[Any], spike_terms: Sequence[set[str]], baseline_posts: Sequence[Any]
) -> list[Term]:
    """Return the terms over-represented in the spike's posts, best first (see the module's doc)."""
    used: Counter[str] = Counter()
    authors: dict[str, set[str]] = defaultdict(set)
    for post, found in zip(spike_posts, spike_terms, strict=True):
        for term in found:
            used[term] += 1
            authors[term].add(post.author_key or f"post:{post.id}")
    usual: Counter[str] = Counter()
    for post in baseline_posts:
        usual.update(_post_terms(_text(post)) & used.keys())
    n_spike, n_base = len(spike_posts), len(baseline_posts)
    candidates = [
        term
        for term, k in used.items()
        if k >= MIN_TERM_POSTS and len(authors[term]) >= 2 and not surveillance_term(term)
    ]
    if not candidates:
        return []
    k = np.array([used[t] for t in candidates])
    b = np.array([usual[t] for t in candidates])
    # scipy.stats costs a second to import; only this test needs it, so every CLI command and
    # server start that never explains a spike does without.
    from scipy.stats import hypergeom

    # P(at least k of the k + b posts using the term fall among the spike's n_spike posts).
    p = hypergeom.sf(k - 1, n_spike + n_base, k + b, n_spike)
    z = np.minimum(-ndtri(p), 40.0)  # the normal z whose upper tail is p (norm.isf)
    scored = [
        Term(term, int(k[i]), int(b[i]), round(float(z[i]), 2))
        for i, term in enumerate(candidates)
        if p[i] <= MAX_P
    ]
    scored.sort(key=lambda t: (-t.z, -t.posts, -len(t.text.split()), t.text))
    chosen: list[Term] = []
    words: set[str] = set()
    for best in scored:
        parts = set(best.text.split())
        if parts & words:
            continue  # "update" after "update 4.2" says nothing new
        chosen.append(best)
        words |= parts
        if len(chosen) == TERMS:
            break
    return chosen


def _text(post: Any) -> str:
    return " ".join(part for part in (post.title, post.text) if part)


def _shape(text: str) -> str:
    """Return a text as a repost or template would share it: no numbers, placeholders or case."""
    return " ".join(w for run in tokens(text) for w in run if not _NUMBER.fullmatch(w))


def _examples(
    posts: Sequence[Any], post_terms: Sequence[set[str]], terms: Sequence[Term], sources: dict[int, Source]
) -> list[Example]:
    weights = {t.text: t.z for t in terms}
    scored = []
    for post, found in zip(posts, post_terms, strict=True):
        if post.repost_of or not post.text:
            continue
        scored.append((-sum(w for t, w in weights.items() if t in found), post.id, post))
    scored.sort(key=lambda s: (s[0], s[1]))
    chosen: list[Example] = []
    shapes: set[str] = set()
    authors: set[str] = set()
    for _, _, post in scored:
        shape = _shape(post.text or "")
        if shape in shapes or (post.author_key and post.author_key in authors):
            continue
        shapes.add(shape)
        if post.author_key:
            authors.add(post.author_key)
        chosen.append(
            Example(
                post.id,
                _excerpt(post.text or ""),
                post.author_key,
                source.name if (source := sources.get(post.source_id)) else "",
                as_utc(post.posted_at) or post.posted_at,
            )
        )
        if len(chosen) == EXAMPLES:
            break
    return chosen


def _excerpt(text: str) -> str:
    text = printable(text).strip()
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _number(value: float) -> str:
    rounded = round(value, 1)
    return f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.1f}"


def _with_sentence(found: Explanation, what: str, one_region: bool) -> Explanation:
    posts, usual = found.posts, found.usual
    lead = found.subcategories[0] if found.subcategories else None
    if lead is not None and lead.excess >= 0.5 * (found.posts - found.usual):
        what, posts, usual = lead.name, lead.observed, lead.usual
    hours = "1 hour" if found.hours == 1 else f"{found.hours} hours"
    verb = "is" if _number(usual) == "1" else "are"
    sentence = (
        f"{what}: {posts:,} post{'' if posts == 1 else 's'} in {hours} where {_number(usual)} {verb} usual"
    )
    if not one_region and found.regions and found.posts:
        top = found.regions[0]
        share = top.observed / found.posts
        if share >= 1:
            sentence += f", all in {top.name}"
        elif share > MOSTLY:
            sentence += f", mostly {top.name}"
    if found.terms:
        sentence += "; " + ", ".join(f"'{t.text}'" for t in found.terms[:2])
    return replace(found, sentence=sentence)


def lines(found: Explanation) -> list[str]:
    """Return the explanation as plain lines for an email or a chat message: the sentence, what rose
    most, and the words; never a post's text."""
    out = [found.sentence]
    for label, rises in (
        ("Categories", found.categories),
        ("Subcategories", found.subcategories),
        ("Regions", found.regions),
        ("Sources", found.sources),
    ):
        if rises:
            out.append(f"{label} that rose most: {_rise_list(rises[:3])}")
    if found.terms:
        out.append("Words and phrases: " + ", ".join(f"'{t.text}'" for t in found.terms))
    return out


def _rise_list(rises: Iterable[Rise]) -> str:
    return "; ".join(f"{r.name} {r.observed:,} (usually {_number(r.usual)})" for r in rises)


def fields(found: Explanation) -> list[tuple[str, str]]:
    """Return (label, value) pairs for a chat message's fields: what rose most and the words."""
    out = []
    for label, rises in (
        ("Categories", found.categories),
        ("Subcategories", found.subcategories),
        ("Regions", found.regions),
        ("Sources", found.sources),
    ):
        if rises:
            out.append(
                (
                    label,
                    "\n".join(f"{r.name}: {r.observed:,} (usually {_number(r.usual)})" for r in rises[:3]),
                )
            )
    if found.terms:
        out.append(("Words and phrases", ", ".join(f"'{t.text}'" for t in found.terms)))
    return out

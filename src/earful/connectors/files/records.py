"""Map a generic record (a CSV row, a JSON object) to a post by well-known column names.

Column names are matched case-insensitively, the first non-empty one of each group winning:

- id: `id`, `external_id`; without one, the id is `sha256:` and the SHA-256 hex digest of the
  text, author and date values (as written in the file) joined by U+001F, so re-importing the
  same file gives the same ids
- text: `text`, `body`, `message`, `content`, then `comment`, `feedback`, `review`, `tweet`, `texto`,
  `mensaje`, `contenido`, `comentario` (required)
- author: `author`, `user`, `handle`
- posted_at: `created_at`, `date`, `timestamp`, `posted_at` (ISO 8601, RFC 2822, or a Unix epoch)
- url: `url`, `link`; title: `title`; language: `lang`, `language`
- engagement: the `ENGAGEMENT_COLUMNS` holding a whole number, under their common names
"""

from __future__ import annotations

from typing import Any

from earful.connectors.files._base import as_id, as_text, content_id, parse_time
from earful.contracts import PostDraft

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "external_id"),
    # After the first names, those feedback forms and Spanish exports use for the text (ranked
    # last, so a file with "text" and "comment" columns reads "text"). Only the text's: a file
    # with no text column was refused whole before, so nothing imported earlier reads differently;
    # another field's new name would change the id made for a row without one, and re-importing
    # a file would add it again.
    "text": ("text", "body", "message", "content", "comment", "feedback", "review", "tweet", "texto",
             "mensaje", "contenido", "comentario"),
    "author": ("author", "user", "handle"),
    "posted_at": ("created_at", "date", "timestamp", "posted_at"),
    "url": ("url", "link"),
    "title": ("title",),
    "language": ("lang", "language"),
}  # fmt: skip
# Engagement columns and the names they go by in PostDraft.engagement (shared with the other formats).
ENGAGEMENT_COLUMNS = {
    "likes": "likes",
    "like_count": "likes",
    "shares": "shares",
    "share_count": "shares",
    "comments": "comments",
    "comment_count": "comments",
    "replies": "replies",
    "reply_count": "replies",
    "reposts": "reposts",
    "retweets": "reposts",
    "retweet_count": "reposts",
    "score": "score",
    "views": "views",
}
TEXT_COLUMNS = ALIASES["text"]
_AUTHOR_KEYS = ("username", "handle", "screen_name", "acct", "name", "id")


def has_text_column(names: Any) -> bool:
    """Tell whether any of `names` is a text column."""
    return any(isinstance(name, str) and name.strip().lower() in TEXT_COLUMNS for name in names)


# Each known column name -> (field, rank): a lower rank wins when a record has several.
_COLUMNS = {name: (field, rank) for field, names in ALIASES.items() for rank, name in enumerate(names)}
_UNRANKED = {field: len(names) for field, names in ALIASES.items()}


# A record's keys -> where each field is read from: (field, the keys that name it, best rank first,
# of equal rank in record order) and the engagement (name, key) pairs in record order. Files hold
# records of a few shapes, so the names are matched once per shape, not once per record.
_Plan = tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, str], ...]]
_PLANS: dict[tuple[str, ...], _Plan] = {}
_MAX_PLANS = 1024


def _plan(keys: tuple[Any, ...]) -> _Plan:
    """Match `keys` to fields as `_fields` does: canonical keys directly, others stripped and lowered."""
    found: dict[str, list[tuple[int, int, Any]]] = {}
    engagement: list[tuple[str, Any]] = []
    for order, key in enumerate(keys):
        known = _COLUMNS.get(key)
        counted = ENGAGEMENT_COLUMNS.get(key)
        if known is None and counted is None:
            name = key.strip().lower() if isinstance(key, str) else str(key)
            if name == key:
                continue
            known = _COLUMNS.get(name)
            counted = ENGAGEMENT_COLUMNS.get(name)
        if known is not None:
            field, rank = known
            found.setdefault(field, []).append((rank, order, key))
        if counted is not None:
            engagement.append((counted, key))
    fields = tuple(
        (field, tuple(key for _, _, key in sorted(entries, key=lambda e: e[:2])))
        for field, entries in found.items()
    )
    return fields, tuple(engagement)


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    """Pick each field's value from the record's own keys.

    This runs for every row of multi-million-row imports, so how a shape of record (its keys in
    order) maps to fields is worked out once and kept. Keys already written in canonical form
    are matched directly and only other keys are stripped and lowered; of keys that mean the
    same after that, the one of the best rank wins, and of equal rank the first with a value.
    """
    keys = tuple(record)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _plan(keys)
        # Only string keys (all JSON keys are) are kept: 1 == True as keys would share a plan.
        if all(type(key) is str for key in keys):
            if len(_PLANS) >= _MAX_PLANS:
                _PLANS.clear()
            _PLANS[keys] = plan
    picked: dict[str, Any] = dict.fromkeys(ALIASES)
    fields, counted = plan
    for field, names in fields:
        for name in names:
            value = record[name]
            if value is not None and value != "":
                picked[field] = value
                break
    picked["engagement"] = [(name, record[key]) for name, key in counted]
    return picked


# The record picked last and its fields. An import checks each record as it reads it and maps it
# right after, so remembering one pick saves doing it twice per row. It is keyed by identity
# and length; readers never change a record once read. Swapped as one tuple, so thread-safe.
_last_pick: tuple[Any, int, dict[str, Any]] = (None, 0, {})


def _picked(record: dict[str, Any]) -> dict[str, Any]:
    global _last_pick
    last = _last_pick
    if last[0] is record and last[1] == len(record):
        return last[2]
    fields = _fields(record)
    _last_pick = (record, len(record), fields)
    return fields


def _author(value: Any) -> str | None:
    if isinstance(value, dict):
        value = next((value[k] for k in _AUTHOR_KEYS if as_id(value.get(k))), None)
    return as_id(value)


def _problem(record: Any) -> tuple[str | None, dict[str, Any]]:
    if not isinstance(record, dict):
        return f"record is not an object but {type(record).__name__}", {}
    fields = _picked(record)
    if as_text(fields["text"]) is None:
        return f"record has no text (looked for a non-empty {', '.join(TEXT_COLUMNS)})", fields
    return None, fields


def _id(fields: dict[str, Any]) -> str:
    given = as_id(fields["id"])
    if given is not None:
        return given
    parts = (fields["text"], fields["author"], fields["posted_at"])
    return content_id(*("" if part is None else str(part) for part in parts))


def check_record(record: Any) -> tuple[str | None, str]:
    """Return why `record` cannot be read as a post (None when it can), and its id."""
    problem, fields = _problem(record)
    return problem, "" if problem is not None else _id(fields)


def _engagement(values: list[tuple[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, value in values:
        if name in out:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            out[name] = value
        elif isinstance(value, str) and value.strip().isdigit():
            out[name] = int(value)
    return out


def map_record(record: Any) -> PostDraft | str:
    """Map a generic record to a post; raise ValueError when it has no text or an unreadable date."""
    problem, fields = _problem(record)
    if problem is not None:
        raise ValueError(problem)
    return PostDraft(
        external_id=_id(fields),
        text=fields["text"],
        url=as_text(fields["url"]),
        author_handle=_author(fields["author"]),
        posted_at=parse_time(fields["posted_at"]),
        title=as_text(fields["title"]),
        language_hint=as_text(fields["language"]),
        engagement=_engagement(fields["engagement"]),
    )

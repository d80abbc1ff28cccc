"""Links to a post's original that do not name its author.

A platform's link often carries the author's handle (`x.com/<handle>/status/…`,
`<instance>/@<handle>/…`, `bsky.app/profile/<did>/…`), which would undo the pseudonym on every
page and API answer. At capture a link is rewritten to a form the platform offers without the
handle (X's `/i/web/status/<id>`, Reddit's `/comments/<id>/…`, which also drops the title slug, the
post's own words before redaction), and a link that has no such form, or still names the author
anywhere, is not stored: it stays only in the sealed raw item, and the audited author reveal shows it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from earful.contracts import PostDraft

_X_HOSTS = {"x.com", "twitter.com", "www.x.com", "www.twitter.com", "mobile.x.com", "mobile.twitter.com"}
_X_STATUS = re.compile(r"^/(?:[^/]+|i/web)/status(?:es)?/(\d+)(?:/|$)", re.IGNORECASE)
_REDDIT_POST = re.compile(
    r"^/(?:(?:r|u|user)/[^/]+/)?comments/([a-z0-9]+)(?:/[^/]*(?:/([a-z0-9]+))?)?/?$", re.IGNORECASE
)
# A path that names a person: Mastodon, Threads, Medium, TikTok and YouTube put "@name" in it,
# ActivityPub ids "users/name", forums "u/name" or "user/name", Bluesky "profile/<handle or DID>".
# None of them has a form without it.
_PERSON_IN_PATH = re.compile(r"/@|^/(?:u|user)/|/users/[^/]+|/profile/[^/]+", re.IGNORECASE)
_DID = re.compile(r"did:(?:plc|web):", re.IGNORECASE)
# Shorter names would match inside unrelated words; an id is matched only as a whole number.
MIN_NAME = 3
_SEPARATORS = re.compile(r"[\s._\-+]+")
# A plain web link (ASCII, no percent-encoding, spaces, user, port or IPv6 host): its host and path
# read straight off it are what urlsplit and unquote would give, at a fraction of their cost,
# which counts on an import of millions of posts.
_PLAIN_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(/[^?#\s]*)?(?:[?#]\S*)?", re.ASCII)


def draft_link(draft: PostDraft) -> str | None:
    """Return the draft's link in a form that does not name its author, or None when none exists."""
    return public_link(draft.url, [draft.author_handle, *draft.author_aliases])


def public_link(url: str | None, author: Iterable[str | None]) -> str | None:
    """Return `url` rewritten so it names nobody, or None when it names a person or the author.

    `author` holds what the author is called on the platform (handle, display name, user id or
    DID). With none known, only the platforms' patterns decide.
    """
    if not url or not url.strip():
        return None
    author = tuple(author)
    url = url.strip()
    rewritten = _platform_form(url)
    if rewritten is None or not names_any(rewritten, author):
        return rewritten
    # A Reddit title slug may hold the author's name; the short form leads to the same thread.
    shorter = _reddit_short(rewritten)
    return shorter if shorter is not None and not names_any(shorter, author) else None


def names_any(url: str, author: Iterable[str | None]) -> bool:
    """Tell whether `url` contains one of the author's names or ids, in any case or percent-encoding."""
    folded = _comparable(url)
    squeezed = _squeeze(folded)
    for name in author:
        for token, token_squeezed in _tokens(name):
            if token.isdigit():
                if _whole_number(token).search(folded):
                    return True
            elif token in folded or token_squeezed in squeezed:
                return True
    return False


def _platform_form(url: str) -> str | None:
    """Return the handle-free form of a known platform's link, None where there is none."""
    host, path = _host_and_path(url)
    # The substring test first: a regex search of every link costs more than the rare DID.
    if ("did:" in (folded := _comparable(url)) and _DID.search(folded)) or url[:5].lower() == "at://":
        return None  # a Bluesky DID is the author's own identifier
    if host in _X_HOSTS:
        status = _X_STATUS.match(path)
        # Any other X address (a profile, a search) is about a person or leads to one.
        return f"https://x.com/i/web/status/{status.group(1)}" if status else None
    if _is_reddit(host):
        # A post's link carries its title as a slug, which is what the post says before redaction
        # (and a post on a user's own profile names them): the short form leads to the same thread.
        short = _reddit_short(url)
        if short is not None or path.lower().startswith(("/u/", "/user/", "/r/u_")):
            return short  # any other page of a user's is about the person
    if _PERSON_IN_PATH.search(path):
        return None
    return url


def _host_and_path(url: str) -> tuple[str, str]:
    """Return the link's host in lower case and its path percent-decoded."""
    if "%" not in url:
        plain = _PLAIN_URL.fullmatch(url)
        if plain is not None:
            return plain.group(1).lower(), plain.group(2) or ""
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), unquote(parts.path)


def _reddit_short(url: str) -> str | None:
    """Return a Reddit post or comment link as `/comments/<post>/_/<comment>/`; None for others."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    post = _REDDIT_POST.match(unquote(parts.path))
    if post is None or not _is_reddit(host):
        return None
    tail = f"_/{post.group(2)}/" if post.group(2) else ""
    return f"https://www.reddit.com/comments/{post.group(1)}/{tail}"


# The last link made comparable: each link is compared two or three times in a row.
_last_comparable: tuple[str, str] = ("", "")


def _comparable(text: str) -> str:
    global _last_comparable
    last = _last_comparable
    if text is last[0]:
        return last[1]
    folded = _fold(text)
    _last_comparable = (text, folded)
    return folded


def _fold(text: str) -> str:
    # Decode until stable (a name may be encoded twice), then compare as platforms do.
    for _ in range(3):
        if "%" not in text and "+" not in text:
            break
        decoded = unquote(text.replace("+", " "))
        if decoded == text:
            break
        text = decoded
    return (text if text.isascii() else unicodedata.normalize("NFKC", text)).casefold()


# Characters `_SEPARATORS` matches in plain ASCII text that has no whitespace (almost every link).
_ASCII_SEPARATORS = "._-+"


def _squeeze(text: str) -> str:
    """Return `text` without separators (`_SEPARATORS`); four replaces beat a regex substitution
    on a plain ASCII link, which is what an import of millions of posts mostly meets."""
    if text.isascii() and text.isprintable() and " " not in text:
        for separator in _ASCII_SEPARATORS:
            if separator in text:
                text = text.replace(separator, "")
        return text
    return _SEPARATORS.sub("", text)


@lru_cache(maxsize=4096)
def _whole_number(digits: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\d){digits}(?!\d)")


@lru_cache(maxsize=65536)
def _tokens(name: str | None) -> tuple[tuple[str, str], ...]:
    """Return the forms a name takes in a link (itself, without "@", its local part, its slugs),
    each with its separators squeezed out."""
    if not name:
        return ()
    if name.isascii() and name.isalnum():
        # A plain handle ("driver123", most of them): one form, nothing to normalise or split.
        base = name.lower()
        return ((base, base),) if len(base) >= MIN_NAME else ()
    base = unicodedata.normalize("NFKC", name).strip().lstrip("@").casefold()
    forms = {base, base.split("@")[0]}
    words = [w for w in _SEPARATORS.split(base) if w]
    if len(words) > 1:
        forms |= {sep.join(words) for sep in ("", "-", "_", ".", " ")}
    kept = sorted(f for f in forms if len(f) >= MIN_NAME)
    # "a.b" squeezed to "ab" would match nearly anything: a short squeezed form is not used.
    return tuple((f, s if len(s := _SEPARATORS.sub("", f)) >= MIN_NAME else f) for f in kept)


def _is_reddit(host: str) -> bool:
    return host == "reddit.com" or host.endswith(".reddit.com")

"""A local HTTP server that answers like Mastodon, Reddit, X and a feed host, from recorded payloads,
and a local Jetstream (Bluesky's event stream).

The items it serves are the real recorded ones in ../shared/data/api-samples/; the paging around
them (min_id, before, since_id and next_token, page sizes) follows each platform's API
documentation, since the recordings hold single pages. Failures are injected per path: a queue of
(status, headers, body) answers served before the real ones.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve as serve_websocket

from tests.servers import free_port


def mastodon_statuses(samples: Path) -> list[dict[str, Any]]:
    """Return every distinct status in the recorded Mastodon interactions, oldest first."""
    pool: dict[str, dict[str, Any]] = {}
    for path in sorted((samples / "mastodon").glob("*.json")):
        data = json.loads(path.read_text())
        for interaction in data if isinstance(data, list) else [data]:
            body = interaction.get("body") if isinstance(interaction, dict) else None
            values = (
                body
                if isinstance(body, list)
                else (body.get("statuses") or [body])
                if isinstance(body, dict)
                else []
            )
            for status in values:
                if isinstance(status, dict) and {"content", "account", "visibility", "id"} <= set(status):
                    pool[str(status["id"])] = status
    return [pool[k] for k in sorted(pool, key=int)]


def reddit_children(samples: Path) -> list[dict[str, Any]]:
    """Return the recorded r/askreddit submissions, newest first (as a listing orders them)."""
    data = json.loads((samples / "reddit" / "listing_r-askreddit_new_2016-03.json").read_text())
    return sorted(data["data"]["children"], key=lambda c: -float(c["data"]["created_utc"]))


def x_posts(samples: Path) -> list[dict[str, Any]]:
    """Return the recorded X v2 posts of a home and a list timeline, newest first."""
    found: dict[str, dict[str, Any]] = {}
    for name in ("v2_home_timeline.json", "v2_list_tweets.json"):
        data = json.loads((samples / "twitter" / name).read_text())
        body = data["body"] if isinstance(data, dict) else data[0]["body"]
        for post in body["data"]:
            found[post["id"]] = post
    return [found[k] for k in sorted(found, key=int, reverse=True)]


def facebook_posts(samples: Path) -> list[dict[str, Any]]:
    """Return the distinct recorded Page posts, newest first."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((samples / "facebook").glob("posts_feed*_p*.json")):
        for post in json.loads(path.read_text())["data"]:
            found[post["id"]] = post
    return sorted(found.values(), key=lambda p: p["created_time"], reverse=True)


@dataclass
class Replay:
    """The server's state: what it serves, what it must fail, and what it saw."""

    samples: Path
    statuses: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    page_posts: list[dict[str, Any]] = field(default_factory=list)
    feed: bytes = b""
    article: str | None = None  # every article page's text; None: one of the shared news texts
    feed_version: int = 1
    failures: dict[str, deque[tuple[int, dict[str, str], str]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    hits: list[tuple[float, str]] = field(default_factory=list)
    base: str = ""
    chaos: float = 0.0  # the share of requests answered with a random failure (the soak test's)
    chaos_served: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    retry_after: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, path: str, status: int, headers: dict[str, str] | None = None, body: str = "") -> None:
        """Answer the next request to `path` with this instead of the real answer."""
        self.failures[path].append((status, headers or {}, body))

    def requests_to(self, path: str) -> list[float]:
        """Return when each request to `path` arrived."""
        return [at for at, seen in self.hits if seen == path]


def build_app(state: Replay) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def inject(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        now = time.monotonic()
        # X's search path is the same for every query: the query tells its sources apart.
        query = request.query_params.get("query")
        key = f"{request.url.path}#{query}" if query else request.url.path
        state.hits.append((now, key))
        queue = state.failures.get(request.url.path)
        if queue:
            status, headers, body = queue.popleft()
            return Response(body, status_code=status, headers=headers, media_type="application/json")
        if state.chaos and request.method == "GET" and random.random() < state.chaos:
            kind = random.choice(("429", "500", "503", "malformed"))
            state.chaos_served[kind] += 1
            if kind == "429":
                wait = random.choice((1, 2, 3))
                state.retry_after[key].append((now, wait))
                return Response("{}", status_code=429, headers={"Retry-After": str(wait)})
            if kind == "malformed":
                return Response("<html>bad gateway page</html>", status_code=200, media_type="text/html")
            return Response("{}", status_code=int(kind))
        return await call_next(request)

    def mastodon_page(request: Request) -> JSONResponse:
        # Mastodon: newest first; with min_id, the `limit` statuses right after it.
        limit = int(request.query_params.get("limit", 20))
        min_id = request.query_params.get("min_id")
        with state.lock:
            statuses = list(state.statuses)
        newer = [s for s in statuses if int(s["id"]) > int(min_id)] if min_id else statuses
        page = newer[:limit] if min_id else newer[-limit:]
        return JSONResponse(list(reversed(page)))

    app.get("/api/v1/timelines/tag/{tag}")(mastodon_page)
    app.get("/api/v1/timelines/public")(mastodon_page)

    @app.post("/api/v1/access_token")
    def token() -> dict[str, str]:
        return {"access_token": "replay-token", "token_type": "bearer"}

    @app.get("/r/{sub}/new")
    def reddit_new(request: Request, sub: str) -> dict[str, Any]:
        # Reddit: newest first; with before=X, the `limit` items right after X (newer than it).
        limit = int(request.query_params.get("limit", 25))
        before = request.query_params.get("before")
        after = request.query_params.get("after")
        with state.lock:
            everything = list(state.children)
        following = None
        if before:
            index = next(i for i, c in enumerate(everything) if c["data"]["name"] == before)
            items = everything[max(0, index - limit) : index]
        else:
            start = (
                next(i for i, c in enumerate(everything) if c["data"]["name"] == after) + 1 if after else 0
            )
            items = everything[start : start + limit]
            if start + limit < len(everything):
                following = items[-1]["data"]["name"]
        return {"kind": "Listing", "data": {"children": items, "before": None, "after": following}}

    @app.get("/2/tweets/search/recent")
    def x_search(request: Request) -> dict[str, Any]:
        # X: newest first, since_id excluded, next_token pages back through the matches.
        size = int(request.query_params.get("max_results", 10))
        since = request.query_params.get("since_id")
        with state.lock:
            posts = list(state.posts)
        matches = [p for p in posts if not since or int(p["id"]) > int(since)]
        start = int(request.query_params.get("next_token") or 0)
        page = matches[start : start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if start + size < len(matches):
            meta["next_token"] = str(start + size)
        return {"data": page, "meta": meta} if page else {"meta": meta}

    @app.get("/2/tweets/counts/recent")
    def x_counts() -> Any:
        data = json.loads((state.samples / "twitter" / "v2_recent_tweets_count.json").read_text())
        return data["body"] if isinstance(data, dict) else data[0]["body"]

    @app.get("/graph/{page_id}/feed")
    def facebook_feed(request: Request, page_id: str) -> dict[str, Any]:
        # Graph: newest first; `since` (inclusive, Unix time) bounds it; paging.next carries `after`.
        from datetime import datetime

        limit = int(request.query_params.get("limit", 25))
        since = int(request.query_params.get("since") or 0)
        posts = [
            p
            for p in state.page_posts
            if datetime.strptime(p["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp() >= since
        ]
        start = int(request.query_params.get("after") or 0)
        page = posts[start : start + limit]
        body: dict[str, Any] = {"data": page, "paging": {}}
        if start + limit < len(posts):
            query = f"limit={limit}&since={since}&after={start + limit}&access_token=x"
            body["paging"]["next"] = f"{state.base}/graph/{page_id}/feed?{query}"
        return body

    @app.get("/graph/{post_id}/comments")
    def facebook_comments(post_id: str) -> Any:
        data = json.loads((state.samples / "facebook" / "comments_comments_p1.json").read_text())
        return {"data": [{**c, "id": f"{post_id}_c{i}"} for i, c in enumerate(data["data"])]}

    @app.get("/xrpc/app.bsky.feed.searchPosts")
    def bluesky_search(request: Request) -> dict[str, Any]:
        # No AppView answer was recorded: these are written from the API's documentation
        # (app.bsky.feed.searchPosts: `posts` of PostViews, newest first, `cursor` while more),
        # around the real posts of the recorded Jetstream capture.
        lines = (state.samples / "bluesky" / "jetstream_v1_events_2026-07-04.jsonl").read_text().splitlines()
        views = []
        for line in lines:
            event = json.loads(line)
            commit = event.get("commit") or {}
            if commit.get("collection") == "app.bsky.feed.post" and commit.get("operation") == "create":
                record = commit["record"]
                views.append(
                    {
                        "uri": f"at://{event['did']}/app.bsky.feed.post/{commit['rkey']}",
                        "cid": commit.get("cid"),
                        "author": {"did": event["did"], "handle": "someone.bsky.social"},
                        "record": record,
                        "indexedAt": record.get("createdAt"),
                        "likeCount": 0,
                        "replyCount": 0,
                        "repostCount": 0,
                    }
                )
        q = request.query_params.get("q", "").lower()
        since = request.query_params.get("since") or ""
        found = [v for v in views if q in v["record"].get("text", "").lower() and v["indexedAt"] > since]
        found.sort(key=lambda v: v["indexedAt"], reverse=True)
        limit = int(request.query_params.get("limit", 25))
        start = int(request.query_params.get("cursor") or 0)
        body: dict[str, Any] = {"posts": found[start : start + limit]}
        if start + limit < len(found):
            body["cursor"] = str(start + limit)
        return body

    @app.get("/feed.xml")
    def feed(request: Request) -> Response:
        etag = f'"v{state.feed_version}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(state.feed, media_type="application/rss+xml", headers={"ETag": etag})

    @app.get("/articles/{path:path}")
    def article(path: str) -> Response:
        # Article pages: the shared news texts inside page furniture written for these tests
        # (navigation, a cookie banner, related links) that extraction must leave out.
        if state.article is not None:
            body = state.article
        else:
            texts = sorted((state.samples.parent / "news-articles").glob("article-*.txt"))
            body = texts[hash(path) % len(texts)].read_text()
        paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
        html = (
            "<html><head><title>Story</title></head><body>"
            "<nav><a href='/'>Home</a> <a href='/world'>World</a> NAVIGATION-MENU-TEXT</nav>"
            "<div class='cookie'>We use cookies COOKIE-BANNER-TEXT</div>"
            f"<article><h1>Story</h1>{paragraphs}</article>"
            "<aside>Related: RELATED-LINKS-TEXT</aside><footer>FOOTER-TEXT</footer></body></html>"
        )
        return Response(html, media_type="text/html")

    return app


def serve(state: Replay) -> Iterator[Replay]:
    """Run the server on a free port for as long as the generator lives."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(state), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    state.base = f"http://127.0.0.1:{port}"
    yield state
    server.should_exit = True
    thread.join(timeout=10)


@contextlib.contextmanager
def jetstream(events: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """Serve `events` like Jetstream (those from `cursor` on, of the wanted collections) on a free
    port; yield its address and the query of each connection."""
    asked: list[dict[str, list[str]]] = []

    def handler(connection: ServerConnection) -> None:
        query = parse_qs(urlparse(connection.request.path).query)  # type: ignore[union-attr]
        asked.append(query)
        cursor = int(query.get("cursor", ["0"])[0])
        wanted = set(query.get("wantedCollections", []))
        for event in events:
            collection = (event.get("commit") or {}).get("collection")
            if int(event["time_us"]) >= cursor and (not wanted or collection in wanted):
                connection.send(json.dumps(event))
        with contextlib.suppress(ConnectionClosed):
            connection.recv()  # hold the stream open, as Jetstream does, until the client leaves

    port = free_port()
    server = serve_websocket(handler, "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{port}/subscribe", asked
    finally:
        server.shutdown()
        thread.join(timeout=5)

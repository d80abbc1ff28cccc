"""Build the FastAPI app."""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from fastapi import BackgroundTasks, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Match

from earful import __version__
from earful.accounts.policies import signed_in
from earful.kit.errors import EarfulError
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.api import insights as api_insights
from earful.web.api import intake as api_intake
from earful.web.api import posts as api_posts
from earful.web.api import sources as api_sources
from earful.web.api import taxonomy as api_taxonomy
from earful.web.deps import LoginRequired, csrf_token, session_account
from earful.web.pages import (
    admin,
    alerts,
    auth,
    feed,
    help_model,
    insights,
    models,
    posts,
    reports,
    sso,
    topics,
    triage,
)
from earful.web.params import exact_bounds
from earful.web.render import render

# No inline script or style anywhere, so even a markup bug could not make post text run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

api_reader = guard.api(signed_in, "The API needs an account.")
# Open without a session: the login pages, health, and webhook intake (its signature is its credential).
PUBLIC_PATHS = frozenset(
    {"/login", "/health", "/login/sso", "/login/sso/callback", "/api/intake/{source_name}"}
)


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Yield every API route, looking inside included routers (FastAPI keeps an included router
    whole, so the app's own list holds the routers, not their routes; every router here carries
    its prefix itself, so each route's path is the whole path)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def route_table(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, str]]:
    """Yield (method, path) for every API route, looking inside included routers."""
    for route in api_routes(routes):
        for method in sorted(route.methods or ()):
            yield method, route.path


def page_not_found(request: Request) -> Response:
    """Answer an address that names no page with the product's own page, signed in or not."""
    # The session is looked at, not required: a signed-in person keeps their menu.
    account = session_account(request, request.app.state.db, BackgroundTasks())
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "status": 404,
        "title": "Page not found",
        "message": "There is no page at this address. It may have been mistyped, or the link is old.",
    }
    return render(request, "error.html", context, status_code=404)


@asynccontextmanager
async def _long_lived(_: FastAPI) -> AsyncIterator[None]:
    """Once the server has started, move what it holds for good (modules, templates, settings,
    caches) out of the garbage collector's sight.

    A page that builds many objects (a year of Insights) sets off the collector's full pass every
    few requests, and that pass walked the whole heap: every seventh Insights page took 200 ms
    instead of 90 at 1M posts. Frozen objects are never freed, which is what they are for.
    """
    gc.collect()
    gc.freeze()
    yield


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """Return the web app over `db` (opened from settings when not given)."""
    # The generated schema and docs are served behind login below, not on FastAPI's public routes.
    app = FastAPI(
        title=settings.product_name,
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_long_lived,
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.resolved_database_url)
    app.add_middleware(
        SessionMiddleware,
        secret_key=hashlib.sha256(b"earful-session\0" + settings.secret).hexdigest(),
        session_cookie="earful_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.cookies_https_only,
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(EarfulError)
    async def domain_error(request: Request, exc: EarfulError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        titles = {403: "Not allowed", 404: "Not found", 409: "Someone else got there first"}
        context = {
            "account": getattr(request.state, "account", None),
            "csrf": csrf_token(request),
            "status": exc.status,
            "title": titles.get(exc.status, "That did not work"),
            "message": exc.message,
            # A page refused for its filters (a range that ends before it starts, a bad date) can
            # be opened again without them, rather than only left for the feed.
            "retry": request.url.path
            if request.method == "GET" and request.url.query and exc.status == 400
            else None,
        }
        return render(request, "error.html", context, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # The API answers 422 with the details its OpenAPI document describes; a page says it in words.
        if request.url.path.startswith("/api/"):
            # FastAPI's own answer echoes the input, and JSON may carry a lone surrogate, which
            # UTF-8 cannot encode: escaped to ASCII the same answer is always sendable, never a 500.
            body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
            return Response(body, status_code=422, media_type="application/json")
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'][1:])} {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        context = {
            "account": getattr(request.state, "account", None),
            "csrf": csrf_token(request),
            "status": 422,
            "title": "That address does not work",
            "message": f"This page cannot use what the address holds: {problems}. Check the link.",
        }
        return render(request, "error.html", context, status_code=422)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[Depends(api_reader)])
    def openapi() -> dict[str, Any]:
        return cast(dict[str, Any], exact_bounds(app.openapi()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        path = request.url.path
        if exc.status_code == 404 and not path.startswith(("/api/", "/static/")):
            return await run_in_threadpool(page_not_found, request)
        if exc.status_code == 405:
            # Starlette names only the first route's methods; the path may have several routes.
            matching = [r for r in api_routes(app.router.routes) if r.matches(request.scope)[0] != Match.NONE]
            allowed = sorted({m for r in matching for m in r.methods or ()})
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
        return await http_exception_handler(request, exc)

    # The OpenAPI document describes the JSON API; the pages are HTML forms, not part of it.
    for page_router in (
        auth,
        sso,
        feed,
        posts,
        triage,
        help_model,
        topics,
        insights,
        reports,
        alerts,
        admin,
        models,
    ):
        app.include_router(page_router.router, include_in_schema=False)
    app.include_router(api_posts.router)
    app.include_router(api_intake.router)
    app.include_router(api_sources.router)
    app.include_router(api_taxonomy.router)
    app.include_router(api_insights.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    return app

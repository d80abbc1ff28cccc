"""Role checks for routes: every route names the policy predicate that admits it.

`page(pred)` guards an HTML page (no session: off to the login page), `api(pred)` a JSON route
(no token or session: 401). Either answers 403 when the account's role fails the predicate.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import BackgroundTasks, Depends, Request

from earful.accounts.service import Account
from earful.kit.errors import Forbidden
from earful.store.db import Database
from earful.web.deps import api_account, get_db, page_account

Predicate = Callable[[str], bool]


def _guard(
    authenticate: Callable[[Request, Database, BackgroundTasks], Account], predicate: Predicate, what: str
) -> Callable[..., Account]:
    # `later` carries the session's once-a-minute last-used write past the response.
    def guard(request: Request, later: BackgroundTasks, db: Database = Depends(get_db)) -> Account:
        account = authenticate(request, db, later)
        if not predicate(account.role):
            raise Forbidden(f"{what} Ask an admin if you need it.")
        return account

    guard.policy = predicate  # type: ignore[attr-defined]
    return guard


def page(predicate: Predicate, what: str) -> Callable[..., Account]:
    """Return a dependency admitting signed-in accounts whose role passes `predicate`."""
    return _guard(page_account, predicate, what)


def api(predicate: Predicate, what: str) -> Callable[..., Account]:
    """Return a dependency admitting API callers whose role passes `predicate`."""
    return _guard(api_account, predicate, what)

"""Webhook intake: feedback forms deliver records here, signed with the source's secret."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from earful.ingest.webhook import MAX_BODY, receive
from earful.kit.errors import EarfulError
from earful.settings import Settings
from earful.store.db import Database
from earful.web.deps import get_db, get_settings
from earful.web.responses import errors

router = APIRouter(prefix="/api")


class Delivery(BaseModel):
    """What a delivery stored."""

    read: int
    imported: int
    duplicates: int
    quarantined: int


@router.post(
    "/intake/{source_name}", status_code=202, response_model=Delivery, responses=errors(400, 401, 404, 409)
)
async def intake(
    request: Request,
    source_name: str,
    x_earful_timestamp: str = Header(""),
    x_earful_signature: str = Header(""),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Delivery:
    """Accept a signed delivery of feedback records (no session: the signature is the credential)."""
    declared = request.headers.get("content-length", "")
    # Only ASCII digits, and few of them: '²'.isdigit() is true and int() of 5,000 digits fails.
    if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > MAX_BODY):
        raise EarfulError(
            f"A delivery may be at most {MAX_BODY // 1024} KiB; send records in smaller batches."
        )
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise EarfulError(
                f"A delivery may be at most {MAX_BODY // 1024} KiB; send records in smaller batches."
            )
    # The database work runs in a thread: a busy SQLite lock must not hold up the event loop.
    accepted = await run_in_threadpool(
        receive, db, settings, source_name, x_earful_timestamp, x_earful_signature, body
    )
    return Delivery(
        read=accepted.read,
        imported=accepted.imported,
        duplicates=accepted.duplicates,
        quarantined=accepted.quarantined,
    )

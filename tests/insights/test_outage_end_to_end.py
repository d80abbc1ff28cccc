"""End to end: a running instance (`earful serve --with-worker`) with four weeks of history is fed a
synthetic outage through its webhook intake, post by post as the minutes pass; a local HTTP server
stands in for Slack. Exactly one alert arrives within the promised 20 minutes of the outage's first
minute (so the open hour was judged before it ended), then one update when it subsides, then nothing.

Hours pass in seconds: every process (the server, its worker, this test) runs on one clock that
`EARFUL_CLOCK` starts at a Friday morning and runs RATE times as fast as real time.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.ingest.sources import SourceForm, save_source
from earful.ingest.webhook import sign, webhook_secret
from earful.insights import alerts
from earful.insights.alerts import RuleInput
from earful.kit.clock import CLOCK_ENV, clock_spec, utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Job, Post, Spike
from earful.store.repos import sources as sources_repo
from tests.conftest import once_not_per_engine
from tests.factories import posts_at
from tests.servers import Hook, free_port

pytestmark = [once_not_per_engine, pytest.mark.serial]

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday, 09:00 UTC, when the server starts
RATE = 120.0  # simulated seconds per real second: an hour in 30 s
PROMISE = timedelta(minutes=20)  # from an outage's first minute to its alert
OUTAGE_MINUTES = 25  # one post a minute in Leeds, where two an hour are usual
ADMIN = Actor(None, "root", "admin")


def _regular(since: datetime, until: datetime) -> list[datetime]:
    """The usual traffic of one form: a post at ten and forty past each hour."""
    first = since.replace(minute=0, second=0, microsecond=0)
    times = [
        first + timedelta(hours=h, minutes=m)
        for h in range(int((until - first) / timedelta(hours=1)) + 1)
        for m in (10, 40)
    ]
    return [t for t in times if since <= t < until]


class Feeder:
    """Sends each form's posts to the running instance's webhook intake once their minute has come,
    and stores the usual traffic as the history was stored."""

    def __init__(
        self,
        base: str,
        settings: Settings,
        waiting: dict[str, list[dict[str, Any]]],
        db: Database,
        usual: dict[str, list[datetime]],
    ) -> None:
        self.base, self.settings, self.waiting = base, settings, waiting
        self.db, self.usual = db, usual
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            now = utcnow()
            for name, times in self.usual.items():
                due_times = [t for t in times if t <= now]
                if due_times:
                    self.usual[name] = times[len(due_times) :]
                    with self.db.read() as session:
                        source = sources_repo.get_by_name(session, name)
                    assert source is not None
                    posts_at(self.db, source, due_times, "route ok")
            for source in list(self.waiting):
                with self.lock:
                    records = self.waiting[source]
                    due = [r for r in records if datetime.fromisoformat(r["created_at"]) <= now]
                    self.waiting[source] = [r for r in records if r not in due]
                if not due:
                    continue
                body = orjson.dumps(due)
                stamp = str(int(time.time()))
                signature = sign(webhook_secret(self.settings, source), stamp, body)
                answer = httpx.post(
                    f"{self.base}/api/intake/{source.replace(' ', '%20')}",
                    content=body,
                    headers={"X-Earful-Timestamp": stamp, "X-Earful-Signature": signature},
                    timeout=10,
                )
                if answer.status_code >= 300:
                    self.errors.append(f"{answer.status_code}: {answer.text}")
            self.stop.wait(0.05)


WHAT = ("The app", "The driver app", "Your app", "The route app", "The depot app", "This app")
FAILS = ("crashed", "froze", "keeps crashing", "went blank", "logged me out", "will not load")
WHEN = ("at the depot", "on my first drop", "mid route", "at the gate", "after the update", "on login")
MOOD = (
    "again.",
    "for the third time.",
    "and I lost my list.",
    "so I am stuck.",
    "fix it please.",
    "seriously?",
)


def _text(i: int) -> str:
    """A different complaint each time, as real posts are (copies would fold into the first)."""
    what, fails, when, mood = WHAT[i % 6], FAILS[(i // 6) % 6], WHEN[(i // 36) % 6], MOOD[(i * 5) % 6]
    return f"{what} {fails} {when} {mood} Ticket {1000 + i * 37}"


def _records(name: str, times: list[datetime], text: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{name}-{i}",
            "text": _text(i) if text == "outage" else f"{text} ({i})",  # copies fold: each differs
            "author": f"driver-{i % 40}",
            "created_at": t.isoformat(),
        }
        for i, t in enumerate(sorted(times))
    ]


def _settled(db: Database) -> bool:
    """Return whether the instance is as one that has been running a while: every post enriched
    (its text is set then), and the jobs a worker queues when it starts (topics, the digest,
    retention) done."""
    with db.read() as session:
        waiting = session.scalar(select(func.count()).select_from(Post).where(Post.text.is_(None)))
        busy = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.status.in_(("queued", "running")), Job.name.not_in(("insights.spikes", "insights.alerts"))
            )
        )
        started = session.scalar(select(func.count()).select_from(Job).where(Job.name == "insights.topics"))
        return waiting == 0 and busy == 0 and bool(started)


def _state(db: Database, since: datetime) -> dict[str, Any]:
    """What the instance had done, for a failure's message: spikes, and the jobs since `since`."""
    with db.read() as session:
        spikes = [
            (s.category, s.region, f"{s.started_at:%H:%M}", f"{s.created_at:%H:%M:%S}", s.incident_id)
            for s in session.scalars(select(Spike))
        ]
        jobs = [
            (j.name, f"{j.created_at:%H:%M:%S}", j.locked_at and f"{j.locked_at:%H:%M:%S}", j.status)
            for j in session.scalars(select(Job).where(Job.created_at >= since).order_by(Job.id).limit(40))
        ]
        unenriched = session.scalar(select(func.count()).select_from(Post).where(Post.text.is_(None)))
        sent = select(func.count()).select_from(Post).where(Post.external_id.like("outage%"))
        outage = (session.scalar(sent), session.scalar(sent.where(Post.duplicate_of.is_(None))))
    return {
        "outage posts (stored, originals)": outage,
        "spikes": spikes,
        "unenriched": unenriched,
        "now": f"{utcnow():%H:%M:%S}",
        "jobs": jobs,
    }


@contextmanager
def running(cli_env: dict[str, str], spec: str) -> Iterator[str]:
    """Run `earful serve --with-worker` on the simulated clock until the block ends; yield its address."""
    port = free_port()
    env = dict(
        cli_env,
        EARFUL_CLOCK=spec,
        EARFUL_WORKER_POLL_SECONDS="0.1",
        EARFUL_JOB_STALE_SECONDS="100000",  # a real second is two simulated minutes
        EARFUL_ALLOW_PRIVATE_ADDRESSES="true",
        EARFUL_TIME_ZONE="UTC",
        EARFUL_BASE_URL=f"http://127.0.0.1:{port}",
    )
    cmd = [sys.executable, "-m", "earful.cli", "serve", "--with-worker", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield base
    finally:
        process.kill()
        process.wait()


def test_an_outage_fed_to_a_running_instance_alerts_once_in_time_then_says_when_it_subsided(
    db: Database, settings: Settings, webhook: Hook, monkeypatch: pytest.MonkeyPatch, cli_env: dict[str, str]
) -> None:
    ensure_default(db)
    local = settings.model_copy(update={"allow_private_addresses": True})
    forms = {"Leeds form": "Leeds", "York form": "York"}
    for name, region in forms.items():
        save_source(db, ADMIN, SourceForm(name=name, kind="webhook", region=region), create=True)
        # Four weeks of history, two posts an hour from each form, stored before the server starts.
        with db.read() as session:
            source = sources_repo.get_by_name(session, name)
        assert source is not None
        history = _regular(START - timedelta(weeks=4, hours=2), START - timedelta(minutes=30))
        posts_at(db, source, history, "route ok")
    spec = clock_spec(START, RATE)
    monkeypatch.setenv(CLOCK_ENV, spec)  # this test's clock too: the rule is made before the outage
    alerts.save_rule(db, ADMIN, RuleInput("Ops channel", "spike", [], webhook.url), allow_private=True)
    with running(cli_env, spec) as base:
        # The usual traffic goes on as the history was stored (straight into the store, so the two
        # are counted alike); what people send by the forms comes through the webhook intake.
        usual = {name: _regular(START - timedelta(minutes=30), START + timedelta(hours=8)) for name in forms}
        waiting: dict[str, list[dict[str, Any]]] = {name: [] for name in forms}
        # A few complaints before the outage, as any day has: the worker loads its models for them.
        earlier = [START - timedelta(minutes=m) for m in (25, 20, 15)]
        question = "Quick question about my payslip, the overtime for week 47 looks different"
        waiting["York form"] += _records("earlier", earlier, question)
        feeder = Feeder(base, local, waiting, db, usual)
        feeder.thread.start()
        # The usual traffic flows until the worker has enriched it (its models loaded, as in a
        # deployment that has been running): only then does the outage begin.
        deadline = time.monotonic() + 90
        while not _settled(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _settled(db), "the worker did not settle: enrich the usual traffic, run its first jobs"
        outage = (utcnow() + timedelta(minutes=2)).replace(second=0, microsecond=0)
        outage_times = [outage + timedelta(minutes=m) for m in range(OUTAGE_MINUTES)]
        with feeder.lock:
            feeder.waiting["Leeds form"] += _records("outage", outage_times, "outage")
        # Back to normal from the hour after the outage's last busy hour (five of its posts or more:
        # a post or two spilling into the next hour is within the usual), seen once that hour is over.
        hours = [t.replace(minute=0) for t in outage_times]
        back = max(h for h in hours if hours.count(h) >= 5) + timedelta(hours=1)
        arrived: list[datetime] = []
        while utcnow() < back + timedelta(hours=1, minutes=15):
            if len(webhook.received) > len(arrived):
                arrived += [utcnow()] * (len(webhook.received) - len(arrived))
            if len(arrived) >= 2 and utcnow() > arrived[1] + timedelta(minutes=10):
                break  # ten quiet minutes after the update: long enough to see a repeat
            time.sleep(0.05)
        feeder.stop.set()
        feeder.thread.join(10)
    assert feeder.errors == []
    texts = [r["json"]["text"] for r in webhook.received]
    assert len(texts) == 2, (texts, _state(db, outage))
    alert, update = texts
    assert alert.startswith("Spike: ") and "Leeds" in alert, alert
    # It says what the spike is about (insights/explain.py): the sentence, with the words that stand out.
    assert re.search(r"\d+ posts? in \d+ hours? where \d+ (is|are) usual.*; '[^']*app[^']*'", alert), alert
    assert arrived[0] - outage <= PROMISE, f"the alert came {arrived[0] - outage} after the outage began"
    assert "subsided" in update.lower() and f"back to normal from {back:%d %b %H:%M} UTC" in update, update
    assert arrived[1] >= back + timedelta(hours=1), "called back to normal before its quiet hour was over"

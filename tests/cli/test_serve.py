"""`earful serve --with-worker`: the worker runs in a process of its own, at a lower priority, and
never outlives the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from earful.classify.service import ensure_default
from earful.store.db import Database
from earful.store.models import Post
from tests.conftest import once_not_per_engine
from tests.servers import free_port

pytestmark = once_not_per_engine


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def server(db: Database, cli_env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    ensure_default(db)
    env = dict(cli_env, EARFUL_WORKER_POLL_SECONDS="0.2")
    port = free_port()
    cmd = [sys.executable, "-m", "earful.cli", "serve", "--with-worker", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    assert _wait(lambda: _answers(base), 60), "the server did not start"
    yield process, base
    if process.poll() is None:
        process.kill()
        process.wait()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _worker_of(process: subprocess.Popen[bytes]) -> int:
    assert _wait(lambda: _children(process.pid), 30), "no worker process was started"
    (worker,) = _children(process.pid)
    assert b"worker" in Path(f"/proc/{worker}/cmdline").read_bytes()
    return worker


def test_the_worker_enriches_in_its_own_lower_priority_process_and_stops_with_the_server(
    server: tuple[subprocess.Popen[bytes], str], db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    process, _ = server
    worker = _worker_of(process)
    own = os.getpriority(os.PRIO_PROCESS, process.pid)
    assert _wait(lambda: os.getpriority(os.PRIO_PROCESS, worker) - own == 10, 30), "kept its priority"
    data = tmp_path / "posts.jsonl"
    rows = [
        {"id": f"p{i}", "text": f"The app crashed again on route {i}", "author": "someone"} for i in range(5)
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    cmd = [sys.executable, "-m", "earful.cli", "import", str(data), "--source", "forms", "--create"]
    subprocess.run(cmd, env=cli_env, check=True, capture_output=True, timeout=120)

    def enriched() -> bool:
        with db.read() as session:
            return session.scalar(select(func.count(Post.id)).where(Post.text.is_not(None))) == 5

    assert _wait(enriched, 90), "the server's worker did not enrich the imported posts"
    process.send_signal(signal.SIGINT)  # Ctrl+C
    process.wait(timeout=60)
    assert _wait(lambda: not _alive(worker), 40), "the worker outlived the server"


def test_a_worker_whose_server_is_killed_stops_too(server: tuple[subprocess.Popen[bytes], str]) -> None:
    process, _ = server
    worker = _worker_of(process)
    process.kill()
    process.wait()
    # Within the minute in which a stopped worker's jobs are taken back (heartbeats). The worker
    # may still be loading its models, which holds the interpreter: it looks once they are loaded.
    assert _wait(lambda: not _alive(worker), 60), "the worker outlived a killed server"

"""API fuzzing: Schemathesis, every check, against the JSON API's own OpenAPI document.

Builds (once, then reuses) the demo database with `earful demo --no-serve`, copies it for the run,
adds an admin with an API token, starts `earful serve` on a free port in its own process, and runs
`st run` over `/api/openapi.json` with `--checks all` and a bounded number of examples per
operation (all phases: examples, coverage, fuzzing, stateful). The fuzzer writes: it loads
taxonomies, makes reports and changes sources in the copy, never in the template.

It prints how many requests were sent, how many answered 5xx (a 5xx is a bug: the server's log
holds their tracebacks), and each check's failures by operation.
Run with `make bench` or `.venv/bin/python bench/api_fuzz.py [--examples N] [--seed N] [--rebuild]`.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from earful.accounts.service import add_user, issue_token
from earful.settings import Settings
from earful.store.db import Database

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "artifacts" / "bench-api-fuzz"
BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway benchmark database
PASSWORD = "bench password 123"  # noqa: S105 - a throwaway benchmark user


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(EARFUL_DATA_DIR=str(data_dir), EARFUL_SECRET_KEY=SECRET)
    return env


def template(rebuild: bool) -> Path:
    """Return the demo database, loading it first when absent (or asked to)."""
    data = WORK / "template"
    if rebuild:
        shutil.rmtree(data, ignore_errors=True)
    if not (data / "earful.db").exists():
        data.mkdir(parents=True, exist_ok=True)
        print("loading the demo data (once)...", flush=True)
        subprocess.run(
            [str(BIN / "earful"), "demo", "--no-serve"],
            env=_env(data),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return data / "earful.db"


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    """Wait until the server answers its health check."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url} within {seconds:.0f} s")


def tally(events: Path) -> tuple[int, list[tuple[str, str, int]], collections.Counter[tuple[str, str]]]:
    """Return requests sent, the 5xx answers (operation, method+uri, status) and failures by check."""
    requests = 0
    server_errors: list[tuple[str, str, int]] = []
    failures: collections.Counter[tuple[str, str]] = collections.Counter()
    for line in events.read_text().splitlines():
        event = json.loads(line)
        recorder = event.get("ScenarioFinished", {}).get("recorder")
        if not recorder:
            continue
        label = recorder["label"]
        for interaction in recorder.get("interactions", {}).values():
            requests += 1
            response = interaction.get("response") or {}
            status = response.get("status_code", 0)
            if status >= 500:
                request = interaction["request"]
                server_errors.append((label, f"{request['method']} {request['uri']}", status))
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                if check["status"] == "failure":
                    failures[(check["name"], label)] += 1
    return requests, server_errors, failures


def main() -> None:
    """Fuzz the API and print what failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="examples per operation and phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true", help="load the demo database again")
    args = parser.parse_args()

    source = template(args.rebuild)
    run = WORK / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    shutil.copy(source, run / "earful.db")
    settings = Settings(data_dir=run, secret_key=SECRET)
    db = Database(settings.resolved_database_url)
    account = add_user(db, "fuzzer", PASSWORD, "admin")
    token = issue_token(db, account.id, "api fuzz")
    db.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (run / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "earful"), "serve", "--port", str(port)], env=_env(run), stdout=log, stderr=log
    )
    events = run / "events.ndjson"
    try:
        wait_for(f"{base}/health")
        started = time.monotonic()
        command = [
            str(BIN / "st"),
            "run",
            f"{base}/api/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--max-examples",
            str(args.examples),
            "--seed",
            str(args.seed),
            "--workers",
            str(args.workers),
            "--no-color",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(events),
            "--report-dir",
            str(run),
            "--generation-database",
            "none",
        ]
        with (run / "schemathesis.txt").open("w") as out:
            subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
        elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
        log.close()

    requests, server_errors, failures = tally(events)
    print(f"\nAPI fuzzing (Schemathesis, --checks all, {args.examples} examples per operation and phase)")
    print(f"requests: {requests:,} in {elapsed:.0f} s")
    print(f"server errors (5xx): {len(server_errors)}")
    for label, request, status in server_errors[:20]:
        print(f"  {status} {label}: {request}")
    print("check failures (failing test cases, by operation):")
    if not failures:
        print("  none")
    by_check: dict[str, list[tuple[str, int]]] = collections.defaultdict(list)
    for (check, label), count in sorted(failures.items()):
        by_check[check].append((label, count))
    for check, rows in by_check.items():
        print(f"  {check}: {sum(c for _, c in rows)}")
        for label, count in rows:
            print(f"    {count:4d}  {label}")
    print(f"details: {run / 'schemathesis.txt'} (reproduce with its curl lines), {run / 'server.log'}")
    if server_errors:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""`earful serve` under uvicorn: forwarded client addresses count only from configured proxies."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import once_not_per_engine
from tests.servers import free_port

pytestmark = once_not_per_engine


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """Run `earful serve` on a free port; yield its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "earful.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"earful serve did not start: {output}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def failed_logins(base: str, attempts: int) -> list[int]:
    """Try a wrong password `attempts` times, each from a different claimed client address."""
    statuses = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for n in range(attempts):
            page = client.get("/login").text
            match = re.search(r'name="csrf" value="([^"]+)"', page)
            assert match
            response = client.post(
                "/login",
                data={"username": "ana", "password": "not the password", "csrf": match.group(1)},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            )
            statuses.append(response.status_code)
    return statuses


def test_a_forged_forwarded_for_does_not_reset_the_login_lockout(cli_env: dict[str, str]) -> None:
    with serving(cli_env) as base:
        statuses = failed_logins(base, 7)
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429], "rotating X-Forwarded-For got around the lockout"


def test_a_configured_proxy_is_trusted_for_the_client_address(cli_env: dict[str, str]) -> None:
    # Behind a trusted proxy each forwarded address is its own client, so none of them is locked out.
    with serving({**cli_env, "EARFUL_TRUSTED_PROXIES": "10.0.0.9, 127.0.0.1"}) as base:
        assert failed_logins(base, 7) == [401] * 7

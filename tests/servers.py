"""Local servers: SMTP (aiosmtpd) and an HTTP webhook that alerts go to, and a small web site to fetch from.

The fixtures are registered for every test by tests/conftest.py.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@contextmanager
def _serving(port: int, handler: type[BaseHTTPRequestHandler]) -> Iterator[None]:
    """Serve `handler` on 127.0.0.1:`port` in a thread until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Inbox:
    """What the local SMTP server received."""

    port: int
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """Run an SMTP server on a free local port; return its inbox."""
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Hook:
    """What the local webhook server received, and what it answers."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def webhook() -> Iterator[Hook]:
    """Run an HTTP server that records JSON POSTs; return it."""
    port = free_port()
    hook = Hook(f"http://127.0.0.1:{port}/hooks/alerts")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook.received.append(
                {"path": self.path, "type": self.headers.get("Content-Type"), "json": json.loads(body)}
            )
            self.send_response(hook.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            return

    with _serving(port, Handler):
        yield hook


@dataclass
class Site:
    """A local web site: the answer for each path, and the paths it was asked for."""

    base: str
    pages: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        """Return the port it listens on."""
        return int(self.base.rsplit(":", 1)[1])


@contextmanager
def serve_site() -> Iterator[Site]:
    """Run an HTTP server on a free local port that answers GETs from `Site.pages`."""
    port = free_port()
    site = Site(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.asked.append(self.path)
            status, headers, body = site.pages.get(self.path, (404, {}, b"not here"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return

    with _serving(port, Handler):
        yield site

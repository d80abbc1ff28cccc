"""Webhooks connect to the address that was checked; email and chat text cannot smuggle markup."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from earful.notify import DeliveryFailed, webhook


def _resolving(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 443)) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_webhook_goes_to_the_checked_address_with_its_own_name_for_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving(monkeypatch, "93.184.216.34")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    webhook("https://hooks.example.com:8443/T0/x", {"text": "hi"}, transport=httpx.MockTransport(answer))
    (request,) = seen
    assert request.url.host == "93.184.216.34" and request.url.port == 8443 and request.url.path == "/T0/x"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_a_name_that_also_answers_with_an_internal_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving(monkeypatch, "93.184.216.34", "169.254.169.254")  # cloud metadata behind a public name
    sent: list[httpx.Request] = []
    with pytest.raises(DeliveryFailed, match="private or local address"):
        webhook(
            "https://hooks.example.com/T0",
            {"text": "hi"},
            transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)),
        )
    assert sent == []

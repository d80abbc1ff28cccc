"""A live source's redirects are followed by hand: every hop is checked, pinned, and counted.

Two real local servers play the parts: `site` is the outside web site a feed lives on, let through
by a test-only allowance for its own address and port, and `intranet` is a page inside the
network (another loopback port) that nothing outside may make Earful read.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from earful.connectors.live import Target
from earful.connectors.live.http import Http, SourceError, Unavailable
from earful.connectors.live.rss import CONNECTOR as RSS
from earful.contracts import RawItem
from earful.settings import Settings
from tests.servers import Site, serve_site

SECRET = "INTERNAL-ADMIN-SECRET"
INTERNAL_PAGE = (
    "<html><head><title>Admin</title></head><body><article><h1>Cluster admin</h1>"
    + "".join(
        f"<p>{SECRET} row {n}: the database password and the deploy keys live here.</p>" for n in range(40)
    )
    + "</article></body></html>"
).encode()


@pytest.fixture
def site() -> Iterator[Site]:
    """Run the outside web site."""
    with serve_site() as served:
        yield served


@pytest.fixture
def intranet() -> Iterator[Site]:
    """Run a page inside the network, on another loopback port."""
    with serve_site() as served:
        served.pages["/admin"] = (200, {"Content-Type": "text/html"}, INTERNAL_PAGE)
        yield served


def _outside_only(site: Site) -> Http:
    # Only the outside site's own address and port are let through; every other private or local
    # address is refused, as it is in production.
    return Http(allow_private=frozenset({f"127.0.0.1:{site.port}"}), timeout=5)


def _feed(link: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        "<link>https://news.example.org/</link><description>d</description>"
        "<item><title>Story</title><guid>story-1</guid>"
        f"<link>{link}</link><description>A short summary.</description>"
        "<pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    ).encode()


def _resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> None:
    """Answer DNS for `names` (each lookup takes the next answer, the last one repeats)."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            return real(host, port, *args, **kwargs)
        answers = names[host]
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 80))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "inside",
    [
        "http://127.0.0.1:{port}/admin",
        "http://localhost:{port}/admin",
        "http://intranet.example.com:{port}/admin",  # a public-looking name that answers with loopback
    ],
)
def test_a_feed_link_that_redirects_inside_the_network_is_not_read(
    site: Site, intranet: Site, settings: Settings, monkeypatch: pytest.MonkeyPatch, inside: str
) -> None:
    _resolving(monkeypatch, {"intranet.example.com": ["127.0.0.1"]})
    site.pages["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, _feed(f"{site.base}/story"))
    site.pages["/story"] = (302, {"Location": inside.format(port=intranet.port)}, b"")
    with _outside_only(site) as http:
        page = RSS.poll(http, Target("News", {"url": f"{site.base}/feed.xml"}, settings), {})
    assert intranet.asked == []
    assert site.asked == ["/feed.xml", "/story"]
    (entry,) = page.entries
    assert isinstance(entry, RawItem) and SECRET not in str(entry.payload)  # the summary stands


def test_a_refused_redirect_says_where_it_led_and_what_to_do(site: Site, intranet: Site) -> None:
    site.pages["/go"] = (301, {"Location": f"http://127.0.0.1:{intranet.port}/admin"}, b"")
    with _outside_only(site) as http, pytest.raises(SourceError) as refused:
        http.get(f"{site.base}/go")
    assert "redirect to 127.0.0.1" in str(refused.value)
    assert "private or local address" in str(refused.value)
    assert "EARFUL_ALLOW_PRIVATE_ADDRESSES" in str(refused.value)
    assert intranet.asked == []


def test_redirects_are_capped(site: Site) -> None:
    for n in range(30):
        site.pages[f"/hop/{n}"] = (302, {"Location": f"/hop/{n + 1}"}, b"")
    with _outside_only(site) as http, pytest.raises(Unavailable, match="redirected more than 5 times"):
        http.get(f"{site.base}/hop/0")
    assert len(site.asked) == 6  # the first request and five redirects, then it stops


def test_a_redirect_on_the_same_site_is_followed_by_its_name(site: Site) -> None:
    site.pages["/old-feed"] = (308, {"Location": "/feed.xml"}, b"")
    site.pages["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, _feed(f"{site.base}/story"))
    with _outside_only(site) as http:
        answer = http.get(f"{site.base}/old-feed")
    assert answer.status_code == 200 and b"<rss" in answer.content
    assert site.asked == ["/old-feed", "/feed.xml"]


def test_the_connection_goes_to_the_address_that_was_checked(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A name that answers with a public address when checked, then with loopback (DNS rebinding):
    # the request must go to the checked address, never to the local server.
    _resolving(monkeypatch, {"news.example.com": ["93.184.216.34", "127.0.0.1"]})
    site.pages["/feed.xml"] = (200, {}, b"<rss>inside</rss>")
    dialled: list[tuple[str, int]] = []
    real_connect = socket.create_connection

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        # Nothing leaves this machine: a connection to anything but loopback is refused here.
        dialled.append((address[0], int(address[1])))
        if address[0] not in ("127.0.0.1", "localhost"):
            raise ConnectionRefusedError(f"test: no traffic to {address[0]}")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)
    with Http(timeout=2) as http, pytest.raises(SourceError):
        http.get(f"http://news.example.com:{site.port}/feed.xml")
    assert dialled == [("93.184.216.34", site.port)]
    assert site.asked == []

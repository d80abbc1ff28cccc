"""Where a URL really leads: resolve its host, refuse addresses inside a network, pin the connection.

Live sources fetch, and alert webhooks post to, addresses that people (or a feed's links) choose.
Each address is checked before anything is sent, and the connection then goes to the address that
was checked: letting the client resolve the name again would let a name that changes its answer
(DNS rebinding) slip an internal address past the check.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx

NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Unresolvable(Exception):
    """The host has no address."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host} could not be resolved")
        self.host = host


class PrivateAddress(Exception):
    """The host is, or answers with, an address that is not on the public internet."""

    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        self.said = host if host == address else f"{host} ({address})"  # the name, and what it answered
        super().__init__(f"{self.said} is a private or local address")


def is_public(address: str) -> bool:
    """Return whether `address` is on the public internet (not private, local, reserved or multicast)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address can carry an IPv4 one that the network delivers to: judge that one too.
        carried = ip.ipv4_mapped or ip.sixtofour
        if carried is None and ip in NAT64:
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if carried is not None and not is_public(str(carried)):
            return False
    return ip.is_global and not ip.is_multicast


def public_address(host: str, port: int | None = None) -> str:
    """Return an address of `host`, after checking that every address it answers with is public."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Unresolvable(host) from None
    addresses = list(dict.fromkeys(str(answer[4][0]).split("%")[0] for answer in answers))
    if not addresses:
        raise Unresolvable(host)
    for address in addresses:
        if not is_public(address):
            raise PrivateAddress(host, address)
    return addresses[0]


def check_url(url: str | httpx.URL) -> str:
    """Return the checked public address `url`'s host answers with (see `public_address`)."""
    target = httpx.URL(url)
    if not target.host:
        raise Unresolvable("(no host)")
    return public_address(target.host, target.port)


@dataclass(frozen=True, slots=True)
class Pinned:
    """A request's URL aimed at a checked address, with what keeps the host's own name in use."""

    url: httpx.URL
    headers: dict[str, str] = field(default_factory=dict)  # Host: the name, for virtual hosting
    extensions: dict[str, Any] = field(default_factory=dict)  # the TLS server name and certificate check


def pin(url: str | httpx.URL) -> Pinned:
    """Return `url` with its host replaced by its checked public address, keeping its name for the
    Host header and TLS; raise PrivateAddress or Unresolvable."""
    target = httpx.URL(url)
    address = check_url(target)
    extensions: dict[str, Any] = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return Pinned(target.copy_with(host=address), {"Host": target.netloc.decode("ascii")}, extensions)

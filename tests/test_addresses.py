"""The one address check that live sources and alert webhooks share."""

from __future__ import annotations

import pytest

from earful.kit.addresses import PrivateAddress, is_public, pin


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 - an address to judge, not one to bind
        "224.0.0.1",  # multicast
        "::1",
        "fe80::1%eth0",
        "fd00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "2002:7f00:1::",  # 6to4 carrying 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 carrying 169.254.169.254
    ],
)
def test_addresses_inside_a_network_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "64:ff9b::5db8:d822"])
def test_addresses_on_the_internet_are_public(address: str) -> None:
    assert is_public(address)


def test_a_literal_private_address_is_refused_without_asking_dns() -> None:
    with pytest.raises(PrivateAddress, match=r"169\.254\.169\.254 is a private or local address"):
        pin("http://169.254.169.254/latest/meta-data/")


def test_a_pinned_url_keeps_its_name_for_the_host_header_and_tls() -> None:
    pinned = pin("https://93.184.216.34:8443/hooks?x=1")
    assert str(pinned.url) == "https://93.184.216.34:8443/hooks?x=1"
    assert pinned.headers == {"Host": "93.184.216.34:8443"}
    assert pinned.extensions == {"sni_hostname": "93.184.216.34"}

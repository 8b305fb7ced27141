"""Which addresses a fetch may connect to (no network: refused addresses are never connected to)."""

from __future__ import annotations

import ipaddress

import pytest

from kiemchung.errors import ConfigError
from kiemchung.ingest.addresses import AddressPolicy, parse_networks
from kiemchung.ingest.transport import AddressRefused, GuardedBackend
from kiemchung.settings import load_settings

REFUSED = [
    "127.0.0.1", "127.255.255.254", "::1",  # loopback
    "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",  # private, shared (CGNAT)
    "169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%2",  # link-local, the cloud metadata address
    "fc00::1", "fd12:3456::1",  # unique-local
    "0.0.0.0", "0.1.2.3", "::",  # unspecified, "this network"
    "224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1",  # multicast
    "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "2001:db8::1",  # reserved, benchmarking, docs
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",  # NAT64 of loopback and metadata
    "2002:7f00:1::1", "2002:a9fe:a9fe::1",  # 6to4 of loopback and metadata
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "203.162.4.190", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
          "2002:808:808::1"]  # fmt: skip


@pytest.mark.parametrize("address", REFUSED)
def test_inside_addresses_are_refused(address: str) -> None:
    assert not AddressPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_permitted(address: str) -> None:
    assert AddressPolicy().permits(ipaddress.ip_address(address))


def test_allowed_networks_open_exactly_themselves() -> None:
    policy = AddressPolicy(parse_networks("10.20.0.0/16, 192.168.4.7 ,fd00:1::/32"))
    assert [policy.permits(ipaddress.ip_address(a)) for a in
            ("10.20.3.4", "::ffff:10.20.3.4", "192.168.4.7", "fd00:1::5", "10.21.0.1", "192.168.4.8", "127.0.0.1")
            ] == [True, True, True, True, False, False, False]  # fmt: skip


def test_a_bad_allow_list_is_refused_with_the_setting_name() -> None:
    with pytest.raises(ConfigError, match="KIEMCHUNG_FETCH_ALLOW_NETWORKS"):
        load_settings({"KIEMCHUNG_FETCH_ALLOW_NETWORKS": "10.0.0.0/8, intranet"})
    assert load_settings({"KIEMCHUNG_FETCH_ALLOW_NETWORKS": "10.0.0.0/8"}).fetch_allow_networks == "10.0.0.0/8"


@pytest.mark.parametrize("answer", [["169.254.169.254"], ["10.0.0.5", "fd00::5"], ["::ffff:127.0.0.1"]])
def test_a_name_that_resolves_inside_is_refused_before_connecting(answer: list[str]) -> None:
    backend = GuardedBackend(AddressPolicy(), resolver=lambda *_: [ipaddress.ip_address(a) for a in answer])
    with pytest.raises(AddressRefused, match=r"^refused: metadata\.example is not a public address"):
        backend.connect_tcp("metadata.example", 80, timeout=1.0)

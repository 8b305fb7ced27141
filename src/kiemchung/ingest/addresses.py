"""Which IP addresses a fetch may connect to: public ones, and the networks a newsroom allows.

Refused unless allowed: loopback, private (RFC 1918, shared 100.64/10), link-local (169.254/16 — the
cloud metadata address — and fe80::/10), unique-local (fc00::/7), unspecified (0.0.0.0, ::), multicast,
reserved and documentation ranges — everything Python's `ipaddress` does not call global, plus multicast
and reserved. An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, 6to4, NAT64,
Teredo) is judged by the IPv4 address too: `::ffff:127.0.0.1` is loopback.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """`10.0.0.0/8, 192.168.4.7` → networks (a bare address is its own /32 or /128); ValueError if unreadable."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _unmapped(address: IPAddress) -> IPAddress:
    """`::ffff:a.b.c.d` (IPv4-mapped) and `64:ff9b::a.b.c.d` (NAT64) reach a.b.c.d: judge that one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if any(address in network for network in _NAT64):
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _carried(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses inside a 6to4 or Teredo address (judged as well as the IPv6 address)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.sixtofour] if address.sixtofour else []
    return found + list(address.teredo or ())


def _global_unicast(address: IPAddress) -> bool:
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address, and so is every IPv4 address it carries."""
    address = _unmapped(address)
    return all(_global_unicast(each) for each in [address, *_carried(address)])


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus `allow` (a newsroom's intranet, or loopback for tests)."""

    allow: tuple[IPNetwork, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        address = _unmapped(address)
        if any(address.version == network.version and address in network for network in self.allow):
            return True
        return is_public(address)

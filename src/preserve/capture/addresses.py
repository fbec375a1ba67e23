"""The one place that decides whether an address may be connected to (SSRF guard).

A crawl seeded on a public site must never be led by a link to a loopback, private,
link-local or otherwise non-global address; the check applies to the address actually
connected to, after DNS resolution, so a hostname resolving to 127.0.0.1 is caught too.
Addresses the seeds themselves resolve to are allowed, so a site on an intranet or on
127.0.0.1 can be archived when the archivist asks for it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["AddressPolicy", "BlockedAddress", "is_public"]


class BlockedAddress(OSError):
    """Raised inside a connection attempt: the peer address is not allowed."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(f"address {address} is not public and no seed is on it")


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass
class AddressPolicy:
    """Allows public addresses, plus the exact addresses the seeds resolve to."""

    allowed: set[str] = field(default_factory=set)

    @classmethod
    def for_seeds(cls, seeds: Iterable[str]) -> AddressPolicy:
        allowed: set[str] = set()
        for seed in seeds:
            parts = urlsplit(seed)
            host = parts.hostname
            if not host:
                continue
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError:
                continue  # unreachable seeds fail later, with the fetch error
            allowed.update(str(info[4][0]) for info in infos)
        return cls(allowed)

    def permits(self, address: str) -> bool:
        return address in self.allowed or is_public(address)

    def check(self, address: str) -> None:
        if not self.permits(address):
            raise BlockedAddress(address)

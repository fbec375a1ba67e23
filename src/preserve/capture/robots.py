"""robots.txt policy per host (RFC 9309) with protego.

A 2xx robots.txt is parsed; 4xx means no restrictions; 5xx or no answer (after retries)
means the whole host is disallowed for this crawl (RFC 9309 section 2.3.1.4), which is
logged. Redirects are followed by the crawler (up to five, as RFC 9309 asks). With
``--ignore-robots`` everything is allowed and the choice is recorded by the crawler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from protego import Protego

__all__ = ["RobotsRules", "RobotsGate", "parse_robots"]


@dataclass
class RobotsRules:
    status: int
    _parser: Protego | None = None
    allow_all: bool = False

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.allow_all:
            return True
        if self._parser is None:
            return False
        return bool(self._parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None

    @property
    def policy(self) -> str:
        if self.allow_all:
            return "allow-all"
        return "rules" if self._parser is not None else "disallow-all"


def parse_robots(status: int, body: bytes) -> RobotsRules:
    """Rules from a robots.txt response; status 0 means the fetch failed outright."""
    if 200 <= status < 300:
        text = body[:500_000].decode("utf-8", errors="replace")  # RFC 9309: at least 500 KiB
        return RobotsRules(status, Protego.parse(text))
    if 400 <= status < 500:
        return RobotsRules(status, allow_all=True)
    return RobotsRules(status)


class RobotsGate:
    """Which hosts' robots.txt is known, being fetched, or still to fetch; backed by a store.

    A host's URLs are not claimed until its rules are known, so no page is fetched
    before robots.txt has been read (or has failed for good, which disallows the host).
    """

    def __init__(self, store: RobotsStoreLike, user_agent: str, retries: int) -> None:
        self.store = store
        self.user_agent = user_agent
        self.retries = retries
        self._rules: dict[str, RobotsRules] = {}
        self._pending: set[str] = set()
        self._attempts: dict[str, int] = {}

    def known(self, host: str) -> RobotsRules | None:
        rules = self._rules.get(host)
        if rules is None and host not in self._pending:
            stored = self.store.get(host)
            if stored is not None:
                rules = self._rules[host] = parse_robots(*stored)
        return rules

    def needs_fetch(self, host: str) -> bool:
        return host not in self._pending and self.known(host) is None

    def fetching(self, host: str) -> None:
        self._pending.add(host)

    def learned(self, host: str, status: int, body: bytes) -> RobotsRules:
        self._pending.discard(host)
        self.store.put(host, status, body)
        rules = self._rules[host] = parse_robots(status, body)
        return rules

    def failed(self, host: str, *, transient: bool = True) -> RobotsRules | None:
        """A failed fetch: None to retry later, or the final disallow-all rules.

        Only a transient failure is retried; a refused address, a name that does not
        resolve or an invalid URL will not change on a second try.
        """
        self._pending.discard(host)
        attempts = self._attempts[host] = self._attempts.get(host, 0) + 1
        if transient and attempts <= self.retries:
            return None
        return self.learned(host, 0, b"")

    def attempts(self, host: str) -> int:
        return self._attempts.get(host, 0)


class RobotsStoreLike(Protocol):
    def get(self, host: str) -> tuple[int, bytes] | None: ...

    def put(self, host: str, status: int, body: bytes) -> None: ...

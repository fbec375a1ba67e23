"""robots.txt policy per host (RFC 9309) with protego.

A 2xx robots.txt is parsed; 4xx means no restrictions; 5xx or no answer means the whole
host is disallowed for this crawl (RFC 9309 section 2.3.1.4), which is logged. With
``--ignore-robots`` everything is allowed and the choice is recorded by the crawler.
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

__all__ = ["RobotsRules", "parse_robots"]


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

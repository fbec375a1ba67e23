"""Per-host politeness: one request at a time per host, a delay between requests, back-off.

The crawl loop asks it which hosts may be asked now (``ready``) and when the next idle
host becomes due (``next_due``), so that it fetches from every host that is due and
sleeps only until the earliest one is, never polling while every due host is busy.

Times are monotonic seconds from an injected clock. The delay for a host is the larger
of the crawl's ``--delay`` and the host's robots.txt ``Crawl-delay`` (which the loop caps
at ``max-crawl-delay``); a 429 or 503 with ``Retry-After`` (capped) pushes the host's next
request further out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Politeness"]


@dataclass
class _Host:
    busy: int = 0
    next_at: float = 0.0
    delay: float | None = None
    last_end: float | None = None


class Politeness:
    def __init__(self, delay: float, per_host: int = 1) -> None:
        self.delay = delay
        self.per_host = per_host
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host()
        return state

    def set_crawl_delay(self, host: str, seconds: float | None) -> None:
        state = self._host(host)
        state.delay = seconds
        # Learned from robots.txt, itself a request to the host: the next one waits too.
        if state.last_end is not None:
            state.next_at = max(state.next_at, state.last_end + self.delay_for(host))

    def delay_for(self, host: str) -> float:
        crawl_delay = self._host(host).delay
        return max(self.delay, crawl_delay or 0.0)

    def ready(self, host: str, now: float) -> bool:
        state = self._host(host)
        return state.busy < self.per_host and now >= state.next_at

    def next_time(self, host: str) -> float:
        return self._host(host).next_at

    def busy(self, host: str) -> bool:
        """True while the host has as many requests in flight as it may have."""
        state = self._hosts.get(host)
        return state is not None and state.busy >= self.per_host

    def next_due(self, hosts: Iterable[str]) -> float | None:
        """The earliest time one of ``hosts`` that is not busy may be asked, or None if
        all are busy (the loop then waits for a fetch to end, not for a time)."""
        times = [state.next_at if state is not None else 0.0
                 for state in map(self._hosts.get, hosts)
                 if state is None or state.busy < self.per_host]
        return min(times) if times else None

    def started(self, host: str) -> None:
        self._host(host).busy += 1

    def finished(self, host: str, now: float) -> None:
        state = self._host(host)
        state.busy = max(0, state.busy - 1)
        state.last_end = now
        state.next_at = max(state.next_at, now + self.delay_for(host))

    def back_off(self, host: str, until: float) -> None:
        state = self._host(host)
        state.next_at = max(state.next_at, until)

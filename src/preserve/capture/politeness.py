"""Per-host politeness: one request at a time per host, a delay between requests, back-off.

Times are monotonic seconds from an injected clock. The delay for a host is the larger
of the crawl's ``--delay`` and the host's robots.txt ``Crawl-delay`` (which the loop caps
at ``max-crawl-delay``); a 429 or 503 with ``Retry-After`` (capped) pushes the host's next
request further out.
"""

from __future__ import annotations

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

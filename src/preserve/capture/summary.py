"""What a crawl reports: live progress, and the summary kept in events and crawl state.

The summary of a resumed crawl is rebuilt from its crawl log, which is written after each
URL's state is committed, so figures stay right however the previous run ended.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..store.crawllog import RECHECK_HOP, entries
from ..units import format_duration
from ..web.media import is_page

__all__ = ["Progress", "CrawlSummary"]


@dataclass
class Progress:
    crawl: str
    captured: int = 0
    queued: int = 0
    in_flight: int = 0
    bytes: int = 0
    failures: int = 0
    elapsed: float = 0.0
    last_url: str = ""


@dataclass
class CrawlSummary:
    crawl: str
    status: str = "running"  # finished, limit-reached, interrupted, storage-error
    stop_reason: str = ""
    resumed: bool = False
    captured: int = 0  # every capture (response or revisit record): what max-urls counts
    revisits: int = 0
    page_captures: int = 0  # the captures that are pages (web.media.is_page): max-pages
    pages: int = 0  # pages in the collection's pages list, after the crawl
    bytes: int = 0
    warc_bytes: int = 0
    crawl_warc_bytes: int = 0
    final: bool = False
    label: str | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    failed_urls: list[str] = field(default_factory=list)
    out_of_scope: int = 0
    robots_blocked: int = 0
    blocked_addresses: int = 0
    traps: int = 0
    # Pages of the previous crawl that nothing linked to, requested again (hop C), and
    # those left out (past recheck-limit, out of scope, robots.txt): counted in the
    # figures above as well.
    rechecked: int = 0
    recheck_skipped: int = 0
    # The site profile in effect ("" while auto has detected nothing; "none" for none),
    # what showed it, and the URLs it left out, by rule.
    profile: str = ""
    profile_evidence: str = ""
    profile_excluded: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    warcs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["statuses"] = dict(sorted(self.statuses.items()))
        data["profile_excluded"] = dict(sorted(self.profile_excluded.items(),
                                               key=lambda kv: (-kv[1], kv[0])))
        return data

    @property
    def finished(self) -> bool:
        return self.status in ("finished", "limit-reached")

    def one_line(self) -> str:
        profile = self.profile_line()
        return (f"{self.captured} URLs captured ({self.revisits} revisits), "
                f"{self.page_captures} of them pages, "
                f"{self.bytes} bytes, {self.failures} failed, {self.out_of_scope} out of scope, "
                f"{self.robots_blocked} blocked by robots.txt, "
                + (f"{profile}, " if profile else "") + f"in {format_duration(self.duration)}")

    def profile_line(self) -> str:
        """``profile wordpress excluded 219 URLs: wp-json 180, replytocom 39``, or ""."""
        if not self.profile or self.profile == "none":
            return ""
        total = sum(self.profile_excluded.values())
        rules = ", ".join(f"{k} {v}" for k, v in sorted(self.profile_excluded.items(),
                                                         key=lambda kv: (-kv[1], kv[0])))
        return (f"profile {self.profile} excluded {total} URL{'' if total == 1 else 's'}"
                + (f": {rules}" if rules else ""))

    def count(self, entry: dict[str, Any]) -> None:
        """Add one crawl-log line to the figures."""
        outcome = entry.get("outcome")
        if entry.get("hops") == RECHECK_HOP:
            if outcome in ("captured", "revisit", "failed"):
                self.rechecked += 1
            elif outcome in ("out-of-scope", "trap", "robots-blocked", "blocked-address"):
                self.recheck_skipped += 1
        if outcome in ("captured", "revisit"):
            self.captured += 1
            self.bytes += int(entry.get("bytes") or 0)
            if outcome == "revisit":
                self.revisits += 1
            if is_page(entry.get("url"), entry.get("status"), entry.get("mime")):
                self.page_captures += 1
            status = str(entry.get("status"))
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if entry.get("failed"):
                self.failures += 1
                self.failed_urls.append(str(entry.get("url")))
        elif outcome == "failed":
            self.failures += 1
            self.failed_urls.append(str(entry.get("url")))
        elif outcome == "out-of-scope":
            self.out_of_scope += 1
        elif outcome == "trap":
            self.traps += 1
        elif outcome == "robots-blocked":
            self.robots_blocked += 1
        elif outcome == "blocked-address":
            self.blocked_addresses += 1
        elif outcome == "profile-excluded":
            rule = str(entry.get("rule"))
            self.profile_excluded[rule] = self.profile_excluded.get(rule, 0) + 1
        elif outcome == "profile":
            self.profile = str(entry.get("profile") or "")
            self.profile_evidence = str(entry.get("evidence") or "")

    @classmethod
    def from_log(cls, crawl: str, path: Path, duration: float = 0.0) -> CrawlSummary:
        summary = cls(crawl, resumed=True, duration=duration)
        for entry in entries(path):
            try:
                summary.count(entry)
            except (TypeError, ValueError, AttributeError, OverflowError):
                continue  # a field of the wrong type: a damaged line
        summary.statuses = dict(sorted(Counter(summary.statuses).items()))
        return summary

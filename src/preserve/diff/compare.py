"""What changed on a site between two crawls of a collection, for ``preserve diff``.

Read from the collection's CDXJ index (one streaming pass), the crawl registry, which
says which WARC files each crawl wrote, and the later crawl's log, which says which pages
it reached only by requesting again what the earlier crawl had (hop ``C``: nothing in
the later crawl linked to them). A *page* is an HTML capture with a 2xx status (a
revisit counts as the page its payload digest was first stored as). Between crawl A and
crawl B, a page of either crawl is:

* ``new``: a page in B, not a page in A;
* ``changed``: a page in both whose content differs;
* ``unchanged``: a page in both with the same payload digest (in B, usually a revisit),
  or whose payloads differ only in the site's template (``reason`` ``template``);
* ``unlinked``: a page in both, but B reached it only by requesting it again: nothing on
  the site links to it any more, yet it is still there (``reason`` ``still there``, or
  ``still there, changed`` when its content changed too);
* ``gone``: a page in A that B did not get as a page: a 404 or 410 (``reason`` ``404`` /
  ``410``: the proof of deletion, with ``status`` and the ``record`` holding it), another
  status (``status NNN``), or nothing captured at all (``not captured``: not requested,
  past ``recheck-limit``, out of scope, blocked by robots.txt, or the fetch failed);
* ``moved``: a page in A that B got as a redirect (``reason`` the status, ``location``
  the target, ``record`` the redirect).

A site's template is on every page: a new article in a "Recent posts" sidebar changes the
bytes of every page of the site. So when two payloads differ, their *content* is compared:
the text normalise takes as the page's own (normalise/content.py: the ``main`` or the
article, without the site's chrome, but with the post's own header and title). Only the
records whose payloads differ are read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from ..collection import Collection
from ..errors import ConfigError
from ..store.crawllog import RECHECK_HOP, entries
from ..store.state import CrawlRecord, CrawlRegistry, StateDB
from ..web.media import is_page
from .captures import Capture, RecordReader, read_index

__all__ = ["PageChange", "CrawlDiff", "diff_crawls", "CHANGE_KINDS"]

CHANGE_KINDS = ("new", "changed", "unchanged", "gone", "moved", "unlinked")


@dataclass(frozen=True)
class PageChange:
    url: str
    change: str  # one of CHANGE_KINDS
    before: str | None = None  # 14-digit timestamp of the capture in the earlier crawl
    after: str | None = None  # ... in the later crawl
    reason: str | None = None  # why: template, 404, 301, still there, not captured...
    status: int | None = None  # gone and moved: the later crawl's HTTP status
    location: str | None = None  # moved: where the redirect points
    record: dict[str, Any] | None = None  # gone and moved: the later crawl's record

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @property
    def label(self) -> str:
        """How the text report names the change: ``gone (404)``, ``unchanged (template)``."""
        return f"{self.change} ({self.reason})" if self.reason else self.change


@dataclass
class CrawlDiff:
    before: str  # crawl ids
    after: str
    changes: list[PageChange] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = Counter(c.change for c in self.changes)
        return {k: found.get(k, 0) for k in CHANGE_KINDS}

    def one_line(self) -> str:
        c = self.counts()
        line = (f"changes from crawl {self.before} to {self.after}: {c['new']} new, "
                f"{c['changed']} changed, {c['unchanged']} unchanged, {c['gone']} gone")
        for kind in ("moved", "unlinked"):
            if c[kind]:
                line += f", {c[kind]} {kind}"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.before, "to": self.after, "counts": self.counts(),
                "pages": [c.to_dict() for c in self.changes]}


def _pick(crawls: list[CrawlRecord], before: str | None,
          after: str | None) -> tuple[str, str]:
    ids = [c.id for c in crawls]
    for given in (before, after):
        if given is not None and given not in ids:
            known = ", ".join(ids) or "none"
            raise ConfigError(f"no crawl {given!r} in this collection (crawls: {known}); "
                              "see `preserve crawls`")
    if after is None:
        done = [c.id for c in crawls if c.finished is not None] or ids
        after = done[-1] if done else None
    if after is not None and before is None:
        earlier = [i for i in ids if i < after]
        before = earlier[-1] if earlier else None
    if before is None or after is None:
        raise ConfigError("a diff needs two crawls of the collection; crawl it again first")
    return before, after


def diff_crawls(coll: Collection, before: str | None = None,
                after: str | None = None) -> CrawlDiff:
    """The pages new, changed, unchanged, gone, moved and unlinked from crawl ``before``
    to ``after`` (default: the last finished crawl and the one before it). ConfigError if
    there are not two such crawls."""
    if not coll.state_db.exists():
        raise ConfigError("a diff needs two crawls of the collection; it has none")
    db = StateDB(coll.state_db)
    try:
        registry = CrawlRegistry(db)
        before, after = _pick(registry.all(), before, after)
        files = {name: crawl for crawl in (before, after)
                 for name in registry.warc_names(crawl)}
    finally:
        db.close()
    captures: dict[str, dict[str, Capture]] = {before: {}, after: {}}
    originals: dict[str, Capture] = {}  # HTML payload digest -> a record holding it
    revisits: list[tuple[str, str, Capture]] = []
    for crawl, url, cap in read_index(coll, files):
        if is_page(url, cap.status, cap.mime):
            originals.setdefault(cap.digest, cap)
        if crawl is None:
            continue  # another crawl's record: only as an original of a revisit
        if cap.mime == "warc/revisit":
            revisits.append((crawl, url, cap))
            continue
        captures[crawl][url] = cap
    for crawl, url, cap in revisits:
        original = originals.get(cap.digest)
        if original is None:
            captures[crawl][url] = cap  # not HTML, or its original is not indexed
        else:
            captures[crawl][url] = Capture(cap.timestamp, cap.status, cap.digest, original.mime,
                                           original.filename, original.offset, original.length)
    compare = _Comparison(RecordReader(coll.warcs), _rechecked(coll, after))
    return CrawlDiff(before, after, compare.run(captures[before], captures[after]))


def _rechecked(coll: Collection, crawl: str) -> set[str]:
    """The URLs ``crawl`` captured only as a page of the crawl before it requested again."""
    return {e["url"] for e in entries(coll.crawl_log_path(crawl))
            if e.get("hops") == RECHECK_HOP and e.get("outcome") in ("captured", "revisit")}


def _is_page(cap: Capture | None, url: str) -> TypeGuard[Capture]:
    return cap is not None and is_page(url, cap.status, cap.mime)


def _record(cap: Capture) -> dict[str, Any]:
    """Where the later crawl's answer is: the WARC file, the record's offset and length,
    and when it was captured (UTC, ISO 8601)."""
    t = cap.timestamp.ljust(14, "0")
    return {"warc": cap.filename, "offset": cap.offset, "length": cap.length,
            "date": f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"}


class _Comparison:
    def __init__(self, records: RecordReader, rechecked: set[str]) -> None:
        self.records = records
        self.rechecked = rechecked

    def run(self, a: dict[str, Capture], b: dict[str, Capture]) -> list[PageChange]:
        changes = []
        for url in sorted(set(a) | set(b)):
            old, new = a.get(url), b.get(url)
            if _is_page(old, url) and _is_page(new, url):
                changes.append(self._both(url, old, new))
            elif _is_page(new, url):
                changes.append(PageChange(url, "new", None, new.timestamp))
            elif _is_page(old, url):
                changes.append(self._lost(url, old, new))
        return changes

    def _same_content(self, old: Capture, new: Capture) -> bool:
        if old.digest == new.digest:
            return True
        before = self.records.fingerprint(old)
        return before is not None and before == self.records.fingerprint(new)

    def _both(self, url: str, old: Capture, new: Capture) -> PageChange:
        same = self._same_content(old, new)
        if url in self.rechecked:
            return PageChange(url, "unlinked", old.timestamp, new.timestamp,
                              "still there" if same else "still there, changed")
        if old.digest == new.digest:
            return PageChange(url, "unchanged", old.timestamp, new.timestamp)
        return PageChange(url, "unchanged" if same else "changed", old.timestamp,
                          new.timestamp, "template" if same else None)

    def _lost(self, url: str, old: Capture, new: Capture | None) -> PageChange:
        if new is None:
            return PageChange(url, "gone", old.timestamp, None, "not captured")
        record = _record(new)
        if 300 <= new.status < 400:
            return PageChange(url, "moved", old.timestamp, new.timestamp, str(new.status),
                              new.status, self.records.location(url, new), record)
        reason = str(new.status) if new.status in (404, 410) else f"status {new.status}"
        return PageChange(url, "gone", old.timestamp, new.timestamp, reason, new.status,
                          record=record)

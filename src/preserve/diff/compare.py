"""What changed on a site between two crawls of a collection, for ``preserve diff``.

Read from the collection's CDXJ index (one streaming pass) and the crawl registry, which
says which WARC files each crawl wrote. A *page* is an HTML capture with a 2xx status (a
revisit counts as the page its payload digest was first stored as). Between crawl A and
crawl B, a page of either crawl is:

* ``new``: a page in B, not a page in A;
* ``changed``: a page in both whose content differs;
* ``unchanged``: a page in both with the same payload digest (in B, usually a revisit),
  or whose payloads differ only in the site's template (``reason`` ``template``);
* ``gone``: a page in A that is not one in B: B got a 404 or 410 (``reason`` ``404`` /
  ``410``), a redirect (``redirected``), another error (``status NNN``), or did not
  capture it at all (``not linked``: nothing B crawled led to it, or it was out of scope).

A site's template is on every page: a new article in a "Recent posts" sidebar changes the
bytes of every page of the site. So when two payloads differ, their *content* is compared:
the text normalise takes as the page's own (normalise/content.py: the ``main`` or the
article, without the site's chrome, but with the post's own header and title). Only the
records whose payloads differ are read.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from lxml import etree

from ..collection import Collection
from ..errors import ConfigError, WarcFormatError
from ..normalise.content import content_text
from ..store.cdxj import CdxjEntry
from ..store.reader import record_at
from ..store.state import CrawlRecord, CrawlRegistry, StateDB
from ..web.html import decode_html, http_charset, parse_html
from ..web.media import is_page

__all__ = ["PageChange", "CrawlDiff", "diff_crawls", "CHANGE_KINDS"]

CHANGE_KINDS = ("new", "changed", "unchanged", "gone")


@dataclass(frozen=True)
class PageChange:
    url: str
    change: str  # one of CHANGE_KINDS
    before: str | None = None  # 14-digit timestamp of the capture in the earlier crawl
    after: str | None = None  # ... in the later crawl
    reason: str | None = None  # why a page is gone

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


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
        return (f"changes from crawl {self.before} to {self.after}: {c['new']} new, "
                f"{c['changed']} changed, {c['unchanged']} unchanged, {c['gone']} gone")

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.before, "to": self.after, "counts": self.counts(),
                "pages": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class _Capture:
    timestamp: str
    status: int
    digest: str
    mime: str
    filename: str = ""
    offset: int = -1
    length: int = 0


_MAX_READ = 20_000_000


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
    """The pages new, changed, unchanged and gone from crawl ``before`` to ``after``
    (default: the last finished crawl and the one before it). ConfigError if there are
    not two such crawls."""
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
    captures: dict[str, dict[str, _Capture]] = {before: {}, after: {}}
    originals: dict[str, _Capture] = {}  # HTML payload digest -> a record holding it
    revisits: list[tuple[str, str, _Capture]] = []
    for crawl, url, cap in _read_index(coll, files):
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
            captures[crawl][url] = _Capture(cap.timestamp, cap.status, cap.digest, original.mime,
                                            original.filename, original.offset, original.length)
    content = _ContentReader(coll.warcs)
    return CrawlDiff(before, after, _compare(captures[before], captures[after], content))


class _ContentReader:
    """The template-free text fingerprint of a capture's HTML, read from its WARC."""

    def __init__(self, warcs: Path) -> None:
        self.warcs = warcs

    def fingerprint(self, cap: _Capture) -> str | None:
        if not cap.filename or cap.offset < 0:
            return None
        try:
            with record_at(self.warcs / cap.filename, cap.offset) as record:
                if record is None:
                    return None
                payload = record.content_stream().read(_MAX_READ)
                content_type = record.http_header("Content-Type")
        except (OSError, WarcFormatError, ValueError, zlib.error):
            return None  # unreadable: compared by payload digest; `preserve verify` says why
        return _text_fingerprint(payload, content_type)


def _text_fingerprint(payload: bytes, content_type: str | None) -> str | None:
    """SHA-1 of the page's own text, decoded and parsed as normalise reads pages."""
    try:
        doc, _ = parse_html(decode_html(payload, http_charset(content_type)).text)
    except (etree.ParserError, ValueError):
        return None
    return hashlib.sha1(content_text(doc).encode("utf-8")).hexdigest()


def _read_index(coll: Collection,
                files: dict[str, str]) -> Iterator[tuple[str | None, str, _Capture]]:
    """(crawl or None, url, capture) for each line of the index."""
    try:
        f = open(coll.index_path, encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{coll.index_path} is missing; run `preserve index` to rebuild it"
                          ) from None
    with f:
        for line in f:
            try:
                entry = CdxjEntry.from_line(line)
                status = int(entry.status or "0")
            except (ValueError, KeyError):
                continue  # a damaged line; `preserve verify` reports it
            if entry.url is None:
                continue
            yield files.get(entry.filename), entry.url, _Capture(
                entry.timestamp, status, entry.digest or "", entry.mime or "",
                entry.filename, entry.offset, entry.length)


def _is_page(cap: _Capture | None, url: str) -> TypeGuard[_Capture]:
    return cap is not None and is_page(url, cap.status, cap.mime)


def _compare(a: dict[str, _Capture], b: dict[str, _Capture],
             content: _ContentReader) -> list[PageChange]:
    changes = []
    for url in sorted(set(a) | set(b)):
        old, new = a.get(url), b.get(url)
        if _is_page(old, url) and _is_page(new, url):
            if old.digest == new.digest:
                changes.append(PageChange(url, "unchanged", old.timestamp, new.timestamp))
                continue
            before = content.fingerprint(old)
            same = before is not None and before == content.fingerprint(new)
            changes.append(PageChange(url, "unchanged" if same else "changed", old.timestamp,
                                      new.timestamp, "template" if same else None))
        elif _is_page(new, url):
            changes.append(PageChange(url, "new", None, new.timestamp))
        elif _is_page(old, url):
            changes.append(PageChange(url, "gone", old.timestamp,
                                      new.timestamp if new else None, _gone(new)))
    return changes


def _gone(cap: _Capture | None) -> str:
    if cap is None:
        return "not linked"
    if cap.status in (404, 410):
        return str(cap.status)
    if 300 <= cap.status < 400:
        return "redirected"
    return f"status {cap.status}"

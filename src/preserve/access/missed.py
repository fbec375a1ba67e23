"""What the crawls of a collection missed, read from their crawl logs and the index.

``find_missed`` streams each crawl's log (store/crawllog.py) in crawl order and sorts
what did not end in a good capture into five groups:

* ``requisites``: page requisites (hop path ending in ``E``, redirects after it
  included) that pages of the crawl referenced and that were not captured: the fetch
  failed, the answer was 4xx or 5xx, or a crawl that ended at a limit never fetched them;
* ``failed``: every other URL whose fetch failed (reset, timeout, DNS, ...; or refused
  by the address policy, ``blocked-address``) or was answered 4xx or 5xx;
* ``robots``: URLs robots.txt disallowed;
* ``out_of_scope``: URLs the scope left out (out of scope, ``--exclude``, max-depth,
  traps, the site profile), with the scope's reason;
* ``redirects_out_of_scope``: redirect targets the scope left out (``referrer`` is the
  URL that redirected).

A URL is in one group at most, the one its latest log line says. A URL that the
collection's WARCs hold a good capture of (status below 400) is not missed, whichever
crawl captured it; with ``crawl_id``, only what that crawl logged is listed and only
captures by that crawl or a later one count, so a patch crawl's captures take URLs off
the list of the crawl it patched. Not listed as failures: robots.txt answers, the
``/sitemap.xml`` a crawl asks for on the chance that one exists, and a recrawl's 404 or
410 for a page it rechecked (the proof of deletion, docs/recrawl.md).

Memory holds the missed URLs and the names of the WARC files, not the index or the logs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from ..collection import Collection
from ..errors import ConfigError
from ..store.cdxj import read_entries
from ..store.crawllog import RECHECK_HOP, entries
from ..store.state import CrawlRegistry, StateDB, reading

__all__ = ["MissedURL", "Missed", "find_missed", "GROUPS", "is_requisite",
           "NOT_FETCHED", "BLOCKED_ADDRESS"]

GROUPS = ("requisites", "failed", "robots", "out_of_scope", "redirects_out_of_scope")
NOT_FETCHED = "not-fetched"  # the reason of a requisite still queued when its crawl ended
BLOCKED_ADDRESS = "blocked-address"
_EXCLUDED = frozenset({"out-of-scope", "trap", "profile-excluded"})
_CAPTURED = frozenset({"captured", "revisit"})


@dataclass(frozen=True)
class MissedURL:
    """One URL a crawl did not capture well.

    ``reason``: ``http-NNN`` for an answer of status NNN; the failure's kind for a fetch
    that failed (``reset``, ``timeout``, ``connect``, ``dns``, ``protocol``, ``tls``,
    ``deadline``, ``invalid-url``, ``blocked-address``); ``not-fetched``; ``robots``; or
    the scope's reason (``out-of-scope``, ``excluded``, ``max-depth``,
    ``too-many-redirects``, ``trap:...``, ``profile:RULE``). ``referrer`` is the page
    (or redirect) that led to the URL; ``hops`` its hop path from the seed."""

    url: str
    reason: str
    status: int | None = None
    error: str | None = None
    referrer: str | None = None
    crawl_id: str | None = None
    hops: str | None = None
    time: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Missed:
    """What was missed, by group (each list sorted by URL); ``crawl_id`` the crawl asked
    about (None: every crawl); ``crawls`` the crawls whose logs were read."""

    requisites: list[MissedURL] = field(default_factory=list)
    failed: list[MissedURL] = field(default_factory=list)
    robots: list[MissedURL] = field(default_factory=list)
    out_of_scope: list[MissedURL] = field(default_factory=list)
    redirects_out_of_scope: list[MissedURL] = field(default_factory=list)
    crawl_id: str | None = None
    crawls: list[str] = field(default_factory=list)

    def group(self, name: str) -> list[MissedURL]:
        if name not in GROUPS:
            raise KeyError(name)
        found: list[MissedURL] = getattr(self, name)
        return found

    def counts(self) -> dict[str, int]:
        """URLs per group, in GROUPS order."""
        return {name: len(self.group(name)) for name in GROUPS}

    def reasons(self) -> dict[str, dict[str, int]]:
        """Per group, URLs per reason (most frequent first)."""
        return {name: dict(Counter(m.reason for m in self.group(name)).most_common())
                for name in GROUPS}

    @property
    def patchable(self) -> list[MissedURL]:
        """What a patch crawl asks for again: missing requisites and failed URLs, but not
        those the address policy refused (it would refuse them again)."""
        return [m for m in (*self.requisites, *self.failed) if m.reason != BLOCKED_ADDRESS]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"crawl": self.crawl_id, "crawls": list(self.crawls),
                                "counts": self.counts(), "reasons": self.reasons()}
        for name in GROUPS:
            data[name] = [m.to_dict() for m in self.group(name)]
        return data


def is_requisite(hops: str) -> bool:
    """A page requisite (an embed, hop E), or a redirect that one led to."""
    return hops.rstrip("R").endswith("E")


@dataclass(frozen=True)
class _Crawl:
    id: str
    finished: bool
    warcs: frozenset[str]


def _crawls(coll: Collection) -> list[_Crawl]:
    """The crawls of the collection in order: from the crawl registry, or, when the
    crawl state is gone, from the crawl logs (every WARC then counts for every crawl)."""
    if coll.state_db.exists():
        db = StateDB(coll.state_db)
        try:
            with reading(coll.state_db):
                registry = CrawlRegistry(db)
                return [_Crawl(c.id, c.finished is not None, frozenset(registry.warc_names(c.id)))
                        for c in registry.all()]
        finally:
            db.close()
    return [_Crawl(i, True, frozenset()) for i in sorted(coll.crawl_logs())]


def _unfetched(coll: Collection, crawl_id: str) -> Iterator[tuple[str, str | None, str]]:
    db = StateDB(coll.state_db)
    try:
        with reading(coll.state_db):
            yield from CrawlRegistry(db).unfetched(crawl_id)
    finally:
        db.close()


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _classify(entry: dict[str, Any], crawl_id: str) -> tuple[str, MissedURL] | None:
    """(group, missed URL) for one log line; None for a good capture or a line that is
    not an outcome (retry, profile)."""
    url, outcome = entry["url"], entry.get("outcome")
    hops = _str(entry.get("hops")) or ""
    via, error, status = _str(entry.get("via")), _str(entry.get("error")), _int(
        entry.get("status"))
    common = dict(referrer=via, crawl_id=crawl_id, hops=hops, time=_str(entry.get("time")))
    if outcome in _CAPTURED:
        if status is None or status < 400 or not _counts_as_failure(hops, via, status):
            return None
        group = "requisites" if is_requisite(hops) else "failed"
        return group, MissedURL(url, f"http-{status}", status, error, **common)
    if outcome in ("failed", BLOCKED_ADDRESS):
        if hops.startswith("P") and hops.strip("PR") == "":
            return None  # robots.txt: its failure shows as the host's robots-blocked URLs
        kind = BLOCKED_ADDRESS if outcome == BLOCKED_ADDRESS else (
            (error or "failed").split(":", 1)[0].strip() or "failed")
        group = "requisites" if is_requisite(hops) else "failed"
        return group, MissedURL(url, kind, status, error, **common)
    if outcome == "robots-blocked":
        return "robots", MissedURL(url, "robots", None, error, **common)
    if outcome in _EXCLUDED:
        reason = error or ("profile:" + str(entry.get("rule") or "")
                           if outcome == "profile-excluded" else outcome)
        group = "redirects_out_of_scope" if hops.endswith("R") else "out_of_scope"
        return group, MissedURL(url, reason, None, error, **common)
    return None


def _counts_as_failure(hops: str, via: str | None, status: int) -> bool:
    if hops.startswith("P") and hops.strip("PR") == "":
        return False  # robots.txt: a 4xx means "no rules" (RFC 9309)
    if hops == "X" and via is None and status in (404, 410):
        return False  # /sitemap.xml, asked for on the chance that the site has one
    if hops.rstrip("R") == RECHECK_HOP and status in (404, 410):
        return False  # a rechecked page is gone: the proof of deletion
    return True


def find_missed(collection: Collection, *, crawl_id: str | None = None) -> Missed:
    """What the crawls of ``collection`` (or crawl ``crawl_id`` alone) missed and no crawl
    since has captured (see the module docstring). ConfigError for an unknown crawl."""
    crawls = _crawls(collection)
    if crawl_id is not None:
        wanted = crawl_id.zfill(4) if crawl_id.isdigit() else crawl_id
        ids = [c.id for c in crawls]
        if wanted not in ids:
            known = ", ".join(ids) or "none"
            raise ConfigError(f"no crawl {crawl_id!r} in this collection (crawls: {known}); "
                              "`preserve crawls` lists them")
        start = ids.index(wanted)
        read, counting = crawls[start:start + 1], crawls[start:]
    else:
        wanted, read, counting = None, crawls, crawls
    found: dict[str, tuple[str, MissedURL]] = {}
    for crawl in read:
        for entry in entries(collection.crawl_log_path(crawl.id)):
            url = entry["url"]
            sorted_ = _classify(entry, crawl.id)
            if sorted_ is None:
                if entry.get("outcome") in _CAPTURED:
                    found.pop(url, None)
                continue
            found[url] = sorted_
        if crawl.finished and collection.state_db.exists():
            for url, via, hops in _unfetched(collection, crawl.id):
                if is_requisite(hops) and url not in found:
                    found[url] = ("requisites", MissedURL(url, NOT_FETCHED, None, None, via,
                                                          crawl.id, hops))
    _drop_captured(collection, found, counting, all_files=wanted is None)
    groups: dict[str, list[MissedURL]] = {name: [] for name in GROUPS}
    for url in sorted(found):
        group, missed = found[url]
        groups[group].append(missed)
    return Missed(**groups, crawl_id=wanted, crawls=[c.id for c in read])


def _drop_captured(coll: Collection, found: dict[str, tuple[str, MissedURL]],
                   crawls: list[_Crawl], *, all_files: bool) -> None:
    """Take off ``found`` every URL the index holds a good capture of (status below 400)
    in a WARC written by one of ``crawls`` (any WARC with ``all_files``)."""
    if not found:
        return
    files = frozenset().union(*(c.warcs for c in crawls)) if crawls else frozenset()
    any_file = all_files or not any(c.warcs for c in crawls)
    try:
        index = read_entries(coll.index_path)
    except FileNotFoundError:
        return
    for entry in index:
        if entry.url is None or entry.url not in found:
            continue
        if not entry.status or not entry.status.isdigit() or int(entry.status) >= 400:
            continue
        if any_file or entry.filename in files:
            del found[entry.url]

"""The quality report's data: what a collection holds, what a crawl got and missed, what
changed, when its files were last verified, and its articles (``preserve report``).

``build_report`` gathers everything in streaming passes over what the stages wrote: the
crawl registry (``state/``), the CDXJ index (one pass, for the chosen crawl's statuses,
media types and bytes per host), the crawl logs (through access/missed.py), ``preserve
diff``'s comparison with the crawl before, ``preserve audit``'s reading of the event log,
and ``normalised/articles.jsonl`` (a line at a time, keeping only the fields listed).
Memory grows with the hosts, the missed URLs, the changed pages and the articles (a short
row each), never with the bytes of the WARCs (docs/benchmarks.md, Report).
``report_html.py`` renders the result; ``to_dict`` is ``--json``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .. import __version__
from ..collection import Collection
from ..diff import diff_crawls
from ..errors import ConfigError, PreserveError
from ..safeopen import Refused, check_in, open_in
from ..store.cdxj import FilenameOutside, entries
from ..store.inventory import lock_holder, shown_status
from ..store.state import CrawlRecord, CrawlRegistry, StateDB, reading
from ..verify.audit import audit_collection, time_key
from ..web.media import is_page
from .links import default_replay_base, replay_url
from .missed import Missed, find_missed

__all__ = ["SCHEMA", "CrawlRow", "Captures", "HostRow", "Changes", "Fixity", "FixityRow",
           "ArticleRow", "Report", "build_report"]

SCHEMA = "preserve-report/1"
# Media types and hosts beyond these are summed into one "other" row.
TOP_MIMES = 12
TOP_HOSTS = 25


@dataclass(frozen=True)
class CrawlRow:
    """One numbered crawl, as its saved summary has it."""

    id: str
    status: str
    started: str
    finished: str | None
    pages: int  # page captures (web.media.is_page), revisits of pages included
    captured: int  # every response or revisit record
    revisits: int
    failures: int
    bytes: int  # downloaded
    warc_bytes: int  # the closed WARC files it wrote, on disk
    final: bool
    label: str | None
    kind: str = "crawl"  # or "patch": a crawl of what earlier ones missed (preserve patch)


@dataclass(frozen=True)
class HostRow:
    host: str
    records: int
    bytes: int  # the records' length in the WARCs (compressed)


@dataclass
class Captures:
    """What the index holds for the chosen crawl (or the whole collection)."""

    records: int = 0
    pages: int = 0  # page captures (web.media.is_page), revisits of pages included
    revisits: int = 0
    bytes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)  # "200" -> records
    mimes: dict[str, int] = field(default_factory=dict)  # media type -> records
    hosts: list[HostRow] = field(default_factory=list)  # the largest first
    other_hosts: HostRow | None = None  # the rest, summed, past TOP_HOSTS


@dataclass(frozen=True)
class Changes:
    """``preserve diff`` from the crawl before to this one, or why there is none."""

    before: str | None
    after: str | None
    counts: dict[str, int]
    pages: list[dict[str, Any]]  # PageChange.to_dict(), unchanged pages left out
    note: str = ""  # why there is no comparison


@dataclass(frozen=True)
class FixityRow:
    path: str
    status: str  # ok, failed, never, overdue, gone (verify/audit.py)
    last_check: str | None
    detail: str


@dataclass(frozen=True)
class Fixity:
    counts: dict[str, int]
    last_check: str | None  # the latest check of any file
    files: list[FixityRow]
    note: str = ""  # why nothing is known


@dataclass(frozen=True)
class ArticleRow:
    title: str
    url: str
    published: str | None
    authors: list[str]
    site_name: str | None
    timestamp: str  # 14 digits: the capture's time
    replay: str  # its replay URL (access/links.py)


@dataclass
class Report:
    generated: str
    path: str
    name: str
    description: dict[str, str]
    seeds: list[str]
    crawl: str | None  # the crawl the report is about; None: the whole collection
    crawls: list[CrawlRow]
    collection_pages: int  # lines of pages/pages.jsonl
    captures: Captures
    missed: Missed | None  # access/missed.py's lists for the crawl
    changes: Changes
    fixity: Fixity
    articles: list[ArticleRow] | None  # None: not normalised
    other_pages: int = 0  # normalised pages that are not articles (listings, static pages)
    replay_base: str = ""
    version: str = __version__
    notes: list[str] = field(default_factory=list)  # what could not be read, and why

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` data: every field, and every list whole."""
        data = asdict(replace(self, missed=None))  # Missed has its own to_dict
        data["missed"] = None if self.missed is None else self.missed.to_dict()
        data["schema"] = SCHEMA
        return data


# The passes of build_report, in order, as on_step names them.
STEPS = ("crawls", "changes", "index", "fixity", "articles", "missed")


def build_report(coll: Collection, *, crawl_id: str | None = None,
                 replay_base: str | None = None, now: datetime | None = None,
                 on_step: Callable[[int, int, str], None] | None = None) -> Report:
    """The report of ``coll`` about crawl ``crawl_id`` (default: the last crawl, finished
    ones first). ConfigError if there is no such crawl. ``on_step(done, total, name)`` is
    called as each pass (``STEPS``) begins, and once with ``done == total`` at the end."""
    step = iter(range(len(STEPS) + 1))

    def begin(name: str) -> None:
        if on_step is not None:
            on_step(next(step), len(STEPS), name)

    now = now or datetime.now(UTC)
    base = replay_base or default_replay_base()
    config = coll.load_config()
    _check_index(coll)
    begin("crawls")
    crawls, files = _crawls(coll)
    chosen = _choose(crawls, crawl_id)
    notes: list[str] = []
    wanted = None if chosen is None else files.get(chosen, set())
    # The passes that hold much while they run and keep little come first (the diff
    # holds both crawls' captures and keeps the pages that changed), those whose result
    # is large (articles, missed URLs) last: the peak is one pass, not their sum.
    begin("changes")
    changes = _changes(coll, chosen, crawls)
    begin("index")
    captures = _captures(coll, wanted, notes)
    begin("fixity")
    fixity = _fixity(coll, now)
    begin("articles")
    articles, others = _articles(coll, base)
    begin("missed")
    missed = _missed(coll, chosen)
    pages = max(0, _lines(coll, coll.PAGES_REL) - 1)
    begin("")
    return Report(
        generated=_iso(now), path=str(coll.root), name=coll.name,
        description=dict(config.description.items()), seeds=list(config.crawl.seeds),
        crawl=chosen, crawls=crawls, collection_pages=pages,
        captures=captures, missed=missed, changes=changes, fixity=fixity,
        articles=articles, other_pages=others, replay_base=base, notes=notes)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _crawls(coll: Collection) -> tuple[list[CrawlRow], dict[str, set[str]]]:
    """Every crawl, oldest first, and the WARC files each wrote."""
    if not coll.state_db.exists():
        return [], {}
    sizes = {p.name: p.stat().st_size for p in coll.closed_warcs()}
    rows, files = [], {}
    holder = lock_holder(coll)
    db = StateDB(coll.state_db)
    try:
        with reading(coll.state_db):
            registry = CrawlRegistry(db)
            for c in registry.all():
                names = registry.warc_names(c.id)
                files[c.id] = set(names)
                rows.append(_row(c, shown_status(c, holder),
                                 sum(sizes.get(n, 0) for n in names)))
    finally:
        db.close()
    return rows, files


def _row(c: CrawlRecord, status: str, warc_bytes: int) -> CrawlRow:
    s = c.summary or {}

    def n(key: str) -> int:
        value = s.get(key, 0)
        return value if isinstance(value, int) else 0

    return CrawlRow(c.id, status, c.started, c.finished, n("page_captures"), n("captured"),
                    n("revisits"), n("failures"), n("bytes"), warc_bytes, c.final, c.label,
                    c.kind)


def _choose(crawls: list[CrawlRow], crawl_id: str | None) -> str | None:
    ids = [c.id for c in crawls]
    if crawl_id is not None:
        if crawl_id not in ids:
            known = ", ".join(ids) or "none"
            raise ConfigError(f"no crawl {crawl_id!r} in this collection (crawls: {known}); "
                              "see `preserve crawls`")
        return crawl_id
    # The last finished crawl of the site; a patch crawl (a few URLs another crawl
    # missed) is reported through that crawl's missed list, not on its own.
    full = [c for c in crawls if c.kind != "patch"] or crawls
    done = [c.id for c in full if c.finished is not None] or [c.id for c in full]
    return done[-1] if done else None


def _check_index(coll: Collection) -> None:
    """ConfigError if the index is a symbolic link, a FIFO or a device: the diff and the
    missed list read it too, and none of them may block on a FIFO or leave the
    collection."""
    try:
        check_in(coll.root, coll.INDEX_REL)
    except FileNotFoundError:
        pass
    except Refused as e:
        raise ConfigError(f"{coll.INDEX_REL} is {e.what}; it is not read: remove it and "
                          "run `preserve index` to rebuild it") from e
    except OSError as e:
        raise ConfigError(f"cannot read {coll.INDEX_REL} ({e.strerror})") from e


def _read_lines(coll: Collection, rel: str) -> Iterator[bytes]:
    """The lines of the collection's file at ``rel``, read as they come; nothing for a
    missing one. Opened through preserve.safeopen: never a symbolic link, a FIFO or a
    device put in its place (ConfigError naming it)."""
    try:
        f = open_in(coll.root, rel)
    except FileNotFoundError:
        return
    except Refused as e:
        raise ConfigError(f"{rel} is {e.what}; it is not read: replace it with the file "
                          "(`preserve index` rebuilds the index and pages list)") from e
    except OSError as e:
        raise ConfigError(f"cannot read {rel} ({e.strerror})") from e
    with f:
        yield from f


def _lines(coll: Collection, rel: str) -> int:
    return sum(1 for _ in _read_lines(coll, rel))


def _captures(coll: Collection, wanted: set[str] | None, notes: list[str]) -> Captures:
    """One pass over the index: the records of the WARC files in ``wanted`` (all: None).

    A revisit is counted as what it revisits: its media type is its original's (the
    first record of any crawl with its payload digest), so a recrawl that stored only
    revisits still shows the HTML pages and images it captured."""
    out = Captures()
    statuses: Counter[str] = Counter()
    mimes: Counter[str] = Counter()
    hosts: dict[str, list[int]] = {}
    originals: dict[str, str] = {}  # payload digest -> media type
    revisits: list[tuple[str, int, str]] = []  # (url, status, digest)
    if not coll.index_path.exists():
        notes.append(f"{coll.INDEX_REL} is missing: run `preserve index` to rebuild it")
    outside, first, why = 0, 0, ""  # lines naming no file of warcs/: how many, the first

    def skipped(lineno: int, e: ValueError) -> None:
        # A damaged line is skipped (`preserve verify` reports it); one that names a
        # file outside warcs/ is noted too.
        nonlocal outside, first, why
        if isinstance(e, FilenameOutside):
            outside += 1
            if outside == 1:
                first, why = lineno, str(e)

    for entry in entries(_read_lines(coll, coll.INDEX_REL), skipped=skipped):
        if entry.url is None:
            continue
        mime = entry.mime or "-"
        if mime != "warc/revisit" and entry.digest:
            originals.setdefault(entry.digest, mime)
        if wanted is not None and entry.filename not in wanted:
            continue
        out.records += 1
        out.bytes += entry.length
        statuses[entry.status or "-"] += 1
        status = int(entry.status) if entry.status and entry.status.isdigit() else 0
        if mime == "warc/revisit":
            out.revisits += 1
            revisits.append((entry.url, status, entry.digest or ""))
        else:
            mimes[mime] += 1
            out.pages += is_page(entry.url, status, mime)
        host = (urlsplit(entry.url).netloc or "-").lower()
        tally = hosts.setdefault(host, [0, 0])
        tally[0] += 1
        tally[1] += entry.length
    if outside:
        more = f" (and {outside - 1} more)" if outside > 1 else ""
        notes.append(f"{coll.INDEX_REL} line {first}{more}: {why}; not counted (`preserve "
                     "verify` reports the index, `preserve index` rebuilds it)")
    for url, status, digest in revisits:
        mime = originals.get(digest, "warc/revisit")
        mimes[mime] += 1
        out.pages += is_page(url, status, mime)
    out.statuses = dict(sorted(statuses.items()))
    top = mimes.most_common(TOP_MIMES)
    out.mimes = dict(top)
    rest = sum(mimes.values()) - sum(n for _, n in top)
    if rest:
        out.mimes["other"] = rest
    ranked = sorted(hosts.items(), key=lambda kv: (-kv[1][1], kv[0]))
    out.hosts = [HostRow(h, n, b) for h, (n, b) in ranked[:TOP_HOSTS]]
    if len(ranked) > TOP_HOSTS:
        rest_hosts = ranked[TOP_HOSTS:]
        out.other_hosts = HostRow(f"{len(rest_hosts)} other hosts",
                                  sum(t[0] for _, t in rest_hosts),
                                  sum(t[1] for _, t in rest_hosts))
    return out


def _missed(coll: Collection, crawl: str | None) -> Missed | None:
    """access/missed.py's lists for the crawl (what a later crawl captured is off them);
    None before any crawl."""
    if crawl is None:
        return None
    return find_missed(coll, crawl_id=crawl)


def _changes(coll: Collection, crawl: str | None, crawls: list[CrawlRow]) -> Changes:
    empty = {k: 0 for k in ("new", "changed", "unchanged", "gone", "moved", "unlinked")}
    if crawl is None:
        return Changes(None, None, empty, [], "no crawl yet")
    if any(c.id == crawl and c.kind == "patch" for c in crawls):
        return Changes(None, crawl, empty, [], "a patch crawl fetches what another crawl "
                       "missed: it is not compared with the crawl before")
    earlier = [c.id for c in crawls if c.id < crawl and c.kind != "patch"]
    if not earlier:
        return Changes(None, crawl, empty, [], "the first crawl: nothing to compare it with")
    try:
        found = diff_crawls(coll, earlier[-1], crawl)
    except PreserveError as e:
        return Changes(earlier[-1], crawl, empty, [], str(e))
    return Changes(found.before, found.after, found.counts(),
                   [c.to_dict() for c in found.changes if c.change != "unchanged"])


def _fixity(coll: Collection, now: datetime) -> Fixity:
    try:
        entries = audit_collection(coll, now=now)
    except PreserveError as e:  # an event log that is a link or a FIFO: said, not fatal
        return Fixity({}, None, [], str(e))
    counts = Counter(e.status for e in entries)
    checks = [e.last_check for e in entries if e.last_check]
    return Fixity(dict(sorted(counts.items())), max(checks, key=time_key) if checks else None,
                  [FixityRow(e.path, e.status, e.last_check, e.detail) for e in entries])


def _normalised(coll: Collection) -> Iterator[dict[str, Any]]:
    for raw in _read_lines(coll, coll.ARTICLES_REL):
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            continue  # a damaged line; `preserve verify` reports it
        if isinstance(obj, dict) and isinstance(obj.get("url"), str):
            yield obj


def _capture_key(capture_time: Any) -> str:
    """The capture time's digits padded to microseconds (20 digits), "" without any: two
    captures in the same second (a recrawl started straight after the first crawl) still
    order by time, which the 14 digits of a replay URL cannot do."""
    digits = "".join(ch for ch in str(capture_time or "") if ch.isdigit())
    return digits[:20].ljust(20, "0") if digits else ""


def _articles(coll: Collection, base: str) -> tuple[list[ArticleRow] | None, int]:
    """The articles of ``normalised/articles.jsonl``, the latest capture of each URL,
    newest published first (None when the collection has not been normalised), and how
    many other pages (listings, static pages) it holds."""
    if not coll.articles_path.exists():
        return None, 0
    latest: dict[str, tuple[str, ArticleRow]] = {}  # URL: its capture key, its row
    others: set[str] = set()
    for obj in _normalised(coll):
        if obj.get("page_type") != "article":
            others.add(obj["url"])
            continue
        prov = obj.get("provenance") if isinstance(obj.get("provenance"), dict) else {}
        key = _capture_key(prov.get("capture_time") if prov else None)
        url = obj["url"]
        if not key or (url in latest and latest[url][0] >= key):
            continue
        ts = key[:14]
        authors = obj.get("authors")
        latest[url] = key, ArticleRow(
            title=_text(obj.get("title")) or url, url=url,
            published=_text(obj.get("published")) or None,
            authors=[a for a in authors if isinstance(a, str)] if isinstance(authors, list)
            else [],
            site_name=_text(obj.get("site_name")) or None, timestamp=ts,
            replay=replay_url(base, ts, url))
    rows = sorted((row for _key, row in latest.values()), key=lambda a: (a.title.casefold(), a.url))
    rows.sort(key=lambda a: a.published or "", reverse=True)
    return rows, len(others - set(latest))


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""

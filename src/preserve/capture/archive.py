"""``preserve import-archive``: a crawl of kind "import" whose exchanges come from a web
archive instead of the live site.

``ArchiveImporter`` is a ``Crawler`` (the lock, the crawl state, recovery, the WARC
writer with the collection's dedup, the crawl log, the indexes, the events) whose loop
lists the captures of a URL or prefix in a remote archive (capture/archive_cdx.py),
queues one frontier item per memento, fetches each raw and writes it back as the site
sent it (capture/archive_record.py): a response (or a revisit of a payload the collection
holds) dated by Memento-Datetime, marked with WARC-Source-URI and WARC-Creation-Date, and
a metadata record with the archive's raw headers and the listing's line. No request
record is invented. Interrupted, it resumes with the same command: the queue is in the
crawl state. See docs/import.md.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ..collection import Collection
from ..config import CollectionConfig
from ..errors import CollectionError
from ..store.cdxj import read_entries
from ..store.crawlstate import CrawlRecord, CrawlState, FrontierItem
from ..store.events import EventLog
from ..store.records import warc_date
from ..web.urls import host_key
from .archive_cdx import (
    ArchiveError,
    ArchiveHttp,
    ArchiveResponse,
    Capture,
    ListingProblem,
    list_captures,
)
from .archive_record import memento_datetime, payload_digest_matches, rebuild, to_exchange
from .crawler import Crawler
from .engine import CrawlContext
from .session import config_to_dict
from .summary import CrawlSummary, Progress

__all__ = ["ImportOptions", "ArchiveImporter", "MATCH_TYPES", "import_archive"]

MATCH_TYPES = ("exact", "prefix", "host", "domain")
_ARCHIVE_REDIRECTS = 3  # the archive's own redirects to the nearest capture, followed


@dataclass(frozen=True)
class ImportOptions:
    """What to import and how politely. ``archive`` is the archive's base: for a Wayback
    server its root (``https://web.archive.org``), for pywb a collection's URL
    (``http://host:port/COLL``). Rates are requests per minute."""

    url: str
    archive: str = "https://web.archive.org"
    match: str = "exact"
    since: str | None = None  # YYYY[MMDD[hhmmss]]
    until: str | None = None
    latest: bool = True  # only the latest capture of each URL (else every capture)
    rate: float = 600.0  # playback requests per minute
    listing_rate: float = 30.0  # CDX / TimeMap requests per minute
    pause_429: float = 60.0  # seconds to wait when the archive answers 429


def _in_range(stamp: str, since: str | None, until: str | None) -> bool:
    if since and stamp[:len(since)] < since:
        return False
    return not (until and stamp[:len(until)] > until)


def select(captures: Iterable[Capture], options: ImportOptions) -> list[Capture]:
    """The captures to import: within --from/--to, and the latest of each URL unless
    every capture is asked for; in listing order."""
    chosen: dict[tuple[str, str], Capture] = {}
    for c in captures:
        if not _in_range(c.timestamp, options.since, options.until):
            continue
        key = (c.original, "" if options.latest else c.timestamp)
        if key not in chosen or c.timestamp >= chosen[key].timestamp:
            chosen[key] = c
    return list(chosen.values())


class ArchiveImporter(Crawler):
    """Runs (or resumes) one import of a collection from a remote archive."""

    def __init__(
        self,
        collection: Collection,
        config: CollectionConfig,
        options: ImportOptions,
        *,
        http: ArchiveHttp | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        on_progress: Callable[[Progress], None] | None = None,
        on_start: Callable[[str, bool], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        super().__init__(collection, config, clock=clock, monotonic=monotonic,
                         on_progress=on_progress, on_start=on_start, stop=stop)
        self.kind = "import"
        self.options = options
        self.http = http or ArchiveHttp(listing_rate=options.listing_rate,
                                        playback_rate=options.rate,
                                        pause_429=options.pause_429,
                                        user_agent=config.crawl.user_agent)
        self.listing = ""  # which listing the archive answered

    def _other_kind(self, current: CrawlRecord) -> CollectionError:
        root = self.coll.root
        return CollectionError(f"crawl {current.id} is an unfinished {current.kind}; finish "
                               f"it (`preserve {current.kind} {root}`) before an import", root)

    def _begin(self, state: CrawlState, events: EventLog) -> CrawlRecord:
        config = config_to_dict(self.cfg) | {"import": asdict(self.options)}
        crawl = state.start(self.clock().isoformat(), config, kind=self.kind)
        o = self.options
        events.append("crawl started", crawl=crawl.id, obj=self.coll.name,
                      detail=f"import of {o.url} ({o.match}) from the archive {o.archive}",
                      data={"seeds": [o.url], "scope": o.match, "robots": "ignore",
                            "final": False, "label": None, "kind": self.kind,
                            "archive": o.archive})
        return crawl

    def _warcinfo(self, crawl: CrawlRecord) -> list[tuple[str, str]]:
        o = self.options
        fields = [(k, v) for k, v in super()._warcinfo(crawl)
                  if k not in ("robots", "tls-verify", "http-header-user-agent")]
        return fields + [("source-archive", o.archive), ("import-url", o.url),
                         ("import-match", o.match),
                         ("description", "responses reconstructed from the archive's raw "
                                         "(id_) mementos; no request was recorded")]

    def _work(self, ctx: CrawlContext, summary: CrawlSummary, t0: float) -> None:
        _ImportRun(self, ctx, summary).run(t0)


class _ImportRun:
    """One run of the import loop: list, queue, then fetch and store each memento."""

    def __init__(self, importer: ArchiveImporter, ctx: CrawlContext,
                 summary: CrawlSummary) -> None:
        self.imp = importer
        self.ctx = ctx
        self.summary = summary
        self.options = importer.options
        self.http = importer.http
        self.playback = ""

    def _now(self) -> str:
        return self.ctx.clock().astimezone(UTC).isoformat().replace("+00:00", "Z")

    def run(self, t0: float) -> None:
        self._queue()
        frontier, ctx = self.ctx.frontier, self.ctx
        while True:
            if ctx.stop_requested():
                self.summary.status = "interrupted"
                self.summary.stop_reason = "interrupted"
                return
            items = frontier.claim(lambda host: True, 1, ctx.clock().timestamp())
            if not items:
                break
            self._one(items[0])
            if ctx.on_progress is not None:
                ctx.on_progress(Progress(self.summary.crawl, self.summary.captured,
                                         frontier.pending(), 0, self.summary.bytes,
                                         self.summary.failures, self.imp.monotonic() - t0,
                                         items[0].url))
        self.summary.status = "finished"
        self.summary.stop_reason = "finished"

    # -- listing ----------------------------------------------------------------

    def _queue(self) -> None:
        o = self.options
        problems: list[ListingProblem] = []
        listed: list[Capture] = []
        try:
            self.imp.listing, captures = list_captures(self.http, o.archive, o.url, o.match,
                                                       o.since, o.until, problems)
            listed.extend(captures)  # a page that fails keeps the pages before it
        except ArchiveError as e:
            self._problem(e.url, f"cannot list the captures of {o.url}: {e}")
        finally:
            for p in problems:
                self._problem(p.source, f"skipped a listing line ({p.reason}): {p.line[:200]}")
        chosen = select(listed, o)
        held = _held(self.imp.coll)
        items = [FrontierItem(c.memento, host_key(c.memento), "", json.dumps(c.to_dict()))
                 for c in chosen if (c.original, c.timestamp) not in held]
        with self.ctx.state.transaction():
            self.ctx.frontier.add(items)

    def _problem(self, url: str, message: str) -> None:
        """Something of the archive's listing that was skipped: a failed line in the crawl
        log (so the import ends with exit status 1) and an ``archive problem`` event."""
        entry = {"time": self._now(), "url": url, "outcome": "failed", "error": message}
        self.summary.count(entry)
        self.ctx.log.write(**entry)
        self.ctx.events.append("archive problem", outcome="warning", obj=url,
                               crawl=self.summary.crawl, detail=message)

    # -- one memento ------------------------------------------------------------

    def _one(self, item: FrontierItem) -> None:
        capture = Capture.from_dict(json.loads(item.via or "{}"))
        try:
            response, when = self._fetch(capture)
        except ArchiveError as e:
            self._failed(item, capture, str(e))
            return
        if when is None:
            where = response.header("Location")
            self._failed(item, capture, f"the archive answered {response.status} without "
                         "Memento-Datetime (not a capture)"
                         + (f", pointing to {where}" if where else ""))
            return
        self._store(item, capture, response, when)

    def _fetch(self, capture: Capture) -> tuple[ArchiveResponse, datetime | None]:
        """The archive's answer for a capture, following the archive's own redirects to the
        nearest capture of the same URL (answers without Memento-Datetime)."""
        url = capture.memento
        for _ in range(_ARCHIVE_REDIRECTS + 1):
            response = self.http.get(url, "playback")
            when = memento_datetime(response)
            if when is not None or not 300 <= response.status < 400:
                return response, when
            target = _nearest(response, capture)
            if target is None:
                return response, None
            url = target
        return response, None

    def _failed(self, item: FrontierItem, capture: Capture, message: str) -> None:
        entry = {"time": self._now(), "url": capture.original or item.url, "via": item.url,
                 "outcome": "failed", "error": message}
        with self.ctx.state.transaction():
            self.ctx.frontier.complete(item, "failed")
            self.summary.count(entry)
            self.ctx.log.write(**entry)

    def _store(self, item: FrontierItem, capture: Capture, response: ArchiveResponse,
               when: datetime) -> None:
        playback = response.url.split(f"/{capture.timestamp}id_/", 1)[0]
        rebuilt = rebuild(response, playback)
        ex = to_exchange(capture, response, rebuilt, when)
        check = payload_digest_matches(response.body, capture.digest)
        writer = self.ctx.writer
        try:
            with self.ctx.state.transaction():
                mark = writer.begin()
                try:
                    record = writer.write_response(ex, [
                        ("WARC-Source-URI", response.url),
                        ("WARC-Creation-Date", warc_date(self.ctx.clock()))])
                    fields = [("source-archive", self.options.archive),
                              ("source-uri", response.url),
                              ("listing", self.imp.listing),
                              ("cdx", capture.line),
                              ("payload-digest-check", {True: "match", False: "mismatch",
                                                        None: "none"}[check]),
                              ("archive-status", f"{response.status} {response.reason}")]
                    fields += [("archive-header", f"{k}: {v}") for k, v in response.headers]
                    if rebuilt.location_from is not None:
                        fields.append(("location-rewritten", rebuilt.location_from))
                    writer.write_metadata(capture.original, record.record_id, when,
                                          [(k, v) for k, v in fields if v])
                except BaseException:
                    writer.rollback(mark)
                    raise
                self.ctx.frontier.complete(item, "done")
                path = writer.current_path
                if path is not None:
                    self.ctx.state.checkpoint(self.summary.crawl,
                                              path.name.removesuffix(".open"),
                                              writer.current_offset)
                entry = {
                    "time": self._now(), "url": capture.original, "status": ex.status,
                    "bytes": ex.response.length, "mime": ex.mime, "via": response.url,
                    "outcome": "revisit" if record.record_type == "revisit" else "captured",
                    "warc": record.filename, "offset": record.offset,
                    "error": "the payload differs from the archive's CDX digest "
                             f"{capture.digest}" if check is False else None,
                }
                self.summary.count(entry)
                self.ctx.log.write(**{k: v for k, v in entry.items() if v is not None})
        finally:
            ex.close()
        if check is False:
            self.ctx.events.append(
                "archive problem", outcome="warning", obj=capture.original,
                crawl=self.summary.crawl,
                detail=f"payload digest differs from the archive's CDX digest "
                       f"{capture.digest} (kept as the archive sent it)")


def _held(coll: Collection) -> set[tuple[str, str]]:
    """(URL, 14-digit timestamp) of every capture the collection's index holds: a capture
    an earlier import (or crawl) stored already is not imported again."""
    held: set[tuple[str, str]] = set()
    try:
        entries = read_entries(coll.index_path)
    except FileNotFoundError:
        return held
    for entry in entries:
        if entry.url:
            held.add((entry.url, entry.timestamp))
    return held


def _nearest(response: ArchiveResponse, capture: Capture) -> str | None:
    """Where an archive's redirect (not a capture) points, if to a raw memento of the same
    URL; None otherwise."""
    location = response.header("Location")
    if not location:
        return None
    parts = urlsplit(response.url)
    if location.startswith("/"):
        location = f"{parts.scheme}://{parts.netloc}{location}"
    head, sep, original = location.partition("id_/")
    if not sep or original.rstrip("/") != capture.original.rstrip("/"):
        return None
    return head + sep + original


def import_archive(
    coll: Collection,
    options: ImportOptions,
    *,
    http: ArchiveHttp | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_progress: Callable[[Progress], None] | None = None,
    on_start: Callable[[str, bool], None] | None = None,
    stop: threading.Event | None = None,
) -> tuple[CrawlSummary, str]:
    """Import into ``coll`` (or finish the unfinished import); (summary, which listing the
    archive answered, "" if none did). Library code: never prints."""
    importer = ArchiveImporter(coll, coll.load_config(), options, http=http, clock=clock,
                               on_progress=on_progress, on_start=on_start, stop=stop)
    summary = importer.run()
    return summary, importer.listing

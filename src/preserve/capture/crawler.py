"""A crawl of a collection, from lock to summary: recover -> start -> loop -> finish.

``Crawler.run()`` locks the collection and opens its crawl state (store/crawlstate.py;
SQLite unless another backend is given), repairs what a crash left (store/recovery.py),
starts or resumes the crawl, runs the loop (capture/engine.py), then closes the WARC,
rebuilds the indexes (from the index lines appended as each WARC was written, without
reading the WARCs again) and records the summary as an event. With a ``PatchPlan`` the
crawl is a patch crawl (kind "patch"): it asks again for what earlier crawls missed
(access/patch.py builds the plan) instead of crawling from the seeds.
See docs/architecture.md for the numbered data flow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..collection import Collection
from ..config import CollectionConfig
from ..errors import CollectionError, StorageError
from ..store.crawllog import CrawlLog, captured_pages, earlier_log
from ..store.crawlstate import CrawlRecord, CrawlState, CrawlStateFactory, FrontierItem
from ..store.crawlstate_redis import RedisCrawlState, open_redis_state
from ..store.crawlstate_sqlite import open_sqlite_state, record_crawl
from ..store.events import EventLog
from ..store.fixity import FixityManifest
from ..store.indexer import build_indexes
from ..store.recovery import cut_crawl_log, recover
from ..store.warc import ClosedWarc, WarcWriter, worker_id
from ..units import plural
from .addresses import AddressPolicy
from .engine import CrawlContext, CrawlRun
from .fetcher import Fetcher, FetchLimits, HttpFetcher
from .profiles import check_profile_settings
from .robots import RobotsGate
from .session import config_to_dict
from .summary import CrawlSummary, Progress
from .tls import TlsPolicy

__all__ = ["Crawler", "CrawlSummary", "Progress", "PatchPlan"]


@dataclass(frozen=True)
class PatchPlan:
    """What a patch crawl asks for again: each URL with the hop path and referrer it had
    when it was missed, the URLs earlier crawls' seeds redirected to (their hosts stay in
    scope, as they did for those crawls), and the URLs the collection holds a good
    capture of (a requisite among them is not fetched again)."""

    items: tuple[FrontierItem, ...]
    scope_seeds: tuple[str, ...] = ()
    held: frozenset[str] = frozenset()


class _CheckpointedLog(CrawlLog):
    """The crawl log, kept in step with the crawl state as WARCs are: the end of each line
    is saved in the state transaction that commits what the line records (a capture, an
    exclusion; a transaction of its own otherwise), so recovery cuts the lines of work
    that never committed and a resumed crawl's summary, rebuilt from the log, is exact."""

    def __init__(self, path: Path, state: CrawlState, crawl_id: str) -> None:
        super().__init__(path)
        self._state = state
        self._crawl = crawl_id

    def _lines(self, lines: list[bytes]) -> None:
        # Lines held over a turn of the loop (CrawlLog.held) are written at once, inside
        # the transaction that commits what they record, with one checkpoint.
        with self._state.transaction():
            try:
                self._append(lines)
            except OSError as e:
                raise StorageError(f"cannot write the crawl log ({e.strerror})",
                                   self.path) from e
            self._state.log_checkpoint(self._crawl, self.size)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # a line that failed is reported already
            super().close()


class _ClosedFiles:
    """What is done as each WARC file closes: its fixity line, its state, its event."""

    def __init__(self, manifest: FixityManifest, state: CrawlState, events: EventLog) -> None:
        self.manifest = manifest
        self.state = state
        self.events = events
        self.crawl: str | None = None  # the crawl's id, once it is known (or started)
        self.names: list[str] = []  # closed by this run

    def add(self, path: Path, sha256: str, records: int | None = None) -> None:
        rel = Collection.warc_rel(path.name)
        self.manifest.add(rel, sha256)
        self.names.append(path.name)
        self.events.append("file closed", obj=rel, crawl=self.crawl,
                           detail="WARC file closed and its digest recorded",
                           data={"sha256": sha256, "size": path.stat().st_size,
                                 "records": records})
        self.state.mark_closed(path.name)  # last: the state may be what is full

    def closed(self, c: ClosedWarc) -> None:
        self.add(c.path, c.sha256, c.records)


class Crawler:
    """Runs (or resumes) one crawl of a collection. Library code: never prints.

    ``crawl_state`` opens the collection's crawl state (SQLite by default).
    """

    def __init__(
        self,
        collection: Collection,
        config: CollectionConfig,
        *,
        fetcher: Fetcher | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        on_progress: Callable[[Progress], None] | None = None,
        on_start: Callable[[str, bool], None] | None = None,
        final: bool = False,
        label: str | None = None,
        stop: threading.Event | None = None,
        crawl_state: CrawlStateFactory | None = None,
        patch: PatchPlan | None = None,
    ) -> None:
        check_profile_settings(config.crawl)  # before anything is locked or started
        self.coll = collection
        self.config = config
        self.cfg = config.crawl
        self.clock = clock
        self.monotonic = monotonic
        self.on_progress = on_progress
        self.on_start = on_start  # (crawl id, resumed?) once the collection is locked
        self.final = final  # the final capture of the site (before it closes)
        self.label = label
        self._mark: tuple[bool, str | None] = (final, label)
        self._fetcher = fetcher
        self._stop = stop if stop is not None else threading.Event()  # set: stop gracefully
        # A worker of a distributed crawl: its WARC names carry its id (docs/distributed.md).
        self.worker = (config.crawl.worker_id or worker_id()) if config.crawl.frontier else ""
        if crawl_state is None and config.crawl.frontier:
            crawl_state = open_redis_state(config.crawl.frontier, worker=self.worker,
                                           lease=config.crawl.lease, delay=config.crawl.delay)
        self._open_state = crawl_state or open_sqlite_state
        self.patch = patch
        self.kind = "crawl" if patch is None else "patch"

    def stop(self) -> None:
        """Ask the crawl to stop gracefully; safe to call from a signal handler."""
        self._stop.set()

    def run(self) -> CrawlSummary:
        with self.coll.lock():
            state = self._open_state(self.coll)
            try:
                return self._run(state)
            finally:
                state.close()

    def _run(self, state: CrawlState) -> CrawlSummary:
        events = EventLog(self.coll.events_path, self.clock)
        closed = _ClosedFiles(FixityManifest(self.coll.manifest_path), state, events)
        current = state.unfinished()
        if current is not None and current.kind != self.kind:
            raise self._other_kind(current)
        repaired, log_cut = self._recover(state, closed, current)
        crawl = self._start(state, events, current, repaired, log_cut)
        closed.crawl = crawl.id
        self._record(state, dataclasses.replace(crawl, summary=None))  # not yet its own
        summary = self._loop(state, events, closed, crawl, resumed=current is not None)
        summary = self._finish(state, events, summary)
        finished = self.clock().isoformat() if summary.finished else None
        self._record(state, dataclasses.replace(
            crawl, finished=finished, status=summary.status,
            summary={**summary.to_dict(), "worker": self.worker},
            final=summary.final, label=summary.label))
        return summary

    def _record(self, state: CrawlState, crawl: CrawlRecord) -> None:
        """A worker of a distributed crawl keeps the crawl in its collection's own registry
        too, so the read-side commands work on the collection without Redis."""
        if isinstance(state, RedisCrawlState):
            record_crawl(self.coll, crawl, state)

    def _other_kind(self, current: CrawlRecord) -> CollectionError:
        """A patch cannot resume a crawl, nor a crawl a patch: each finishes its own."""
        root = self.coll.root
        if current.kind == "patch":
            return CollectionError(f"crawl {current.id} is an unfinished patch crawl; run "
                                   f"`preserve patch {root}` to finish it first", root)
        if current.kind == "import":  # capture/archive.py
            return CollectionError(f"crawl {current.id} is an unfinished import; run the "
                                   f"same `preserve import-archive {root}` to finish it "
                                   "first", root)
        return CollectionError(f"crawl {current.id} is unfinished; run `preserve crawl "
                               f"{root}` to finish it before a patch", root)

    def _log_path(self, crawl_id: str) -> Path:
        return self.coll.crawl_log_path(crawl_id)

    # -- recover ------------------------------------------------------------------

    def _recover(self, state: CrawlState, closed: _ClosedFiles,
                 current: CrawlRecord | None) -> tuple[int, int]:
        """(WARC files cut back, bytes of crawl log cut) to what the state committed."""
        closed.crawl = current.id if current else None
        repaired = recover(self.coll, state, closed.manifest, closed.events, closed.crawl,
                           on_closed=closed.add)
        log_cut = 0 if current is None else cut_crawl_log(
            self._log_path(current.id), state.log_committed(current.id))
        return len(repaired.cut), log_cut

    # -- start --------------------------------------------------------------------

    def _start(self, state: CrawlState, events: EventLog, current: CrawlRecord | None,
               repaired: int, log_cut: int) -> CrawlRecord:
        if current is not None:
            crawl = self._resume(state, events, current, repaired, log_cut)
        else:
            crawl = self._begin(state, events)
        self._mark = (crawl.final, crawl.label)
        if self.on_start is not None:
            self.on_start(crawl.id, current is not None)
        return crawl

    def _resume(self, state: CrawlState, events: EventLog, current: CrawlRecord,
                repaired: int, log_cut: int) -> CrawlRecord:
        if self.final or self.label is not None:
            state.mark(current.id, final=self.final, label=self.label)
            current = dataclasses.replace(current, final=current.final or self.final,
                                          label=self.label or current.label)
        cut = f"; cut {log_cut} bytes of uncommitted crawl-log lines" if log_cut else ""
        events.append("crawl resumed", crawl=current.id, obj=self.coll.name,
                      detail=f"repaired {plural(repaired, 'WARC file')}{cut}",
                      data={"final": current.final, "label": current.label})
        return current

    def _begin(self, state: CrawlState, events: EventLog) -> CrawlRecord:
        cfg = self.cfg
        crawl = state.start(self.clock().isoformat(), config_to_dict(cfg), kind=self.kind)
        if self.patch is not None:
            for url in self.patch.scope_seeds:
                state.add_scope_seed(crawl.id, url)
        if self.final or self.label is not None:
            state.mark(crawl.id, final=self.final, label=self.label)
            crawl = dataclasses.replace(crawl, final=self.final, label=self.label)
        final = "; the final crawl" if self.final else ""
        detail = f"seeds: {' '.join(cfg.seeds)}{final}"
        if self.patch is not None:
            detail = (f"patch crawl of {len(self.patch.items)} URL(s) earlier crawls missed "
                      f"(seeds: {' '.join(cfg.seeds)})")
        events.append("crawl started", crawl=crawl.id, obj=self.coll.name, detail=detail,
                      data={"seeds": list(cfg.seeds), "scope": cfg.scope,
                            "robots": "ignore" if cfg.ignore_robots else "obey",
                            "final": self.final, "label": self.label, "kind": self.kind})
        if cfg.ignore_robots:
            events.append("robots policy", crawl=crawl.id, outcome="warning",
                          detail="robots.txt ignored at the operator's request (--ignore-robots)")
        return crawl

    def _warcinfo(self, crawl: CrawlRecord) -> list[tuple[str, str]]:
        cfg, desc = self.cfg, self.config.description
        fields = [
            ("software", f"preserve/{__version__}"),
            ("format", "WARC File Format 1.1"),
            ("conformsTo",
             "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
            ("operator", cfg.operator),
            ("hostname", socket.gethostname()),
            ("robots", "ignore" if cfg.ignore_robots else "obey"),
            ("tls-verify", cfg.tls_verify),
            ("http-header-user-agent", cfg.user_agent),
            ("isPartOf", desc.title or self.coll.name),
            ("crawl", crawl.id),
        ]
        if crawl.kind != "crawl":
            fields.append(("crawl-kind", crawl.kind))
        if self.worker:
            fields.append(("crawl-worker", self.worker))
        if crawl.final:
            fields.append(("final-crawl", "true"))
        if crawl.label:
            fields.append(("crawl-label", crawl.label))
        fields.extend((f"dc:{k}", v) for k, v in desc.items() if k != "title")
        return fields

    # -- loop ---------------------------------------------------------------------

    def _loop(self, state: CrawlState, events: EventLog, closed: _ClosedFiles,
              crawl: CrawlRecord, *, resumed: bool) -> CrawlSummary:
        summary = self._summary(crawl, resumed)
        ctx = self._context(state, events, closed, crawl)
        t0 = self.monotonic()
        try:
            self._work(ctx, summary, t0)
        except StorageError as e:
            self._storage_failed(e, ctx, closed, summary)
        finally:
            ctx.log.close()
            try:
                ctx.writer.close()
            except OSError as e:
                summary.status = "storage-error"
                summary.stop_reason = f"cannot close the WARC file ({e.strerror})"
        summary.duration += self.monotonic() - t0
        if summary.status == "storage-error":
            summary = self._recount(state, summary, resumed)
        summary.warcs = closed.names
        return summary

    def _work(self, ctx: CrawlContext, summary: CrawlSummary, t0: float) -> None:
        """Fetch and store until done or stopped: the live crawl's loop (an import from a
        web archive, capture/archive.py, has its own). ``_loop`` around it closes the log
        and the WARC and handles a storage error the same way for both."""
        fetcher = self._fetcher or self._http_fetcher()
        try:
            run = CrawlRun(ctx, summary)
            # A resumed crawl seeds again (adding a known URL does nothing): a crawl
            # killed after it was registered but before its seeds were queued would
            # otherwise resume with nothing to fetch and end as "unreachable".
            run.seed()
            run.loop(fetcher, t0)
        finally:
            if self._fetcher is None:
                fetcher.close()

    def _summary(self, crawl: CrawlRecord, resumed: bool) -> CrawlSummary:
        if not resumed:
            return CrawlSummary(crawl.id)
        saved = (crawl.summary or {}).get("duration", 0.0)
        return CrawlSummary.from_log(crawl.id, self._log_path(crawl.id), duration=float(saved))

    def _context(self, state: CrawlState, events: EventLog, closed: _ClosedFiles,
                 crawl: CrawlRecord) -> CrawlContext:
        cfg, coll = self.cfg, self.coll
        writer = WarcWriter(
            coll.warcs, "-".join(filter(None, (coll.name, crawl.id, self.worker))),
            warcinfo=self._warcinfo(crawl),
            max_size=cfg.warc_size, digest=cfg.digest, dedup=state.digests(crawl.id),
            clock=self.clock, on_close=closed.closed, index_lines=coll.index_lines_path,
        )
        previous = earlier_log(coll.crawl_logs(), crawl.id) if cfg.recheck_limit and \
            self.patch is None else None
        return CrawlContext(
            config=cfg, state=state, frontier=state.open_frontier(crawl.id),
            robots=RobotsGate(state.robots(crawl.id), cfg.user_agent, cfg.retries),
            writer=writer, events=events,
            log=_CheckpointedLog(self._log_path(crawl.id), state, crawl.id),
            clock=self.clock, monotonic=self.monotonic,
            stop_requested=self._stop_requested(state, crawl.id),
            wait_stop=self._stop.wait, on_progress=self.on_progress,
            previous_pages=None if previous is None else (lambda: captured_pages(previous[1])),
            patch=None if self.patch is None else self.patch.items,
            held=None if self.patch is None else self.patch.held.__contains__,
        )

    def _stop_requested(self, state: CrawlState, crawl: str) -> Callable[[], bool]:
        """A stop asked of this process, or of every worker (``preserve crawl --stop``)."""
        if not isinstance(state, RedisCrawlState):
            return self._stop.is_set
        return lambda: self._stop.is_set() or state.stop_requested(crawl)

    def _http_fetcher(self) -> HttpFetcher:
        cfg = self.cfg
        return HttpFetcher(
            cfg.user_agent,
            limits=FetchLimits(timeout=cfg.timeout, max_response_size=cfg.max_response_size,
                               max_time=cfg.max_fetch_time),
            policy=AddressPolicy.for_seeds(cfg.seeds),
            tls=TlsPolicy(cfg.tls_verify, cfg.ca_bundle),
            clock=self.clock,
        )

    def _storage_failed(self, e: StorageError, ctx: CrawlContext, closed: _ClosedFiles,
                        summary: CrawlSummary) -> None:
        summary.status = "storage-error"
        summary.stop_reason = str(e)
        # The records of the URL that failed can be in the WARC although the state
        # never committed them (a failed commit): recovery cuts the file back to the
        # last committed record and closes it, so they are not captured twice.
        ctx.writer.abandon()
        ctx.events.append("error", outcome="failure", crawl=summary.crawl, detail=str(e),
                          obj=str(e.path) if e.path else None)
        try:
            recover(self.coll, ctx.state, closed.manifest, ctx.events, summary.crawl,
                    on_closed=closed.add)
        except StorageError:  # RedisUnavailable is one
            # The state cannot be written either (it is what filled the disk, or Redis
            # is gone): the WARC is already closed, listed in the manifest and logged,
            # and the next run finishes the state's side of recovery. The first error
            # is the one to report.
            pass

    def _recount(self, state: CrawlState, summary: CrawlSummary,
                 resumed: bool) -> CrawlSummary:
        """What a storage failure rolled back may be in the log, and counted: cut, recount."""
        log_path = self._log_path(summary.crawl)
        cut_crawl_log(log_path, state.log_committed(summary.crawl))
        return dataclasses.replace(
            CrawlSummary.from_log(summary.crawl, log_path), status=summary.status,
            stop_reason=summary.stop_reason, resumed=resumed, duration=summary.duration)

    # -- finish -------------------------------------------------------------------

    def _finish(self, state: CrawlState, events: EventLog,
                summary: CrawlSummary) -> CrawlSummary:
        coll = self.coll
        index = build_indexes(coll, reuse_lines=True)
        summary.pages = index.pages
        summary.final, summary.label = self._mark
        closed = {p.name: p.stat().st_size for p in coll.closed_warcs()}
        summary.warc_bytes = sum(closed.values())
        summary.crawl_warc_bytes = sum(closed.get(n, 0) for n in state.warc_names(summary.crawl))
        data = summary.to_dict()
        if summary.finished:
            state.finish(summary.crawl, self.clock().isoformat(), summary.status, data)
            events.append("crawl finished", crawl=summary.crawl, obj=coll.name,
                          outcome="success" if not summary.failures else "warning",
                          detail=summary.one_line(), data=data)
        else:
            state.stop(summary.crawl, summary.status, data)
            events.append("crawl stopped", crawl=summary.crawl, obj=coll.name,
                          outcome="failure" if summary.status == "storage-error" else "warning",
                          detail=f"{summary.stop_reason}; run `preserve crawl` again to resume",
                          data=data)
        return summary

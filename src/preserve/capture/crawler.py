"""A crawl of a collection, from lock to summary: recovery, set-up, the loop, the end.

``Crawler.run()`` locks the collection, repairs what a crash left (store/recovery.py),
starts or resumes the crawl in the crawl state, runs the loop (capture/engine.py), then
closes the WARC, rebuilds the indexes and records the summary as an event.
See docs/architecture.md for the numbered data flow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..collection import Collection
from ..config import CollectionConfig
from ..errors import StorageError
from ..store.crawllog import CrawlLog
from ..store.events import EventLog
from ..store.fixity import FixityManifest
from ..store.indexer import build_indexes
from ..store.recovery import cut_crawl_log, recover
from ..store.state import (
    CrawlRecord,
    CrawlRegistry,
    RobotsStore,
    SqliteDigestIndex,
    StateDB,
)
from ..store.warc import ClosedWarc, WarcWriter
from .addresses import AddressPolicy
from .engine import CrawlRun, _Env
from .fetcher import Fetcher, FetchLimits, HttpFetcher
from .frontier import SqliteFrontier
from .robots import RobotsGate
from .session import config_to_dict
from .summary import CrawlSummary, Progress

__all__ = ["Crawler", "CrawlSummary", "Progress"]


class _CheckpointedLog(CrawlLog):
    """The crawl log, kept in step with the crawl state as WARCs are: the end of each line
    is saved in the state transaction that commits what the line records (a capture, an
    exclusion; a transaction of its own otherwise), so recovery cuts the lines of work
    that never committed and a resumed crawl's summary, rebuilt from the log, is exact."""

    def __init__(self, path: Path, registry: CrawlRegistry, crawl_id: str) -> None:
        super().__init__(path)
        self._registry = registry
        self._crawl = crawl_id

    def write(self, **fields: Any) -> None:
        with self._registry.db.transaction():
            try:
                super().write(**fields)
                size = self.path.stat().st_size
            except OSError as e:
                raise StorageError(f"cannot write the crawl log ({e.strerror})",
                                   self.path) from e
            self._registry.log_checkpoint(self._crawl, size)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # a line that failed is reported already
            super().close()


class Crawler:
    """Runs (or resumes) one crawl of a collection. Library code: never prints."""

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
    ) -> None:
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

    def stop(self) -> None:
        """Ask the crawl to stop gracefully; safe to call from a signal handler."""
        self._stop.set()

    def run(self) -> CrawlSummary:
        with self.coll.lock():
            db = StateDB(self.coll.state_db)
            try:
                return self._run(db)
            finally:
                db.close()

    def _log_path(self, crawl_id: str) -> Path:
        return self.coll.logs / f"crawl-{crawl_id}.jsonl"

    def _warcinfo(self, crawl: CrawlRecord) -> list[tuple[str, str]]:
        crawl_id = crawl.id
        cfg, desc = self.cfg, self.config.description
        fields = [
            ("software", f"preserve/{__version__}"),
            ("format", "WARC File Format 1.1"),
            ("conformsTo",
             "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
            ("operator", cfg.operator),
            ("hostname", socket.gethostname()),
            ("robots", "ignore" if cfg.ignore_robots else "obey"),
            ("http-header-user-agent", cfg.user_agent),
            ("isPartOf", desc.title or self.coll.name),
            ("crawl", crawl_id),
        ]
        if crawl.final:
            fields.append(("final-crawl", "true"))
        if crawl.label:
            fields.append(("crawl-label", crawl.label))
        fields.extend((f"dc:{k}", v) for k, v in desc.items() if k != "title")
        return fields

    def _start(self, registry: CrawlRegistry, events: EventLog,
               current: CrawlRecord | None, repaired: int, log_cut: int) -> CrawlRecord:
        cfg = self.cfg
        marked = self.final or self.label is not None
        if current is not None:
            cut = f"; cut {log_cut} bytes of uncommitted crawl-log lines" if log_cut else ""
            if marked:
                registry.mark(current.id, final=self.final, label=self.label)
                current = dataclasses.replace(current, final=current.final or self.final,
                                              label=self.label or current.label)
            events.append("crawl resumed", crawl=current.id, obj=self.coll.name,
                          detail=f"repaired {repaired} WARC file(s){cut}",
                          data={"final": current.final, "label": current.label})
            return current
        current = registry.start(self.clock().isoformat(), config_to_dict(cfg))
        if marked:
            registry.mark(current.id, final=self.final, label=self.label)
            current = dataclasses.replace(current, final=self.final, label=self.label)
        final = "; the final crawl" if self.final else ""
        events.append("crawl started", crawl=current.id, obj=self.coll.name,
                      detail=f"seeds: {' '.join(cfg.seeds)}{final}",
                      data={"seeds": list(cfg.seeds), "scope": cfg.scope,
                            "robots": "ignore" if cfg.ignore_robots else "obey",
                            "final": self.final, "label": self.label})
        if cfg.ignore_robots:
            events.append("robots policy", crawl=current.id, outcome="warning",
                          detail="robots.txt ignored at the operator's request (--ignore-robots)")
        return current

    def _run(self, db: StateDB) -> CrawlSummary:
        cfg, coll = self.cfg, self.coll
        events = EventLog(coll.events_path, self.clock)
        manifest = FixityManifest(coll.manifest_path)
        registry = CrawlRegistry(db)
        current = registry.unfinished()
        crawl_ref: list[str | None] = [current.id if current else None]
        closed_names: list[str] = []

        def file_closed(path: Path, sha256: str, records: int | None = None) -> None:
            rel = f"warcs/{path.name}"
            manifest.add(rel, sha256)
            registry.mark_closed(path.name)
            closed_names.append(path.name)
            events.append("file closed", obj=rel, crawl=crawl_ref[0],
                          detail="WARC file closed and its digest recorded",
                          data={"sha256": sha256, "size": path.stat().st_size,
                                "records": records})

        repaired = recover(coll, registry, manifest, events, crawl_ref[0], on_closed=file_closed)
        resumed = current is not None
        log_cut = 0 if current is None else cut_crawl_log(
            self._log_path(current.id), registry.log_committed(current.id))
        current = self._start(registry, events, current, len(repaired.cut), log_cut)
        self._mark = (current.final, current.label)
        crawl_id = crawl_ref[0] = current.id
        if self.on_start is not None:
            self.on_start(crawl_id, resumed)
        log_path = self._log_path(crawl_id)
        if resumed:
            saved = (current.summary or {}).get("duration", 0.0)
            summary = CrawlSummary.from_log(crawl_id, log_path, duration=float(saved))
        else:
            summary = CrawlSummary(crawl_id)

        def on_close(c: ClosedWarc) -> None:
            file_closed(c.path, c.sha256, c.records)

        writer = WarcWriter(
            coll.warcs, f"{coll.name}-{crawl_id}", warcinfo=self._warcinfo(current),
            max_size=cfg.warc_size, digest=cfg.digest, dedup=SqliteDigestIndex(db, crawl_id),
            clock=self.clock, on_close=on_close,
        )
        fetcher = self._fetcher or HttpFetcher(
            cfg.user_agent,
            limits=FetchLimits(timeout=cfg.timeout, max_response_size=cfg.max_response_size),
            policy=AddressPolicy.for_seeds(cfg.seeds),
            clock=self.clock,
        )
        log = _CheckpointedLog(log_path, registry, crawl_id)
        env = _Env(
            config=cfg, db=db, registry=registry, frontier=SqliteFrontier(db, crawl_id),
            robots=RobotsGate(RobotsStore(db, crawl_id), cfg.user_agent, cfg.retries),
            writer=writer, events=events, log=log, clock=self.clock, monotonic=self.monotonic,
            stop_requested=self._stop.is_set, wait_stop=self._stop.wait,
            on_progress=self.on_progress, scope_seeds=registry.scope_seeds(crawl_id),
        )
        run = CrawlRun(env, summary)
        t0 = self.monotonic()
        try:
            if not resumed:
                run.seed()
            run.loop(fetcher, t0)
        except StorageError as e:
            summary.status = "storage-error"
            summary.stop_reason = str(e)
            # The records of the URL that failed can be in the WARC although the state
            # never committed them (a failed commit): recovery cuts the file back to the
            # last committed record and closes it, so they are not captured twice.
            writer.abandon()
            events.append("error", outcome="failure", crawl=crawl_id, detail=str(e),
                          obj=str(e.path) if e.path else None)
            recover(coll, registry, manifest, events, crawl_id, on_closed=file_closed)
        finally:
            log.close()
            if self._fetcher is None:
                fetcher.close()
            try:
                writer.close()
            except OSError as e:
                summary.status = "storage-error"
                summary.stop_reason = f"cannot close the WARC file ({e.strerror})"
        summary.duration += self.monotonic() - t0
        if summary.status == "storage-error":
            # What the failure rolled back may be in the log, and counted: cut and recount.
            cut_crawl_log(log_path, registry.log_committed(crawl_id))
            summary = dataclasses.replace(
                CrawlSummary.from_log(crawl_id, log_path), status=summary.status,
                stop_reason=summary.stop_reason, resumed=resumed, duration=summary.duration)
        summary.warcs = closed_names
        return self._finish(registry, events, summary)

    def _finish(self, registry: CrawlRegistry, events: EventLog,
                summary: CrawlSummary) -> CrawlSummary:
        coll = self.coll
        index = build_indexes(coll.root)
        summary.pages = index.pages
        summary.final, summary.label = self._mark
        closed = {p.name: p.stat().st_size for p in coll.closed_warcs()}
        summary.warc_bytes = sum(closed.values())
        summary.crawl_warc_bytes = sum(closed.get(n, 0) for n in registry.warc_names(summary.crawl))
        data = summary.to_dict()
        if summary.finished:
            registry.finish(summary.crawl, self.clock().isoformat(), summary.status, data)
            events.append("crawl finished", crawl=summary.crawl, obj=coll.name,
                          outcome="success" if not summary.failures else "warning",
                          detail=summary.one_line(), data=data)
        else:
            registry.set_status(summary.crawl, summary.status)
            registry.save_summary(summary.crawl, data)
            events.append("crawl stopped", crawl=summary.crawl, obj=coll.name,
                          outcome="failure" if summary.status == "storage-error" else "warning",
                          detail=f"{summary.stop_reason}; run `preserve crawl` again to resume",
                          data=data)
        return summary

"""What a collection holds, for ``preserve status``: read-only, no lock needed."""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..collection import Collection
from .fixity import FixityManifest
from .state import CrawlRecord, CrawlRegistry, StateDB, is_record, reading

__all__ = ["collection_status", "list_crawls", "lock_holder", "shown_status"]


def _count_lines(path: Path) -> int:
    """Lines of a regular file; 0 for a missing one. Never opens a FIFO or a device (a
    FIFO put in the index's place would block `status` for ever)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return 0
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


@contextmanager
def _registry(coll: Collection) -> Iterator[CrawlRegistry]:
    """The crawl registry, read-only use; damage found while reading is one clear error."""
    db = StateDB(coll.state_db)
    try:
        with reading(coll.state_db):
            yield CrawlRegistry(db)
    finally:
        db.close()


def lock_holder(coll: Collection) -> int | None:
    """The pid of the process holding the collection lock (a crawl, an index), or None.

    Asks for a shared lock without waiting and lets go at once: it fails only while
    another process holds the exclusive one. The lock file is opened read-only, so a
    read-only collection can be looked at."""
    try:
        fd = os.open(coll.lock_path, os.O_RDONLY)
    except OSError:
        return None  # never locked
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(raw) if raw.isdigit() else 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _captured(log: Path, committed: int | None) -> int:
    """Captures in a crawl log up to what the state committed (a line past it records work
    a resume does again), counted as the crawl summary counts them."""
    count = 0
    try:
        with open(log, "rb") as f:
            for line in f:
                if committed is not None and f.tell() > committed:
                    break
                if line.endswith(b"\n") and (b'"outcome": "captured"' in line
                                             or b'"outcome": "revisit"' in line):
                    count += 1
    except FileNotFoundError:
        pass
    return count


def collection_status(coll: Collection) -> dict[str, Any]:
    config = coll.load_config()
    closed = coll.closed_warcs()
    manifest = FixityManifest(coll.manifest_path).entries()
    crawls: list[dict[str, Any]] = []
    unfinished = None
    holder = lock_holder(coll)
    if coll.state_db.exists():
        with _registry(coll) as registry:
            for c in registry.all():
                crawls.append({"id": c.id, "status": shown_status(c, holder),
                               "started": c.started, "finished": c.finished, "final": c.final,
                               "label": c.label, "kind": c.kind, "summary": c.summary})
                if c.finished is None:
                    captured = _captured(coll.crawl_log_path(c.id), registry.log_committed(c.id))
                    unfinished = _unfinished(c.id, captured, registry.url_counts(c.id), holder)
                    unfinished["record"] = is_record(c)
    return {
        "path": str(coll.root),
        "description": dict(config.description.items()),
        "seeds": list(config.crawl.seeds),
        "warcs": {"closed": len(closed), "open": len(coll.open_warcs()),
                  "bytes": sum(p.stat().st_size for p in closed)},
        "index": {"records": _count_lines(coll.index_path)},
        "pages": max(0, _count_lines(coll.pages_path) - 1),
        "fixity": {"entries": len(manifest),
                   "missing": [p.name for p in closed
                               if Collection.warc_rel(p.name) not in manifest]},
        "crawls": crawls,
        "unfinished": unfinished,
        "locked_by": holder,
    }


def shown_status(crawl: CrawlRecord, holder: int | None) -> str:
    """A crawl's status as ``crawls`` and ``status`` show it. A crawl says ``running``
    in the registry from its start to its end; one whose process died without ending it
    (SIGKILL, a power cut) would say so for ever. A crawl runs only while its process
    holds the collection's lock, which the kernel lets go when the process dies: with no
    holder, it is ``interrupted``, as a crawl stopped by Ctrl-C is. So is a distributed
    worker's share, kept as a record (``crawlstate_sqlite.record_crawl``)."""
    if crawl.finished is None and crawl.status == "running" and holder is None:
        return "interrupted"
    return crawl.status


def _unfinished(crawl: str, captured: int, counts: dict[int, int],
                holder: int | None) -> dict[str, Any]:
    """The unfinished crawl: running (the lock is held) or stopped, and how far it got.

    ``captured`` counts what the crawl stored (robots.txt included), from its crawl log,
    as the crawl summary does; ``queued`` the URLs it has still to fetch, ``in_flight``
    those being fetched now (none unless it is running: a stopped crawl fetches them
    again), ``failed`` and ``blocked`` those given up on."""
    running = holder is not None
    waiting, fetching = counts.get(0, 0), counts.get(1, 0)
    return {"id": crawl, "running": running, "pid": holder or None,
            "captured": captured,
            "queued": waiting + (0 if running else fetching),
            "in_flight": fetching if running else 0,
            "done": counts.get(2, 0), "failed": counts.get(3, 0), "blocked": counts.get(4, 0)}


def list_crawls(coll: Collection) -> list[dict[str, Any]]:
    """Every numbered crawl of the collection, oldest first, with what it stored."""
    if not coll.state_db.exists():
        return []
    sizes = {p.name: p.stat().st_size for p in coll.closed_warcs()}
    holder = lock_holder(coll)
    result = []
    with _registry(coll) as registry:
        for c in registry.all():
            s = c.summary or {}
            names = registry.warc_names(c.id)
            result.append({
                "id": c.id, "status": shown_status(c, holder), "started": c.started,
                "finished": c.finished,
                "final": c.final, "label": c.label, "kind": c.kind,
                "captured": s.get("captured", 0), "revisits": s.get("revisits", 0),
                "failures": s.get("failures", 0),
                "warcs": names, "warc_bytes": sum(sizes.get(n, 0) for n in names),
            })
    return result

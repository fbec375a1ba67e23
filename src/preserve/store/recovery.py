"""Bringing a collection back to a consistent state after a crash, before a crawl (re)starts.

A ``.open`` WARC is cut back to the last record the crawl state committed (records after
it belong to URLs that are still queued, so they will be fetched again rather than
captured twice), then closed like any other file; its index lines (store.indexlines)
are cut back with it, or removed if one is missing (the WARC is then read to index it).
A closed WARC missing from the fixity manifest (a crash between rename and manifest
line) is hashed and added; one listed but with no ``file closed`` event (a crash just
after the line) gets its event. Every repair is an event in the log. A crawl log is cut
back, like a WARC, to its last committed line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import fsync_dir
from ..collection import Collection
from . import indexlines
from .crawlstate import CrawlState
from .events import EventLog
from .fixity import FixityManifest
from .warc import OPEN_SUFFIX, sha256_file

__all__ = ["recover", "Recovery", "cut_crawl_log"]


@dataclass
class Recovery:
    cut: list[tuple[str, int, int]] = field(default_factory=list)  # name, old size, new size
    closed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    manifested: list[str] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)  # closed, listed, but no event yet


def recover(
    coll: Collection,
    registry: CrawlState,
    manifest: FixityManifest,
    events: EventLog,
    crawl: str | None,
    on_closed: Callable[[Path, str], None] | None = None,
) -> Recovery:
    result = Recovery()
    for path in coll.open_warcs():
        name = path.name.removesuffix(OPEN_SUFFIX)
        size = path.stat().st_size
        committed = registry.committed(name) or 0
        if committed < size:
            with open(path, "r+b") as f:
                f.truncate(committed)
                os.fsync(f.fileno())
            result.cut.append((name, size, committed))
            events.append(
                "WARC repair",
                detail=f"cut {size - committed} bytes of uncommitted or partial records",
                obj=Collection.warc_rel(path.name),
                crawl=crawl,
                data={"size_before": size, "size_after": committed},
            )
        lines = coll.index_lines_path(name)
        kept = indexlines.cut(lines, committed)  # the index lines follow the WARC
        if committed == 0:
            path.unlink()
            result.removed.append(name)
            continue
        final = path.with_name(name)
        digest = sha256_file(path)
        if kept:
            indexlines.close(lines, committed, digest)
        os.replace(path, final)
        fsync_dir(final.parent)
        result.closed.append(name)
        # The manifest line and the event first: they are what the archive keeps. The
        # state's mark is bookkeeping, and after a storage error it may fail too.
        if on_closed is not None:
            on_closed(final, digest)
        registry.mark_closed(name)
    known = manifest.entries()
    logged = {e.get("linkingObject") for e in events.read() if e.get("eventType") == "file closed"}
    for path in coll.closed_warcs():
        rel = Collection.warc_rel(path.name)
        if rel not in known:
            digest = sha256_file(path)
            if on_closed is not None:
                on_closed(path, digest)
            else:
                manifest.add(rel, digest)
            result.manifested.append(path.name)
        elif rel not in logged:  # a crash between the manifest line and the event
            events.append("file closed", obj=rel, crawl=crawl,
                          detail="WARC file closed and its digest recorded (event written "
                          "on recovery)", data={"sha256": known[rel], "size": path.stat().st_size})
            result.logged.append(path.name)
    return result


def cut_crawl_log(path: Path, committed: int | None) -> int:
    """Cut a crawl log back to the end of its last committed line; return the bytes cut.

    Lines past it record work whose transaction never committed (a kill, a failed
    commit); that work is still queued, and is logged again when it is done.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    keep = committed or 0
    if size <= keep:
        return 0
    with open(path, "r+b") as f:
        f.truncate(keep)
        os.fsync(f.fileno())
    return size - keep

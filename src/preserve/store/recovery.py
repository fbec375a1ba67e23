"""Bringing a collection back to a consistent state after a crash, before a crawl (re)starts.

A ``.open`` WARC is cut back to the last record the crawl state committed (records after
it belong to URLs that are still queued, so they will be fetched again rather than
captured twice), then closed like any other file. A closed WARC missing from the fixity
manifest (a crash between rename and manifest line) is hashed and added. Every repair is
an event in the log.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import fsync_dir
from ..collection import Collection
from .events import EventLog
from .fixity import FixityManifest
from .state import CrawlRegistry
from .warc import OPEN_SUFFIX, sha256_file

__all__ = ["recover", "Recovery"]


@dataclass
class Recovery:
    cut: list[tuple[str, int, int]] = field(default_factory=list)  # name, old size, new size
    closed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    manifested: list[str] = field(default_factory=list)


def recover(
    coll: Collection,
    registry: CrawlRegistry,
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
                obj=f"warcs/{path.name}",
                crawl=crawl,
                data={"size_before": size, "size_after": committed},
            )
        if committed == 0:
            path.unlink()
            result.removed.append(name)
            continue
        final = path.with_name(name)
        digest = sha256_file(path)
        os.replace(path, final)
        fsync_dir(final.parent)
        registry.mark_closed(name)
        result.closed.append(name)
        if on_closed is not None:
            on_closed(final, digest)
    known = manifest.entries()
    for path in coll.closed_warcs():
        rel = f"warcs/{path.name}"
        if rel not in known:
            digest = sha256_file(path)
            if on_closed is not None:
                on_closed(path, digest)
            else:
                manifest.add(rel, digest)
            result.manifested.append(path.name)
    return result

"""The sources' crawls recorded in DEST's crawl registry by ``preserve merge``.

A crawl is known across collections by its origin (store.state.origin): its id and start
where it was first numbered. The workers of one distributed crawl all keep the same
origin in their own registries (capture/crawler.py), so their shares become one crawl of
DEST, whose WARCs are all of theirs and whose crawl log is all their lines; crawls of
unrelated sources (two crawls both numbered 0001) stay apart, each numbered after every
crawl DEST has. Importing a crawl again changes nothing: the origin finds its row, WARCs
keep the crawl they have, log lines DEST holds are not appended again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..collection import Collection
from ..errors import ExportError
from ..store.state import CrawlRecord, CrawlRegistry, StateDB, origin, reading

__all__ = ["import_crawls"]

# The summary figures of a crawl that add up over the workers that shared it.
_SUMMED = ("captured", "revisits", "page_captures", "bytes", "crawl_warc_bytes", "failures",
           "out_of_scope", "robots_blocked", "blocked_addresses", "traps")


@dataclasses.dataclass(frozen=True)
class _Share:
    crawl: CrawlRecord
    warcs: list[str]  # names in the source
    log_committed: int | None
    scope_seeds: list[str]  # URLs its seeds redirected to: their hosts are in scope


@contextlib.contextmanager
def _registry(coll: Collection) -> Iterator[CrawlRegistry | None]:
    """The source's registry, read only; None when it has no crawl state."""
    if not coll.state_db.exists():
        yield None
        return
    db = StateDB(coll.state_db, read_only=not os.access(coll.state_db.parent, os.W_OK))
    try:
        with reading(coll.state_db):
            yield CrawlRegistry(db)
    finally:
        db.close()


def _shares(coll: Collection) -> list[_Share]:
    with _registry(coll) as registry:
        if registry is None:
            return []
        return [_Share(c, registry.warc_names(c.id), registry.log_committed(c.id),
                       registry.scope_seeds(c.id)) for c in registry.all()]


def _parts(summary: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A crawl's summary per worker: a merged crawl keeps them under "parts"; a crawl
    run here is one part (its worker's id, or "" for a crawl of one process)."""
    if not summary:
        return {}
    parts = summary.get("parts")
    if isinstance(parts, dict):
        return {str(k): v for k, v in parts.items() if isinstance(v, dict)}
    return {str(summary.get("worker") or ""): summary}


def _combined(parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {key: 0 for key in _SUMMED}
    for part in parts.values():
        for key in _SUMMED:
            value = part.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                total[key] += value
    return {**total, "parts": parts}


def import_crawls(dest: Collection, sources: Sequence[Collection],
                  placed: dict[tuple[Path, str], str]) -> None:
    """Record every crawl of ``sources`` in DEST's registry (the caller holds DEST's
    lock and the sources'): rows, their WARCs as named in DEST (``placed``), scope seeds,
    crawl logs."""
    shares = [(coll, share) for coll in sources for share in _shares(coll)]
    if not shares:
        return
    db = StateDB(dest.state_db)
    try:
        registry = CrawlRegistry(db)
        for coll, share in shares:
            _import(dest, registry, coll, share, placed)
    finally:
        db.close()


def _import(dest: Collection, registry: CrawlRegistry, coll: Collection, share: _Share,
            placed: dict[tuple[Path, str], str]) -> None:
    key = origin(share.crawl)
    here = next((c for c in registry.all() if origin(c) == key), None)
    if here is not None and here.config.get("origin") is None:
        # DEST's own crawl (DEST was a copy of this source, or it is the same crawl):
        # only its WARCs and log lines are completed.
        crawl_id = here.id
    else:
        parts = _parts(here.summary if here is not None else None)
        parts.update(_parts(share.crawl.summary))
        numbers = [int(n) for n in dest.crawl_logs()]
        crawl = dataclasses.replace(share.crawl, summary=_combined(parts) if parts else None)
        crawl_id = registry.record(crawl, key, after=max(numbers, default=0))
    for name in share.warcs:
        merged = placed.get((coll.root, name))
        if merged is not None:  # an .open file of the source is not merged
            registry.add_warc(crawl_id, merged, (dest.warcs / merged).stat().st_size, True)
    for url in share.scope_seeds:
        registry.add_scope_seed(crawl_id, url)
    size = _append_log(coll.crawl_log_path(share.crawl.id), dest.crawl_log_path(crawl_id),
                       share.log_committed if share.crawl.finished is None else None)
    if size is not None:
        registry.log_checkpoint(crawl_id, size)


def _append_log(source: Path, target: Path, committed: int | None) -> int | None:
    """The lines of ``source`` (up to ``committed`` bytes) that ``target`` lacks, appended,
    a line at a time; the size of ``target`` after, or None when the source has no log.
    Memory: a digest per line of ``target``."""
    try:
        held = set()
        with contextlib.suppress(FileNotFoundError), open(target, "rb") as f:
            held = {hashlib.blake2b(line, digest_size=16).digest() for line in f}
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as f, open(target, "ab") as out:
            read = 0
            for line in f:
                read += len(line)
                if committed is not None and read > committed:
                    break
                digest = hashlib.blake2b(line, digest_size=16).digest()
                if line.endswith(b"\n") and digest not in held:
                    out.write(line)
                    held.add(digest)
            out.flush()
            os.fsync(out.fileno())
            return out.tell()
    except FileNotFoundError as e:
        if e.filename == str(source):
            return None
        raise ExportError(f"cannot merge a crawl log ({e.strerror})", Path(e.filename)) from e
    except OSError as e:
        raise ExportError(f"cannot merge a crawl log ({e.strerror})", target) from e

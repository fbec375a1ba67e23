"""The per-crawl URL log (COLL/logs/crawl-<id>.jsonl): one JSON line per URL attempt.

Stable field names: time, url, status, bytes, mime, via, hops, duration, outcome,
error, truncated, warc, offset, failed, profile, rule, evidence. ``outcome`` is one of
captured, revisit, failed, retry, robots-blocked, out-of-scope, blocked-address, trap,
profile-excluded (a URL the site profile left out, with its ``rule``) and profile (the
profile that detection chose, with its ``evidence``).

``entries`` reads a log back, skipping what is not a sound line (a crash can cut the
last one short); ``captured_pages`` gives the pages a crawl captured, and
``earlier_log`` the log of the crawl before a given one, which a recrawl requests again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..web.media import is_page

__all__ = ["CrawlLog", "entries", "captured_pages", "earlier_log", "RECHECK_HOP"]

# The hop path of a page of the previous crawl requested again because nothing in this
# crawl led to it (docs/collection.md, Hop paths).
RECHECK_HOP = "C"


class CrawlLog:
    """Appends lines to a crawl log; ``size`` is the log's size once they are written."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._f: IO[bytes] = open(path, "ab")
        self.size = os.fstat(self._f.fileno()).st_size
        self._held: list[bytes] | None = None

    def write(self, **fields: Any) -> None:
        """Append a line (flushed to the file), or hold it until ``held`` ends."""
        line = (json.dumps(fields, ensure_ascii=False) + "\n").encode("utf-8")
        if self._held is not None:
            self._held.append(line)
        else:
            self._lines([line])

    def _lines(self, lines: list[bytes]) -> None:
        """Append ``lines`` (a subclass also records where they end)."""
        self._append(lines)

    def _append(self, lines: list[bytes]) -> None:
        """Append ``lines`` and flush them to the file."""
        data = b"".join(lines)
        self._f.write(data)
        self._f.flush()
        self.size += len(data)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The lines written inside are appended together when it ends, in one write;
        if it raises, they are appended all the same (what they record may not have
        happened: a crawl log records attempts, and recovery cuts what never committed)."""
        if self._held is not None:
            yield
            return
        self._held = []
        try:
            yield
        except BaseException:
            lines, self._held = self._held, None
            if lines:
                with contextlib.suppress(OSError):  # the error that is raised is the news
                    self._append(lines)
            raise
        lines, self._held = self._held, None
        if lines:
            self._lines(lines)

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> CrawlLog:
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def entries(path: Path) -> Iterator[dict[str, Any]]:
    """The sound lines of a crawl log, in order; nothing if there is no log or it cannot
    be opened (a log is a record of the crawl, not its state: nothing depends on it)."""
    try:
        f = open(path, "rb")
    except OSError:
        return
    with f:
        for line in f:
            if not line.endswith(b"\n"):
                continue  # cut short by a crash
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):  # damaged: not JSON, not UTF-8, too deep
                continue
            if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                yield entry


def captured_pages(path: Path) -> Iterator[str]:
    """The URLs a crawl captured as pages (web.media.is_page), in the order of its log;
    a URL captured twice is given twice."""
    for entry in entries(path):
        if entry.get("outcome") not in ("captured", "revisit"):
            continue
        status, mime = entry.get("status"), entry.get("mime")
        if isinstance(status, int) and isinstance(mime, str) and is_page(
                entry["url"], status, mime):
            yield entry["url"]


def earlier_log(logs: dict[str, Path], crawl: str) -> tuple[str, Path] | None:
    """(id, path) of the latest of the crawl logs ``logs`` (by crawl id, as
    ``Collection.crawl_logs`` gives them) numbered before ``crawl``."""
    try:
        number = int(crawl)
    except ValueError:
        return None
    found = [(int(n), n, p) for n, p in logs.items() if int(n) < number]
    if not found:
        return None
    _, crawl_id, path = max(found)
    return crawl_id, path

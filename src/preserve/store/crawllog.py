"""The per-crawl URL log (COLL/logs/crawl-<id>.jsonl): one JSON line per URL attempt.

Stable field names: time, url, status, bytes, mime, via, hops, duration, outcome,
error, truncated, warc, offset, failed, profile, rule, evidence. ``outcome`` is one of
captured, revisit, failed, retry, robots-blocked, out-of-scope, blocked-address, trap,
profile-excluded (a URL the site profile left out, with its ``rule``) and profile (the
profile that detection chose, with its ``evidence``).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["CrawlLog"]


class CrawlLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._f: IO[str] = open(path, "a", encoding="utf-8")

    def write(self, **fields: Any) -> None:
        self._f.write(json.dumps(fields, ensure_ascii=False) + "\n")
        self._f.flush()

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> CrawlLog:
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

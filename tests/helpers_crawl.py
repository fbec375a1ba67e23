"""Helpers for the end-to-end crawl tests: run a crawl, read back what it wrote.

The WARC reader here is deliberately independent of preserve and of warcio: it splits
each gzip member itself, so a test can compare record blocks byte for byte with what
the test site logged, and warcio stays an outside judge of the same files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from preserve.capture.crawler import Crawler, CrawlSummary
from preserve.collection import Collection
from preserve.config import CollectionConfig, CrawlConfig, Description
from testsite import RequestLog, TestSite

VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class WarcRecord:
    file: str
    offset: int  # of the record's gzip member in the file
    length: int  # compressed length of the member
    version: str  # the first line, "WARC/1.1"
    headers: tuple[tuple[str, str], ...]  # in file order
    block: bytes

    def get(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    @property
    def type(self) -> str:
        return self.get("WARC-Type") or ""

    @property
    def uri(self) -> str:
        return self.get("WARC-Target-URI") or ""

    @property
    def id(self) -> str:
        return self.get("WARC-Record-ID") or ""

    @property
    def http_head(self) -> bytes:
        return self.block.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"

    @property
    def payload(self) -> bytes:
        return self.block.partition(b"\r\n\r\n")[2]

    def fields(self) -> list[tuple[str, str]]:
        """The ``name: value`` lines of a warcinfo or metadata block."""
        out = []
        for line in self.block.decode("utf-8").splitlines():
            if line:
                name, _, value = line.partition(": ")
                out.append((name, value))
        return out


def read_warc(path: Path) -> list[WarcRecord]:
    """Every record of a gzip-per-record WARC file, member by member."""
    data = path.read_bytes()
    records = []
    offset = 0
    while offset < len(data):
        inflate = zlib.decompressobj(wbits=31)
        raw = inflate.decompress(data[offset:])
        assert inflate.eof, f"{path.name}: gzip member at {offset} is cut short"
        length = len(data) - offset - len(inflate.unused_data)
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8").split("\r\n")
        headers = tuple((name, value) for name, _, value in
                        (line.partition(": ") for line in lines[1:]))
        size = int(dict(headers)["Content-Length"])
        assert rest[size:] == b"\r\n\r\n", f"{path.name}: bad record end at {offset}"
        records.append(WarcRecord(path.name, offset, length, lines[0], headers, rest[:size]))
        offset += length
    return records


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def target(entry: RequestLog, site: TestSite) -> str:
    """The absolute URL a logged request asked for."""
    return site.url.rstrip("/") + entry.path


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def create(root: Path, seeds: tuple[str, ...], title: str = "Test crawl",
           **crawl: Any) -> Collection:
    config = CollectionConfig(Description(title=title), CrawlConfig(seeds=seeds, **crawl))
    return Collection.create(root, config)


def crawl(root: Path, seeds: tuple[str, ...], **options: Any) -> tuple[Collection, CrawlSummary]:
    """Create a collection and crawl it through the library; delay 0 unless given."""
    options.setdefault("delay", 0.0)
    coll = create(root, seeds, **options)
    return coll, Crawler(coll, coll.load_config()).run()


def cli(*args: str | os.PathLike[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """``preserve ARGS`` in a subprocess, with pipes (not a terminal) for its output."""
    return subprocess.run(
        [sys.executable, "-m", "preserve", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def tool(name: str, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    """An outside validator installed in the venv (warcio, cdxj-indexer)."""
    return subprocess.run([str(VENV_BIN / name), *map(str, args)], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)

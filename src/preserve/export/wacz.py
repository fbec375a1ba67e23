"""WACZ 1.1.1: the WARCs, the CDXJ index and the pages list in one ZIP that replays as is.

The WARCs are stored, not deflated, so ReplayWeb.page and pywb can read a record at its
offset straight from the ZIP. The collection's CDXJ index becomes a ZipNum index, as
py-wacz and Browsertrix write it: ``indexes/index.cdx.gz`` (gzip members of 300 lines)
and ``indexes/index.idx`` (the first key of each member, its offset and length), which
ReplayWeb.page reads block by block and ``wb-manager add --unpack-wacz`` needs.
``datapackage.json`` lists every file with its size and SHA-256 (computed while it was
copied), and ``datapackage-digest.json`` the SHA-256 of ``datapackage.json``.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..collection import Collection
from ..config import CollectionConfig
from .copy import CHUNK, Copied, Progress, VerifiedReader
from .sources import Source
from .writers import ZipWriter

__all__ = ["WACZ_VERSION", "WaczResult", "wacz_name", "write_wacz"]

WACZ_VERSION = "1.1.1"
# Places inside the package, fixed by the WACZ format (not the collection's layout).
ARCHIVE_DIR = "archive"
PAGES = "pages/pages.jsonl"
ZIPNUM_INDEX = "indexes/index.cdx.gz"
ZIPNUM_IDX = "indexes/index.idx"
# Collection file -> its place in the package; normalised output keeps its own path.
_PLACES = {Collection.PAGES_REL: PAGES, Collection.ARTICLES_REL: Collection.ARTICLES_REL}
BLOCK_LINES = 300  # cdxj-indexer's and py-wacz's block size


def wacz_name(source: Source) -> str | None:
    """Where a collection file goes in the WACZ; None for files a WACZ has no place for."""
    if source.is_warc:
        return f"{ARCHIVE_DIR}/{Collection.warc_name(source.relpath)}"
    return _PLACES.get(source.relpath)


@dataclass(frozen=True)
class WaczResult:
    files: int
    payload_bytes: int
    copied: tuple[Copied, ...]


def _lines(reader: VerifiedReader) -> Iterator[bytes]:
    rest = b""
    while chunk := reader.read(CHUNK):
        *lines, rest = (rest + chunk).split(b"\n")
        for line in lines:
            yield line + b"\n"
    if rest:
        yield rest + b"\n"


def _zipnum(reader: VerifiedReader, idx: list[bytes]) -> Iterator[bytes]:
    """Gzip members of BLOCK_LINES lines each; appends each member's line of index.idx."""
    offset = 0
    block: list[bytes] = []

    def member() -> bytes:
        nonlocal offset
        comp = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
        data = comp.compress(b"".join(block)) + comp.flush()
        prefix = block[0].split(b"{", 1)[0].strip()
        idx.append(prefix + b" " + json.dumps({"offset": offset, "length": len(data)}).encode()
                   + b"\n")
        offset += len(data)
        block.clear()
        return data

    for line in _lines(reader):
        block.append(line)
        if len(block) == BLOCK_LINES:
            yield member()
    if block:
        yield member()


def _add_index(writer: ZipWriter, source: Source, resources: list[dict[str, Any]],
               on_bytes: Progress | None) -> Copied:
    idx = [b"!meta 0 " + json.dumps({"format": "cdxj-gzip-1.0",
                                     "filename": "index.cdx.gz"}).encode() + b"\n"]
    with VerifiedReader(source, ("sha256",), on_bytes) as reader:
        size, sha256 = writer.add_generated(ZIPNUM_INDEX, _zipnum(reader, idx))
        copied = reader.finish()
    resources.append({"name": "index.cdx.gz", "path": ZIPNUM_INDEX,
                      "hash": f"sha256:{sha256}", "bytes": size})
    data = b"".join(idx)
    writer.add_bytes(ZIPNUM_IDX, data, compress=True)
    resources.append({"name": "index.idx", "path": ZIPNUM_IDX,
                      "hash": f"sha256:{hashlib.sha256(data).hexdigest()}", "bytes": len(data)})
    return copied


def write_wacz(writer: ZipWriter, sources: Sequence[Source], config: CollectionConfig, *,
               name: str, created: datetime | None = None,
               on_bytes: Progress | None = None) -> WaczResult:
    placed = [(wacz_name(s), s) for s in sources]
    copied: list[Copied] = []
    resources: list[dict[str, Any]] = []
    for path, source in placed:
        if source.relpath == Collection.INDEX_REL:
            copied.append(_add_index(writer, source, resources, on_bytes))
            continue
        if path is None:
            continue
        c = writer.add_source(path, source, ("sha256",), on_bytes)
        copied.append(c)
        resources.append({"name": path.rsplit("/", 1)[-1].lower(), "path": path,
                          "hash": f"sha256:{c.digests['sha256']}", "bytes": c.size})
    d = config.description
    package: dict[str, Any] = {"profile": "data-package", "resources": resources,
                               "title": d.title or name}
    if d.description:
        package["description"] = d.description
    if config.crawl.seeds:
        package["mainPageURL"] = config.crawl.seeds[0]
    when = (created or datetime.now(UTC)).astimezone(UTC)
    package["created"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    package["wacz_version"] = WACZ_VERSION
    package["software"] = f"preserve {__version__}"
    data = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    writer.add_bytes("datapackage.json", data, compress=True)
    digest = {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"}
    writer.add_bytes("datapackage-digest.json", json.dumps(digest, indent=2).encode(),
                     compress=True)
    return WaczResult(len(copied), sum(c.size for c in copied), tuple(copied))

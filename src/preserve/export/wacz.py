"""WACZ 1.1.1: the WARCs, the CDXJ index and the pages list in one ZIP that replays as is.

The WARCs are stored, not deflated, so ReplayWeb.page and pywb can read a record at its
offset straight from the ZIP. ``datapackage.json`` lists every file with its size and
SHA-256 (computed while it was copied), and ``datapackage-digest.json`` the SHA-256 of
``datapackage.json``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..config import CollectionConfig
from .copy import Copied, Progress
from .sources import NORMALISED, Source
from .writers import PackageWriter

__all__ = ["WACZ_VERSION", "WaczResult", "wacz_name", "write_wacz"]

WACZ_VERSION = "1.1.1"
_PLACES = {"indexes/index.cdxj": "indexes/index.cdxj", "pages/pages.jsonl": "pages/pages.jsonl",
           NORMALISED: NORMALISED}


def wacz_name(source: Source) -> str | None:
    """Where a collection file goes in the WACZ; None for files a WACZ has no place for."""
    if source.is_warc:
        return "archive/" + source.relpath.removeprefix("warcs/")
    return _PLACES.get(source.relpath)


@dataclass(frozen=True)
class WaczResult:
    files: int
    payload_bytes: int
    copied: tuple[Copied, ...]


def write_wacz(writer: PackageWriter, sources: Sequence[Source], config: CollectionConfig, *,
               name: str, created: datetime | None = None,
               on_bytes: Progress | None = None) -> WaczResult:
    placed = [(wacz_name(s), s) for s in sources]
    copied: list[Copied] = []
    resources: list[dict[str, Any]] = []
    for path, source in placed:
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

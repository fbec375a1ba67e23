"""BagIt 1.0 (RFC 8493): payload under data/, SHA-256 and SHA-512 manifests, tag manifests.

bag-info.txt carries the collection's description: the reserved elements a repository
reads at ingest (Source-Organization, Contact-Name, Contact-Email, External-Description,
External-Identifier, Bagging-Date, Payload-Oxum, Bag-Size, Bag-Software-Agent) and each
non-empty Dublin Core element as ``DC-<Element>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .. import __version__
from ..config import CollectionConfig
from .copy import Copied, Progress, digest_bytes
from .sources import Source
from .writers import PackageWriter

__all__ = ["BagInfo", "BagResult", "bag_info_for", "write_bag", "ALGORITHMS", "human_size"]

ALGORITHMS = ("sha256", "sha512")


@dataclass(frozen=True)
class BagInfo:
    source_organization: str = ""
    contact_name: str = ""
    contact_email: str = ""
    external_description: str = ""
    external_identifier: str = ""
    dublin_core: tuple[tuple[str, str], ...] = ()


def bag_info_for(config: CollectionConfig, name: str, *, source_organization: str | None = None,
                 contact_name: str | None = None, contact_email: str | None = None) -> BagInfo:
    """bag-info elements from preserve.toml; the options given win.

    The contact comes from ``[crawl] operator`` ("Name <email>"), the organisation from
    the publisher (else the creator), the identifier from the Dublin Core identifier
    (else the collection's name).
    """
    d = config.description
    operator = config.crawl.operator.strip()
    m = re.fullmatch(r"(.*?)\s*<([^<>\s]+@[^<>\s]+)>", operator)
    op_name, op_email = (m.group(1), m.group(2)) if m else (operator, "")
    return BagInfo(
        source_organization=source_organization or d.publisher or d.creator,
        contact_name=contact_name or op_name,
        contact_email=contact_email or op_email,
        external_description=d.description or d.title,
        external_identifier=d.identifier or name,
        dublin_core=tuple(d.items()),
    )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _encode_path(path: str) -> str:
    """RFC 8493 2.1.3: percent-encode CR, LF and % in a manifest's file path."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _element(label: str, value: str) -> str:
    # A value's own line breaks become continuation lines (RFC 8493 2.2.2).
    return f"{label}: " + "\n  ".join(value.strip().splitlines()) + "\n"


def _manifest(entries: Sequence[tuple[str, dict[str, str]]], algorithm: str) -> bytes:
    return "".join(f"{digests[algorithm]}  {_encode_path(path)}\n"
                   for path, digests in entries).encode("utf-8")


@dataclass(frozen=True)
class BagResult:
    files: int
    payload_bytes: int
    copied: tuple[Copied, ...]


def write_bag(writer: PackageWriter, sources: Sequence[Source], info: BagInfo, *,
              prefix: str = "", today: date | None = None,
              on_bytes: Progress | None = None) -> BagResult:
    """Write a complete bag through ``writer``, each name under ``prefix``."""
    copied = [writer.add_source(f"{prefix}data/{s.relpath}", s, ALGORITHMS, on_bytes)
              for s in sources]
    payload = [(f"data/{c.relpath}", c.digests) for c in copied]
    total = sum(c.size for c in copied)
    tags: list[tuple[str, bytes]] = [
        ("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")]
    elements = [
        ("Source-Organization", info.source_organization),
        ("Contact-Name", info.contact_name),
        ("Contact-Email", info.contact_email),
        ("External-Description", info.external_description),
        ("External-Identifier", info.external_identifier),
        ("Bagging-Date", (today or date.today()).isoformat()),
        ("Bag-Software-Agent", f"preserve/{__version__}"),
        ("Payload-Oxum", f"{total}.{len(copied)}"),
        ("Bag-Size", human_size(total)),
        *((f"DC-{name.capitalize()}", value) for name, value in info.dublin_core),
    ]
    bag_info = "".join(_element(label, value) for label, value in elements if value.strip())
    tags.append(("bag-info.txt", bag_info.encode("utf-8")))
    for algorithm in ALGORITHMS:
        tags.append((f"manifest-{algorithm}.txt", _manifest(payload, algorithm)))
    tag_digests = [(name, digest_bytes(data, ALGORITHMS)) for name, data in tags]
    for name, data in tags:
        writer.add_bytes(prefix + name, data, compress=True)
    for algorithm in ALGORITHMS:
        writer.add_bytes(f"{prefix}tagmanifest-{algorithm}.txt",
                         _manifest(tag_digests, algorithm), compress=True)
    return BagResult(len(copied), total, tuple(copied))

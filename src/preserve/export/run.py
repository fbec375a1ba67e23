"""export_collection: choose the sources, stage the package beside DEST, write it, rename it.

The caller holds the collection's lock, so no crawl appends to it while it is exported.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .. import PROJECT_URL, __version__
from ..collection import Collection
from ..errors import ExportError, StorageError
from ..store.events import EventLog
from .bagit import BagResult, bag_info_for, write_bag
from .copy import Copied, Progress
from .ocfl import object_path_in_root, prepare_storage_root, read_inventory, write_object
from .package import check_destination, staged
from .sources import collect_sources
from .wacz import WaczResult, write_wacz
from .writers import DirectoryWriter, PackageWriter, TarWriter, ZipWriter

__all__ = ["ExportOptions", "ExportResult", "export_collection", "FORMATS"]

Format = Literal["bagit", "wacz", "ocfl"]
FORMATS: tuple[Format, ...] = ("bagit", "wacz", "ocfl")


@dataclass(frozen=True)
class ExportOptions:
    format: Format
    output: Path | None = None
    include_normalised: bool = False
    force: bool = False
    serialise: Literal["zip", "tar"] | None = None  # BagIt only
    ocfl_root: Path | None = None  # OCFL only: the object goes into this storage root
    source_organization: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    user_address: str | None = None  # OCFL only: the version's user address, a URI

    def validate(self) -> ExportOptions:
        if self.format not in FORMATS:
            raise ExportError(f"unknown format {self.format!r}; choose bagit, wacz or ocfl")
        if self.serialise and self.format != "bagit":
            raise ExportError(f"--{self.serialise} serialises a bag; it is for --format bagit")
        if self.ocfl_root is not None and self.format != "ocfl":
            raise ExportError("--ocfl-root is for --format ocfl")
        if self.user_address is not None:
            if self.format != "ocfl":
                raise ExportError("--user-address is for --format ocfl")
            if not _URI.fullmatch(self.user_address):
                raise ExportError(f"--user-address {self.user_address!r} is not a URI; give "
                                  "a mailto: address or a URL (an ORCID iD, a web page)")
        if self.ocfl_root is not None and self.output is not None:
            raise ExportError("give either --output or --ocfl-root, not both")
        if self.output is None and self.ocfl_root is None:
            raise ExportError("give --output DEST" + (" or --ocfl-root DIR"
                                                       if self.format == "ocfl" else ""))
        if self.output is not None:
            _check_suffix(self.output, self.container)
        return self

    @property
    def container(self) -> str:
        """What DEST will be: "directory", "zip", "tar" or "wacz"."""
        if self.format == "wacz":
            return "wacz"
        return self.serialise if self.format == "bagit" and self.serialise else "directory"


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"]+")
_OPERATOR_URI = re.compile(r"<\s*((?:https?|mailto):[^\s<>]+)\s*>")

# DEST's suffix -> the container it names; a DEST named for another container is refused.
_SUFFIXES = {".zip": "zip", ".tar": "tar", ".wacz": "wacz", ".tgz": "tar.gz",
             ".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd", ".7z": "7z"}
_WRITES = {"directory": ("a directory", "a name without a file extension"),
           "zip": ("a ZIP file (--zip)", "a name ending in .zip"),
           "tar": ("an uncompressed tar file (--tar)", "a name ending in .tar"),
           "wacz": ("a WACZ file", "a name ending in .wacz")}


def _check_suffix(dest: Path, container: str) -> None:
    suffix = dest.suffix.lower()
    named = _SUFFIXES.get(suffix)
    if named is None or named == container:
        return
    what, fix = _WRITES[container]
    raise ExportError(f"ends in {suffix}, but this export writes {what}; give {fix}", dest)


@dataclass(frozen=True)
class ExportResult:
    format: Format
    path: Path
    files: int  # files packaged (for OCFL: files in the new version's state)
    bytes: int  # bytes read and verified from the collection
    checked: int  # files compared with the fixity manifest
    version: str | None = None  # OCFL: the version written; None if nothing changed
    new_files: tuple[str, ...] = ()  # OCFL: content added by this version
    event_error: str | None = None  # why the export's event could not be recorded

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["path"] = str(self.path)
        d["new_files"] = list(self.new_files)
        return d


class _Unchanged(Exception):
    """Raised inside the staging block so that an unchanged OCFL object is not replaced."""


def _summary(copied: tuple[Copied, ...]) -> tuple[int, int]:
    return sum(c.size for c in copied), sum(1 for c in copied if c.checked)


def export_collection(coll: Collection, options: ExportOptions, *,
                      on_progress: Callable[[int, int], None] | None = None,
                      now: datetime | None = None) -> ExportResult:
    """Package ``coll`` as asked; FixityMismatch (nothing written) if a source is damaged.

    ``on_progress(done, total)`` is called as bytes of the sources are read.
    """
    options.validate()
    when = now or datetime.now(UTC)
    config = coll.load_config()
    if options.format == "ocfl" and options.ocfl_root is not None:
        root = check_destination(coll, options.ocfl_root, follow=True)
        dest = root / object_path_in_root(_object_id(coll))
    else:
        assert options.output is not None
        dest = check_destination(coll, options.output)
    sources = collect_sources(coll, include_normalised=options.include_normalised)
    on_bytes: Progress | None = None
    if on_progress is not None:
        total, done = sum(s.size for s in sources), [0]

        def on_bytes(n: int) -> None:
            done[0] += n
            on_progress(done[0], total)

    info = bag_info_for(config, coll.name, source_organization=options.source_organization,
                        contact_name=options.contact_name, contact_email=options.contact_email)

    if options.format == "ocfl":
        result = _export_ocfl(coll, options, dest, sources,
                              _ocfl_user(options, info.contact_name, info.contact_email,
                                         config.crawl.operator), when, on_bytes)
    else:
        directory = options.format == "bagit" and options.serialise is None
        with staged(dest, replace=options.force, directory=directory) as tmp:
            writer: PackageWriter
            if directory:
                writer = DirectoryWriter(tmp)
            elif options.serialise == "tar":
                writer = TarWriter(tmp)
            else:
                writer = ZipWriter(tmp)
            out: BagResult | WaczResult
            if options.format == "bagit":
                prefix = "" if directory else f"{_stem(dest.name)}/"
                out = write_bag(writer, sources, info, prefix=prefix, today=when.date(),
                                on_bytes=on_bytes)
            else:
                assert isinstance(writer, ZipWriter)
                out = write_wacz(writer, sources, config, name=coll.name, created=when,
                                 on_bytes=on_bytes)
            writer.close()
        size, checked = _summary(out.copied)
        result = ExportResult(options.format, dest, out.files, size, checked)
    return _record(coll, result, clock=lambda: now or datetime.now(UTC))


def _record(coll: Collection, result: ExportResult,
            clock: Callable[[], datetime]) -> ExportResult:
    """Append the export's event to the collection's log, after the package is complete.

    A collection that cannot be written (a read-only mount) still exports: the result
    says why the event could not be recorded, and the command says so in one line.
    """
    if result.format == "ocfl" and result.version is None:
        detail = f"ocfl object at {result.path} unchanged since the last export; no version"
    else:
        version = f", version {result.version}" if result.version else ""
        detail = f"exported as {result.format} to {result.path}{version}"
    data: dict[str, Any] = {"format": result.format, "dest": str(result.path),
                            "files": result.files, "bytes": result.bytes,
                            "checked": result.checked}
    if result.format == "ocfl":
        data["version"] = result.version
        data["new_files"] = len(result.new_files)
    events = EventLog(coll.events_path, clock)
    try:
        events.append("package exported", detail=detail, obj=coll.name, data=data)
    except StorageError as e:
        return dataclasses.replace(result, event_error=str(e))
    return result


def _ocfl_user(options: ExportOptions, name: str, email: str,
               operator: str) -> tuple[str, str]:
    """The OCFL version's user: a name and an address URI (OCFL 1.1 3.5.3.1).

    The address is ``--user-address``, else ``mailto:`` the contact email, else a URL in
    ``[crawl] operator`` (``Team <https://...>``); with no operator at all the user is
    preserve itself, at its project page. A named user with none of these has no address.
    """
    if not name:
        return f"preserve/{__version__}", options.user_address or PROJECT_URL
    if options.user_address:
        return name, options.user_address
    if email:
        return name, f"mailto:{email}"
    found = _OPERATOR_URI.search(operator)
    if found:
        return _OPERATOR_URI.sub("", name).strip() or name, found.group(1)
    return name, ""


def _export_ocfl(coll: Collection, options: ExportOptions, dest: Path, sources: list[Any],
                 user: tuple[str, str], when: datetime,
                 on_bytes: Progress | None) -> ExportResult:
    made: list[Path] = []  # the storage root and tuple directories made for this object
    if options.ocfl_root is not None:
        root = dest.parents[3]
        made = [] if root.exists() else [root]
        prepare_storage_root(root)
        made += [d for d in reversed(dest.parents[:3]) if not d.exists()]
        dest.parent.mkdir(parents=True, exist_ok=True)
    object_id = _object_id(coll)
    if dest.is_symlink() and not options.force:
        raise ExportError("is a symbolic link; give --force to replace the link (what it "
                          "points to is left alone)", dest)
    previous = dest if dest.exists() and not options.force else None
    if previous is not None and read_inventory(previous) is None:
        raise ExportError("already exists and is not an OCFL object; give --force to "
                          "replace it", dest)
    try:
        with staged(dest, replace=True, directory=True) as tmp:
            out = write_object(tmp, sources, object_id=object_id, previous=previous,
                               user=user,
                               message=f"Exported by preserve/{__version__} from {coll.name}",
                               created=when, on_bytes=on_bytes)
            if out.version is None:
                raise _Unchanged
    except _Unchanged:
        pass
    except BaseException:
        for d in reversed(made):  # nothing left that this export made
            if d == dest.parents[3]:
                shutil.rmtree(d, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    d.rmdir()
        raise
    size, checked = _summary(out.copied)
    return ExportResult("ocfl", dest, out.files, size, checked, out.version, out.new_files)


def _object_id(coll: Collection) -> str:
    """The Dublin Core identifier, else a URN made of the collection's name."""
    return coll.load_config().description.identifier or f"urn:preserve:{coll.name}"


def _stem(name: str) -> str:
    """The bag's directory inside a serialised bag: the file name less its extension."""
    for suffix in (".tar", ".zip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name

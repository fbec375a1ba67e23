"""Where a package's files go: a directory, a ZIP file or a tar file, behind one interface.

Each writer pulls a source's bytes through a ``VerifiedReader`` straight into its
output, so serialising a bag or writing a WACZ still reads every source once.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Protocol

from ..errors import ExportError
from .copy import CHUNK, Copied, Progress, VerifiedReader, copy_to_file
from .package import write_small
from .sources import Source

__all__ = ["PackageWriter", "DirectoryWriter", "ZipWriter", "TarWriter", "zip64_header"]

# A generated entry (the ZipNum index) is held in memory up to this size, then on disk.
_SPOOL_IN_MEMORY = 16 * 1024 * 1024


class PackageWriter(Protocol):
    def add_source(self, name: str, source: Source, algorithms: Iterable[str],
                   on_bytes: Progress | None = None) -> Copied: ...

    def add_bytes(self, name: str, data: bytes, *, compress: bool = False) -> None: ...

    def close(self) -> None: ...


class DirectoryWriter:
    def __init__(self, root: Path) -> None:
        self.root = root

    def add_source(self, name: str, source: Source, algorithms: Iterable[str],
                   on_bytes: Progress | None = None) -> Copied:
        return copy_to_file(source, self.root / name, algorithms, on_bytes)

    def add_bytes(self, name: str, data: bytes, *, compress: bool = False) -> None:
        try:
            write_small(self.root / name, data)
        except OSError as e:
            raise ExportError(f"cannot write ({e.strerror})", self.root / name) from e

    def close(self) -> None:
        pass


def zip64_header(size: int) -> bool:
    """Whether an entry of ``size`` bytes is written with a Zip64 local header.

    The ZIP format needs Zip64 from 0xFFFFFFFF bytes; Python's zipfile from
    ``zipfile.ZIP64_LIMIT`` (2 GiB - 1): above that it puts a Zip64 field in the central
    directory whatever it is asked, and refuses to finish an entry whose local header has
    none. ReplayWeb.page's ZIP reader (wabac's ``ziprangereader``) trusts the central
    directory: an entry with no extra field there is read as if its local header had none
    too, so a Zip64 field in the local header alone moves every read of the entry by 20
    bytes (an index found empty: "Archived Page Not Found"). So the local header carries
    Zip64 exactly when the central directory does, and no entry of 2 GiB or less has it."""
    return size > zipfile.ZIP64_LIMIT


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    t = time.gmtime(max(mtime, 315532800.0))  # ZIP cannot date anything before 1980
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


class ZipWriter:
    """WARCs and other sources are stored, not deflated, so a reader can seek into them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._created = time.time()
        try:
            self._zip = zipfile.ZipFile(path, "w", allowZip64=True)
        except OSError as e:
            raise ExportError(f"cannot write ({e.strerror})", path) from e

    def open_stored(self, name: str, size: int, mtime: float) -> IO[bytes]:
        """A stored entry to write ``size`` bytes into, with Zip64 headers only if that
        size needs them (``zip64_header``)."""
        info = zipfile.ZipInfo(name, _zip_time(mtime))
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        # Not info.file_size = size: zipfile would then give the local header Zip64 from
        # 2 GiB / 1.05, short of where its central directory does.
        return self._zip.open(info, "w", force_zip64=zip64_header(size))

    def add_source(self, name: str, source: Source, algorithms: Iterable[str],
                   on_bytes: Progress | None = None) -> Copied:
        with VerifiedReader(source, algorithms, on_bytes) as reader:
            try:
                with self.open_stored(name, source.size, source.mtime) as out:
                    while chunk := reader.read(CHUNK):
                        out.write(chunk)
            except OSError as e:
                raise ExportError(f"cannot write ({e.strerror})", self.path) from e
            return reader.finish()

    def add_generated(self, name: str, chunks: Iterable[bytes]) -> tuple[int, str]:
        """Store bytes made while writing (a compressed index): their size and SHA-256.

        The bytes are spooled first, so the entry's size is known before its local header
        is written: an entry of unknown size must be given a Zip64 local header, which
        ReplayWeb.page's ZIP reader misreads (``zip64_header``)."""
        h = hashlib.sha256()
        size = 0
        try:
            with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY) as spool:
                for chunk in chunks:
                    h.update(chunk)
                    size += len(chunk)
                    spool.write(chunk)
                spool.seek(0)
                with self.open_stored(name, size, self._created) as out:
                    while chunk := spool.read(CHUNK):
                        out.write(chunk)
        except OSError as e:
            raise ExportError(f"cannot write ({e.strerror})", self.path) from e
        return size, h.hexdigest()

    def add_bytes(self, name: str, data: bytes, *, compress: bool = False) -> None:
        info = zipfile.ZipInfo(name, _zip_time(self._created))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        try:
            self._zip.writestr(info, data)
        except OSError as e:
            raise ExportError(f"cannot write ({e.strerror})", self.path) from e

    def close(self) -> None:
        try:
            self._zip.close()
        except OSError as e:
            raise ExportError(f"cannot write ({e.strerror})", self.path) from e


class TarWriter:
    """An uncompressed POSIX (pax) tar file; directories get entries of their own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._created = time.time()
        self._dirs: set[str] = set()
        try:
            self._tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)
        except OSError as e:
            raise ExportError(f"cannot write ({e.strerror})", path) from e

    def _parents(self, name: str) -> None:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self._dirs:
                self._dirs.add(d)
                info = tarfile.TarInfo(d)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                info.mtime = int(self._created)
                self._tar.addfile(info)

    def _add(self, info: tarfile.TarInfo, fileobj: IO[bytes] | VerifiedReader) -> None:
        try:
            self._parents(info.name)
            self._tar.addfile(info, fileobj)
        except OSError as e:
            raise ExportError(f"cannot write ({e})", self.path) from e

    def add_source(self, name: str, source: Source, algorithms: Iterable[str],
                   on_bytes: Progress | None = None) -> Copied:
        info = tarfile.TarInfo(name)
        info.size = source.size
        info.mode = 0o644
        info.mtime = int(source.mtime)
        with VerifiedReader(source, algorithms, on_bytes) as reader:
            self._add(info, reader)
            return reader.finish()

    def add_bytes(self, name: str, data: bytes, *, compress: bool = False) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        info.mtime = int(self._created)
        self._add(info, io.BytesIO(data))

    def close(self) -> None:
        try:
            self._tar.close()
            with open(self.path, "rb+") as f:
                os.fsync(f.fileno())
        except OSError as e:
            raise ExportError(f"cannot write ({e.strerror})", self.path) from e

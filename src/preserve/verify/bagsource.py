"""A bag where it lies: a directory, a .zip, or a .tar / .tar.gz, read in place.

Each kind gives the checks of verify/bag.py the same three things: the list of what the
bag holds (``members``, paths relative to the bag's base directory), the bytes of a small
tag file, and one streaming read of chosen files computing every digest asked for at
once. Nothing is extracted to disk. Archive members whose names lead out of the bag
(an absolute path, a ``..``) are set aside in ``unsafe`` and never read; symbolic and hard
links are listed as such and never followed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..safeopen import Refused, describe, open_in

__all__ = ["Member", "Hashed", "BagSource", "SourceError", "open_source", "CHUNK",
           "TEXT_LIMIT", "archive_kind"]

CHUNK = 1 << 20
TEXT_LIMIT = 512 << 20  # a tag file read whole (a manifest of millions of files) at most
_TAG_TEXT = re.compile(r"(bagit|bag-info|package-info|fetch|(tag)?manifest-[^/]+)\.txt")
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")
# What a damaged archive raises while it is read: bad data, a truncated stream, an
# encrypted or oddly compressed zip member.
_ZIP_ERRORS = (OSError, zipfile.BadZipFile, ValueError, EOFError, RuntimeError,
               NotImplementedError, zlib.error)
_TAR_ERRORS = (OSError, tarfile.TarError, EOFError, ValueError, zlib.error)


class SourceError(Exception):
    """The container cannot be opened or listed at all (not a zip, a truncated tar)."""


@dataclass(frozen=True)
class Member:
    """One entry of the bag: ``kind`` is "file", "dir", "symlink" or "other" (a FIFO, a
    device); ``what`` says in words what a symlink or other entry is."""

    rel: str
    kind: str
    size: int = 0
    what: str = ""


@dataclass
class Hashed:
    """One read of one file: its size and hex digests, or why it could not be read."""

    rel: str
    size: int = 0
    digests: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    refused: Refused | None = None


def archive_kind(path: Path) -> str | None:
    """"zip" or "tar" for a file preserve reads as a serialised bag, else None."""
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith(_TAR_SUFFIXES):
        return "tar"
    return None


def _digest(f: IO[bytes], algorithms: Sequence[str],
            progress: Callable[[int], None]) -> tuple[int, dict[str, str]]:
    hashers = [hashlib.new(a) for a in algorithms]
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    size = 0
    while n := f.readinto(buf):  # type: ignore[attr-defined]
        chunk = view[:n]
        for h in hashers:
            h.update(chunk)
        size += n
        progress(n)
    return size, {a: h.hexdigest() for a, h in zip(algorithms, hashers, strict=True)}


def digest_bytes(data: bytes, algorithms: Sequence[str]) -> dict[str, str]:
    return {a: hashlib.new(a, data).hexdigest() for a in algorithms}


def _unsafe_name(name: str) -> str | None:
    """Why an archive member's name would lead out of the bag, or None."""
    if name.startswith("/") or re.match(r"[A-Za-z]:", name) or "\\" in name.split("/")[0]:
        return "an absolute path"
    if any(part == ".." for part in name.split("/")):
        return "a path with a `..` component"
    return None


def _bag_prefix(names: Sequence[str]) -> str:
    """The directory inside an archive that is the bag's base directory ("" or "name/")."""
    if "bagit.txt" in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names if n}
    declared = sorted({n[: -len("bagit.txt")] for n in names
                       if n.count("/") == 1 and n.endswith("/bagit.txt")})
    if len(declared) == 1:
        return declared[0]
    if len(tops) == 1 and any("/" in n for n in names):
        return tops.pop() + "/"
    return ""


class BagSource:
    """What every container offers the checks (see the module docstring)."""

    def __init__(self) -> None:
        self.members: dict[str, Member] = {}
        self.unsafe: list[tuple[str, str]] = []  # (member name, why it was not read)
        self.outside: list[str] = []  # archive members outside the bag's directory
        self.label = ""  # "zip" or "tar" for archives, "" for a directory

    def _add(self, m: Member) -> None:
        self.members[m.rel] = m
        parent = m.rel
        while "/" in parent:  # the directories an archive implies without entries
            parent = parent.rsplit("/", 1)[0]
            if parent in self.members:
                break  # and so are the ones above it
            self.members[parent] = Member(parent, "dir")

    def read_text(self, rel: str) -> bytes:
        """The bytes of the (small) file ``rel``. Raises OSError or Refused."""
        raise NotImplementedError

    def hash_files(self, wanted: Mapping[str, Sequence[str]], jobs: int,
                   progress: Callable[[int], None]) -> Iterator[Hashed]:
        """Read each file of ``wanted`` once, computing the digests named for it."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> BagSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DirSource(BagSource):
    """A bag directory, walked without following symbolic links; files opened with
    preserve.safeopen (regular files only, no link followed on the way)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        try:
            self._walk("")
        except OSError as e:
            raise SourceError(f"cannot list {root}: {e.strerror or e}") from e

    def _walk(self, top: str) -> None:
        todo = [top]  # a stack, not recursion: a bag may nest deeper than Python's limit
        while todo:
            rel = todo.pop()
            with os.scandir(self.root / rel if rel else self.root) as it:
                entries = sorted(it, key=lambda e: e.name)
            for e in entries:
                r = f"{rel}/{e.name}" if rel else e.name
                st = e.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    try:
                        target = os.readlink(e.path)
                    except OSError:
                        target = "?"
                    self._add(Member(r, "symlink", what=f"a symbolic link to {target}"))
                elif stat.S_ISDIR(st.st_mode):
                    self._add(Member(r, "dir"))
                    todo.append(r)
                elif stat.S_ISREG(st.st_mode):
                    self._add(Member(r, "file", st.st_size))
                else:
                    self._add(Member(r, "other", what=describe(st.st_mode)))

    def read_text(self, rel: str) -> bytes:
        with open_in(self.root, rel) as f:
            return f.read(TEXT_LIMIT + 1)

    def _one(self, rel: str, algorithms: Sequence[str],
             progress: Callable[[int], None]) -> Hashed:
        try:
            with open_in(self.root, rel) as f:
                size, digests = _digest(f, algorithms, progress)
            return Hashed(rel, size, digests)
        except Refused as e:
            return Hashed(rel, refused=e)
        except OSError as e:
            return Hashed(rel, error=e.strerror or str(e))

    def hash_files(self, wanted: Mapping[str, Sequence[str]], jobs: int,
                   progress: Callable[[int], None]) -> Iterator[Hashed]:
        # hashlib lets go of the GIL on large updates, so threads hash in parallel;
        # each holds one CHUNK buffer: memory stays jobs x 1 MiB.
        lock = threading.Lock()

        def locked(n: int) -> None:
            with lock:
                progress(n)

        if jobs <= 1:
            for rel, algs in wanted.items():
                yield self._one(rel, algs, progress)
            return
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(self._one, rel, algs, locked)
                       for rel, algs in wanted.items()]
            for fut in as_completed(futures):
                yield fut.result()


class ZipSource(BagSource):
    """A zipped bag (random access: each member read once, in the archive's order)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.label = "zip"
        try:
            self.zf = zipfile.ZipFile(path)
            infos = self.zf.infolist()
        except (OSError, zipfile.BadZipFile, ValueError) as e:
            raise SourceError(f"{path} cannot be read as a zip file: {e}") from e
        self._info: dict[str, zipfile.ZipInfo] = {}
        names = [i.filename.removeprefix("./") for i in infos]
        prefix = _bag_prefix(names)
        for info, name in zip(infos, names, strict=True):
            why = _unsafe_name(name)
            if why:
                self.unsafe.append((info.filename, why))
                continue
            if not (name + "/").startswith(prefix):
                self.outside.append(info.filename)
                continue
            rel = name[len(prefix):].rstrip("/")
            if not rel:
                continue
            if rel in self._info:
                self.unsafe.append((info.filename, "a name that appears twice in the zip"))
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                self._add(Member(rel, "symlink", what="a symbolic link (zip member)"))
            elif info.is_dir():
                self._add(Member(rel, "dir"))
            elif mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                self._add(Member(rel, "other", what=describe(mode)))
            else:
                self._info[rel] = info
                self._add(Member(rel, "file", info.file_size))

    def read_text(self, rel: str) -> bytes:
        try:
            with self.zf.open(self._info[rel]) as f:
                return f.read(TEXT_LIMIT + 1)
        except _ZIP_ERRORS as e:
            raise OSError(f"damaged zip member: {e}") from e

    def hash_files(self, wanted: Mapping[str, Sequence[str]], jobs: int,
                   progress: Callable[[int], None]) -> Iterator[Hashed]:
        for rel in sorted(wanted, key=lambda r: self._info[r].header_offset):
            try:
                with self.zf.open(self._info[rel]) as f:
                    size, digests = _digest(f, wanted[rel], progress)
                yield Hashed(rel, size, digests)
            except _ZIP_ERRORS as e:
                yield Hashed(rel, error=f"damaged zip member: {e}")

    def close(self) -> None:
        self.zf.close()


class TarSource(BagSource):
    """A tar or compressed tar bag, never extracted: one pass lists it and keeps the
    root's tag files (stepping over the data of an uncompressed tar), a second reads it
    as a stream and hashes the files asked for. Memory holds the member list and those
    tag files, not the payload."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.label = "tar"
        self.path = path
        self._texts: dict[str, bytes] = {}
        listing: list[tuple[str, str, int, str]] = []
        try:
            with _open_for_listing(path) as t:
                for m in t:
                    name = m.name.removeprefix("./")
                    kind, what = _tar_kind(m)
                    listing.append((name, kind, m.size, what))
                    if (kind == "file" and name.count("/") <= 1 and m.size <= TEXT_LIMIT
                            and _TAG_TEXT.fullmatch(name.rsplit("/", 1)[-1])):
                        f = t.extractfile(m)
                        if f is not None:
                            self._texts[name] = f.read()
                    # No index of what went by is needed: without this, TarFile keeps
                    # every member's header, and memory grows with the number of files.
                    t.members.clear()  # type: ignore[attr-defined]
        except _TAR_ERRORS as e:
            raise SourceError(f"{path} cannot be read as a tar file: {e}") from e
        prefix = _bag_prefix([n for n, *_ in listing])
        self._prefix = prefix
        for name, kind, size, what in listing:
            why = _unsafe_name(name)
            if why:
                self.unsafe.append((name, why))
                continue
            if not (name + "/").startswith(prefix):
                self.outside.append(name)
                continue
            rel = name[len(prefix):].rstrip("/")
            if not rel:
                continue
            if rel in self.members and self.members[rel].kind != "dir":
                self.unsafe.append((name, "a name that appears twice in the tar"))
                continue
            self._add(Member(rel, kind, size if kind == "file" else 0, what))

    def read_text(self, rel: str) -> bytes:
        data = self._texts.get(self._prefix + rel)
        if data is None:
            raise OSError(f"not read whole: over {TEXT_LIMIT} bytes, or not at the "
                          "bag's top level")
        return data

    def hash_files(self, wanted: Mapping[str, Sequence[str]], jobs: int,
                   progress: Callable[[int], None]) -> Iterator[Hashed]:
        todo = dict(wanted)
        for rel in list(todo):
            data = self._texts.get(self._prefix + rel)
            if data is not None:
                progress(len(data))
                yield Hashed(rel, len(data), digest_bytes(data, todo.pop(rel)))
        if not todo:
            return
        try:
            with tarfile.open(self.path, "r|*") as t:
                for m in t:
                    rel = m.name.removeprefix("./")
                    if not rel.startswith(self._prefix):
                        continue
                    rel = rel[len(self._prefix):]
                    if rel in todo and m.isreg():
                        f = t.extractfile(m)
                        if f is not None:
                            size, digests = _digest(f, todo.pop(rel), progress)
                            yield Hashed(rel, size, digests)
                    t.members.clear()  # type: ignore[attr-defined]
        except _TAR_ERRORS as e:
            for rel in todo:
                yield Hashed(rel, error=f"the tar file is damaged: {e}")
            return
        for rel in todo:
            yield Hashed(rel, error="not found on the second read of the tar file")


_COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


def _open_for_listing(path: Path) -> tarfile.TarFile:
    """A tar opened for its listing: an uncompressed one with seeks, stepping over each
    member's data, a compressed one as a stream, since finding where a member ends means
    inflating it anyway."""
    with open(path, "rb") as f:
        head = f.read(6)
    return tarfile.open(path, "r|*") if head.startswith(_COMPRESSED) else tarfile.open(
        path, "r:")


def _tar_kind(m: tarfile.TarInfo) -> tuple[str, str]:
    if m.isreg():
        return "file", ""
    if m.isdir():
        return "dir", ""
    if m.issym():
        return "symlink", f"a symbolic link to {m.linkname}"
    if m.islnk():
        return "symlink", f"a hard link to {m.linkname}"
    if m.isfifo():
        return "other", "a FIFO (named pipe)"
    if m.ischr() or m.isblk():
        return "other", "a device"
    return "other", "not a regular file"


def open_source(path: Path) -> BagSource:
    """The source for the bag at ``path``. Raises SourceError."""
    if path.is_dir():
        return DirSource(path)
    kind = archive_kind(path)
    if kind == "zip" or zipfile.is_zipfile(path):
        return ZipSource(path)
    return TarSource(path)

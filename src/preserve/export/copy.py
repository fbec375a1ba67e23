"""The verified copy: each source file is read once, every digest computed from that read.

``VerifiedReader`` is a file object over a source that hashes what passes through it;
``finish()`` compares the digests with the collection's fixity record and raises
``FixityMismatch`` naming the file. The package writers pull bytes through it, so the
bytes that were hashed are the bytes that were packaged.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..errors import ExportError, FixityMismatch
from .confined import open_regular
from .sources import Source

__all__ = ["Copied", "VerifiedReader", "copy_to_file", "digest_bytes", "CHUNK"]

CHUNK = 1 << 20  # 1 MiB: large reads, few system calls; memory stays flat
THREADED_FROM = 8 << 20  # files this large are hashed on threads, one per algorithm

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Copied:
    """A source as packaged: its size and every digest computed while copying it."""

    relpath: str
    size: int
    digests: dict[str, str]  # algorithm -> lower-case hex
    checked: tuple[str, ...]  # the algorithms compared with a fixity manifest


class VerifiedReader:
    """Hashes every chunk it returns, with every algorithm asked for and every one the
    source's fixity record has.

    For a large file each algorithm runs on a thread of its own (hashlib releases the
    GIL), one chunk behind the reads: SHA-256 and SHA-512 of chunk n are computed while
    chunk n+1 is read and chunk n written, so at most two chunks are held at once.
    """

    def __init__(self, source: Source, algorithms: Iterable[str],
                 on_bytes: Progress | None = None) -> None:
        self.source = source
        names = dict.fromkeys([*algorithms, *source.expected])
        self._hashes = {name: hashlib.new(name) for name in names}
        self._size = 0
        self._on_bytes = on_bytes
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        if source.size >= THREADED_FROM:
            self._pool = ThreadPoolExecutor(len(self._hashes), "export-hash")
        try:
            self._file = open(open_regular(source.path, source.identity), "rb", buffering=0)
        except BaseException:
            self.close()
            raise

    def _settle(self) -> None:
        for future in self._pending:
            future.result()
        self._pending = []

    def read(self, n: int = -1) -> bytes:
        left = self.source.size - self._size  # the size when listed: never read past it
        want = min(CHUNK if n is None or n < 0 else n, left)
        try:
            data = self._file.read(want) if want > 0 else b""
        except OSError as e:
            raise ExportError(f"cannot read ({e.strerror})", self.source.path) from e
        if data:
            if self._pool is None:
                for h in self._hashes.values():
                    h.update(data)
            else:
                self._settle()
                self._pending = [self._pool.submit(h.update, data)
                                 for h in self._hashes.values()]
            self._size += len(data)
            if self._on_bytes is not None:
                self._on_bytes(len(data))
        return data or b""

    def finish(self) -> Copied:
        """Every digest, after checking that the whole file was read and matches."""
        if self._size != self.source.size or self._file.read(1):
            raise ExportError("changed while it was being exported; export again",
                              self.source.path)
        self._settle()
        self.close()
        digests = {name: h.hexdigest() for name, h in self._hashes.items()}
        for algorithm, expected in self.source.expected.items():
            if digests[algorithm] != expected:
                raise FixityMismatch(self.source.relpath, algorithm, expected,
                                     digests[algorithm])
        return Copied(self.source.relpath, self._size,
                      {name: digests[name] for name in self._hashes},
                      tuple(self.source.expected))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if hasattr(self, "_file"):
            self._file.close()

    def __enter__(self) -> VerifiedReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def copy_to_file(source: Source, dest: Path, algorithms: Iterable[str],
                 on_bytes: Progress | None = None) -> Copied:
    """Copy ``source`` to ``dest`` (a new file), hashing and verifying on the way; fsynced."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with VerifiedReader(source, algorithms, on_bytes) as reader:
        try:
            with open(dest, "xb") as out:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
                os.fsync(out.fileno())
        except OSError as e:
            raise ExportError(f"cannot write ({e.strerror})", dest) from e
        return reader.finish()


def digest_bytes(data: bytes, algorithms: Iterable[str]) -> dict[str, str]:
    """Digests of a small file the export writes itself (a manifest, bag-info.txt)."""
    return {name: hashlib.new(name, data).hexdigest() for name in algorithms}

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
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..errors import ExportError, FixityMismatch
from .sources import Source

__all__ = ["Copied", "VerifiedReader", "copy_to_file", "digest_bytes", "CHUNK"]

CHUNK = 1 << 20  # 1 MiB: large reads, few system calls; memory stays flat

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Copied:
    """A source as packaged: its size and every digest computed while copying it."""

    relpath: str
    size: int
    digests: dict[str, str]  # algorithm -> lower-case hex
    checked: tuple[str, ...]  # the algorithms compared with a fixity manifest


class VerifiedReader:
    def __init__(self, source: Source, algorithms: Iterable[str],
                 on_bytes: Progress | None = None) -> None:
        self.source = source
        names = dict.fromkeys([*algorithms, *source.expected])
        self._hashes = {name: hashlib.new(name) for name in names}
        self._size = 0
        self._on_bytes = on_bytes
        try:
            self._file = open(source.path, "rb", buffering=0)
        except OSError as e:
            raise ExportError(f"cannot read ({e.strerror})", source.path) from e

    def read(self, n: int = -1) -> bytes:
        try:
            data = self._file.read(CHUNK if n is None or n < 0 else n)
        except OSError as e:
            raise ExportError(f"cannot read ({e.strerror})", self.source.path) from e
        if data:
            for h in self._hashes.values():
                h.update(data)
            self._size += len(data)
            if self._on_bytes is not None:
                self._on_bytes(len(data))
        return data or b""

    def finish(self) -> Copied:
        """Every digest, after checking that the whole file was read and matches."""
        if self._file.read(1):
            raise ExportError("changed while it was being exported", self.source.path)
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

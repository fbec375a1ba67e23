"""The fixity manifest (COLL/fixity/manifest-sha256.txt), written as each WARC is closed.

The format is sha256sum's and BagIt's: ``<hex digest>  <path relative to the collection>``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StorageError

__all__ = ["FixityManifest"]


class FixityManifest:
    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> dict[str, str]:
        """relative path -> sha256; a line cut short by a crash, or not UTF-8, is ignored."""
        result: dict[str, str] = {}
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return result
        for raw in data.splitlines(keepends=True):
            if not raw.endswith(b"\n"):
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:  # damaged: no path preserve wrote; verify reports it
                continue
            digest, sep, rel = line.rstrip("\n").partition("  ")
            if sep and len(digest) == 64:
                result[rel] = digest
        return result

    def add(self, relpath: str, sha256: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if self.path.exists() and self.path.stat().st_size:
                with open(self.path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    last = f.read(1)
                if last != b"\n":  # a line cut short by a crash: drop it before appending
                    self._truncate_partial_line()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{sha256}  {relpath}\n".encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise StorageError(
                f"cannot update the fixity manifest ({e.strerror})", self.path
            ) from e

    def _truncate_partial_line(self) -> None:
        data = self.path.read_bytes()
        keep = data[: data.rfind(b"\n") + 1]
        with open(self.path, "r+b") as f:
            f.truncate(len(keep))

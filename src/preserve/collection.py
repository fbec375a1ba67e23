"""A collection: the directory that holds one archive's WARCs, indexes, fixity and logs.

This module knows the layout (docs/collection.md) and nothing about crawling; every
stage finds its files through ``Collection``.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic import atomic_write
from .config import CollectionConfig, dump_config, load_config
from .errors import CollectionError, CollectionLocked, PreserveError

__all__ = ["Collection", "CONFIG_NAME", "pid_lock"]

CONFIG_NAME = "preserve.toml"


class Collection:
    def __init__(self, root: Path) -> None:
        self.root = root

    # The layout, in one place.
    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def warcs(self) -> Path:
        return self.root / "warcs"

    @property
    def indexes(self) -> Path:
        return self.root / "indexes"

    @property
    def index_path(self) -> Path:
        return self.indexes / "index.cdxj"

    @property
    def pages_path(self) -> Path:
        return self.root / "pages" / "pages.jsonl"

    @property
    def manifest_path(self) -> Path:
        return self.root / "fixity" / "manifest-sha256.txt"

    @property
    def events_path(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def state_db(self) -> Path:
        return self.state / "state.sqlite3"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def name(self) -> str:
        """A file-name-safe short name, used as the prefix of WARC file names."""
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.root.resolve().name).strip("-.")
        return name[:60] or "collection"

    def exists(self) -> bool:
        return self.config_path.is_file()

    def check_path(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise CollectionError("is a file, not a collection directory; choose another path",
                                  self.root)

    @classmethod
    def create(cls, root: Path, config: CollectionConfig) -> Collection:
        coll = cls(root)
        coll.check_path()
        if coll.exists():
            raise CollectionError(
                f"already a collection ({CONFIG_NAME} exists); crawl it or choose another path",
                root,
            )
        try:
            for d in (root, coll.warcs, coll.indexes, coll.pages_path.parent,
                      coll.manifest_path.parent, coll.state, coll.logs):
                d.mkdir(parents=True, exist_ok=True)
            with atomic_write(coll.config_path, "w", encoding="utf-8") as f:
                f.write(dump_config(config))
        except OSError as e:
            raise CollectionError(f"cannot create the collection ({e.strerror})", root) from e
        return coll

    @classmethod
    def open(cls, root: Path) -> Collection:
        coll = cls(root)
        coll.check_path()
        if not root.exists():
            raise CollectionError(
                "no such collection; create it with `preserve init` or give --seed", root
            )
        if not coll.exists():
            raise CollectionError(f"not a collection (no {CONFIG_NAME})", root)
        return coll

    def load_config(self) -> CollectionConfig:
        return load_config(self.config_path)

    def save_config(self, config: CollectionConfig) -> None:
        with atomic_write(self.config_path, "w", encoding="utf-8") as f:
            f.write(dump_config(config))

    def closed_warcs(self) -> list[Path]:
        return sorted(self.warcs.glob("*.warc.gz"))

    def open_warcs(self) -> list[Path]:
        return sorted(self.warcs.glob("*.warc.gz.open"))

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of the collection; the OS drops the lock when the process dies."""
        self.state.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.state / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        with pid_lock(fd, lambda pid: CollectionLocked(self.root, pid), clear=False):
            yield


def _pid_in(fd: int) -> int | None:
    raw = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(raw) if raw.isdigit() else None


@contextmanager
def pid_lock(
    fd: int, held: Callable[[int | None], PreserveError], *, clear: bool
) -> Iterator[int | None]:
    """Hold an exclusive flock on the open lock file fd, with our pid in it; closes fd.

    The collection lock and the schedule lock are both this. The OS drops an flock when
    its process dies, so a lock left by a dead process never blocks. Raises held(pid of
    the holder, if the file names one) when another process holds the lock; yields the
    pid found in the file on taking it. With clear, the pid is removed on a clean
    release, so a pid found later is that of a holder that died."""
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise held(_pid_in(fd)) from None
        previous = _pid_in(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield previous
        finally:
            if clear:
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)

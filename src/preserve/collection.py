"""A collection: the directory that holds one archive's WARCs, indexes, fixity and logs.

This module knows the layout (docs/collection.md) and nothing about crawling; every
stage finds its files through ``Collection``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic import atomic_write
from .config import CollectionConfig, dump_config, load_config
from .errors import CollectionError, CollectionLocked, PreserveError
from .template import config_template

__all__ = ["Collection", "CONFIG_NAME", "pid_lock"]

CONFIG_NAME = "preserve.toml"
_CRAWL_LOG_PREFIX, _CRAWL_LOG_SUFFIX = "crawl-", ".jsonl"  # logs/crawl-0001.jsonl


class Collection:
    """One collection directory. The layout is written out here and nowhere else.

    The ``*_REL`` names are paths relative to the root, in the POSIX form that manifests,
    events and export packages record; the properties are the same files on disk.
    """

    CONFIG_REL = CONFIG_NAME
    EVENTS_REL = "events.jsonl"
    WARCS_DIR = "warcs"
    INDEX_REL = "indexes/index.cdxj"
    PAGES_REL = "pages/pages.jsonl"
    FIXITY_DIR = "fixity"
    MANIFEST_PREFIX = f"{FIXITY_DIR}/manifest-"  # + algorithm + ".txt"
    MANIFEST_REL = f"{MANIFEST_PREFIX}sha256.txt"
    NORMALISED_DIR = "normalised"
    ARTICLES_REL = f"{NORMALISED_DIR}/articles.jsonl"
    SITES_REL = f"{NORMALISED_DIR}/sites.jsonl"
    NORMALISE_STATE_REL = f"{NORMALISED_DIR}/state.sqlite3"
    SEARCH_INDEX_REL = f"{NORMALISED_DIR}/search.sqlite3"
    STATE_DIR = "state"
    LOGS_DIR = "logs"
    # Working files that change as a crawl runs: no manifest lists them, verify skips them.
    WORKING_DIRS = (STATE_DIR, LOGS_DIR)
    # Working databases of normalise: its state, and the search index (rebuilt from
    # articles.jsonl whenever it is missing or damaged); each with its SQLite side files.
    WORKING_DBS = (NORMALISE_STATE_REL, SEARCH_INDEX_REL)
    # Derived files, rebuilt from the closed WARCs (`preserve index`, `preserve normalise`):
    # in no manifest; verify checks each against what it was derived from or last written as.
    DERIVED_RELS = (INDEX_REL, PAGES_REL, ARTICLES_REL, SITES_REL)

    @classmethod
    def is_working(cls, rel: str) -> bool:
        """Working data at ``rel``: ``state/``, ``logs/``, normalise's state database and
        the search index (with their SQLite side files), kept while a command works;
        never verified."""
        return (rel.split("/", 1)[0] in cls.WORKING_DIRS
                or any(rel == db or rel.startswith(f"{db}-") for db in cls.WORKING_DBS))

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def warc_rel(cls, name: str) -> str:
        """The relative path of the WARC file called ``name``."""
        return f"{cls.WARCS_DIR}/{name}"

    @classmethod
    def is_warc_rel(cls, rel: str) -> bool:
        return rel.startswith(f"{cls.WARCS_DIR}/")

    @classmethod
    def warc_name(cls, rel: str) -> str:
        """The file name of the WARC at relative path ``rel``."""
        return rel.removeprefix(f"{cls.WARCS_DIR}/")

    @classmethod
    def manifest_rel(cls, algorithm: str) -> str:
        return f"{cls.MANIFEST_PREFIX}{algorithm}.txt"

    def rel(self, path: Path) -> str:
        """``path``, a file inside the collection, relative to the root."""
        return path.relative_to(self.root).as_posix()

    def manifests(self) -> list[Path]:
        """Every fixity manifest present, ``fixity/manifest-<algorithm>.txt``, by name."""
        return sorted((self.root / self.FIXITY_DIR).glob("manifest-*.txt"))

    @property
    def config_path(self) -> Path:
        return self.root / self.CONFIG_REL

    @property
    def warcs(self) -> Path:
        return self.root / self.WARCS_DIR

    @property
    def indexes(self) -> Path:
        return self.index_path.parent

    @property
    def index_path(self) -> Path:
        return self.root / self.INDEX_REL

    @property
    def pages_path(self) -> Path:
        return self.root / self.PAGES_REL

    @property
    def manifest_path(self) -> Path:
        return self.root / self.MANIFEST_REL

    @property
    def events_path(self) -> Path:
        return self.root / self.EVENTS_REL

    @property
    def normalised(self) -> Path:
        return self.root / self.NORMALISED_DIR

    @property
    def articles_path(self) -> Path:
        return self.root / self.ARTICLES_REL

    @property
    def sites_path(self) -> Path:
        return self.root / self.SITES_REL

    @property
    def normalise_state_path(self) -> Path:
        return self.root / self.NORMALISE_STATE_REL

    @property
    def search_index_path(self) -> Path:
        return self.root / self.SEARCH_INDEX_REL

    @property
    def state(self) -> Path:
        return self.root / self.STATE_DIR

    @property
    def state_db(self) -> Path:
        return self.state / "state.sqlite3"

    @property
    def logs(self) -> Path:
        return self.root / self.LOGS_DIR

    @property
    def lock_path(self) -> Path:
        return self.state / "lock"

    @property
    def schedule_lock_path(self) -> Path:
        return self.state / "schedule.lock"

    @property
    def merge_staging(self) -> Path:
        """Where ``preserve merge`` checks its copies before they go into ``warcs/``
        (working data)."""
        return self.state / "merge"

    def index_lines_path(self, warc_name: str) -> Path:
        """The index lines appended while the WARC ``warc_name`` was written
        (store.indexlines; working data)."""
        return self.state / "index" / f"{warc_name.removesuffix('.open')}.lines"

    def crawl_log_path(self, crawl_id: str) -> Path:
        return self.logs / f"{_CRAWL_LOG_PREFIX}{crawl_id}{_CRAWL_LOG_SUFFIX}"

    def crawl_logs(self) -> dict[str, Path]:
        """Every crawl log in ``logs/`` by its crawl id (digits only: a crawl number)."""
        found = {}
        for p in self.logs.glob(f"{_CRAWL_LOG_PREFIX}*{_CRAWL_LOG_SUFFIX}"):
            crawl_id = p.name.removeprefix(_CRAWL_LOG_PREFIX).removesuffix(_CRAWL_LOG_SUFFIX)
            if crawl_id.isdigit():
                found[crawl_id] = p
        return found

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
                f.write(config_template(config))
        except OSError as e:
            raise CollectionError(f"cannot create the collection ({e.strerror})", root) from e
        return coll

    @classmethod
    def open(cls, root: Path) -> Collection:
        coll = cls(root)
        coll.check_path()
        if not root.exists():
            raise CollectionError(
                "no such collection; create it with `preserve init COLLECTION --seed URL` "
                "(or `preserve crawl COLLECTION --seed URL`)", root
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
    def lock(self, *, read_only_ok: bool = False) -> Iterator[bool]:
        """Exclusive use of the collection; the OS drops the lock when the process dies.
        Yields True when the exclusive lock was taken.

        ``state/lock`` is never followed through a symbolic link nor taken if it is not a
        regular file. When the collection cannot be written (a read-only mount, no write
        permission), a command that must write gets a CollectionError naming what it
        needs; one that only reads (``read_only_ok``: verify) goes on: it takes a shared
        lock on an existing ``state/lock`` (so it still never runs beside a crawl) or none
        at all, and yields False."""
        try:
            self.state.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, _LOCK_FLAGS | os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise CollectionError(f"{self.rel(self.lock_path)} is a symbolic link; it "
                                      "is never followed: remove it", self.root) from e
            if e.errno not in _READ_ONLY or not read_only_ok:
                raise CollectionError(
                    f"cannot take the collection's lock: {self.rel(self.lock_path)} cannot "
                    f"be written ({e.strerror}); this command writes to the collection: "
                    "make it writable, or work on a writable copy", self.root) from e
            fd = -1
        if fd < 0:
            shared = self._shared_lock()
            try:
                yield False
            finally:
                if shared is not None:
                    os.close(shared)
            return
        _check_lock_file(fd, self)
        with pid_lock(fd, lambda pid: CollectionLocked(self.root, pid), clear=False):
            yield True

    def _shared_lock(self) -> int | None:
        """A shared flock on the existing lock file (its fd, to close when done), refused
        while a crawl holds the lock; None when there is no lock file."""
        try:
            fd = os.open(self.lock_path, _LOCK_FLAGS | os.O_RDONLY)
        except FileNotFoundError:
            return None  # no lock file, and none can be made: no crawl can run either
        except OSError as e:
            raise CollectionError(f"cannot open {self.rel(self.lock_path)} ({e.strerror})",
                                  self.root) from e
        _check_lock_file(fd, self)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _pid_in(fd)
            os.close(fd)
            raise CollectionLocked(self.root, pid) from None
        return fd
_LOCK_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
# What open() says on a read-only mount or a directory this user may not write.
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def _check_lock_file(fd: int, coll: Collection) -> None:
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CollectionError(f"{coll.rel(coll.lock_path)} is not a regular file; remove it",
                              coll.root)


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

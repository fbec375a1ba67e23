"""The schedule lock of a collection: one run-due at a time per collection.

A lock of its own (state/schedule.lock), not the collection lock, because the jobs it
runs (a crawl, a verify, an export) each take the collection lock themselves. Like the
collection lock it is an flock, which the OS drops when its process dies, so a lock left
by a dead process never blocks; the pid in the file, cleared on a clean release, tells
that a previous run died holding it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..collection import Collection
from ..errors import ScheduleLocked, StorageError

__all__ = ["schedule_lock", "LOCK_NAME"]

LOCK_NAME = "schedule.lock"


@contextmanager
def schedule_lock(coll: Collection) -> Iterator[int | None]:
    """Hold the schedule lock; yields the pid of a dead holder whose lock was recovered.

    Raises ScheduleLocked (with the holder's pid) if another process holds it."""
    path = coll.state / LOCK_NAME
    try:
        coll.state.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise StorageError(f"cannot open the schedule lock ({e.strerror})", path) from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise ScheduleLocked(coll.root, int(raw) if raw.isdigit() else None) from None
        raw = os.pread(fd, 32, 0).decode(errors="replace").strip()
        stale = int(raw) if raw.isdigit() else None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield stale
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)

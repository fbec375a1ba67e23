"""The schedule lock of a collection: one run-due at a time per collection.

A lock of its own (state/schedule.lock), not the collection lock, because the jobs it
runs (a crawl, a verify, an export) each take the collection lock themselves. It is the
same kind of lock (collection.pid_lock), an flock, which the OS drops when its process
dies, so a lock left by a dead process never blocks; the pid in the file, cleared on a
clean release, tells that a previous run died holding it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..collection import Collection, pid_lock
from ..errors import ScheduleLocked, StorageError

__all__ = ["schedule_lock"]


@contextmanager
def schedule_lock(coll: Collection) -> Iterator[int | None]:
    """Hold the schedule lock; yields the pid of a dead holder whose lock was recovered.

    Raises ScheduleLocked (with the holder's pid) if another process holds it."""
    path = coll.schedule_lock_path
    try:
        coll.state.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise StorageError(f"cannot open the schedule lock ({e.strerror})", path) from e
    with pid_lock(fd, lambda pid: ScheduleLocked(coll.root, pid), clear=True) as stale:
        yield stale

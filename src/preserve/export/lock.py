"""The lock an export holds: the collection's lock, or a shared one on a read-only collection.

An export only reads the collection, so a collection it cannot write (a read-only mount,
another user's files) can still be exported. ``Collection.lock`` creates and writes
``state/lock``; where that fails for want of write access, the export takes a shared
``flock`` on the lock file opened read-only, which creates nothing and still keeps out a
crawl (a crawl holds the lock exclusively). With no lock file at all, no crawl has ever
run in this directory: there is nothing to lock against.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator

from ..collection import Collection
from ..errors import CollectionError, CollectionLocked

__all__ = ["export_lock"]

_NO_WRITE = (errno.EROFS, errno.EACCES, errno.EPERM)


@contextlib.contextmanager
def _shared(coll: Collection) -> Iterator[None]:
    try:
        fd = os.open(coll.lock_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        yield
        return
    except OSError as e:
        raise CollectionError(f"cannot open the collection's lock ({e.strerror})",
                              coll.lock_path) from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise CollectionLocked(coll.root, int(raw) if raw.isdigit() else None) from None
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def export_lock(coll: Collection) -> Iterator[None]:
    """Hold the collection against crawls for the length of an export."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(coll.lock())
        except OSError as e:
            if e.errno not in _NO_WRITE:
                raise CollectionError(f"cannot take the collection's lock ({e.strerror})",
                                      coll.lock_path) from e
            stack.enter_context(_shared(coll))
        yield

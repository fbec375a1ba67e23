"""The lock an export holds: the collection's lock, or a shared one on a read-only collection.

An export only reads the collection, so a collection it cannot write (a read-only mount,
another user's files) can still be exported: ``Collection.lock(read_only_ok=True)``
takes, where ``state/lock`` cannot be written, a shared ``flock`` on the lock file
opened read-only, which creates nothing and still keeps out a crawl (a crawl holds the
lock exclusively). With no lock file at all, no crawl has ever run in this directory:
there is nothing to lock against.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..collection import Collection

__all__ = ["export_lock"]


@contextlib.contextmanager
def export_lock(coll: Collection) -> Iterator[None]:
    """Hold the collection against crawls for the length of an export."""
    with coll.lock(read_only_ok=True):
        yield

"""The files of a collection that verify covers, listed once and trusted in nothing.

Both ``preserve verify`` and ``preserve audit`` start from this list, so they speak of
the same files. The working data (``state/``, ``logs/``, normalise's own state database)
is left out; a symbolic link (to a file or a directory) and anything that is not a
regular file (a FIFO, a device, a socket) is listed as refused, with why: it is
reported, and never opened or followed (preserve.safeopen).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..collection import Collection
from ..safeopen import Refused, describe

__all__ = ["Listing", "list_collection", "is_closed_warc"]


@dataclass
class Listing:
    files: list[str] = field(default_factory=list)  # regular files, by relative path
    refused: dict[str, Refused] = field(default_factory=dict)  # relative path -> why

    @property
    def present(self) -> set[str]:
        return set(self.files) | set(self.refused)

    def blocked(self, rel: str) -> bool:
        """``rel`` or a directory above it was refused."""
        parts = rel.split("/")
        return any("/".join(parts[:k]) in self.refused for k in range(1, len(parts) + 1))


def is_closed_warc(rel: str) -> bool:
    """A closed WARC file of the collection: ``warcs/NAME.warc.gz``."""
    name = Collection.warc_name(rel)
    return (Collection.is_warc_rel(rel) and "/" not in name and name.endswith(".warc.gz"))


def _link(path: str) -> str:
    try:
        return f"a symbolic link to {os.readlink(path)}"
    except OSError:
        return "a symbolic link"


def list_collection(coll: Collection) -> Listing:
    """Every file under the collection's root but its working data, without following a
    symbolic link."""
    out = Listing()
    root = coll.root
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else f"{rel_dir}/"
        if not prefix:
            dirnames[:] = [d for d in dirnames if d not in Collection.WORKING_DIRS]
        for d in list(dirnames):
            full = os.path.join(dirpath, d)
            if os.path.islink(full):  # os.walk lists it as a directory, never enters it
                dirnames.remove(d)
                out.refused[prefix + d] = Refused("FILE_SYMLINK", _link(full), prefix + d)
        dirnames.sort()
        for name in sorted(filenames):
            rel = prefix + name
            if Collection.is_working(rel):
                continue
            full = os.path.join(dirpath, name)
            try:
                mode = os.lstat(full).st_mode
            except OSError:
                continue  # gone while listed
            if stat.S_ISREG(mode):
                out.files.append(rel)
            elif stat.S_ISLNK(mode):
                out.refused[rel] = Refused("FILE_SYMLINK", _link(full), rel)
            else:
                out.refused[rel] = Refused("FILE_NOT_REGULAR", describe(mode), rel)
    return out

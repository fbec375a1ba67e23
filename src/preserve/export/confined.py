"""Reading the collection's files without ever leaving the collection.

An export reads only regular files inside the collection root: every path it reads is
relative, normalised and without ``..`` (a fixity manifest is input like any other), no
component of it is a symbolic link, and the file itself is neither a link nor a FIFO,
device, socket or directory. The file is checked with ``lstat`` when the sources are
chosen, and opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked again by ``fstat``
(the same inode as when chosen), so a file swapped for a link in between is refused too
and no open can block on a FIFO.
"""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

from ..errors import ExportError
from ..safeopen import describe

__all__ = ["rel_problem", "lstat_inside", "open_regular", "Identity"]

Identity = tuple[int, int]  # (st_dev, st_ino)

def _refuse(mode: int, path: Path) -> ExportError:
    kind = describe(mode)
    if stat.S_ISLNK(mode):
        return ExportError(f"is {kind}; an export reads only the files inside the "
                           "collection, never through a link (put the file itself there)",
                           path)
    return ExportError(f"is {kind}, not a regular file; an export reads only regular files "
                       "(remove it from the collection)", path)


def rel_problem(rel: str) -> str | None:
    """Why ``rel`` is not a path inside the collection, or None when it is one."""
    if not rel or "\0" in rel:
        return "an empty path" if not rel else "a path with a NUL byte"
    if rel.startswith("/"):
        return "an absolute path"
    parts = rel.split("/")
    if ".." in parts:
        return "a path with '..'"
    if posixpath.normpath(rel) != rel or "." in parts:
        return "a path that is not normalised"
    return None


def lstat_inside(root: Path, rel: str) -> os.stat_result:
    """The status of the regular file ``root/rel``, no component of it followed as a link.

    ``rel`` must have passed ``rel_problem``. Raises ExportError for a link, a special
    file or a non-directory on the way; FileNotFoundError when something is missing.
    """
    here = root
    parts = rel.split("/")
    for part in parts[:-1]:
        here = here / part
        st = os.lstat(here)
        if not stat.S_ISDIR(st.st_mode):
            raise _refuse(st.st_mode, here)
    path = root / rel
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(st.st_mode, path)
    return st


def open_regular(path: Path, identity: Identity | None) -> int:
    """A read-only descriptor on the regular file ``path``, opened without following a
    link at its end and without blocking; when ``identity`` is given, the file must be
    the one found when the sources were chosen."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as e:
        try:
            st = os.lstat(path)
        except OSError:
            raise ExportError(f"cannot read ({e.strerror})", path) from e
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(st.st_mode, path) from e
        raise ExportError(f"cannot read ({e.strerror})", path) from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(st.st_mode, path)
        if identity is not None and (st.st_dev, st.st_ino) != identity:
            raise ExportError("was replaced while it was being exported; export again", path)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd

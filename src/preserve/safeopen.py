"""Opening what verify and export read, trusting nothing: only regular files, never a symlink.

A hostile collection can hold a FIFO (reading it blocks for ever), a device (``/dev/zero``
never ends), or a symbolic link that leads out of the collection. Verify never opens
anything but a regular file: the file's type is read with ``lstat`` first (a device is
never opened, since opening some has side effects), the file is then opened with
``O_NONBLOCK`` and ``O_NOFOLLOW`` and checked again with ``fstat`` to be the same regular
file. Inside a collection no path component is followed through a symbolic link: each
directory is opened relative to the one above it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = ["Refused", "describe", "open_regular", "open_nofollow", "open_in", "check_in"]

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
# Buffered, so that reading lines (an index, the event log) is not a system call a byte;
# reads larger than this go to the file directly.
_BUFFER = 1 << 16
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Refused(Exception):
    """Not opened: ``code`` is the finding (FILE_SYMLINK or FILE_NOT_REGULAR), ``what``
    says what the path is, in words ("a FIFO", "a symbolic link to /dev/zero")."""

    def __init__(self, code: str, what: str, rel: str = "") -> None:
        self.code = code
        self.what = what
        self.rel = rel  # the path (or the directory on it) that was refused
        super().__init__(what)


def describe(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _link_text(name: str, dir_fd: int | None) -> str:
    try:
        return f"a symbolic link to {os.readlink(name, dir_fd=dir_fd)}"
    except OSError:
        return "a symbolic link"


def _open(name: str | Path, dir_fd: int | None, follow: bool, rel: str) -> BinaryIO:
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=follow)
    if stat.S_ISLNK(st.st_mode):
        raise Refused("FILE_SYMLINK", _link_text(str(name), dir_fd), rel)
    if not stat.S_ISREG(st.st_mode):
        what = describe(st.st_mode)
        if follow and os.path.islink(name) and dir_fd is None:
            what = f"{_link_text(str(name), None)}, {what}"
        raise Refused("FILE_NOT_REGULAR", what, rel)
    fd = os.open(name, _FLAGS | (0 if follow else os.O_NOFOLLOW), dir_fd=dir_fd)
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev,
                                                                          st.st_ino):
            raise Refused("FILE_NOT_REGULAR", "replaced while it was opened", rel)
        return os.fdopen(fd, "rb", buffering=_BUFFER)
    except BaseException:
        os.close(fd)
        raise


def open_regular(path: Path) -> BinaryIO:
    """Open a file given by a person (symlinks followed: the choice was theirs), unless
    it is not a regular file. Raises Refused or OSError."""
    return _open(path, None, True, str(path))


def open_nofollow(path: Path) -> BinaryIO:
    """Open ``path`` only if it is a regular file and not a symbolic link. Raises Refused
    or OSError."""
    return _open(path, None, False, str(path))


def _walk_dirs(root: Path, rel: str) -> tuple[int, str]:
    """An fd of the directory holding ``rel`` inside ``root``, reached without following
    any symbolic link, and the last component of ``rel``."""
    *dirs, name = rel.split("/")
    if not name or name in (".", "..") or any(d in ("", ".", "..") for d in dirs):
        raise Refused("FILE_NOT_REGULAR", "not a plain relative path", rel)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        done: list[str] = []
        for d in dirs:
            done.append(d)
            st = os.stat(d, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                raise Refused("FILE_SYMLINK", _link_text(d, fd), "/".join(done))
            if not stat.S_ISDIR(st.st_mode):
                raise Refused("FILE_NOT_REGULAR", describe(st.st_mode), "/".join(done))
            below = os.open(d, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = below
    except BaseException:
        os.close(fd)
        raise
    return fd, name


def open_in(root: Path, rel: str) -> BinaryIO:
    """Open the regular file at ``rel`` (a POSIX path relative to ``root``, no ``..``)
    without following a symbolic link anywhere below ``root``. Raises Refused (its
    ``rel`` names the component refused) or OSError."""
    fd, name = _walk_dirs(root, rel)
    try:
        return _open(name, fd, False, rel)
    finally:
        os.close(fd)


def check_in(root: Path, rel: str) -> None:
    """Raise Refused if ``rel`` is not a regular file reached without a symbolic link
    (OSError if it cannot be looked at); opens nothing but directories."""
    fd, name = _walk_dirs(root, rel)
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise Refused("FILE_SYMLINK", _link_text(name, fd), rel)
        if not stat.S_ISREG(st.st_mode):
            raise Refused("FILE_NOT_REGULAR", describe(st.st_mode), rel)
    finally:
        os.close(fd)

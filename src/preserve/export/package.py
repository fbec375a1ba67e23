"""Atomic packages: built under a temporary name beside DEST, renamed into place at the end.

A failed or interrupted export removes its temporary package, so DEST is either the
complete new package, or what was there before (with ``--force``), or nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..atomic import fsync_dir
from ..collection import Collection
from ..errors import ExportError

__all__ = ["check_destination", "staged", "write_small"]


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_destination(coll: Collection, dest: Path, *, follow: bool = False) -> Path:
    """DEST made absolute, or an ExportError: inside the collection, or holding it.

    DEST's directory is resolved, DEST itself is not (unless ``follow``, for a storage
    root that is written into): a DEST that is a symbolic link is replaced, link and all,
    never written through, so the file or directory it points to is left alone.
    """
    absolute = Path(os.path.abspath(dest.expanduser()))
    if absolute.name in ("", ".", ".."):
        raise ExportError("is not a name for a package; give a file or directory name", dest)
    resolved = absolute.resolve() if follow else absolute.parent.resolve() / absolute.name
    root = coll.root.resolve()
    if _inside(resolved, root):
        raise ExportError("is inside the collection; export to a path outside it", dest)
    if _inside(root, resolved):
        raise ExportError("contains the collection; export to a path outside it", dest)
    parent = resolved.parent
    if not parent.is_dir():
        raise ExportError(f"cannot write here: {parent} is not a directory", dest)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write here: {parent} is not writable", dest)
    return resolved


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, _files in os.walk(root):
        fsync_dir(Path(dirpath))


@contextlib.contextmanager
def staged(dest: Path, *, replace: bool, directory: bool) -> Iterator[Path]:
    """Yield a temporary path beside ``dest`` (a new directory, or a file path to create).

    When the block completes it becomes ``dest``; an existing ``dest`` is refused unless
    ``replace``. On any error, or Ctrl-C, the temporary package is removed.
    """
    if dest.exists() or dest.is_symlink():
        if not replace:
            raise ExportError("already exists; give --force to replace it", dest)
    prefix = f".{dest.name}.export-"
    try:
        if directory:
            tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=dest.parent))
            os.chmod(tmp, 0o755)
        else:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=dest.parent)
            os.fchmod(fd, 0o644)
            os.close(fd)
            tmp = Path(name)
    except OSError as e:
        raise ExportError(f"cannot write here ({e.strerror})", dest) from e
    try:
        yield tmp
        if directory:
            _fsync_tree(tmp)
        else:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        old: Path | None = None
        if dest.exists() or dest.is_symlink():
            if not directory and dest.is_file():
                os.replace(tmp, dest)  # one atomic step for a file over a file
            else:
                old = dest.parent / f".{dest.name}.export-old-{os.getpid()}.tmp"
                _remove(old)
                os.rename(dest, old)
        if tmp.exists():
            try:
                os.rename(tmp, dest)
            except OSError:
                if old is not None:
                    os.rename(old, dest)  # put back what was there
                raise
        fsync_dir(dest.parent)
        if old is not None:
            _remove(old)
    except BaseException:
        _remove(tmp)
        raise


def write_small(path: Path, data: bytes) -> None:
    """A file the export writes itself (a manifest, an inventory), fsynced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())

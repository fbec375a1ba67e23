"""The exception tree of preserve: every error a user can meet derives from PreserveError.

    PreserveError
     ├── ConfigError            a preserve.toml or an option that cannot be used
     ├── CollectionError        a collection path that is missing, not a directory, or locked
     │    ├── CollectionLocked  another process is crawling the collection
     │    └── ScheduleLocked    another run-due is running the collection's schedules
     ├── SeedError              a seed URL that is malformed or not http(s)
     ├── StorageError           writing the collection failed (disk full, permissions)
     ├── WarcFormatError        a WARC file that cannot be parsed (path, offset)
     ├── UnreadableInput        a file given on the command line that cannot be read
     ├── ExportError            an export that cannot be made where or as asked (path)
     ├── ComponentMissing       a library a stage needs cannot be imported (module, package)
     └── FixityMismatch         a file's bytes differ from its fixity record while being
                                exported (path, algorithm, expected, found): exit 1

The CLI turns every PreserveError into one line on stderr and exit status 2
(StorageError: 1, since the crawl stopped after capturing something).
Findings of checks (fixity, robots, fetch failures) are data, never exceptions.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

__all__ = [
    "ExitStatus",
    "PreserveError",
    "ConfigError",
    "CollectionError",
    "CollectionLocked",
    "ScheduleLocked",
    "SeedError",
    "StorageError",
    "WarcFormatError",
    "UnreadableInput",
    "ExportError",
    "FixityMismatch",
    "ComponentMissing",
]


class ExitStatus(IntEnum):
    """The exit statuses of every ``preserve`` command (docs/cli.md); defined here, beside
    the exceptions that carry one, so that no module below the CLI needs to import it."""

    OK = 0
    PROBLEMS = 1  # finished, with problems worth attention (failed URLs, fixity failures)
    USAGE = 2  # usage or input error, said in one line on stderr


class PreserveError(Exception):
    """Root of preserve's exceptions; str() is the one line shown to the user."""

    exit_status: ExitStatus = ExitStatus.USAGE


class ConfigError(PreserveError):
    def __init__(self, message: str, path: Path | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{message}")


class CollectionError(PreserveError):
    def __init__(self, message: str, path: Path) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class CollectionLocked(CollectionError):
    def __init__(self, path: Path, pid: int | None) -> None:
        self.pid = pid
        who = f" by process {pid}" if pid else ""
        super().__init__(
            f"collection is in use{who}; wait for that crawl to finish or stop it", path
        )


class ScheduleLocked(CollectionError):
    def __init__(self, path: Path, pid: int | None) -> None:
        self.pid = pid
        who = f" by process {pid}" if pid else ""
        super().__init__(f"schedules are being run{who}; this run-due leaves them to it", path)


class SeedError(PreserveError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"seed {url!r}: {reason}")


class StorageError(PreserveError):
    exit_status = ExitStatus.PROBLEMS

    def __init__(self, message: str, path: Path | None = None) -> None:
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{message}")


class WarcFormatError(PreserveError):
    def __init__(self, path: Path, offset: int, message: str) -> None:
        self.path = path
        self.offset = offset
        super().__init__(f"{path} at offset {offset}: {message}")


class UnreadableInput(PreserveError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: cannot read ({reason})")


class ExportError(PreserveError):
    """Bad export input: a destination inside the collection, unwritable, already there."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{message}")


class FixityMismatch(PreserveError):
    """A source file is not what the collection's fixity record says: the export stops.

    ``found`` is None when the file is missing, and ``expected`` is None when no fixity
    record names a file that should have one (a closed WARC without a manifest line).
    """

    exit_status = ExitStatus.PROBLEMS

    def __init__(self, path: str, algorithm: str, expected: str | None,
                 found: str | None) -> None:
        self.path = path
        self.algorithm = algorithm
        self.expected = expected
        self.found = found
        if found is None:
            why = "is listed in the fixity manifest but missing"
        elif expected is None:
            why = "has no line in the fixity manifest, so it cannot be checked"
        else:
            why = f"{algorithm} is {found}, but the fixity manifest says {expected}"
        super().__init__(f"{path}: {why}; nothing was exported (run `preserve verify`)")


class ComponentMissing(PreserveError):
    """A third-party component a stage needs cannot be imported: a broken installation,
    said once before any work, not as a problem of every page."""

    def __init__(self, module: str, package: str, role: str, error: str) -> None:
        self.module = module
        self.package = package
        self.error = error
        super().__init__(
            f"{module} ({role}) cannot be imported ({error}); install it with "
            f"`python -m pip install {package}`, or reinstall preserve with a current pip")

"""A package's own audit trail and rolling order: ``NAME.events.jsonl`` beside a bag, an
OCFL object or storage root, or a WACZ file (never inside it, where a new file would
break its manifests or inventories). The log is the collection's kind (store.events: a
hash chain of PREMIS-style events); verify appends one ``fixity check`` event per file
it checked, named by its path inside the package, and ``--budget`` reads it to check
what was verified least recently first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import StorageError
from ..store.events import EventLog
from .audit import FileHistory, history, record_run, time_key
from .report import Report, finding

__all__ = ["events_path", "log_history", "record_package", "relative", "rolling_units",
           "within_size"]


def events_path(package: Path) -> Path:
    """A package's own event log: ``NAME.events.jsonl`` beside it. verify appends to it
    only if it exists (``--record`` or ``--budget`` start it; so does an empty file)."""
    return package.with_name(package.name + ".events.jsonl")


def relative(package: Path, name: str) -> str:
    """A report's name for a file as a path inside the package: OCFL and WACZ findings
    name ``PACKAGE/member``, a bag's name the member alone; the package itself is
    ``.``."""
    prefix = str(package)
    if name == prefix:
        return "."
    return name.removeprefix(prefix + "/")


def log_history(package: Path) -> dict[str, FileHistory]:
    """Each file's fixity-check history from the package's log (none if it has none or
    cannot be read: a rolling audit then starts from the beginning)."""
    try:
        return history(EventLog(events_path(package)).read())
    except StorageError:
        return {}


def record_package(package: Path, report: Report) -> None:
    """If the package's log exists, append one ``fixity check`` event per file read or
    named by an error: pass, or fail with the error codes. A log that cannot be written
    is an EVENTS_NOT_RECORDED warning in the report."""
    log = events_path(package)
    if not (log.exists() or log.is_symlink()):
        return
    checked = {relative(package, r.file) for r in report.files if r.checked}
    checked |= {relative(package, f.file) for f in report.errors}
    data = {relative(package, r.file): {"size": r.size, **r.digests}
            for r in report.files if r.checked}
    named = Report(findings=[replace(f, file=relative(package, f.file))
                             for f in report.errors])
    try:
        record_run(EventLog(log), named, sorted(checked), data)
    except StorageError as e:
        report.findings.append(finding("EVENTS_NOT_RECORDED", log.name, f"this check "
                                       f"could not be recorded in the package's event "
                                       f"log ({e}); every check above was made"))


def rolling_units(units: Mapping[str, Sequence[str]],
                  hist: dict[str, FileHistory]) -> list[str]:
    """Units (objects of a storage root, files of a bag) least recently verified first:
    a unit is as old as its oldest file, and one with a file never passed comes first.
    Stable for units of the same age."""
    def key(unit: str) -> tuple[int, str]:
        passes = [hist[f].last_pass if f in hist else None for f in units[unit]]
        if not passes or any(p is None for p in passes):
            return (0, "")
        return (1, min(time_key(p) for p in passes if p is not None))
    return sorted(units, key=key)


def within_size(ordered: Iterable[str], size: Callable[[str], int], budget: int,
                too_big: Callable[[str, int], None]) -> list[str]:
    """The units that fit a size budget, first fit in order; ``too_big`` is told of each
    unit larger than the whole budget (which a rolling audit never reaches)."""
    left = budget
    chosen = []
    for unit in ordered:
        n = size(unit)
        if n <= left:
            chosen.append(unit)
            left -= n
        elif n > budget:
            too_big(unit, n)
    return chosen

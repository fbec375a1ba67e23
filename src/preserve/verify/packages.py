"""What kind of package a path is, when it is no collection and no WARC: a WACZ file, a
BagIt bag or an OCFL object or storage root, and the one entry point that verifies
each by its own specification."""

from __future__ import annotations

import os
import tarfile
import zipfile
from datetime import datetime
from pathlib import Path

from ..collection import CONFIG_NAME
from ..errors import UnreadableInput
from .audit import DEFAULT_MAX_AGE, AuditEntry, audit_entries
from .bagsource import SourceError, open_source
from .collection import VerifyOptions
from .packagelog import events_path, log_history
from .report import Finding, Report, finding
from .runner import ProgressCallback

__all__ = ["package_kind", "verify_package", "audit_package", "events_path"]


def package_kind(path: Path) -> str | None:
    """A short description of the package at ``path`` ("a WACZ file", "a BagIt bag",
    "an OCFL object", "an OCFL storage root"), or None if it is none of these. Only
    regular files and directories are looked at."""
    if path.is_dir():
        if (path / CONFIG_NAME).is_file():
            return None  # a collection (its exports go elsewhere)
        if (path / "bagit.txt").is_file() or ((path / "data").is_dir()
                                               and any(path.glob("manifest-*.txt"))):
            return "a BagIt bag"
        names = [p.name for p in path.glob("0=ocfl*")]
        if any(n.startswith("0=ocfl_object_") for n in names):
            return "an OCFL object"
        if names or (path / "ocfl_layout.json").is_file():
            return "an OCFL storage root"
        if (path / "inventory.json").is_file():
            return "an OCFL object"  # without its declaration, which verify reports
        return None
    if not path.is_file():
        return None
    if path.suffix.lower() == ".wacz":
        return "a WACZ file"
    if path.name.lower().endswith((".tar", ".tar.gz", ".tgz")):
        try:
            return "a BagIt bag (tar)" if tarfile.is_tarfile(path) else None
        except OSError:
            return None
    try:
        with path.open("rb") as f:
            if f.read(4) != b"PK\x03\x04":
                return None
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile):
        return None
    if "datapackage.json" in names:
        return "a WACZ file"
    if any(n == "bagit.txt" or n.count("/") == 1 and n.endswith("/bagit.txt")
           for n in names):
        return "a BagIt bag (zip)"
    return None


def verify_package(path: Path, options: VerifyOptions, *,
                   on_progress: ProgressCallback | None = None,
                   record: bool = False) -> Report:
    """Verify the package at ``path`` (``package_kind(path)`` is not None) by its own
    specification: a BagIt bag by RFC 8493 (verify/bag.py), an OCFL object or storage
    root by OCFL 1.1 (verify/ocflpkg.py), a WACZ file by WACZ 1.1.1 (verify/waczpkg.py).
    Problems are findings in the report, never exceptions.

    One ``fixity check`` event per file checked is appended to the package's own event
    log beside it (verify/packagelog.py) if it exists; ``record`` starts it. A budget
    (``options.budget_*``) checks a bag directory's files, an OCFL storage root's
    objects or an OCFL object's files least recently verified first; a package that is
    one file (a WACZ, a zipped or tarred bag) is one unit, checked whole or skipped."""
    kind = package_kind(path) or ""
    report = Report()
    budget = options.budget_seconds is not None or options.budget_bytes is not None
    if kind and (record or budget):  # a rolling audit needs the log to remember
        err = _start_log(events_path(path))
        if err is not None:
            report.findings.append(err)
    if "BagIt" in kind and not path.is_dir() or "WACZ" in kind:
        skip = _whole(path, options)
        if skip is not None:
            report.findings.extend(skip.findings)
            report.skipped = skip.skipped
            return report
    if "BagIt" in kind:
        from .bag import verify_bag
        out = verify_bag(path, options, on_progress=on_progress)
    elif "OCFL" in kind:
        from .ocflpkg import verify_ocfl
        out = verify_ocfl(path, options, on_progress=on_progress)
    elif "WACZ" in kind:
        from .waczpkg import verify_wacz
        out = verify_wacz(path, options, on_progress=on_progress)
    else:
        out = Report()
        out.findings.append(finding("PACKAGE_NOT_SUPPORTED", str(path),
                                    f"{path} is no package preserve knows"))
    out.findings[:0] = report.findings
    return out


def _start_log(log: Path) -> Finding | None:
    """Create the package's empty event log, unless it exists (or is a link: then
    recording reports it)."""
    if log.exists() or log.is_symlink():
        return None
    try:
        with log.open("x"):
            pass
    except FileExistsError:
        pass
    except OSError as e:
        return finding("EVENTS_NOT_RECORDED", log.name, f"the package's event log cannot "
                       f"be started ({e.strerror or e}); every check below was made")
    return None


def _whole(path: Path, options: VerifyOptions) -> Report | None:
    """With a budget, a package that is one file is checked whole: a report of it
    skipped if the budget is zero or smaller than the file, else None (check it)."""
    seconds, size = options.budget_seconds, options.budget_bytes
    if seconds is None and size is None:
        return None
    report = Report()
    length = path.stat().st_size
    if (seconds is not None and seconds <= 0) or (size is not None and size <= 0):
        report.skipped = [str(path)]
    elif size is not None and length > size:
        report.skipped = [str(path)]
        report.findings.append(finding(
            "BUDGET_TOO_SMALL", str(path), "a package that is one file is checked whole, "
            "and it is larger than the whole size budget", expected=size, found=length))
    return report if report.skipped else None


def audit_package(path: Path, *, max_age: float = DEFAULT_MAX_AGE,
                  now: datetime | None = None) -> list[AuditEntry]:
    """Each file of the package that verify checks, and each one its event log names,
    with its last check (read from ``NAME.events.jsonl`` beside it)."""
    covered, present = _files(path)
    return audit_entries(covered, present | {"."}, log_history(path), max_age=max_age,
                         now=now, where="the package")


def _files(path: Path) -> tuple[set[str], set[str]]:
    """The files every verification of a package checks (a bag's payload, an OCFL
    object's content files, a WACZ's members), and all the files it holds. (Tag files
    and inventories are listed once a run has recorded them.)"""
    kind = package_kind(path) or ""
    try:
        if "BagIt" in kind:
            with open_source(path) as src:
                present = {m.rel for m in src.members.values() if m.kind == "file"}
            return {r for r in present if r.startswith("data/")}, present
        if "OCFL" in kind:
            from .ocflinventory import Notes
            from .ocflobject import check_object
            from .ocflpkg import is_storage_root
            from .ocflroot import check_root
            rels = check_root(path, Notes(str(path))).objects if is_storage_root(path) \
                else [""]
            covered = {cf.rel for rel in rels
                       for cf in check_object(path, rel, Notes(str(path))).files}
            present = {str(Path(top, name).relative_to(path))
                       for top, _, names in os.walk(path) for name in names}
            return covered, present
        if "WACZ" in kind:
            with zipfile.ZipFile(path) as z:
                members = {i.filename for i in z.infolist() if not i.is_dir()}
            return members, members
    except (OSError, zipfile.BadZipFile, ValueError, SourceError) as e:
        raise UnreadableInput(path, f"cannot list the package ({e})") from e
    return set(), set()

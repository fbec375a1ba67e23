"""Verify OCFL 1.0 and 1.1 objects and storage roots by the specification's validation
rules, each finding with the specification's own code (E001... as ``OCFL_E001``).

The steps (docs/verify.md, "OCFL objects and storage roots"):

1. a storage root: its declaration, ocfl_layout.json and extensions, and the storage
   hierarchy walked to every object root (verify.ocflroot);
2. every object: declaration, root, version directories, every inventory and sidecar,
   each version's inventory against the root's (verify.ocflobject, verify.ocflinventory);
3. every content file read once (several at a time with ``jobs``), computing at once every
   digest some inventory gives for it: the manifest's, the fixity blocks' (md5, sha1,
   sha256, sha512, blake2b-512) and those of earlier versions' inventories.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .collection import VerifyOptions
from .ocflinventory import FIXITY_HASHLIB, Notes
from .ocfllayout import Layout
from .ocflobject import ContentFile, ObjectCheck, check_object, list_dir
from .ocflroot import check_root
from .packagelog import log_history, record_package, rolling_units, within_size
from .report import Report, finding
from .runner import Job, ProgressCallback, run_scans

__all__ = ["verify_ocfl", "is_storage_root"]


def is_storage_root(path: Path) -> bool:
    """A storage root declares itself (0=ocfl_1.x) or has an ocfl_layout.json; anything
    else given to verify_ocfl is checked as an object."""
    try:
        names = list_dir(path).files
    except OSError:
        return False
    if any(n.startswith("0=ocfl_object") for n in names):
        return False
    return any(n.startswith("0=ocfl_") for n in names) or "ocfl_layout.json" in names


def verify_ocfl(path: Path, options: VerifyOptions, *,
                on_progress: ProgressCallback | None = None) -> Report:
    """Verify the OCFL object or storage root at ``path``. Findings name files by
    ``path`` and their path under it, so the object they belong to is in the name."""
    started = time.monotonic()
    report = Report()
    name = str(path)
    if not path.is_dir():
        report.findings.append(finding("PACKAGE_UNREADABLE", name,
                                       "not a directory: an OCFL object or storage root is "
                                       "a directory"))
        return report
    objects: list[ObjectCheck] = []
    rels = [""]
    if is_storage_root(path):
        root_notes = Notes(name)
        walk = check_root(path, root_notes)
        rels = walk.objects
        for rel in walk.objects:
            obj = check_object(path, rel, Notes(f"{name}/{rel}"))
            if walk.spec is not None and obj.spec is not None and obj.spec > walk.spec:
                root_notes.add("E081", rel, f"the object declares OCFL {obj.spec}, later "
                               f"than its storage root's {walk.spec}")
            objects.append(obj)
        _check_placement(walk.layout, list(zip(walk.objects, objects, strict=True)),
                         root_notes)
        report.findings.extend(root_notes.findings)
    else:
        objects.append(check_object(path, "", Notes(name)))
    _check_content(path, rels, objects, options, on_progress, report, started)
    for obj in objects:
        report.findings.extend(obj.notes.findings)
    record_package(path, report)
    report.seconds = time.monotonic() - started
    return report


def _budgeted(path: Path, rels: list[str], objects: list[ObjectCheck], jobs: list[Job],
              options: VerifyOptions, report: Report) -> tuple[list[Job], dict[str, list[str]]]:
    """A rolling audit's share of the content files, in the order to read them, and
    the units it chooses among: a storage root's objects, least recently verified first
    (per its event log), or a single object's files. A zero budget reads none."""
    units: dict[str, list[str]] = {}
    for rel, obj in zip(rels, objects, strict=True):
        if rel:  # an object of a storage root: checked whole
            units[rel] = [cf.rel for cf in obj.files]
        else:
            units.update((cf.rel, [cf.rel]) for cf in obj.files)
    by_name = {j.name: j for j in jobs}
    ordered = rolling_units(units, log_history(path))
    if (options.budget_seconds is not None and options.budget_seconds <= 0) or (
            options.budget_bytes is not None and options.budget_bytes <= 0):
        return [], units
    if options.budget_bytes is not None:
        def too_big(unit: str, size: int) -> None:
            report.findings.append(finding(
                "BUDGET_TOO_SMALL", f"{path}/{unit}", "larger than the whole size budget, "
                "so a rolling audit never checks it", expected=options.budget_bytes,
                found=size))
        ordered = within_size(ordered, lambda u: sum(by_name[f].size for f in units[u]),
                              options.budget_bytes, too_big)
    return [by_name[f] for u in ordered for f in units[u]], units


def _check_placement(layout: Layout | None, found: list[tuple[str, ObjectCheck]],
                     notes: Notes) -> None:
    """Each id once in the root, and each object where the root's layout puts it."""
    seen: dict[str, str] = {}
    for rel, obj in found:
        if obj.id is None:
            continue
        if obj.id in seen:
            notes.add("E037", rel, f"object id {obj.id!r} is also the id of the object at "
                      f"{seen[obj.id]}")
        seen.setdefault(obj.id, rel)
        if layout is None:
            continue
        want = layout.path(obj.id)
        if want is not None and want != rel:
            notes.add("E083", rel, f"the object with id {obj.id!r} is not where the root's "
                      f"layout ({layout.extension}) puts it", expected=want, found=rel)


def _check_content(path: Path, rels: list[str], objects: list[ObjectCheck],
                   options: VerifyOptions,
                   on_progress: ProgressCallback | None, report: Report,
                   started: float) -> None:
    """Read every content file once and compare its digests with every inventory's
    (with a budget, those of the objects least recently verified first)."""
    owner: dict[str, tuple[ObjectCheck, ContentFile]] = {}
    jobs = []
    for obj in objects:
        for cf in obj.files:
            owner[cf.rel] = (obj, cf)
            jobs.append(Job(path / cf.rel, cf.rel, cf.size, cf.algorithms(), parse=False,
                            root=path))
    deadline = None
    units: dict[str, list[str]] = {}
    if options.budget_seconds is not None or options.budget_bytes is not None:
        jobs, units = _budgeted(path, rels, objects, jobs, options, report)
        if options.budget_seconds is not None:
            deadline = started + options.budget_seconds
    if on_progress is not None and not jobs:
        on_progress(0, 0)
    with tempfile.TemporaryDirectory(prefix="preserve-verify-") as tmp:
        outputs = run_scans(jobs, Path(tmp), workers=options.jobs, deadline=deadline,
                            on_progress=on_progress)
    if deadline is not None or options.budget_bytes is not None:
        read = {o.job.name for o in outputs}
        report.skipped = [f"{path}/{u}" for u, files in units.items()
                          if not all(f in read for f in files)]
    for out in outputs:
        obj, cf = owner[out.job.name]
        result = out.result
        result.file = obj.notes.name(cf.path)
        report.files.append(result)
        report.bytes_read += result.size
        if not result.checked:
            for f in result.findings:
                code = {"FILE_SYMLINK": "E090", "FILE_NOT_REGULAR": "E089"}.get(f.code)
                if code is None:
                    report.findings.append(finding(f.code, result.file, f.message))
                else:
                    obj.notes.add(code, cf.path, f.message)
            result.findings = []
            continue
        done: set[tuple[str, str, str]] = set()
        for e in cf.expect:
            if (e.code, e.algorithm, e.digest) in done:
                continue
            done.add((e.code, e.algorithm, e.digest))
            found = result.digests.get(FIXITY_HASHLIB[e.algorithm])
            if found is not None and found != e.digest:
                block = "manifest" if e.code == "E092" else f"fixity block ({e.algorithm})"
                obj.notes.add(e.code, cf.path, f"the file's {e.algorithm} differs from the "
                              f"{block} of {e.where}", expected=e.digest, found=found)

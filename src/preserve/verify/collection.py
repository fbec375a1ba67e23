"""Verify a collection: every file against the manifest, the event log and its own format.

The steps (docs/verify.md, "What is checked"):

0. list the collection's files (verify.listing): a symbolic link or anything but a
   regular file is reported and never opened (preserve.safeopen);
1. read events.jsonl (each line a complete event) and fold it into the fixity history;
2. read every ``fixity/manifest-*.txt`` strictly;
3. unlisted, missing and ``.open`` files;
4. scan the WARCs (all, or the ``--budget`` share, oldest last pass first), one read each;
5. compare each file's digests with the manifest and with its ``file closed`` event, so
   that a wrong manifest line is told apart from a changed file;
6. check preserve.toml (loads; same digest as at the last check) and the append-only
   files (the manifest and the event log only grew since the last check);
7. check the index and pages against the scanned records, ids and revisits across
   files, and normalise's output against the digests it recorded (verify.normalised);
8. append one ``fixity check`` event per file checked (a warning if it cannot be).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..collection import CONFIG_NAME, Collection
from ..config import load_config
from ..errors import ConfigError, StorageError
from ..safeopen import Refused, open_in
from ..store.events import EventChain, EventLog
from .audit import FileHistory, history, record_run, rolling_order
from .crossfile import CrossFileCheck
from .derived import check_index, check_pages
from .digests import hash_name
from .listing import is_closed_warc, list_collection
from .normalised import NORMALISED, Baselines, check_normalised
from .report import FileResult, Finding, Report, finding, refused_finding
from .runner import Job, ProgressCallback, ScanOutput, run_scans

__all__ = ["VerifyOptions", "verify_collection", "APPEND_ONLY"]

EVENTS = Collection.EVENTS_REL
INDEX = Collection.INDEX_REL
PAGES = Collection.PAGES_REL
# Checked by prefix digest, not whole digest.
APPEND_ONLY = (Collection.MANIFEST_PREFIX, EVENTS)
_MANIFEST_NAME = re.compile(r"manifest-([A-Za-z0-9_-]+)\.txt")
_EVENT_KEYS = ("eventIdentifier", "eventType", "eventDateTime", "eventOutcome")
_READ = 1 << 20


@dataclass(frozen=True)
class VerifyOptions:
    jobs: int = 1
    budget_seconds: float | None = None
    budget_bytes: int | None = None
    fixity_only: bool = False  # whole-file digests only: no WARC parse, no index check
    accept_config: bool = False  # preserve.toml was edited on purpose: take it as baseline


@dataclass
class _Manifest:
    rel: str
    algorithm: str
    entries: dict[str, str]


class _Run:
    def __init__(self, coll: Collection, options: VerifyOptions,
                 on_progress: ProgressCallback | None) -> None:
        self.coll = coll
        self.root = coll.root
        self.options = options
        self.on_progress = on_progress
        self.report = Report()
        self.checked: list[str] = []
        self.data: dict[str, dict[str, Any]] = {}
        self.closed: dict[str, str] = {}  # path -> sha256 of its `file closed` event
        self.hist: dict[str, FileHistory] = {}
        self.listing = list_collection(coll)
        self.present: set[str] = set()  # what is there, read or not (verify_collection)
        self.normalised = Baselines()  # what normalise's output should be
        for r in self.listing.refused.values():
            self.refuse(r)

    def add(self, f: Finding) -> None:
        self.report.findings.append(f)

    def refuse(self, r: Refused) -> None:
        """A path never opened: its finding once, and a failed check in the log."""
        if r.rel not in self.checked:
            self.add(refused_finding(r))
            self.checked.append(r.rel)

    def open(self, rel: str) -> BinaryIO | None:
        """The regular file at ``rel``, reached without a symbolic link; None (and a
        finding) if it is not one or cannot be read."""
        try:
            return open_in(self.root, rel)
        except Refused as e:
            self.refuse(e)
        except OSError as e:
            self.add(finding("FILE_UNREADABLE", rel, f"cannot read the file "
                             f"({e.strerror or e})"))
            self.checked.append(rel)
        return None

    # 1. the event log -------------------------------------------------------------

    def read_events(self) -> None:
        path = self.coll.events_path
        parsed: list[dict[str, Any]] = []
        if EVENTS not in self.listing.files:
            return
        h = hashlib.sha256()
        size = 0
        f = self.open(EVENTS)
        if f is None:
            return
        chain = EventChain()
        with f:
            for raw in f:
                h.update(raw)
                start = size
                size += len(raw)
                try:
                    event = json.loads(raw) if raw.endswith(b"\n") else None
                except (ValueError, RecursionError):  # RecursionError: "[[[[..."
                    event = None
                for offset, why in chain.feed(raw, start, event):
                    self._chain_broken(offset, why)
                if not isinstance(event, dict) or not all(k in event for k in _EVENT_KEYS):
                    self.add(finding("EVENTS_MALFORMED", EVENTS, "not a complete event line "
                                     "(JSON object with eventType, eventDateTime, ...)",
                                     start, found=raw[:120].decode("utf-8", "replace")))
                    continue
                parsed.append(event)
                self.normalised.fold(event)
                if event["eventType"] == "file closed" and isinstance(
                        event.get("linkingObject"), str):
                    data = event.get("data") or {}
                    if isinstance(data, dict) and isinstance(data.get("sha256"), str):
                        self.closed[event["linkingObject"]] = data["sha256"]
        for offset, why in chain.end():
            self._chain_broken(offset, why)
        self.hist = history(parsed)
        self._append_only(EVENTS, path, size, h.hexdigest())

    def _chain_broken(self, offset: int, why: str) -> None:
        self.add(finding("EVENTS_CHAIN_BROKEN", EVENTS, f"the event log's hash chain breaks "
                         f"at this line: {why}", offset))

    def _append_only(self, rel: str, path: Path, size: int, sha256: str,
                     data: bytes | None = None) -> None:
        """The file must begin with the bytes it had at its last passing check; ``data``,
        the file's bytes if already in memory, saves reading it again."""
        self.checked.append(rel)
        self.data[rel] = {"sha256": sha256, "size": size}
        self.report.files.append(FileResult(rel, size, {"sha256": sha256}))
        base = self.hist.get(rel)
        if base is None or not isinstance(base.last_pass_data.get("size"), int):
            return
        old_size = base.last_pass_data["size"]
        old = base.last_pass_data.get("sha256")
        if size < old_size:
            self.add(finding("FILE_REWRITTEN", rel, f"the file is shorter than at the check "
                             f"of {base.last_pass}: it was cut, not appended to", None,
                             old_size, size))
            return
        h = hashlib.sha256()
        if data is not None:
            h.update(data[:old_size])
        else:
            left = old_size
            f = self.open(rel)
            if f is None:
                return
            with f:
                while left > 0:
                    chunk = f.read(min(_READ, left))
                    if not chunk:
                        break
                    h.update(chunk)
                    left -= len(chunk)
        if h.hexdigest() != old:
            self.add(finding("FILE_REWRITTEN", rel, f"its first {old_size} bytes changed "
                             f"since the check of {base.last_pass}: the file was rewritten, "
                             "not only appended to", None, old, h.hexdigest()))

    # 2. manifests -----------------------------------------------------------------

    def read_manifests(self) -> list[_Manifest]:
        out = []
        for rel in self.listing.files:
            if not (rel.startswith(Collection.MANIFEST_PREFIX) and rel.endswith(".txt")
                    and rel.count("/") == 1):
                continue
            path = self.root / rel
            m = _MANIFEST_NAME.fullmatch(path.name)
            algorithm = hash_name(m.group(1)) if m else None
            if algorithm is None:
                self.add(finding("MANIFEST_MALFORMED", rel, "the file name names no digest "
                                 "algorithm preserve can compute", expected="manifest-sha256"
                                 ".txt", found=path.name))
                continue
            manifest = _Manifest(rel, algorithm, {})
            digits = hashlib.new(algorithm).digest_size * 2
            line_re = re.compile(rb"([0-9a-f]{%d}) [ *](.+)\n" % digits)
            f = self.open(rel)
            if f is None:
                continue
            with f:
                data = f.read()
            offset = 0
            for raw in data.splitlines(keepends=True):
                match = line_re.fullmatch(raw)
                rel_path = match.group(2).decode("utf-8", "replace") if match else ""
                if (match is None or rel_path.startswith("/") or ".." in
                        rel_path.split("/") or "\\" in rel_path):
                    self.add(finding("MANIFEST_MALFORMED", rel, "not `<lower-case hex "
                                     "digest>  <relative path>` and a newline", offset,
                                     found=raw[:120].decode("utf-8", "replace")))
                elif rel_path in manifest.entries:
                    self.add(finding("MANIFEST_DUPLICATE", rel, f"{rel_path} is listed "
                                     "twice", offset, found=rel_path))
                else:
                    manifest.entries[rel_path] = match.group(1).decode("ascii")
                offset += len(raw)
            self._append_only(rel, path, len(data), hashlib.sha256(data).hexdigest(), data)
            out.append(manifest)
        return out

    # 5. digests against manifest and events --------------------------------------

    def compare(self, manifests: list[_Manifest], outputs: list[ScanOutput],
                present: set[str]) -> None:
        actual = {o.job.name: o.result.digests for o in outputs if o.result.checked}
        sha = next((m for m in manifests if m.algorithm == "sha256"), None)
        listed = sha.entries if sha else {}
        blamed: set[str] = set()  # files whose mismatch the manifest line explains
        for path in sorted(set(listed) | set(self.closed)):
            m, e = listed.get(path), self.closed.get(path)
            a = actual.get(path, {}).get("sha256")
            if m and e and m != e:
                if a == m:
                    self.add(finding("MANIFEST_EVENT_MISMATCH", EVENTS, f"the `file closed` "
                                     f"event of {path} gives another digest than the manifest "
                                     "and the file", None, m, e))
                else:
                    assert sha is not None
                    self.add(finding("MANIFEST_EVENT_MISMATCH", sha.rel, f"the line for {path}"
                                     " disagrees with its `file closed` event"
                                     + (" (the file matches the event)" if a == e else ""),
                                     None, e, m))
                    if a == e:
                        blamed.add(path)
            elif m and not e and self.closed and path not in present:
                assert sha is not None
                self.add(finding("MANIFEST_EVENT_MISMATCH", sha.rel, f"lists {path}, which no "
                                 "`file closed` event records and which does not exist",
                                 None, found=path))
                blamed.add(path)
            elif e and not m and path in present and sha is not None:
                self.add(finding("MANIFEST_EVENT_MISMATCH", sha.rel, f"has no line for {path},"
                                 " which events.jsonl records as closed", None, e))
                blamed.add(path)
        for manifest in manifests:
            for path, digest in manifest.entries.items():
                if path not in present:
                    if path not in blamed:
                        self.add(finding("FILE_MISSING", path, f"listed in {manifest.rel} but "
                                         "not in the collection", expected=digest))
                        self.checked.append(path)
                    continue
                got = actual.get(path, {}).get(manifest.algorithm)
                if got is not None and got != digest and path not in blamed:
                    self.add(finding("FIXITY_MISMATCH", path, f"{manifest.algorithm} differs "
                                     f"from {manifest.rel}: the file changed", None, digest,
                                     got))
        for path, digest in self.closed.items():
            if path not in present and path not in listed and Collection.is_warc_rel(path):
                self.add(finding("FILE_MISSING", path, "recorded as closed in events.jsonl but "
                                 "not in the collection", expected=digest))

    # 6. preserve.toml -------------------------------------------------------------

    def check_config(self) -> None:
        path = self.coll.config_path
        if CONFIG_NAME in self.listing.refused:
            return  # reported as FILE_SYMLINK or FILE_NOT_REGULAR
        if CONFIG_NAME not in self.listing.files:
            self.add(finding("FILE_MISSING", CONFIG_NAME, "the collection has no "
                             "preserve.toml"))
            return
        f = self.open(CONFIG_NAME)
        if f is None:
            return
        with f:
            data = f.read()
        digest = hashlib.sha256(data).hexdigest()
        self.checked.append(CONFIG_NAME)
        self.data[CONFIG_NAME] = {"sha256": digest, "size": len(data)}
        self.report.files.append(FileResult(CONFIG_NAME, len(data), {"sha256": digest}))
        try:
            load_config(path)
        except ConfigError as e:
            self.add(finding("CONFIG_INVALID", CONFIG_NAME, str(e)))
        except (UnicodeDecodeError, ValueError) as e:
            self.add(finding("CONFIG_INVALID", CONFIG_NAME, f"cannot be read ({e})"))
        base = self.hist.get(CONFIG_NAME)
        old = base.last_pass_data.get("sha256") if base else None
        if old and old != digest and not self.options.accept_config:
            self.add(finding("CONFIG_CHANGED", CONFIG_NAME, f"changed since the check of "
                             f"{base.last_pass if base else '?'}; if it was edited on purpose, "
                             "run `preserve verify --accept-config`", None, old, digest))

    # 4, 7: scans and derived files ------------------------------------------------

    def jobs(self, manifests: list[_Manifest], files: list[str]) -> list[Job]:
        algorithms: dict[str, set[str]] = {}
        for m in manifests:
            for path in m.entries:
                algorithms.setdefault(path, {"sha256"}).add(m.algorithm)
        warcs = [rel for rel in files if is_closed_warc(rel)]
        layout = {CONFIG_NAME, EVENTS, *Collection.DERIVED_RELS}
        targets = sorted({*warcs, *(p for p in algorithms if p in files and p not in layout
                                    and not p.startswith(f"{Collection.FIXITY_DIR}/"))})
        jobs = []
        for rel in targets:
            full = self.root / rel
            is_warc = rel.endswith((".warc.gz", ".warc"))
            jobs.append(Job(full, rel, os.stat(full, follow_symlinks=False).st_size,
                            tuple(sorted(algorithms.get(rel, {"sha256"}))),
                            parse=is_warc and not self.options.fixity_only,
                            index=is_warc and Collection.is_warc_rel(rel), root=self.root))
        return jobs

    def select(self, jobs: list[Job]) -> list[Job]:
        """The --budget share: oldest last pass first; a size budget is filled first-fit.
        A zero budget (of either kind) reads no file: only the small files, checked on
        every run, are."""
        seconds, size = self.options.budget_seconds, self.options.budget_bytes
        if size is None and seconds is None:
            return jobs
        if (size is not None and size <= 0) or (seconds is not None and seconds <= 0):
            return []
        by_name = {j.name: j for j in jobs}
        ordered = [by_name[n] for n in rolling_order(list(by_name), self.hist)]
        if self.options.budget_bytes is None:
            return ordered
        left = self.options.budget_bytes
        chosen = []
        for job in ordered:
            if job.size <= left:
                chosen.append(job)
                left -= job.size
            elif job.size > self.options.budget_bytes:
                self.add(finding("BUDGET_TOO_SMALL", job.name, "larger than the whole size "
                                 "budget, so a rolling audit never checks it", None,
                                 self.options.budget_bytes, job.size))
        return chosen


def verify_collection(coll: Collection, options: VerifyOptions = VerifyOptions(), *,
                      on_progress: ProgressCallback | None = None,
                      record: bool = True,
                      clock: Callable[[], float] = time.monotonic) -> Report:
    """Verify ``coll`` (from ``Collection.open``) and, with ``record``, append its fixity
    events. Raises CollectionLocked if a crawl holds the collection."""
    started = clock()
    with coll.lock(read_only_ok=True) as exclusive:
        run = _Run(coll, options, on_progress)
        run.read_events()
        manifests = run.read_manifests()
        files = run.listing.files
        listed = {p for m in manifests for p in m.entries}
        # Below a refused directory (a link) files are neither read nor called missing.
        present = run.listing.present | {p for p in listed | set(run.closed)
                                         if run.listing.blocked(p)}
        run.present = present
        fixity = f"{Collection.FIXITY_DIR}/"
        for rel in files:
            if Collection.is_warc_rel(rel) and rel.endswith(".open"):
                run.add(finding("FILE_OPEN", rel, "a WARC file still being written, or left by "
                                "a crash (`preserve crawl` repairs it); not checked"))
            elif (rel not in listed and rel not in (CONFIG_NAME, EVENTS)
                  and rel not in Collection.DERIVED_RELS
                  and not _MANIFEST_NAME.fullmatch(rel.removeprefix(fixity))
                  and rel not in run.closed):
                run.add(finding("FILE_UNLISTED", rel, "in the collection but in no manifest"))
                run.checked.append(rel)  # a failed check: audit agrees
        all_jobs = run.jobs(manifests, files)
        jobs = run.select(all_jobs)
        deadline = (started + options.budget_seconds
                    if options.budget_seconds is not None else None)
        with tempfile.TemporaryDirectory(prefix="preserve-verify-") as tmp:
            scratch = Path(tmp)
            outputs = run_scans(jobs, scratch, workers=options.jobs, deadline=deadline,
                                on_progress=on_progress, clock=clock)
            done = {o.job.name for o in outputs}
            run.report.skipped = [j.name for j in all_jobs if j.name not in done]
            for o in outputs:
                run.report.files.append(o.result)
                run.report.findings.extend(o.result.findings)
                run.report.bytes_read += o.result.size
                run.checked.append(o.job.name)
                run.data[o.job.name] = {"sha256": o.result.digests.get("sha256"),
                                        "size": o.result.size}
            run.compare(manifests, outputs, present)
            run.check_config()
            _normalised(run)
            if not options.fixity_only:
                _derived(run, outputs, all_jobs, scratch)
        if record:
            try:
                if EVENTS in run.listing.refused:
                    raise StorageError("it is not a regular file")
                if EVENTS not in run.listing.files:  # this check begins the log: its first
                    run.checked.append(EVENTS)  # line is this run's, so audit knows it
                    run.data[EVENTS] = {"sha256": hashlib.sha256(b"").hexdigest(), "size": 0}
                record_run(EventLog(coll.events_path), run.report, run.checked, run.data)
            except StorageError as e:
                how = "" if exclusive else ("the collection cannot be written, so it was "
                                            "verified under a shared lock and ")
                run.add(finding("EVENTS_NOT_RECORDED", EVENTS, f"{how}this check could not "
                                f"be recorded in the audit trail ({e}); every check above "
                                "was made"))
    run.report.seconds = clock() - started
    return run.report


def _normalised(run: _Run) -> None:
    """normalise's output: JSON lines, with the digest normalise (or the last check) gave."""
    for rel in NORMALISED:
        if rel not in run.listing.files:
            continue
        f = run.open(rel)
        if f is None:
            continue
        with f:
            found, digest, size = check_normalised(f, rel, run.normalised.get(rel))
        run.report.findings.extend(found)
        run.checked.append(rel)
        run.data[rel] = {"sha256": digest, "size": size}
        run.report.files.append(FileResult(rel, size, {"sha256": digest}))


def _derived(run: _Run, outputs: list[ScanOutput], all_jobs: list[Job], scratch: Path) -> None:
    try:
        _index_and_pages(run, outputs, scratch)
    except Refused as e:  # replaced by a link or a FIFO since it was listed
        run.refuse(e)


def _index_and_pages(run: _Run, outputs: list[ScanOutput], scratch: Path) -> None:
    # Every WARC was read: none left for a later run, none refused (a link, a FIFO).
    complete = not run.report.skipped and not any(
        is_closed_warc(rel) or rel == Collection.WARCS_DIR for rel in run.listing.refused)
    cross = CrossFileCheck(scratch / "ids.sqlite", complete=complete)
    for o in outputs:
        if o.ids is not None:
            cross.add_file(o.job.name, o.ids)
    run.report.findings.extend(cross.findings())
    warcs = {Collection.warc_name(o.job.name): o.cdxj for o in outputs
             if o.cdxj is not None}
    known = {Collection.warc_name(rel) for rel in run.present if is_closed_warc(rel)}
    digest = hashlib.sha256()
    if not run.listing.blocked(INDEX):
        run.report.findings.extend(check_index(
            run.coll.index_path, INDEX, warcs, known, scratch / "index.sqlite", digest))
        if INDEX in run.listing.files:
            _record_small(run, INDEX, run.coll.index_path, digest)
    if complete and not run.listing.blocked(PAGES):
        # The pages list needs every WARC, in name order.
        pages = [o.pages for o in sorted(outputs, key=lambda o: o.job.name)
                 if o.pages is not None and Collection.is_warc_rel(o.job.name)]
        digest = hashlib.sha256()
        run.report.findings.extend(check_pages(run.coll.pages_path, PAGES, pages,
                                               scratch / "pages.sqlite", digest))
        if run.coll.pages_path.exists():
            _record_small(run, PAGES, run.coll.pages_path, digest)


def _record_small(run: _Run, rel: str, path: Path, digest: Any) -> None:
    size = path.stat().st_size
    run.checked.append(rel)
    run.data[rel] = {"sha256": digest.hexdigest(), "size": size}
    run.report.files.append(FileResult(rel, size, {"sha256": digest.hexdigest()}))

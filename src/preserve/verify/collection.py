"""Verify a collection: every file against the manifest, the event log and its own format.

The steps (docs/verify.md, "What is checked"):

1. read events.jsonl (each line a complete event) and fold it into the fixity history;
2. read every ``fixity/manifest-*.txt`` strictly;
3. list the collection's files: unlisted, missing and ``.open`` files;
4. scan the WARCs (all, or the ``--budget`` share, oldest last pass first), one read each;
5. compare each file's digests with the manifest and with its ``file closed`` event, so
   that a wrong manifest line is told apart from a changed file;
6. check preserve.toml (loads; same digest as at the last check) and the append-only
   files (the manifest and the event log only grew since the last check);
7. check the index and pages against the scanned records, and ids and revisits across
   files;
8. append one ``fixity check`` event per file checked.
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
from typing import Any

from ..collection import CONFIG_NAME, Collection
from ..config import load_config
from ..errors import ConfigError
from ..store.events import EventLog
from .audit import FileHistory, history, record_run, rolling_order
from .crossfile import CrossFileCheck
from .derived import check_index, check_pages
from .digests import hash_name
from .report import FileResult, Finding, Report, finding
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

    def add(self, f: Finding) -> None:
        self.report.findings.append(f)

    # 1. the event log -------------------------------------------------------------

    def read_events(self) -> None:
        path = self.coll.events_path
        parsed: list[dict[str, Any]] = []
        if not path.exists():
            return
        h = hashlib.sha256()
        size = 0
        with open(path, "rb") as f:
            for raw in f:
                h.update(raw)
                start = size
                size += len(raw)
                try:
                    event = json.loads(raw) if raw.endswith(b"\n") else None
                except (ValueError, RecursionError):  # RecursionError: "[[[[..."
                    event = None
                if not isinstance(event, dict) or not all(k in event for k in _EVENT_KEYS):
                    self.add(finding("EVENTS_MALFORMED", EVENTS, "not a complete event line "
                                     "(JSON object with eventType, eventDateTime, ...)",
                                     start, found=raw[:120].decode("utf-8", "replace")))
                    continue
                parsed.append(event)
                if event["eventType"] == "file closed" and isinstance(
                        event.get("linkingObject"), str):
                    data = event.get("data") or {}
                    if isinstance(data, dict) and isinstance(data.get("sha256"), str):
                        self.closed[event["linkingObject"]] = data["sha256"]
        self.hist = history(parsed)
        self._append_only(EVENTS, path, size, h.hexdigest())

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
            with open(path, "rb") as f:
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
        for path in self.coll.manifests():
            rel = self.coll.rel(path)
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
            data = path.read_bytes()
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

    # 3. files ---------------------------------------------------------------------

    def list_files(self) -> list[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            if rel_dir == ".":
                dirnames[:] = [d for d in dirnames if d not in Collection.WORKING_DIRS]
            dirnames.sort()
            for name in sorted(filenames):
                found.append(name if rel_dir == "." else f"{rel_dir}/{name}")
        return found

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
        if not path.exists():
            self.add(finding("FILE_MISSING", CONFIG_NAME, "the collection has no "
                             "preserve.toml"))
            return
        data = path.read_bytes()
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
        warcs = [Collection.warc_rel(p.name) for p in self.coll.closed_warcs()]
        layout = {CONFIG_NAME, EVENTS, INDEX, PAGES}
        targets = sorted({*warcs, *(p for p in algorithms if p in files and p not in layout
                                    and not p.startswith(f"{Collection.FIXITY_DIR}/"))})
        jobs = []
        for rel in targets:
            full = self.root / rel
            is_warc = rel.endswith((".warc.gz", ".warc"))
            jobs.append(Job(full, rel, full.stat().st_size,
                            tuple(sorted(algorithms.get(rel, {"sha256"}))),
                            parse=is_warc and not self.options.fixity_only,
                            index=is_warc and Collection.is_warc_rel(rel)))
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
    with coll.lock():
        run = _Run(coll, options, on_progress)
        run.read_events()
        manifests = run.read_manifests()
        files = run.list_files()
        present = set(files)
        listed = {p for m in manifests for p in m.entries}
        fixity = f"{Collection.FIXITY_DIR}/"
        for rel in files:
            if Collection.is_warc_rel(rel) and rel.endswith(".open"):
                run.add(finding("FILE_OPEN", rel, "a WARC file still being written, or left by "
                                "a crash (`preserve crawl` repairs it); not checked"))
            elif (rel not in listed and rel not in (CONFIG_NAME, EVENTS, INDEX, PAGES)
                  and not _MANIFEST_NAME.fullmatch(rel.removeprefix(fixity))
                  and rel not in run.closed):
                run.add(finding("FILE_UNLISTED", rel, "in the collection but in no manifest"))
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
            if not options.fixity_only:
                _derived(run, outputs, all_jobs, scratch)
        if record:
            record_run(EventLog(coll.events_path), run.report, run.checked, run.data)
    run.report.seconds = clock() - started
    return run.report


def _derived(run: _Run, outputs: list[ScanOutput], all_jobs: list[Job], scratch: Path) -> None:
    cross = CrossFileCheck(scratch / "ids.sqlite", complete=not run.report.skipped)
    for o in outputs:
        if o.ids is not None:
            cross.add_file(o.job.name, o.ids)
    run.report.findings.extend(cross.findings())
    warcs = {Collection.warc_name(o.job.name): o.cdxj for o in outputs
             if o.cdxj is not None}
    known = {p.name for p in run.coll.closed_warcs()}
    digest = hashlib.sha256()
    run.report.findings.extend(check_index(
        run.coll.index_path, INDEX, warcs, known, scratch / "index.sqlite", digest))
    if run.coll.index_path.exists():
        _record_small(run, INDEX, run.coll.index_path, digest)
    if not run.report.skipped:  # the pages list needs every WARC, in name order
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

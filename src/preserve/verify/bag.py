"""Verify BagIt bags (RFC 8493, BagIt 0.93 to 1.0; directories, .zip, .tar, .tar.gz).

Everything the RFC asks of a complete and valid bag is checked, and every problem is a
``BAGIT_*`` finding (docs/verify.md, "BagIt bags", gives each code's section): the
declaration, every manifest of every algorithm (each payload file in each, each line's
file present, every digest computed: there is no fast mode), the tag manifests,
bag-info.txt (Payload-Oxum compared first, before any digest), fetch.txt (reported,
never fetched), path encoding, and names that differ only in case or Unicode
normalisation. A MUST broken is an error; a SHOULD, or what an older version allowed,
a warning. Each file is read once, computing all its digests together
(verify/bagsource.py), in ``options.jobs`` threads for a directory.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..safeopen import Refused
from .bagsource import (
    TEXT_LIMIT,
    BagSource,
    Hashed,
    SourceError,
    digest_bytes,
    open_source,
)
from .bagtags import (
    V1,
    Declaration,
    Fetch,
    Manifest,
    check_info,
    decode_tag,
    parse_declaration,
    parse_fetch,
    parse_info,
    parse_manifest,
)
from .collection import VerifyOptions
from .packagelog import events_path, log_history, record_package, rolling_units, within_size
from .report import Capped, FileResult, Finding, Report, finding, refused_finding
from .runner import ProgressCallback

__all__ = ["verify_bag", "events_path", "ALGORITHMS"]

# A manifest's algorithm as RFC 8493 2.4 names it -> hashlib's name.
ALGORITHMS = {"md5": "md5", "sha1": "sha1", "sha224": "sha224", "sha256": "sha256",
              "sha384": "sha384", "sha512": "sha512", "sha3224": "sha3_224",
              "sha3256": "sha3_256", "sha3384": "sha3_384", "sha3512": "sha3_512",
              "blake2b512": "blake2b", "blake2s256": "blake2s"}
_MANIFEST = re.compile(r"(tag)?manifest-([^/]+)\.txt")
_SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini", ".spotlight-v100", ".trashes",
                 ".fseventsd", "__macosx"}
# RFC 8493 2.1.3 suggests such a file to keep an otherwise empty directory.
_PLACEHOLDERS = {".keep", ".gitkeep"}


def _key(path: str) -> str:
    """A name as a case-insensitive, normalising file system sees it."""
    return unicodedata.normalize("NFC", path).casefold()


def verify_bag(path: Path, options: VerifyOptions, *,
               on_progress: ProgressCallback | None = None) -> Report:
    """Verify the bag at ``path`` (a directory, or a .zip, .tar, .tar.gz or .tgz file).
    Findings name files relative to the bag's base directory; problems are findings,
    never exceptions."""
    started = time.monotonic()
    report = Report()
    try:
        source = open_source(path)
    except SourceError as e:
        report.findings.append(finding("PACKAGE_UNREADABLE", str(path), str(e)))
        return report
    with source:
        _Check(source, options, on_progress, report, path, started).run()
    record_package(path, report)
    report.seconds = time.monotonic() - started
    return report


class _Check:
    def __init__(self, source: BagSource, options: VerifyOptions,
                 on_progress: ProgressCallback | None, report: Report, path: Path,
                 started: float) -> None:
        self.src = source
        self.path = path  # for its event log
        self.started = started
        self.options = options
        self.on_progress = on_progress
        self.report = report
        self.found = Capped()
        self.decl = Declaration()
        self.texts: dict[str, bytes] = {}  # tag files read whole, by path
        files = {m.rel: m for m in source.members.values() if m.kind == "file"}
        self.payload = sorted(r for r in files if r.startswith("data/"))
        self.tags = sorted(r for r in files if not r.startswith("data/"))
        self.by_key: dict[str, list[str]] = defaultdict(list)
        for rel in self.payload:
            self.by_key[_key(rel)].append(rel)
        # rel -> algorithm -> [(expected hex, manifest name)]
        self.expect: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(
            lambda: defaultdict(list))

    def add(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            self.found.add(f)

    def one(self, code: str, file: str, message: str, offset: int | None = None,
            expected: object = None, found: object = None) -> None:
        self.found.add(finding(code, file, message, offset, expected, found))

    def run(self) -> None:
        self.container()
        self.declaration()
        if "data" not in self.src.members or self.src.members["data"].kind != "dir":
            self.one("BAGIT_PAYLOAD_DIR_MISSING", "data", "the bag has no payload "
                     "directory data/")
        self.payload_names()
        payload_mans, tag_mans = self.manifests()
        fetches = self.fetch(payload_mans)
        pending = self.payload_manifests(payload_mans, {f.path for f in fetches})
        self.bag_info(pending)
        self.tag_manifests(tag_mans, payload_mans)
        if not self.payload and not pending:
            self.one("BAGIT_PAYLOAD_EMPTY", "data", "the bag has no payload files")
        self.digests()
        self.report.findings.extend(self.found.done())

    def container(self) -> None:
        for name, why in self.src.unsafe:
            self.one("BAGIT_PATH_UNSAFE", name, f"a {self.src.label} member with {why}: "
                     "never read")
        for name in self.src.outside[:1]:
            self.one("BAGIT_ARCHIVE_OUTSIDE", name, f"{len(self.src.outside)} "
                     f"{self.src.label} member(s) outside the bag's directory, such as "
                     "this one: not part of the bag")
        for m in self.src.members.values():
            if m.kind == "symlink":
                self.one("BAGIT_SYMLINK", m.rel, f"{m.what}: never followed (it may lead "
                         "out of the bag); put the file itself in its place")
            elif m.kind == "other":
                self.one("BAGIT_NOT_REGULAR", m.rel, f"{m.what}, not a regular file: "
                         "never opened")

    def read(self, rel: str) -> bytes | None:
        try:
            data = self.src.read_text(rel)
        except Refused as e:
            self.found.add(refused_finding(e))
            return None
        except OSError as e:
            self.one("FILE_UNREADABLE", rel, f"cannot be read: {e.strerror or e}")
            return None
        if len(data) > TEXT_LIMIT:
            self.one("FILE_UNREADABLE", rel, f"a tag file over {TEXT_LIMIT} bytes: not "
                     "read whole")
            return None
        self.texts[rel] = data
        return data

    def text(self, rel: str) -> str | None:
        data = self.read(rel)
        if data is None:
            return None
        text, found = decode_tag(data, rel, self.decl.encoding)
        self.add(found)
        return text

    def declaration(self) -> None:
        if "bagit.txt" not in self.tags:
            self.one("BAGIT_DECLARATION_MISSING", "bagit.txt", "the bag has no bagit.txt "
                     "(checked by BagIt 1.0's rules)")
            return
        data = self.read("bagit.txt")
        if data is not None:
            self.decl, found = parse_declaration(data)
            self.add(found)

    def payload_names(self) -> None:
        for group in self.by_key.values():
            if len(group) > 1:
                self.one("BAGIT_NAMES_AMBIGUOUS", group[0], f"payload files whose names "
                         f"differ only in case or Unicode normalisation ({', '.join(group)})"
                         ": one file on many file systems")
        for rel in self.payload:
            parts = rel.split("/")
            if any((p.startswith(".") and p not in _PLACEHOLDERS)
                   or p.lower() in _SYSTEM_FILES for p in parts[1:]):
                self.one("BAGIT_HIDDEN_FILE", rel, "a hidden or operating-system file in "
                         "the payload (often copied in by mistake)")
            if unicodedata.normalize("NFC", rel) != rel:
                self.one("BAGIT_NAME_NOT_NFC", rel, "a file name not in Unicode NFC: "
                         "copied to another system it may get another name")
        holding = {r.rsplit("/", 1)[0] for r in self.src.members if "/" in r}
        for m in self.src.members.values():
            if m.kind == "dir" and m.rel.startswith("data/") and m.rel not in holding:
                self.one("BAGIT_EMPTY_DIRECTORY", m.rel, "an empty directory in the "
                         "payload: no manifest can list it, so a copy may drop it")

    def manifests(self) -> tuple[list[Manifest], list[Manifest]]:
        payload: list[Manifest] = []
        tag: list[Manifest] = []
        for rel in self.tags:
            m = _MANIFEST.fullmatch(rel)
            if m is None:
                continue
            algorithm = ALGORITHMS.get(m.group(2))
            if algorithm is None:
                self.one("BAGIT_ALGORITHM_UNSUPPORTED", rel, f"preserve cannot compute "
                         f"{m.group(2)!r} digests: this manifest is not checked")
                continue
            text = self.text(rel)
            if text is None:
                continue
            man, found = parse_manifest(text, rel, algorithm)
            self.add(found)
            (tag if m.group(1) else payload).append(man)
        if not payload and not any(_MANIFEST.fullmatch(r) and not r.startswith("tag")
                                   for r in self.tags):
            self.one("BAGIT_MANIFEST_MISSING", "manifest-sha512.txt", "the bag has no "
                     "payload manifest (manifest-<algorithm>.txt)")
        return payload, tag

    def fetch(self, payload_mans: list[Manifest]) -> list[Fetch]:
        if "fetch.txt" not in self.tags:
            return []
        text = self.text("fetch.txt")
        if text is None:
            return []
        fetches, found = parse_fetch(text, "fetch.txt")
        self.add(found)
        listed = [{p for p, _, _ in m.entries} for m in payload_mans]
        for f in fetches:
            if not f.path.startswith("data/"):
                self.one("BAGIT_PATH_OUTSIDE_PAYLOAD", "fetch.txt", f"line {f.line}: "
                         f"{f.path!r} is not under data/ (fetch.txt lists payload files "
                         "only)", offset=f.line)
                continue
            for m, paths in zip(payload_mans, listed, strict=True):
                if f.path not in paths:
                    self.one("BAGIT_FETCH_UNLISTED", "fetch.txt", f"line {f.line}: "
                             f"{f.path} is not in {m.name}", offset=f.line)
            member = self.src.members.get(f.path)
            if (member is not None and member.kind == "file" and f.length is not None
                    and f.length != member.size):
                self.one("BAGIT_FETCH_LENGTH", "fetch.txt", f"line {f.line}: {f.path} has "
                         f"{member.size} bytes, fetch.txt says {f.length}", offset=f.line,
                         expected=f.length, found=member.size)
        return [f for f in fetches if f.path.startswith("data/")]

    def entries(self, man: Manifest) -> dict[str, str]:
        """A manifest's paths and digests, each path once (repeats reported)."""
        seen: dict[str, str] = {}
        for path, digest, line in man.entries:
            if path in seen:
                if seen[path] == digest and self.decl.version < V1:
                    self.one("BAGIT_MANIFEST_REPEATED", man.name, f"line {line}: {path} "
                             "listed again with the same digest", offset=line)
                else:
                    self.one("BAGIT_MANIFEST_DUPLICATE", man.name, f"line {line}: {path} "
                             "is listed more than once", offset=line)
                continue
            seen[path] = digest
        groups: dict[str, list[str]] = defaultdict(list)
        for path in seen:
            groups[_key(path)].append(path)
        for group in groups.values():
            if len(group) > 1:
                self.one("BAGIT_NAMES_AMBIGUOUS", man.name, f"lines whose paths differ only "
                         f"in case or Unicode normalisation: {', '.join(map(repr, group))}")
        return seen

    def payload_manifests(self, mans: list[Manifest], fetched: set[str]) -> set[str]:
        """Match every line to a payload file; report what is missing or unlisted.
        Returns the paths listed in fetch.txt and not present (not fetched yet)."""
        listed_in: dict[str, set[str]] = defaultdict(set)
        pending: set[str] = set()
        for man in mans:
            for path, digest in self.entries(man).items():
                if not path.startswith("data/"):
                    self.one("BAGIT_PATH_OUTSIDE_PAYLOAD", man.name, f"{path!r} is not "
                             "under data/: a payload manifest lists payload files only")
                    continue
                rel = self.resolve(path, man.name)
                if rel is None:
                    if path in fetched:
                        pending.add(path)
                    else:
                        self.missing(path, man.name)
                    continue
                listed_in[rel].add(man.name)
                self.expect[rel][man.algorithm].append((digest, man.name))
        for path in sorted(pending):
            self.one("BAGIT_FETCH_PENDING", path, "listed in fetch.txt and not fetched: "
                     "the bag is not complete until it is (preserve fetches nothing)")
        names = {m.name for m in mans}
        for rel in self.payload:
            missing = sorted(names - listed_in[rel])
            if not missing:
                continue
            if len(missing) == len(names):
                self.one("BAGIT_FILE_UNLISTED", rel, "a payload file in no payload "
                         "manifest")
            elif self.decl.version >= V1:
                self.one("BAGIT_FILE_UNLISTED", rel, f"not in {', '.join(missing)} "
                         "(BagIt 1.0: every payload file in every payload manifest)")
            else:
                self.one("BAGIT_FILE_PARTLY_LISTED", rel, f"not in {', '.join(missing)} "
                         "(allowed before BagIt 1.0)")
        return pending

    def resolve(self, path: str, manifest: str) -> str | None:
        """The payload file a manifest line names: by its exact name, else the one file
        whose name differs only in case or normalisation (RFC 8493 section 6)."""
        if path in self.src.members:
            return path if self.src.members[path].kind == "file" else None
        near = self.by_key.get(_key(path), [])
        if len(near) == 1:
            self.one("BAGIT_NAME_MISMATCH", near[0], f"{manifest} lists it as {path!r}: "
                     "the names differ only in case or Unicode normalisation",
                     expected=path, found=near[0])
            return near[0]
        return None

    def missing(self, path: str, manifest: str) -> None:
        member = self.src.members.get(path)
        if member is None:
            self.one("BAGIT_FILE_MISSING", path, f"listed in {manifest} but not in the bag")
        elif member.kind == "dir":
            self.one("BAGIT_FILE_MISSING", path, f"listed in {manifest}, but a directory: "
                     "a manifest lists files only")
        # A link or a device was reported as such already.

    def bag_info(self, pending: set[str]) -> None:
        name = "bag-info.txt"
        if name not in self.tags and self.decl.version < (0, 96):
            name = "package-info.txt"
        if name not in self.tags:
            return
        text = self.text(name)
        if text is None:
            return
        elements, found = parse_info(text, name, self.decl.version)
        self.add(found)
        oxum, found = check_info(elements, name)
        self.add(found)
        if oxum is not None and not pending:
            size = sum(self.src.members[r].size for r in self.payload)
            if oxum != (size, len(self.payload)):
                self.one("BAGIT_OXUM_MISMATCH", name, "Payload-Oxum differs from the "
                         "payload's bytes and files: files are missing, extra or "
                         "changed in size", expected=f"{oxum[0]}.{oxum[1]}",
                         found=f"{size}.{len(self.payload)}")

    def tag_manifests(self, mans: list[Manifest], payload_mans: list[Manifest]) -> None:
        payload_names = sorted(r for r in self.tags if _MANIFEST.fullmatch(r)
                               and not r.startswith("tag"))
        others = [r for r in self.tags if not (_MANIFEST.fullmatch(r)
                                               and r.startswith("tag"))]
        tag_algorithms = {m.algorithm for m in mans}
        payload_algorithms = {m.algorithm for m in payload_mans}
        if mans and tag_algorithms != payload_algorithms:
            self.one("BAGIT_TAGMANIFEST_ALGORITHMS", mans[0].name, "the tag manifests' "
                     "algorithms differ from the payload manifests'",
                     expected=", ".join(sorted(payload_algorithms)),
                     found=", ".join(sorted(tag_algorithms)))
        for man in mans:
            listed: set[str] = set()
            for path, digest in self.entries(man).items():
                if path.startswith("data/"):
                    self.one("BAGIT_PATH_IN_PAYLOAD", man.name, f"{path} is a payload "
                             "file: a tag manifest lists tag files only")
                    continue
                m = _MANIFEST.fullmatch(path)
                if m and m.group(1):
                    self.one("BAGIT_TAGMANIFEST_SELF", man.name, f"lists {path}: a tag "
                             "manifest must not list tag manifests")
                    continue
                member = self.src.members.get(path)
                if member is None or member.kind != "file":
                    self.missing(path, man.name)
                    continue
                listed.add(path)
                self.expect[path][man.algorithm].append((digest, man.name))
            for rel in payload_names:
                if rel not in listed:
                    self.one("BAGIT_TAGMANIFEST_INCOMPLETE", man.name, f"does not list "
                             f"the payload manifest {rel}")
            for rel in others:
                if rel not in listed and rel not in payload_names:
                    self.one("BAGIT_TAG_UNLISTED", rel, f"a tag file not in {man.name}")

    def digests(self) -> None:
        wanted = {rel: sorted(algs) for rel, algs in self.expect.items()}
        total = sum(self.src.members[r].size for r in wanted)
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if self.on_progress is not None:
                self.on_progress(done, total)

        if self.on_progress is not None:
            self.on_progress(0, total)
        for rel in [r for r in wanted if r in self.texts]:
            data = self.texts[rel]
            progress(len(data))
            self.compare(rel, len(data), digest_bytes(data, wanted.pop(rel)))
        for h in self.hash(wanted, progress):
            if h.refused is not None:
                self.found.add(refused_finding(h.refused))
                continue
            if h.error is not None:
                self.one("FILE_UNREADABLE", h.rel, f"cannot be read: {h.error}")
                self.report.files.append(FileResult(h.rel, checked=False))
                continue
            self.compare(h.rel, h.size, h.digests)
        self.report.files.sort(key=lambda r: r.file)

    def hash(self, wanted: dict[str, list[str]],
             progress: Callable[[int], None]) -> Iterator[Hashed]:
        """Every file of ``wanted`` hashed; with a budget (a bag directory only), the
        files least recently verified first (per the bag's event log), within it."""
        jobs = max(1, self.options.jobs)
        seconds, size = self.options.budget_seconds, self.options.budget_bytes
        if seconds is None and size is None:
            yield from self.src.hash_files(wanted, jobs, progress)
            return
        ordered = rolling_units({r: [r] for r in wanted}, log_history(self.path))
        if (seconds is not None and seconds <= 0) or (size is not None and size <= 0):
            ordered = []
        elif size is not None:
            def too_big(rel: str, n: int) -> None:
                self.one("BUDGET_TOO_SMALL", rel, "larger than the whole size budget, so "
                         "a rolling audit never checks it", expected=size, found=n)
            ordered = within_size(ordered, lambda r: self.src.members[r].size, size,
                                  too_big)
        deadline = None if seconds is None else self.started + seconds
        done: set[str] = set()
        # A batch of `jobs` files at a time, so that a time budget stops between files.
        step = jobs if deadline is not None else max(1, len(ordered))
        for i in range(0, len(ordered), step):
            if deadline is not None and time.monotonic() >= deadline:
                break
            batch = {r: wanted[r] for r in ordered[i:i + step]}
            for h in self.src.hash_files(batch, jobs, progress):
                done.add(h.rel)
                yield h
        self.report.skipped = sorted(r for r in wanted if r not in done)

    def compare(self, rel: str, size: int, digests: dict[str, str]) -> None:
        self.report.bytes_read += size
        self.report.files.append(FileResult(rel, size, digests))
        for algorithm, wants in self.expect[rel].items():
            for expected, manifest in wants:
                if digests.get(algorithm) != expected:
                    self.one("BAGIT_DIGEST_MISMATCH", rel, f"{algorithm} differs from "
                             f"{manifest}: the file changed", expected=expected,
                             found=digests.get(algorithm))

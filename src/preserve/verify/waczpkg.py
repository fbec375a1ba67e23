"""Verify a WACZ file (WACZ 1.0.0 to 1.1.1): the ZIP container, ``datapackage.json``
and ``datapackage-digest.json``, every member against its resource entry, the required
contents, every WARC record inside, the indexes against the records and the page lists
against the indexes.

Every member is read once, in the order it is stored, straight from the ZIP (never
unpacked to disk): its bytes are hashed as they pass and fed to the reader of its
kind, a WARC to verify.warcscan's Scanner (all of preserve's WARC checks), an index or
a page list to verify.waczindex. What the cross checks need goes to scratch files and
SQLite, so memory stays flat whatever the size of the WACZ. Codes: docs/verify.md,
"WACZ files"; a MUST of the specification is an error, a SHOULD a warning.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
import zipfile
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ..safeopen import Refused, open_regular
from .collection import VerifyOptions
from .crossfile import CrossFileCheck
from .facts import FactWriter
from .packagelog import record_package
from .report import Capped, FileResult, Report, finding
from .runner import ProgressCallback
from .waczindex import CdxjReader, Facts, IdxReader, PagesReader
from .waczsig import check_signature
from .waczzip import check_zip
from .warcscan import READ_SIZE, RecordHead, Scanner

__all__ = ["verify_wacz"]

DATAPACKAGE = "datapackage.json"
DIGEST = "datapackage-digest.json"
_JSON_MAX = 64 << 20  # a datapackage larger than this is not read (a WACZ of ~200k files)
_VERSIONS = ("1.0.0", "1.1.0", "1.1.1")
_HEX = re.compile(r"[0-9a-f]+$")


class _Reader(Protocol):
    def feed(self, data: bytes) -> None: ...

    def end(self) -> None: ...


@dataclass(frozen=True)
class _Resource:
    path: str
    algorithm: str | None  # a hashlib name, or None when it cannot be computed
    hexdigest: str
    size: int | None


class _MemberSink(FactWriter):
    """FactWriter (record ids, the CDXJ lines an indexer would write) that also gives
    ``facts`` the stored length and SHA-256 of every record, so an index line (and its
    ``recordDigest``) can be checked against it.

    The scanner announces a record's stored extent while it reads the chunk that holds
    its end; the chunk's bytes are hashed after that (``raw``), split at the ends
    announced. A record's hash is kept only when it starts where the one before ended
    (always in a gzip WARC; in a plain WARC only the first, the others follow blank
    lines)."""

    def __init__(self, directory: Path, stem: str, warc: str, facts: Facts) -> None:
        super().__init__(directory, stem, warc, index=True)
        self.warc = warc
        self.facts = facts
        self.members: list[tuple[int, int, str | None]] = []
        self.ends: deque[tuple[int, int]] = deque()
        self.start = 0
        self.pos = 0
        self.hash = hashlib.sha256()

    def member_length(self, offset: int, length: int) -> None:
        self.ends.append((offset, offset + length))
        super().member_length(offset, length)

    def raw(self, data: bytes) -> None:
        view = memoryview(data)
        while self.ends and self.ends[0][1] <= self.pos + len(view):
            offset, end = self.ends.popleft()
            cut = max(0, end - self.pos)
            self.hash.update(view[:cut])
            view = view[cut:]
            self.pos += cut
            sha256 = self.hash.hexdigest() if offset == self.start else None
            self.members.append((offset, end - offset, sha256))
            self.hash = hashlib.sha256()
            self.start = self.pos
        self.hash.update(view)
        self.pos += len(view)
        if len(self.members) >= 10_000:
            self.flush()

    def flush(self) -> None:
        self.facts.add_members(self.warc, self.members)
        self.members.clear()

    def wants_payload(self, head: RecordHead, http_head: bytes | None) -> int:
        return 0  # titles are not compared: the pages list of a WACZ is its producer's


class _WarcReader:
    def __init__(self, scanner: Scanner, sink: _MemberSink) -> None:
        self.scanner = scanner
        self.sink = sink

    def feed(self, data: bytes) -> None:
        self.scanner.feed(data)
        self.sink.raw(data)

    def end(self) -> None:
        self.scanner.end()


def verify_wacz(path: Path, options: VerifyOptions, *,
                on_progress: ProgressCallback | None = None,
                clock: Callable[[], float] = time.monotonic) -> Report:
    """Verify the WACZ file at ``path``; problems are findings in the report."""
    started = clock()
    with tempfile.TemporaryDirectory(prefix="preserve-verify-") as tmp:
        run = _Run(path, Path(tmp), options, on_progress)
        try:
            with open_regular(path) as f:
                run.run(f)
        except Refused as e:
            run.add("PACKAGE_UNREADABLE", None, f"{e.what}, not a regular file: never "
                    "opened; give the WACZ file itself")
        except OSError as e:
            run.add("PACKAGE_UNREADABLE", None, f"cannot read the file "
                    f"({e.strerror or e})")
    report = run.report
    report.findings[:0] = run.findings.done()
    record_package(path, report)
    report.seconds = clock() - started
    return report


class _Run:
    def __init__(self, path: Path, scratch: Path, options: VerifyOptions,
                 on_progress: ProgressCallback | None) -> None:
        self.path = path
        self.scratch = scratch
        self.options = options
        self.on_progress = on_progress
        self.report = Report()
        self.findings = Capped()
        self.done = 0
        self.total = 0

    def name(self, member: str | None) -> str:
        return str(self.path) if member is None else f"{self.path}/{member}"

    def add(self, code: str, member: str | None, message: str, offset: int | None = None,
            expected: object = None, found: object = None) -> None:
        self.findings.add(finding(code, self.name(member), message, offset, expected,
                                  found))

    def run(self, f: BinaryIO) -> None:
        try:
            z = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
            self.add("PACKAGE_UNREADABLE", None, f"not a ZIP file ({e}): a WACZ is a ZIP "
                     "with datapackage.json at its root")
            return
        with z:
            self._check(f, z)

    def _check(self, f: BinaryIO, z: zipfile.ZipFile) -> None:
        if not self.path.name.lower().endswith(".wacz"):
            self.add("WACZ_EXTENSION", None, "a WACZ file's name must end in .wacz "
                     "(WACZ 1.1.1, Zip Format File Extension)", None, ".wacz",
                     self.path.suffix)
        skip = check_zip(f, z, lambda code, member, message, exp, found: self.add(
            code, member, message, None, exp, found))
        members = {i.filename: i for i in z.infolist() if not i.is_dir()}
        package, package_bytes = self._datapackage(z, members, skip)
        resources = self._resources(package) if package is not None else {}
        if package_bytes is not None:
            self._digest(z, members, skip, package_bytes, package)
        self._listing(members, resources, package is not None)
        order = sorted((i for n, i in members.items()
                        if n not in skip and n not in (DATAPACKAGE, DIGEST)),
                       key=lambda i: i.header_offset)
        self.total = sum(i.file_size for i in order)
        facts = Facts(self.scratch / "wacz.sqlite")
        cross = CrossFileCheck(self.scratch / "ids.sqlite", complete=False)
        for n, info in enumerate(order):
            self._member(z, info, resources.get(info.filename), facts, cross, n)
        if self.options.fixity_only:
            facts.db.close()
            cross.db.close()
        else:
            self.report.findings.extend(facts.findings(self.name))
            self.report.findings.extend(cross.findings())

    # -- datapackage.json and datapackage-digest.json ----------------------------------

    def _small(self, z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
        if info.file_size > _JSON_MAX:
            self.add("WACZ_DATAPACKAGE_MALFORMED", info.filename, f"{info.file_size} "
                     f"bytes: larger than the {_JSON_MAX} bytes preserve reads of it")
            return None
        try:
            with z.open(info) as m:
                return m.read(_JSON_MAX + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            self.add("WACZ_ZIP_CRC", info.filename, f"the member cannot be read ({e})")
            return None

    def _json(self, z: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
              skip: set[str], name: str, bad: str) -> tuple[Any, bytes | None]:
        info = members.get(name)
        if info is None or name in skip:
            return None, None
        data = self._small(z, info)
        if data is None:
            return None, None
        self.report.bytes_read += len(data)
        self.report.files.append(FileResult(self.name(name), len(data),
                                            {"sha256": hashlib.sha256(data).hexdigest()}))
        try:
            return json.loads(data), data
        except (ValueError, RecursionError) as e:
            self.add(bad, name, f"not JSON ({e})")
            return None, data

    def _datapackage(self, z: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                     skip: set[str]) -> tuple[dict[str, Any] | None, bytes | None]:
        if DATAPACKAGE not in members:
            self.add("WACZ_DATAPACKAGE_MISSING", None, "no datapackage.json at the root of "
                     "the ZIP: nothing says what the WACZ holds (WACZ 1.1.1: MUST)")
            return None, None
        obj, data = self._json(z, members, skip, DATAPACKAGE, "WACZ_DATAPACKAGE_MALFORMED")
        if obj is None:
            return None, data
        if not isinstance(obj, dict):
            self.add("WACZ_DATAPACKAGE_MALFORMED", DATAPACKAGE, "not a JSON object")
            return None, data
        if obj.get("profile") != "data-package":
            self.add("WACZ_DATAPACKAGE_MALFORMED", DATAPACKAGE, "profile must be the "
                     "string data-package", None, "data-package", obj.get("profile"))
        version = obj.get("wacz_version")
        if version is None:
            self.add("WACZ_DATAPACKAGE_MALFORMED", DATAPACKAGE, "no wacz_version (WACZ "
                     "1.1.1: MUST)", None, "1.1.1")
        elif version not in _VERSIONS:
            self.add("WACZ_VERSION_UNKNOWN", DATAPACKAGE, "a WACZ version preserve does "
                     "not know: checked by the rules of 1.1.1", None, "1.0.0 to 1.1.1",
                     version)
        if version != "1.0.0":
            missing = [k for k in ("title", "created", "software") if k not in obj]
            if missing:
                self.add("WACZ_METADATA_MISSING", DATAPACKAGE, f"no {', '.join(missing)}: "
                         "the context a reader of the archive needs (WACZ 1.1.1: SHOULD)")
        if not isinstance(obj.get("resources"), list):
            self.add("WACZ_DATAPACKAGE_MALFORMED", DATAPACKAGE, "resources is not a list "
                     "(WACZ 1.1.1: MUST)", None, "a list", type(obj.get("resources")).__name__)
            obj["resources"] = []
        return obj, data

    def _resources(self, package: dict[str, Any]) -> dict[str, _Resource]:
        out: dict[str, _Resource] = {}
        for n, entry in enumerate(package["resources"], 1):
            res = self._resource(n, entry)
            if res is None:
                continue
            if res.path in out:
                self.add("WACZ_DATAPACKAGE_MALFORMED", DATAPACKAGE, f"resource {n}: "
                         f"{res.path} is listed twice", None, "once", "twice")
            out[res.path] = res
        return out

    def _resource(self, n: int, entry: object) -> _Resource | None:
        def bad(message: str, found: object = None) -> None:
            self.add("WACZ_DATAPACKAGE_MALFORMED", DATAPACKAGE, f"resource {n}: {message}",
                     None, None, found)

        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            bad("not an object with a path", str(entry)[:200])
            return None
        path = entry["path"]
        # 1.1: "hash": "sha256:<hex>", "bytes"; 1.0: "stats": {"hash", "bytes"}, "hashing"
        stats: dict[str, Any] = entry["stats"] if isinstance(entry.get("stats"), dict) \
            else entry
        value, size = stats.get("hash"), stats.get("bytes")
        if not isinstance(value, str):
            bad(f"{path} has no hash", value)
            return _Resource(path, None, "", None)
        algorithm, sep, hexdigest = value.partition(":")
        if not sep:
            algorithm, hexdigest = str(entry.get("hashing", "")), value
        algorithm = algorithm.lower().replace("-", "")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            bad(f"{path}: bytes is not a size", size)
            size = None
        if algorithm not in hashlib.algorithms_available:
            self.add("WACZ_HASH_UNSUPPORTED", DATAPACKAGE, f"resource {n}: {path}'s hash "
                     "names an algorithm preserve cannot compute", None, "sha256", algorithm)
            return _Resource(path, None, hexdigest, size)
        length = hashlib.new(algorithm).digest_size * 2
        if len(hexdigest) != length or not _HEX.match(hexdigest.lower()):
            bad(f"{path}'s {algorithm} hash is not {length} hex digits", value)
            return _Resource(path, None, hexdigest, size)
        return _Resource(path, algorithm, hexdigest.lower(), size)

    def _digest(self, z: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                skip: set[str], package_bytes: bytes, package: dict[str, Any] | None
                ) -> None:
        if DIGEST not in members:
            self.add("WACZ_DIGEST_MISSING", None, "no datapackage-digest.json: nothing "
                     "vouches for datapackage.json (WACZ 1.1.1: SHOULD)")
            return
        obj, _ = self._json(z, members, skip, DIGEST, "WACZ_DIGEST_MALFORMED")
        if obj is None:
            return
        if not isinstance(obj, dict) or obj.get("path") != DATAPACKAGE \
                or not isinstance(obj.get("hash"), str):
            self.add("WACZ_DIGEST_MALFORMED", DIGEST, "not an object with path "
                     "\"datapackage.json\" and a hash (WACZ 1.1.1: MUST)", None,
                     "path and hash", str(obj)[:200])
            return
        algorithm, sep, hexdigest = obj["hash"].partition(":")
        algorithm = algorithm.lower().replace("-", "")
        if not sep or algorithm not in hashlib.algorithms_available:
            self.add("WACZ_DIGEST_MALFORMED", DIGEST, "the hash is not "
                     "<algorithm>:<hex> with an algorithm preserve can compute", None,
                     "sha256:<hex>", obj["hash"])
            return
        found = hashlib.new(algorithm, package_bytes).hexdigest()
        if found != hexdigest.lower():
            self.add("WACZ_DIGEST_MISMATCH", DIGEST, "the hash of datapackage.json differs: "
                     "the manifest changed after it was sealed", None, obj["hash"],
                     f"{algorithm}:{found}")
        signed = obj.get("signedData")
        if signed is not None:
            for code, message, expected, got in check_signature(
                    signed, obj["hash"], package.get("created") if package else None):
                self.add(code, DIGEST, message, None, expected, got)

    # -- what the WACZ holds -------------------------------------------------------------

    def _listing(self, members: dict[str, zipfile.ZipInfo],
                 resources: dict[str, _Resource], have_package: bool) -> None:
        if have_package:
            for name in members:
                if name not in resources and name not in (DATAPACKAGE, DIGEST):
                    self.add("WACZ_UNLISTED", name, "the member is not listed in "
                             "datapackage.json's resources: nothing vouches for it (WACZ "
                             "1.1.1, Other files: MUST be listed)")
            for res in resources.values():
                if res.path not in members:
                    self.add("WACZ_RESOURCE_MISSING", res.path, "listed in "
                             "datapackage.json but not in the ZIP")
        if not any(n.startswith("archive/") for n in members):
            self.add("WACZ_ARCHIVE_MISSING", None, "no WARC file in archive/ (WACZ 1.1.1: "
                     "MUST contain one or more)")
        if not any(_kind(n) in ("cdxj", "cdxj.gz") for n in members):
            self.add("WACZ_INDEX_MISSING", None, "no CDXJ index in indexes/ (WACZ 1.1.1: "
                     "MUST include one or more)")
        if "pages/pages.jsonl" not in members:
            self.add("WACZ_PAGES_MISSING", None, "no pages/pages.jsonl (WACZ 1.1.1: MUST "
                     "be present)")
        for name in members:
            if _kind(name) == "foreign":
                self.add("WACZ_FOREIGN_FILE", name, "a file of another kind in a directory "
                         "WACZ reserves (archive/ for WARCs, indexes/ for CDXJ and .idx, "
                         "pages/ for .jsonl): custom files MUST NOT be added there")

    def _member(self, z: zipfile.ZipFile, info: zipfile.ZipInfo, res: _Resource | None,
                facts: Facts, cross: CrossFileCheck, n: int) -> None:
        name = info.filename
        kind = _kind(name)
        result = FileResult(self.name(name))
        hasher = hashlib.new(res.algorithm) if res and res.algorithm else None
        sha256 = hasher if hasher is not None and res is not None and \
            res.algorithm == "sha256" else hashlib.sha256()
        reader: _Reader | None = None
        scanner = sink = None
        parse = not self.options.fixity_only

        def add(code: str, message: str, offset: int | None, expected: object,
                found: object) -> None:
            self.add(code, name, message, offset, expected, found)

        if parse and kind == "warc":
            sink = _MemberSink(self.scratch, f"w{n}", name[len("archive/"):], facts)
            scanner = Scanner(self.name(name), sink)
            reader = _WarcReader(scanner, sink)
        elif parse and kind in ("cdxj", "cdxj.gz"):
            reader = CdxjReader(facts, name, add, gzip=kind == "cdxj.gz")
        elif parse and kind == "idx":
            reader = IdxReader(facts, name, add)
        elif parse and kind == "pages":
            reader = PagesReader(facts, name, add)
        try:
            with z.open(info) as m:
                while chunk := m.read(READ_SIZE):
                    result.size += len(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
                    if sha256 is not hasher:
                        sha256.update(chunk)
                    if reader is not None:
                        reader.feed(chunk)
                    self._progress(len(chunk))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            self.add("WACZ_ZIP_CRC", name, f"the member's data is damaged ({e}): its "
                     "checks stopped there", result.size)
            result.checked = False
            reader = None
        self.report.bytes_read += result.size
        if reader is not None:
            reader.end()
        result.digests = {"sha256": sha256.hexdigest()}
        if res is not None and result.checked:
            if res.size is not None and res.size != result.size:
                self.add("WACZ_RESOURCE_SIZE", name, "the member's size differs from its "
                         "bytes in datapackage.json", None, res.size, result.size)
            if hasher is not None and hasher.hexdigest() != res.hexdigest:
                self.add("WACZ_RESOURCE_HASH", name, f"the member's {res.algorithm} "
                         "differs from its hash in datapackage.json: it changed", None,
                         res.hexdigest, hasher.hexdigest())
        if scanner is not None and sink is not None:
            sink.flush()
            sink.close()
            result.records = scanner.records
            found = scanner.findings.done()
            result.findings.extend(found)
            self.report.findings.extend(found)
            self._warc_name(name, scanner.gzip)
            if result.checked:
                facts.add_expected(sink.warc, sink.cdxj_path)
                cross.add_file(self.name(name), sink.ids_path)
        self.report.files.append(result)

    def _warc_name(self, name: str, gzip: bool | None) -> None:
        lower = name.lower()
        if gzip is None or lower.endswith(".warc.gz" if gzip else ".warc"):
            return
        # A MUST of WACZ 1.1.1 for gzip, but readers go by the first bytes, and py-wacz's
        # own valid examples hold a gzip WARC named .warc: a warning.
        self.add("WACZ_WARC_NAME", name, "a gzip WARC should be named .warc.gz, an "
                 "uncompressed one .warc (WACZ 1.1.1, archive)", None,
                 ".warc.gz" if gzip else ".warc", name.rsplit("/", 1)[-1])

    def _progress(self, n: int) -> None:
        self.done += n
        if self.on_progress is not None:
            self.on_progress(min(self.done, self.total), self.total)


def _kind(name: str) -> str | None:
    """What a member is by where it is and its name: warc, cdxj, cdxj.gz, idx, pages,
    foreign (a file of another kind in archive/, indexes/ or pages/), or None."""
    lower = name.lower()
    if lower.startswith("archive/"):
        return "warc"  # its content decides (WARC_NOT_WARC), its name is checked after
    if lower.startswith("indexes/"):
        if lower.endswith((".cdx.gz", ".cdxj.gz")):
            return "cdxj.gz"
        if lower.endswith((".cdx", ".cdxj")):
            return "cdxj"
        if lower.endswith(".idx"):
            return "idx"
        return "foreign"
    if lower.startswith("pages/"):
        return "pages" if lower.endswith(".jsonl") else "foreign"
    return None

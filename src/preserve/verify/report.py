"""Findings of a verification: data with a stable code, never exceptions.

Every code is listed in ``CODES`` with its severity and is documented in docs/verify.md
(tests/test_verify_report.py checks both ways). An ``error`` means the archive is not what
it should be, and makes ``preserve verify`` exit 1; a ``warning`` is worth a look but
proves no damage (a revisit whose original is in a WARC file not given, say).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..collection import Collection
from ..safeopen import Refused

__all__ = ["Finding", "FileResult", "Report", "CODES", "Severity", "finding", "Capped",
           "FINDINGS_PER_CODE", "refused_finding"]

Severity = Literal["error", "warning"]

CODES: dict[str, tuple[Severity, str]] = {
    # One file, read whole: fixity.
    "FILE_UNREADABLE": ("error", "a file cannot be opened or read"),
    "FILE_MISSING": ("error", "a file listed in the manifest (or recorded closed) is missing"),
    "FILE_UNLISTED": ("error", "a file in the collection is in no manifest"),
    "FIXITY_MISMATCH": ("error", "a file's digest differs from its manifest line"),
    "FILE_OPEN": ("warning", "a WARC file still being written (.open) was not checked"),
    "FILE_NOT_REGULAR": ("error", "a FIFO, device, socket or directory where a file belongs"),
    "FILE_SYMLINK": ("error", "a symbolic link in the collection (never followed)"),
    # The manifest and the append-only files.
    "MANIFEST_MALFORMED": ("error", "a manifest line is not `<hex digest>  <path>`"),
    "MANIFEST_DUPLICATE": ("error", "a path is listed twice in one manifest"),
    "MANIFEST_EVENT_MISMATCH": ("error", "the manifest disagrees with the `file closed` events"),
    "FILE_REWRITTEN": ("error", "an append-only file was changed, not only appended to"),
    "EVENTS_MALFORMED": ("warning", "a line of events.jsonl is not a complete event"),
    "EVENTS_CHAIN_BROKEN": ("error", "events.jsonl's hash chain breaks: a past event changed"),
    "EVENTS_NOT_RECORDED": ("warning", "the run's fixity checks could not be recorded"),
    "CONFIG_INVALID": ("error", "preserve.toml cannot be loaded"),
    "CONFIG_CHANGED": ("error", "preserve.toml differs from its digest at the last check"),
    # WARC structure.
    "WARC_NOT_WARC": ("error", "the file does not start with a WARC record"),
    "WARC_GZIP_CORRUPT": ("error", "a gzip member is corrupt (bad data or CRC)"),
    "WARC_TRUNCATED": ("error", "the file ends inside a record"),
    "WARC_CONTENT_LENGTH": ("error", "a record's block is not Content-Length bytes long"),
    "WARC_HEADER_MALFORMED": ("error", "a record header block cannot be parsed"),
    "WARC_HEADER_MISSING": ("error", "a mandatory WARC header is missing"),
    "WARC_HEADER_INVALID": ("error", "a WARC header has a value of the wrong form"),
    "WARC_HEADER_DUPLICATE": ("error", "a WARC header that must be unique is repeated"),
    "WARC_FIELD_NOT_ALLOWED": ("error", "a WARC header is used in a record type that "
                               "the standard forbids it in"),
    "WARC_VERSION_UNKNOWN": ("warning", "a record's version is no published WARC version"),
    "WARC_CASE_UNUSUAL": ("warning", "a version line, record type or date in unusual case"),
    "WARC_TYPE_UNKNOWN": ("warning", "a record of a type the standard does not define"),
    "WARC_CONTENT_TYPE_MISSING": ("warning", "a record with a block has no Content-Type"),
    "WARC_CONTENT_TYPE_UNUSUAL": ("warning", "a warcinfo block that is not "
                                  "application/warc-fields"),
    "WARC_DUPLICATE_ID": ("error", "a WARC-Record-ID is used by more than one record"),
    "WARC_TRAILING_DATA": ("error", "bytes after the last record are not a record"),
    "WARC_SHARED_MEMBER": ("warning", "several records share one gzip member"),
    # Digests.
    "WARC_BLOCK_DIGEST": ("error", "WARC-Block-Digest does not match the block"),
    "WARC_PAYLOAD_DIGEST": ("error", "WARC-Payload-Digest does not match the payload"),
    "WARC_DIGEST_MALFORMED": ("error", "a digest header cannot be decoded"),
    "WARC_DIGEST_UNSUPPORTED": ("warning", "a digest uses an algorithm that cannot be checked"),
    "WARC_REVISIT_UNRESOLVED": ("error", "a revisit refers to a record that does not exist"),
    "WARC_REVISIT_EXTERNAL": ("warning", "a revisit's original is not among the files checked"),
    "WARC_REVISIT_DIGEST": ("error", "a revisit's payload digest differs from its original's"),
    # Derived files.
    "INDEX_MISSING": ("error", f"{Collection.INDEX_REL} is missing"),
    "INDEX_MALFORMED": ("error", "a CDXJ line cannot be parsed"),
    "INDEX_UNSORTED": ("error", "the CDXJ index is not sorted"),
    "INDEX_BAD_OFFSET": ("error", "a CDXJ line's offset and length name no indexed record"),
    "INDEX_ENTRY_MISMATCH": ("error", "a CDXJ line's fields differ from the record it names"),
    "INDEX_ENTRY_MISSING": ("error", "an indexable record has no CDXJ line"),
    "PAGES_MISSING": ("error", f"{Collection.PAGES_REL} is missing"),
    "PAGES_MALFORMED": ("error", "a pages.jsonl line cannot be parsed"),
    "PAGES_NOT_CAPTURED": ("error", "a pages.jsonl line names no captured page"),
    "PAGES_ENTRY_MISMATCH": ("error", "a pages.jsonl line differs from the capture it names"),
    "PAGES_ENTRY_MISSING": ("error", "a captured page is not in pages.jsonl"),
    "PAGES_ORDER": ("error", "pages.jsonl is not sorted by time, then URL"),
    "NORMALISED_MALFORMED": ("error", "a line of normalise's output is not a JSON object"),
    "NORMALISED_CHANGED": ("error", "normalise's output changed since normalise wrote it"),
    # BagIt bags (verify/bag.py; docs/verify.md, "BagIt bags").
    "BAGIT_DECLARATION_MISSING": ("error", "a bag has no bagit.txt"),
    "BAGIT_DECLARATION_MALFORMED": ("error", "bagit.txt is not exactly its two lines"),
    "BAGIT_DECLARATION_BOM": ("error", "bagit.txt starts with a byte-order mark"),
    "BAGIT_VERSION_INVALID": ("error", "BagIt-Version is not M.N"),
    "BAGIT_VERSION_UNKNOWN": ("warning", "BagIt-Version is no published version"),
    "BAGIT_ENCODING_UNKNOWN": ("error", "Tag-File-Character-Encoding names no known "
                               "character set"),
    "BAGIT_ENCODING_LEGACY": ("warning", "tag files are not in UTF-8"),
    "BAGIT_LABEL_SPACING": ("warning", "whitespace around a colon, as bags before 1.0 "
                            "may have"),
    "BAGIT_TAG_BOM": ("error", "a UTF-8 tag file starts with a byte-order mark"),
    "BAGIT_TAG_UNDECODABLE": ("error", "a tag file is not in the declared encoding"),
    "BAGIT_PAYLOAD_DIR_MISSING": ("error", "a bag has no data/ directory"),
    "BAGIT_PAYLOAD_EMPTY": ("warning", "a bag has no payload files"),
    "BAGIT_EMPTY_DIRECTORY": ("warning", "an empty directory in the payload"),
    "BAGIT_MANIFEST_MISSING": ("error", "a bag has no payload manifest"),
    "BAGIT_MANIFEST_MALFORMED": ("error", "a manifest line is not `checksum path`"),
    "BAGIT_MANIFEST_DUPLICATE": ("error", "a manifest lists a path twice"),
    "BAGIT_MANIFEST_REPEATED": ("warning", "a bag before 1.0 lists a path twice with one "
                                "digest"),
    "BAGIT_MANIFEST_BINARY_MARK": ("warning", "a manifest line in md5sum's binary form"),
    "BAGIT_ALGORITHM_UNSUPPORTED": ("warning", "a manifest of an algorithm preserve "
                                    "cannot compute"),
    "BAGIT_PATH_UNSAFE": ("error", "a path that could lead out of the bag"),
    "BAGIT_PATH_OUTSIDE_PAYLOAD": ("error", "a payload manifest or fetch.txt lists a "
                                   "path outside data/"),
    "BAGIT_PATH_IN_PAYLOAD": ("error", "a tag manifest lists a payload file"),
    "BAGIT_PATH_PERCENT": ("warning", "a `%` in a path that is not percent-encoded"),
    "BAGIT_PATH_DOT_SLASH": ("warning", "a path starting with `./`"),
    "BAGIT_FILE_MISSING": ("error", "a file listed in a manifest is not in the bag"),
    "BAGIT_FILE_UNLISTED": ("error", "a payload file missing from a payload manifest"),
    "BAGIT_FILE_PARTLY_LISTED": ("warning", "a payload file in some payload manifests "
                                 "only, as bags before 1.0 may have"),
    "BAGIT_DIGEST_MISMATCH": ("error", "a file's digest differs from its manifest line"),
    "BAGIT_NAME_MISMATCH": ("warning", "a listed name matches a file only ignoring case "
                            "or Unicode normalisation"),
    "BAGIT_NAMES_AMBIGUOUS": ("warning", "names that differ only in case or Unicode "
                              "normalisation"),
    "BAGIT_NAME_NOT_NFC": ("warning", "a payload file name not in Unicode NFC"),
    "BAGIT_HIDDEN_FILE": ("warning", "a hidden or operating-system file in the payload"),
    "BAGIT_TAGMANIFEST_INCOMPLETE": ("error", "a tag manifest does not list a payload "
                                     "manifest"),
    "BAGIT_TAGMANIFEST_SELF": ("error", "a tag manifest lists a tag manifest"),
    "BAGIT_TAG_UNLISTED": ("warning", "a tag file not in a tag manifest"),
    "BAGIT_TAGMANIFEST_ALGORITHMS": ("warning", "tag and payload manifests of different "
                                     "algorithms"),
    "BAGIT_INFO_MALFORMED": ("error", "a bag-info.txt line is not `Label: value`"),
    "BAGIT_INFO_UNUSUAL": ("warning", "a reserved bag-info.txt element of unusual form, "
                           "or repeated"),
    "BAGIT_OXUM_INVALID": ("error", "Payload-Oxum is malformed or repeated"),
    "BAGIT_OXUM_MISMATCH": ("error", "Payload-Oxum differs from the payload"),
    "BAGIT_FETCH_MALFORMED": ("error", "a fetch.txt line is not `url length path`"),
    "BAGIT_FETCH_UNLISTED": ("error", "a fetch.txt file is not in every payload manifest"),
    "BAGIT_FETCH_PENDING": ("warning", "a file of fetch.txt is not fetched yet"),
    "BAGIT_FETCH_LENGTH": ("warning", "a fetched file's size differs from fetch.txt's"),
    "BAGIT_SYMLINK": ("error", "a symbolic or hard link in a bag (never followed)"),
    "BAGIT_NOT_REGULAR": ("error", "a FIFO, device or socket in a bag"),
    "BAGIT_ARCHIVE_OUTSIDE": ("warning", "archive members outside the bag's directory"),
    "PACKAGE_UNREADABLE": ("error", "a package (bag, OCFL object or root, WACZ) cannot be "
                           "opened as one"),
    # OCFL objects and storage roots (verify/ocflpkg.py; docs/verify.md, "OCFL").
    # (OCFL_E001... and OCFL_W001... codes go here.)
    "PACKAGE_NOT_SUPPORTED": ("error", "a kind of package that preserve cannot verify yet"),
    # WACZ files (verify/waczpkg.py; docs/verify.md, "WACZ files").
    # (WACZ_* codes go here.)
    # The run itself.
    "FINDINGS_LIMIT": ("warning", "more findings of one code in one file were left out"),
    "BUDGET_TOO_SMALL": ("warning", "a file larger than the size budget was not checked"),
}


FINDINGS_PER_CODE = 100


class Capped(list["Finding"]):
    """Findings of one check, at most FINDINGS_PER_CODE per code and file: a damaged file
    of a million records gives a readable report, and the rest are counted."""

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[tuple[str, str], int] = {}

    def add(self, f: Finding) -> None:
        key = (f.code, f.file)
        n = self._counts[key] = self._counts.get(key, 0) + 1
        if n <= FINDINGS_PER_CODE:
            self.append(f)

    def tally(self) -> dict[tuple[str, str], int]:
        """How many findings of each (code, file) were added, listed or left out."""
        return dict(self._counts)

    def add_counted(self, findings: Iterable[Finding],
                    tally: dict[tuple[str, str], int]) -> None:
        """Add the findings another Capped listed, then count those it left out (its
        ``tally``), as if they had all been added here in that order."""
        listed: Counter[tuple[str, str]] = Counter()
        for f in findings:
            listed[(f.code, f.file)] += 1
            self.add(f)
        for key, n in tally.items():
            self._counts[key] = self._counts.get(key, 0) + n - listed[key]

    def done(self) -> Capped:
        """Add a FINDINGS_LIMIT note for every code that went over; return self."""
        for (code, file), n in self._counts.items():
            if n > FINDINGS_PER_CODE:
                self.append(finding("FINDINGS_LIMIT", file, f"{n - FINDINGS_PER_CODE} more "
                                    f"{code} findings in this file were left out",
                                    expected=FINDINGS_PER_CODE, found=n))
        self._counts.clear()
        return self


@dataclass(frozen=True)
class Finding:
    """One problem: its code, the file (as given, or relative to the collection), the byte
    offset where it applies (or None), what was expected and what was found."""

    code: str
    file: str
    message: str
    offset: int | None = None
    expected: str | None = None
    found: str | None = None

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, **asdict(self)}


def finding(code: str, file: str, message: str, offset: int | None = None,
            expected: object = None, found: object = None) -> Finding:
    if code not in CODES:
        raise KeyError(f"undocumented finding code {code}")
    return Finding(code, file, message, offset,
                   None if expected is None else str(expected),
                   None if found is None else str(found))


def refused_finding(e: Refused) -> Finding:
    """The finding for a path verify would not open (preserve.safeopen)."""
    if e.code == "FILE_SYMLINK":
        return finding("FILE_SYMLINK", e.rel, f"{e.what}: never followed (it may lead out "
                       "of the collection); put the file itself in its place")
    return finding("FILE_NOT_REGULAR", e.rel, f"{e.what}, not a regular file: never "
                   "opened (it could block or never end); remove it or put the file in "
                   "its place")


@dataclass
class FileResult:
    """What one read of one file established: its size, digests and per-file findings."""

    file: str
    size: int = 0
    digests: dict[str, str] = field(default_factory=dict)  # hashlib name -> hex
    records: int = 0
    findings: list[Finding] = field(default_factory=list)
    checked: bool = True  # False when the file could not be read at all

    @property
    def ok(self) -> bool:
        return self.checked and not any(f.severity == "error" for f in self.findings)


@dataclass
class Report:
    """All findings of one run, with the files it read and what it skipped."""

    findings: list[Finding] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # left for a later run by --budget
    bytes_read: int = 0
    seconds: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f.code for f in self.findings).items()))

    def for_file(self, name: str) -> list[Finding]:
        return [f for f in self.findings if f.file == name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.findings) - len(self.errors),
            "counts": self.counts(),
            "files": [{"file": r.file, "size": r.size, "records": r.records,
                       "sha256": r.digests.get("sha256"),
                       "outcome": "pass" if r.file not in self._failed() else "fail"}
                      for r in self.files],
            "skipped": self.skipped,
            "bytes": self.bytes_read,
            "seconds": round(self.seconds, 3),
            "findings": [f.to_dict() for f in self.findings],
        }

    def _failed(self) -> set[str]:
        return {f.file for f in self.errors}

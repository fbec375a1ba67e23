"""A WACZ's indexes and page lists, read as their members stream past, and checked
against the records of the WARCs inside it.

Each reader is fed a member's bytes in order (``feed``, then ``end``) and puts what it
finds in one SQLite database in the run's scratch directory, so memory does not grow
with the archive: CDXJ lines (from ``indexes/*.cdxj``, ``*.cdx`` and gzip ``*.cdx.gz``,
whose gzip members are the blocks of a ZipNum index), the lines of ``index.idx``, and
the pages of ``pages/*.jsonl``. ``Facts.findings`` then checks them against the
records the WARC scans saw (``add_members``, ``add_expected``).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..web.inflate import ERRORS as INFLATE_ERRORS
from ..web.inflate import decompressobj
from ..web.urls import surt_key
from .facts import expected_lines
from .report import Finding, finding

__all__ = ["Facts", "CdxjReader", "IdxReader", "PagesReader"]

_OUT_MAX = 1 << 20  # inflate at most this much at a time: memory stays flat
_LINE_MAX = 1 << 20  # a longer "line" is no index or page line: it is cut and reported
_REPORT_MAX = 100
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")

Add = Callable[[str, str, int | None, object, object], None]  # code, message, offset, exp, found


class Facts:
    """The database every reader writes to, and the checks across it."""

    def __init__(self, db_path: Path) -> None:
        db = self.db = sqlite3.connect(db_path)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE TABLE records (warc TEXT, offset INTEGER, length INTEGER, "
                   "sha256 TEXT)")
        db.execute("CREATE TABLE expected (warc TEXT, offset INTEGER, length INTEGER, "
                   "key TEXT, ts TEXT)")
        db.execute("CREATE TABLE lines (file TEXT, lineno INTEGER, warc TEXT, "
                   "offset INTEGER, length INTEGER, key TEXT, ts TEXT, digest TEXT)")
        db.execute("CREATE TABLE blocks (file TEXT, offset INTEGER, length INTEGER, "
                   "sha256 TEXT, first TEXT)")
        db.execute("CREATE TABLE idx (file TEXT, lineno INTEGER, target TEXT, "
                   "offset INTEGER, length INTEGER, digest TEXT, first TEXT)")
        db.execute("CREATE TABLE pages (file TEXT, lineno INTEGER, url TEXT, key TEXT)")
        self.warcs: set[str] = set()

    def add_members(self, warc: str,
                    members: Iterable[tuple[int, int, str | None]]) -> None:
        """The (offset, length, SHA-256 or None) of stored records of ``warc`` (its name
        in archive/)."""
        self.warcs.add(warc)
        self.db.executemany("INSERT INTO records VALUES (?,?,?,?)",
                            ((warc, *m) for m in members))

    def add_expected(self, warc: str, cdxj: Path) -> None:
        """The FactWriter file of the lines an indexer would write for ``warc``."""
        self.warcs.add(warc)
        self.db.executemany("INSERT INTO expected VALUES (?,?,?,?,?)",
                            ((warc, o, n, *line.split(" ", 2)[:2])
                             for o, n, line in expected_lines(cdxj)))

    def findings(self, name: Callable[[str], str]) -> list[Finding]:
        """Every cross check; ``name`` turns a member name into a finding's file."""
        db = self.db
        for sql in ("CREATE INDEX r_pos ON records (warc, offset)",
                    "CREATE INDEX e_pos ON expected (warc, offset)",
                    "CREATE INDEX l_pos ON lines (warc, offset)",
                    "CREATE INDEX l_key ON lines (key)",
                    "CREATE INDEX b_pos ON blocks (file, offset)"):
            db.execute(sql)
        out: list[Finding] = []
        out += self._bad_offsets(name)
        out += self._record_digests(name)
        out += self._mismatches(name)
        out += self._missing(name)
        out += self._idx(name)
        out += self._pages(name)
        db.close()
        return out

    def _bad_offsets(self, name: Callable[[str], str]) -> Iterator[Finding]:
        rows = self.db.execute(
            "SELECT l.file, l.lineno, l.warc, l.offset, l.length, r.length FROM lines l "
            "LEFT JOIN records r ON r.warc = l.warc AND r.offset = l.offset "
            "WHERE r.length IS NULL OR r.length != l.length ORDER BY l.file, l.lineno")
        for file, lineno, warc, offset, length, real in rows.fetchmany(_REPORT_MAX):
            if warc not in self.warcs:
                yield finding("WACZ_INDEX_BAD_OFFSET", name(file), f"line {lineno} names "
                              f"{warc!r}, which is no WARC in archive/", found=warc)
            elif real is None:
                yield finding("WACZ_INDEX_BAD_OFFSET", name(file), f"line {lineno}: no "
                              f"record starts at offset {offset} of archive/{warc}",
                              expected="the offset of a record", found=offset)
            else:
                yield finding("WACZ_INDEX_BAD_OFFSET", name(file), f"line {lineno}: the "
                              f"record at offset {offset} of archive/{warc} is {real} "
                              f"bytes long, not {length}", expected=real, found=length)

    def _record_digests(self, name: Callable[[str], str]) -> Iterator[Finding]:
        rows = self.db.execute(
            "SELECT l.file, l.lineno, l.warc, l.offset, l.digest, r.sha256 FROM lines l "
            "JOIN records r ON r.warc = l.warc AND r.offset = l.offset "
            "AND r.length = l.length WHERE l.digest IS NOT NULL AND r.sha256 IS NOT NULL "
            "AND l.digest != 'sha256:' || r.sha256 ORDER BY l.file, l.lineno")
        for file, lineno, warc, offset, digest, sha256 in rows.fetchmany(_REPORT_MAX):
            yield finding("WACZ_INDEX_RECORD_DIGEST", name(file), f"line {lineno}: the "
                          f"stored bytes of the record at offset {offset} of archive/{warc} "
                          "differ from the line's recordDigest", expected=digest,
                          found=f"sha256:{sha256}")

    def _mismatches(self, name: Callable[[str], str]) -> Iterator[Finding]:
        rows = self.db.execute(
            "SELECT l.file, l.lineno, l.warc, l.offset, l.key, l.ts, e.key, e.ts "
            "FROM lines l JOIN expected e ON e.warc = l.warc AND e.offset = l.offset "
            "WHERE l.key != e.key OR l.ts != e.ts ORDER BY l.file, l.lineno")
        n = 0
        for file, lineno, warc, offset, key, ts, ekey, ets in rows:
            if ts == ets and _same_post(key, ekey):
                continue
            n += 1
            if n > _REPORT_MAX:
                break
            yield finding("WACZ_INDEX_ENTRY_MISMATCH", name(file), f"line {lineno}: its "
                          f"key and time differ from those of the record at offset {offset} "
                          f"of archive/{warc}", expected=f"{ekey} {ets}", found=f"{key} {ts}")

    def _missing(self, name: Callable[[str], str]) -> Iterator[Finding]:
        rows = self.db.execute(
            "SELECT warc, offset, key, ts FROM expected e WHERE NOT EXISTS "
            "(SELECT 1 FROM lines l WHERE l.warc = e.warc AND l.offset = e.offset) "
            "ORDER BY warc, offset")
        for warc, offset, key, ts in rows.fetchmany(_REPORT_MAX):
            yield finding("WACZ_INDEX_ENTRY_MISSING", name(f"archive/{warc}"), "the record "
                          "has no line in any index of indexes/: it cannot be replayed",
                          offset, expected=f"{key} {ts}")

    def _idx(self, name: Callable[[str], str]) -> Iterator[Finding]:
        rows = self.db.execute(
            "SELECT i.file, i.lineno, i.target, i.offset, i.length, i.digest, i.first, "
            "b.length, b.sha256, b.first, "
            "(SELECT COUNT(*) FROM blocks WHERE file = i.target) FROM idx i "
            "LEFT JOIN blocks b ON b.file = i.target AND b.offset = i.offset "
            "ORDER BY i.file, i.lineno")
        for (file, lineno, target, offset, length, digest, first, blen, bsha, bfirst,
             nblocks) in rows:
            where = f"line {lineno}"
            if not nblocks:
                yield finding("WACZ_IDX_MISMATCH", name(file), f"{where} names {target}, "
                              "which is no gzip CDXJ index in the WACZ", found=target)
            elif blen is None or blen != length:
                yield finding("WACZ_IDX_MISMATCH", name(file), f"{where}: no gzip member "
                              f"of {target} starts at offset {offset} with length "
                              f"{length}", expected=blen, found=length)
            elif digest and digest != f"sha256:{bsha}":
                yield finding("WACZ_IDX_MISMATCH", name(file), f"{where}: the digest of "
                              f"the block at offset {offset} of {target} differs",
                              expected=f"sha256:{bsha}", found=digest)
            elif first and bfirst is not None and first != bfirst:
                yield finding("WACZ_IDX_MISMATCH", name(file), f"{where}: the block at "
                              f"offset {offset} of {target} starts with another key",
                              expected=bfirst, found=first)

    def _pages(self, name: Callable[[str], str]) -> Iterator[Finding]:
        if not self.db.execute("SELECT 1 FROM lines LIMIT 1").fetchone():
            return  # no index at all: WACZ_INDEX_MISSING says it
        rows = self.db.execute(
            "SELECT file, lineno, url FROM pages p WHERE NOT EXISTS "
            "(SELECT 1 FROM lines l WHERE l.key = p.key) ORDER BY file, lineno")
        for file, lineno, url in rows.fetchmany(_REPORT_MAX):
            yield finding("WACZ_PAGE_NOT_INDEXED", name(file), f"line {lineno}: the page "
                          f"{url} has no line in any index: it cannot be replayed",
                          found=url)


def _same_post(key: str, expected: str) -> bool:
    """pywb's indexers key a POST (or PUT) request and its response with the request
    body's fields added to the query, after ``__wb_method=post``: the same resource."""
    if "__wb_method=" not in key:
        return False
    return key.split("?", 1)[0] == expected.split("?", 1)[0]


class _Lines:
    """Splits fed bytes into lines, keeping at most one partial line."""

    def __init__(self) -> None:
        self.rest = bytearray()
        self.lineno = 0
        self.cut = False

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self.rest += data
        start = 0
        while True:
            end = self.rest.find(b"\n", start)
            if end < 0:
                break
            self.lineno += 1
            yield self.lineno, bytes(self.rest[start:end])
            start = end + 1
        del self.rest[:start]
        if len(self.rest) > _LINE_MAX:
            self.lineno += 1
            yield self.lineno, bytes(self.rest[:_LINE_MAX])
            self.rest.clear()
            self.cut = True

    def end(self) -> Iterator[tuple[int, bytes]]:
        if self.rest:
            self.lineno += 1
            yield self.lineno, bytes(self.rest)
            self.rest.clear()


def _cdxj(line: bytes) -> tuple[str, str, dict[str, Any]] | None:
    try:
        key, ts, rest = line.decode("utf-8").rstrip("\r").split(" ", 2)
        obj = json.loads(rest)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or not ts.isdigit() and ts != "0":
        return None
    return key, ts, obj


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        n = int(value)
    except ValueError:
        return None
    return n if n >= 0 else None


class CdxjReader:
    """A CDXJ index, plain or gzip (then each gzip member is a block of a ZipNum index,
    with its offset, length and SHA-256 recorded for index.idx)."""

    def __init__(self, facts: Facts, member: str, add: Add, *, gzip: bool) -> None:
        self.facts = facts
        self.member = member
        self.add = add
        self.gzip = gzip
        self.lines = _Lines()
        self.previous = ""
        self.unsorted = False
        self.rows: list[tuple[Any, ...]] = []
        self.broken = False
        # gzip state: the member being inflated, where it started, its hash so far
        self.inflate: Any = None
        self.pos = 0
        self.block_start = 0
        self.block_hash: Any = None
        self.block_first: str | None = None

    def feed(self, data: bytes) -> None:
        if self.broken:
            return
        if not self.gzip:
            self._text(data)
            return
        view = data
        while view and not self.broken:
            if self.inflate is None:
                self.inflate = decompressobj(31)
                self.block_start = self.pos
                self.block_hash = hashlib.sha256()
                self.block_first = None
            try:
                out = self.inflate.decompress(view, _OUT_MAX)
            except INFLATE_ERRORS as e:
                self.add("WACZ_INDEX_MALFORMED", f"a gzip member cannot be inflated ({e})",
                         self.block_start, None, None)
                self.broken = True
                return
            rest = self.inflate.unused_data if self.inflate.eof \
                else self.inflate.unconsumed_tail
            used = len(view) - len(rest)
            self.block_hash.update(view[:used])
            self.pos += used
            if out:
                self._text(out)
            if self.inflate.eof:
                self.facts.db.execute("INSERT INTO blocks VALUES (?,?,?,?,?)", (
                    self.member, self.block_start, self.pos - self.block_start,
                    self.block_hash.hexdigest(), self.block_first))
                self.inflate = None
            view = rest

    def _text(self, data: bytes) -> None:
        for lineno, raw in self.lines.feed(data):
            self._line(lineno, raw)
        self._flush(False)

    def _line(self, lineno: int, raw: bytes) -> None:
        if not raw.strip() or raw.startswith(b"!"):
            return  # blank lines and !meta lines carry no capture
        parsed = _cdxj(raw)
        filename = offset = length = None
        if parsed is not None:
            key, ts, obj = parsed
            filename, offset, length = obj.get("filename"), _int(obj.get("offset")), \
                _int(obj.get("length"))
        if parsed is None or not isinstance(filename, str) or offset is None \
                or length is None:
            self.add("WACZ_INDEX_MALFORMED", f"line {lineno} is not `key timestamp "
                     "{json}` with filename, offset and length", None, None,
                     raw[:200].decode("utf-8", "replace"))
            return
        if self.gzip and self.block_first is None:
            self.block_first = f"{key} {ts}"
        sort_key = f"{key} {ts}"
        if sort_key < self.previous and not self.unsorted:
            self.unsorted = True
            self.add("WACZ_INDEX_UNSORTED", f"line {lineno} sorts before the line above "
                     "it: readers binary-search the index and miss lines", None,
                     self.previous[:200], sort_key[:200])
        self.previous = sort_key
        warc = filename[len("archive/"):] if filename.startswith("archive/") else filename
        digest = obj.get("recordDigest")
        digest = digest.lower() if isinstance(digest, str) and digest.lower().startswith(
            "sha256:") else None  # (another algorithm is not checked)
        self.rows.append((self.member, lineno, warc, offset, length, key, ts, digest))

    def _flush(self, force: bool) -> None:
        if self.rows and (force or len(self.rows) >= 10_000):
            self.facts.db.executemany("INSERT INTO lines VALUES (?,?,?,?,?,?,?,?)",
                                      self.rows)
            self.rows.clear()

    def end(self) -> None:
        if self.gzip and self.inflate is not None and not self.broken:
            self.add("WACZ_INDEX_MALFORMED", "the index ends inside a gzip member",
                     self.block_start, None, None)
        for lineno, raw in self.lines.end():
            self._line(lineno, raw)
        self._flush(True)


class IdxReader:
    """``index.idx``: the first key of each block of a ZipNum index, with its offset and
    length (and, from py-wacz 0.3, its digest) in the gzip CDXJ file it names."""

    def __init__(self, facts: Facts, member: str, add: Add) -> None:
        self.facts = facts
        self.member = member
        self.add = add
        self.lines = _Lines()
        self.target = member.rsplit("/", 1)[0] + "/index.cdx.gz"

    def feed(self, data: bytes) -> None:
        for lineno, raw in self.lines.feed(data):
            self._line(lineno, raw)

    def end(self) -> None:
        for lineno, raw in self.lines.end():
            self._line(lineno, raw)

    def _line(self, lineno: int, raw: bytes) -> None:
        if not raw.strip():
            return
        parsed = _cdxj(raw)
        if parsed is None:
            self.add("WACZ_INDEX_MALFORMED", f"line {lineno} is not `key timestamp "
                     "{json}`", None, None, raw[:200].decode("utf-8", "replace"))
            return
        key, ts, obj = parsed
        folder = self.member.rsplit("/", 1)[0]
        if key == "!meta":
            if isinstance(obj.get("filename"), str):
                self.target = f"{folder}/{obj['filename']}"
            return
        offset, length = _int(obj.get("offset")), _int(obj.get("length"))
        if offset is None or length is None:
            self.add("WACZ_INDEX_MALFORMED", f"line {lineno} has no offset and length",
                     None, None, raw[:200].decode("utf-8", "replace"))
            return
        target = self.target
        if isinstance(obj.get("filename"), str):
            target = f"{folder}/{obj['filename']}"
        digest = obj.get("digest")
        self.facts.db.execute("INSERT INTO idx VALUES (?,?,?,?,?,?,?)", (
            self.member, lineno, target, offset, length,
            digest if isinstance(digest, str) else None, f"{key} {ts}"))


class PagesReader:
    """A pages list: JSON Lines, an optional json-pages-1.0 header, then one object per
    page with at least ``url`` and an RFC 3339 ``ts`` (WACZ 1.1.1, pages.jsonl)."""

    def __init__(self, facts: Facts, member: str, add: Add) -> None:
        self.facts = facts
        self.member = member
        self.add = add
        self.lines = _Lines()
        self.rows: list[tuple[str, int, str, str]] = []

    def feed(self, data: bytes) -> None:
        for lineno, raw in self.lines.feed(data):
            self._line(lineno, raw)
        if len(self.rows) >= 10_000:
            self._flush()

    def end(self) -> None:
        for lineno, raw in self.lines.end():
            self._line(lineno, raw)
        self._flush()

    def _flush(self) -> None:
        self.facts.db.executemany("INSERT INTO pages VALUES (?,?,?,?)", self.rows)
        self.rows.clear()

    def _line(self, lineno: int, raw: bytes) -> None:
        if not raw.strip():
            return
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            obj = None
        if not isinstance(obj, dict):
            self.add("WACZ_PAGES_MALFORMED", f"line {lineno} is not a JSON object", None,
                     None, raw[:200].decode("utf-8", "replace"))
            return
        if lineno == 1 and "format" in obj and "url" not in obj:
            if obj["format"] != "json-pages-1.0":
                self.add("WACZ_PAGES_MALFORMED", "the header line names an unknown "
                         "format", None, "json-pages-1.0", obj["format"])
            return
        url, ts = obj.get("url"), obj.get("ts")
        if not isinstance(url, str) or not url:
            self.add("WACZ_PAGES_MALFORMED", f"line {lineno} has no url", None,
                     "a url string", raw[:200].decode("utf-8", "replace"))
            return
        if not isinstance(ts, str) or not _RFC3339.match(ts):
            self.add("WACZ_PAGES_MALFORMED", f"line {lineno}: ts is not an RFC 3339 "
                     "date and time", None, "2020-10-07T21:22:36Z", ts)
            return
        self.rows.append((self.member, lineno, url, surt_key(url)))

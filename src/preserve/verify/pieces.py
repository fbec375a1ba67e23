"""A gzip WARC checked in pieces, so that several workers share one file, and the pieces'
results merged back into the file's, exactly as one sequential read would give them.

A piece is a nominal byte range ``[start, end)``. Its worker finds the first gzip member
at or after ``start`` that inflates to a ``WARC/`` line (the first piece starts at 0),
and parses whole members from there until the first member boundary at or after
``end``. The merge walks the pieces in order and trusts only the sequential parse: a
piece is taken when it starts exactly where the one before it stopped. A piece that
does not (its start was a gzip member stored inside a record, say a WARC archived as a
payload, or a damaged member hid the real boundary) is dropped with every piece after
it, and the rest of the file is parsed again from the last agreed boundary, in one
read. A piece that ends the structure (a corrupt member, trailing bytes, the end of the
file) ends the file's results, as it would end a sequential read.

Only parsing is split: a file whose whole-file digest is wanted (a collection's WARCs)
is read by one worker, in one read (verify.runner).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..safeopen import Refused, open_regular
from ..web import inflate
from .report import Capped, FileResult, Finding, finding
from .warcscan import READ_SIZE, FactSink, Scanner

__all__ = ["Piece", "plan", "is_gzip", "scan_piece", "merge"]

_MAGIC = b"\x1f\x8b\x08"  # a gzip member, deflate
_PROBE = 1 << 16


@dataclass
class Piece:
    """What the check of one piece established."""

    end: int  # the nominal end
    start: int | None = None  # where its first member starts; None: no member in range
    stop: int | None = None  # the member boundary where it stopped (at or after ``end``)
    ended: bool = False  # the structure ended in it (end of file, corrupt member, ...)
    records: int = 0
    findings: list[Finding] = field(default_factory=list)
    tally: dict[tuple[str, str], int] = field(default_factory=dict)
    unreadable: str | None = None  # why the file could not be read


def plan(size: int, piece_size: int) -> list[tuple[int, int]]:
    """Nominal ranges of about ``piece_size`` bytes covering ``size`` bytes."""
    n = max(1, round(size / max(1, piece_size)))
    bounds = [size * k // n for k in range(n + 1)]
    return list(zip(bounds, bounds[1:], strict=False))


def is_gzip(path: Path) -> bool:
    """Raises Refused for a file that is not regular (preserve.safeopen)."""
    with open_regular(path) as f:
        return f.read(2) == _MAGIC[:2]


def _member_at(f: IO[bytes], at: int) -> bool:
    f.seek(at)
    try:
        out = inflate.decompressobj(31).decompress(f.read(_PROBE), 8)
    except inflate.ERRORS:
        return False
    return out[:5].upper() == b"WARC/"


def _first_member(f: IO[bytes], start: int, end: int) -> int | None:
    """The first offset in ``[start, end)`` where a gzip member holding a WARC record
    seems to start (the merge checks it against the sequential parse)."""
    pos = start
    carry = b""
    while pos < end:
        f.seek(pos)
        buf = f.read(READ_SIZE)
        if not buf:
            return None
        window = carry + buf
        base = pos - len(carry)
        i = window.find(_MAGIC)
        while i >= 0 and base + i < end:
            if _member_at(f, base + i):
                return base + i
            i = window.find(_MAGIC, i + 1)
        carry = window[-(len(_MAGIC) - 1):]
        pos += len(buf)
    return None


def scan_piece(path: Path, name: str, start: int, end: int | None, *,
               sink: FactSink | None, on_bytes: Callable[[int], None] | None = None,
               probe: bool = True) -> Piece:
    """Check the piece ``[start, end)`` of the gzip WARC at ``path``; ``end`` None reads
    to the end of the file. With ``probe`` (and ``start`` > 0) the piece begins at the
    first member found at or after ``start``, else at ``start`` itself. ``on_bytes``
    gets exactly the piece's nominal size in all."""
    size = path.stat().st_size if end is None else end
    piece = Piece(size)
    left = size - start

    def count(n: int) -> None:
        nonlocal left
        n = min(n, left)
        left -= n
        if on_bytes is not None and n:
            on_bytes(n)

    try:
        with open_regular(path) as f:
            at: int | None = start
            if probe and start > 0:
                at = _first_member(f, start, size)
            if at is None or (at >= size and end is not None):
                return piece
            piece.start = at
            scanner = Scanner(name, sink, start=at, limit=end)
            f.seek(at)
            while not scanner.stopped and scanner.reached is None:
                chunk = f.read(READ_SIZE)
                if not chunk:
                    scanner.end()
                    break
                scanner.feed(chunk)
                count(len(chunk))
    except (OSError, Refused) as e:
        piece.unreadable = (e.strerror if isinstance(e, OSError) else None) or str(e)
        return piece
    finally:
        count(left)
    piece.stop = scanner.reached
    piece.ended = scanner.reached is None
    piece.records = scanner.records
    piece.tally = scanner.findings.tally()
    piece.findings = list(scanner.findings)
    return piece


def merge(name: str, size: int, pieces: Sequence[Piece],
          rescan: Callable[[int], Piece]) -> tuple[FileResult, list[int]]:
    """The file's result from its pieces, in order, and the indexes of the pieces taken
    (their facts, in that order, are the file's). ``rescan(offset)`` checks the file
    from ``offset`` to its end in one piece; its index in the list is ``len(pieces)``."""
    result = FileResult(name, size)
    found = Capped()
    taken: list[int] = []
    cursor = 0  # the member boundary where the pieces taken so far stopped
    shared = False
    for k, piece in enumerate([*pieces, None]):
        if piece is not None and cursor >= piece.end:
            continue  # the piece before ran over this one's range: nothing left to check
        if piece is None or piece.start != cursor:
            if piece is None and cursor >= size:
                break
            piece, k = rescan(cursor), len(pieces)
        if piece.unreadable is not None:
            result.checked = False
            result.findings = [finding("FILE_UNREADABLE", name,
                                       f"cannot read the file ({piece.unreadable})")]
            return result, []
        taken.append(k)
        result.records += piece.records
        findings, tally = piece.findings, piece.tally
        if shared:  # reported once per file, by the first piece that sees it
            findings = [f for f in findings if f.code != "WARC_SHARED_MEMBER"]
            tally = {key: n for key, n in tally.items() if key[0] != "WARC_SHARED_MEMBER"}
        shared = shared or any(f.code == "WARC_SHARED_MEMBER" for f in findings)
        found.add_counted(findings, tally)
        if piece.ended or piece.stop is None or k == len(pieces):
            break
        cursor = piece.stop
    result.findings = list(found.done())
    return result, taken

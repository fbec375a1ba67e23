"""The compiled fast path of verify (verify/_sha1x2.c: ``head`` and ``record``) against the
Python code it stands in for.

``head(raw)`` must give, for every header block it accepts, what the Python parse gives
with no problem at all; ``record(data, pos)`` must leave the scanner's records, findings
and sink calls as they are without it. Both are run here on the real blocks and records
of fixtures/warc and on many random mutations of them (bad values, case, folding,
duplicates, missing fields, bad version lines, a changed block or length, a moved HTTP
blank line), and must accept some and refuse some. Skipped where the extension is not
built (``record`` also needs the CPU's SHA extensions).
"""

from __future__ import annotations

import gzip
import random
import zlib
from pathlib import Path
from typing import Any

import pytest

from preserve.verify import warcheaders, warcscan
from preserve.verify.warcheaders import RecordHead

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "warc"

compiled_head = warcheaders._compiled_head
pytestmark = pytest.mark.skipif(compiled_head is None, reason="the extension is not built")

VALUES = [b"", b" ", b"<urn:uuid:1>", b"urn:uuid:1", b"http://a/", b"<http://a/>", b"a:>",
          b"<a:", b"<a:b c>", b"http://x/ y", b"2020-01-01T00:00:00Z", b"2020-01-01t00:00:00z",
          b"2020-01-01T00:00:00z",
          b"2020-01-01T00:00:00.123Z", b"2020-01-01T00:00:00.1234567890Z", b"2020-01-01",
          b"1.2.3.4", b"01.2.3.4", b"256.1.1.1", b"::1", b"text/html", b"text/html ; x",
          b"text/", b"response", b"Response", b"revisit", b"warcinfo", b"continuation",
          b"metadata", b"bogus", b"sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          b"sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", b"sha256:00", b"12", b"-1", b"1x", b"1",
          b"2", b"\xc3\xa9", b"a\tb", b"a\x00", b"a\x7fb"]
NAMES = [b"WARC-Type", b"WARC-Record-ID", b"WARC-Date", b"Content-Length", b"Content-Type",
         b"WARC-Concurrent-To", b"WARC-Block-Digest", b"WARC-Payload-Digest",
         b"WARC-IP-Address", b"WARC-Refers-To", b"WARC-Refers-To-Target-URI",
         b"WARC-Refers-To-Date", b"WARC-Target-URI", b"WARC-Truncated", b"WARC-Warcinfo-ID",
         b"WARC-Filename", b"WARC-Profile", b"WARC-Identified-Payload-Type",
         b"WARC-Segment-Number", b"WARC-Segment-Origin-ID", b"WARC-Segment-Total-Length",
         b"X-Extension", b"warc-type", b"WARC-TYPE", b"Bad Name", b"", b" folded"]
VERSIONS = [b"WARC/1.0", b"WARC/1.1", b"warc/1.1", b"WARC/2.0", b"WARC/0.17", b"WARC/0.18",
            b"WARC/1.1 ", b"HTTP/1.1"]


def _records() -> list[bytes]:
    """Every record (gzip member, or whole plain file) of the fixture corpus."""
    out = []
    for path in sorted(CORPUS.glob("*.warc*")):
        raw = path.read_bytes()
        if raw[:2] != b"\x1f\x8b":
            out.append(raw)
            continue
        pos = 0
        while pos < len(raw):
            d = zlib.decompressobj(31)
            try:
                out.append(d.decompress(raw[pos:]))
            except zlib.error:
                break
            if not d.eof:
                break
            pos = len(raw) - len(d.unused_data)
    return [r for r in out if r.startswith(b"WARC/")]


def _mutate(rng: random.Random, record: bytes) -> bytes:
    end = record.find(b"\r\n\r\n")
    if end < 0:
        return record
    lines, rest = record[:end].split(b"\r\n"), record[end:]
    for _ in range(rng.randint(1, 3)):
        k, j = rng.random(), rng.randrange(len(lines))
        if k < 0.3 and j > 0:
            name = lines[j].partition(b":")[0]
            lines[j] = name + b":" + rng.choice([b"", b" ", b"  "]) + rng.choice(VALUES) \
                + rng.choice([b"", b" "])
        elif k < 0.45:
            lines.insert(j + 1, rng.choice(NAMES) + b": " + rng.choice(VALUES))
        elif k < 0.55 and j > 0:
            del lines[j]
        elif k < 0.62:
            lines.insert(j + 1, lines[j])
        elif k < 0.7:
            lines[0] = rng.choice(VERSIONS)
        elif k < 0.78 and j > 0:
            lines[j] = rng.choice([lines[j].upper(), lines[j].lower(),
                                   lines[j].replace(b":", b" :", 1),
                                   lines[j].replace(b": ", b":\t", 1), lines[j] + b"\n"])
        elif k < 0.86 and len(rest) > 8:  # a byte of the block
            block = bytearray(rest)
            block[rng.randrange(4, len(block) - 4)] ^= 1 << rng.randrange(8)
            rest = bytes(block)
        elif k < 0.93:
            for x, line in enumerate(lines):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length" and value.strip().isdigit():
                    length = max(0, int(value) + rng.choice([-3, -1, 1, 2]))
                    lines[x] = b"Content-Length: " + str(length).encode()
        else:  # the HTTP head's blank line
            rest = rest.replace(b"\r\n\r\n", rng.choice([b"\r\n \r\n", b"\n\n"]), 2)
    return b"\r\n".join(lines) + rest


def _python_head(raw: bytes) -> tuple[RecordHead | None, list[warcheaders.Problem]]:
    return warcheaders.parse_python(raw, 7)


def _attrs(head: RecordHead) -> tuple[Any, ...]:
    return (head.offset, head.version, head.headers, head.keys, head.fields, head.type,
            head.uri)


def test_head_accepts_only_blocks_without_a_problem() -> None:
    assert compiled_head is not None
    rng = random.Random(20)
    records = _records()
    blocks = [r[:r.find(b"\r\n\r\n")] for r in records]
    blocks += [_mutate(rng, rng.choice(records)).partition(b"\r\n\r\n")[0]
               for _ in range(3000)]
    # Each value in each field of a few good blocks, one at a time.
    good = {}  # a record type -> one of its blocks that head() accepts
    for raw in blocks[:len(records)]:
        head = _python_head(raw)[0]
        if head is not None and compiled_head(raw) is not None:
            good[head.type] = raw
    assert len(good) >= 3
    for raw in good.values():
        lines = raw.split(b"\r\n")
        for j in range(1, len(lines)):
            name = lines[j].partition(b":")[0]
            blocks += [b"\r\n".join([*lines[:j], name + b": " + value, *lines[j + 1:]])
                       for value in VALUES]
    accepted = 0
    for raw in blocks:
        got = compiled_head(raw)
        head, problems = _python_head(raw)
        if got is None:
            continue
        accepted += 1
        assert head is not None and problems == [], raw
        assert _attrs(RecordHead.made(7, *got)) == _attrs(head), raw
    assert 500 < accepted < len(blocks) - 500  # both ways, many times


class _Sink:
    """Every call the scanner makes, with every attribute of the heads it passes."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def wants_payload(self, head: RecordHead, http_head: bytes | None) -> int:
        self.calls.append(("wants", *_attrs(head), http_head))
        return (0, 5, 100, 1 << 20)[head.offset % 4]

    def record(self, head: RecordHead, length: int, payload_digest: str | None,
               http_head: bytes | None, payload_start: bytes, payload_sha1: str | None
               ) -> None:
        self.calls.append(("record", *_attrs(head), length, payload_digest, http_head,
                           payload_start, payload_sha1))

    def member_length(self, offset: int, length: int) -> None:
        self.calls.append(("member", offset, length))


def _scan(data: bytes, chunk: int, limit: int | None) -> tuple[Any, ...]:
    sink = _Sink()
    scanner = warcscan.Scanner("f", sink, limit=limit)
    for i in range(0, len(data), chunk):
        scanner.feed(data[i:i + chunk])
        if scanner.reached is not None:
            break
    scanner.end()
    return (scanner.records, scanner.reached, [repr(f) for f in scanner.findings.done()],
            sink.calls)


@pytest.mark.skipif(warcscan._compiled_record is None, reason="this CPU has no SHA")
def test_record_leaves_every_finding_and_sink_call_as_it_was(
        monkeypatch: pytest.MonkeyPatch) -> None:
    compiled_record = warcscan._compiled_record
    taken = 0

    def counted(data: bytes, pos: int) -> Any:
        nonlocal taken
        assert compiled_record is not None
        got = compiled_record(data, pos)
        taken += got is not None
        return got

    def both(data: bytes, chunk: int, limit: int | None) -> None:
        monkeypatch.setattr(warcscan, "_compiled_record", None)
        monkeypatch.setattr(warcheaders, "_compiled_head", None)
        python = _scan(data, chunk, limit)
        monkeypatch.setattr(warcscan, "_compiled_record", counted)
        monkeypatch.setattr(warcheaders, "_compiled_head", compiled_head)
        assert _scan(data, chunk, limit) == python

    for path in sorted(CORPUS.glob("*.warc*")):
        both(path.read_bytes(), 1 << 17, None)
    rng = random.Random(19)
    records = _records()
    for _ in range(300):
        chosen = [_mutate(rng, r) if rng.random() < 0.7 else r
                  for r in rng.choices(records, k=rng.randint(1, 5))]
        data = b"".join(gzip.compress(r, 1) for r in chosen) if rng.random() < 0.5 \
            else b"".join(chosen)
        if rng.random() < 0.1:
            data = data[:rng.randrange(len(data) + 1)]
        both(data, rng.choice([3, 100, 4096, 1 << 17]),
             rng.choice([None, None, rng.randrange(len(data) + 1)]))
    assert taken > 100

"""Fuzz the compiled fast path of verify (verify/_sha1x2.c: ``head`` and ``record``), built
with AddressSanitizer and UBSan, against the Python code it stands in for.

Not part of the test suite (tests/test_fastrecord.py is the bounded check CI runs). Run::

    python scripts/fuzz_fastrecord.py --asan --seconds 1800     # build, re-exec, fuzz
    python scripts/fuzz_fastrecord.py --seconds 60             # the built extension as is

``--asan`` compiles the C file (``--source``, default this checkout's) with
``-fsanitize=address,undefined -fno-sanitize-recover=all`` into a temporary directory and
runs this script again under LD_PRELOAD=libasan with PYTHONMALLOC=malloc (so that object
buffers are heap blocks ASan watches); any out-of-bounds access or undefined behaviour
aborts with a report. The oracles, on random and mutated header blocks and records (the
records of fixtures/warc and /work/shared/conformance/warc, and records made here with
right digests so that the hashing is reached):

* head(raw): anything it accepts, parse_python accepts with no problem, with equal
  attributes (and exact types);
* record(data, pos): anything it accepts is a record whose head parse_python accepts with
  no problem, whose length, end, HTTP head, payload start, digests and payload SHA-1 are
  what Python computes; and, for a share of the inputs, the scanner gives the same
  records, findings and sink calls with and without it;
* reference counts (None's, the version strings', the number of GC objects) do not move
  over many calls; allocation failures injected one at a time (_testcapi.set_nomemory)
  give MemoryError or a right result, never a crash or SystemError.

Statistics go to stdout every ``--every`` seconds; a failing input is written to
``--out`` (default /tmp) and the run stops.
"""

from __future__ import annotations

import argparse
import base64
import gc
import gzip
import hashlib
import importlib.machinery
import importlib.util
import os
import random
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "preserve" / "verify" / "_sha1x2.c"
CORPORA = [ROOT / "fixtures" / "warc", Path("/work/shared/conformance/warc")]
NAME = "preserve.verify._sha1x2"


def build(source: Path, out_dir: Path) -> Path:
    so = out_dir / ("_sha1x2" + str(sysconfig.get_config_var("EXT_SUFFIX")))
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-g", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-Wall",
                    "-I", sysconfig.get_paths()["include"], str(source), "-o", str(so)],
                   check=True)
    return so


def load(so: Path) -> Any:
    """The extension at ``so`` as preserve.verify._sha1x2, before preserve imports it."""
    loader = importlib.machinery.ExtensionFileLoader(NAME, str(so))
    spec = importlib.util.spec_from_file_location(NAME, str(so), loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[NAME] = module
    return module


# -- the corpus ---------------------------------------------------------------------------

def _split_plain(raw: bytes) -> list[bytes]:
    out, pos = [], 0
    while True:
        while raw[pos:pos + 2] == b"\r\n":
            pos += 2
        end = raw.find(b"\r\n\r\n", pos)
        if end < 0 or not raw.startswith(b"WARC/", pos):
            break
        m = re.search(rb"\r\ncontent-length:[ \t]*(\d+)", raw[pos:end], re.IGNORECASE)
        if m is None:
            break
        stop = end + 4 + int(m.group(1)) + 4
        out.append(raw[pos:stop])
        pos = stop
    return out or [raw]


def corpus_records() -> list[bytes]:
    out = []
    for directory in CORPORA:
        for path in sorted(directory.rglob("*")):
            if not path.is_file() or ".warc" not in path.name or path.suffix == ".json":
                continue
            raw = path.read_bytes()
            if raw[:2] != b"\x1f\x8b":
                out += _split_plain(raw)
                continue
            pos = 0
            while pos < len(raw):
                d = zlib.decompressobj(31)
                try:
                    member = d.decompress(raw[pos:])
                except zlib.error:
                    break
                out += _split_plain(member)
                if not d.eof:
                    break
                pos = len(raw) - len(d.unused_data)
    return [r for r in out if r.startswith(b"WARC/")]


def b32(data: bytes) -> bytes:
    return b"sha1:" + base64.b32encode(hashlib.sha1(data).digest())


_BLANK = re.compile(rb"(?:^|(?<=\n))[ \t\r\x0b\x0c]*\n")


def payload_start(lines: list[bytes], block: bytes) -> int:
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields.setdefault(name.strip().lower(), value.strip())
    uri = fields.get(b"warc-target-uri", b"")
    if uri.startswith(b"<") and uri.endswith(b">"):
        uri = uri[1:-1]
    if (fields.get(b"warc-type", b"").lower() in (b"response", b"request", b"revisit")
            and block and uri[:6].lower().startswith((b"http:", b"https:"))):
        m = _BLANK.search(block, 0, 1 << 16)
        return m.end() if m else 0
    return 0


def fix(record: bytes, rng: random.Random) -> bytes:
    """The record with Content-Length and the digests made right for its block (the
    block taken as what follows the head up to the last CRLF CRLF), most of the time."""
    end = record.find(b"\r\n\r\n")
    if end < 0:
        return record
    lines = record[:end].split(b"\r\n")
    block = record[end + 4:]
    block = block[:-4] if block.endswith(b"\r\n\r\n") else block
    if rng.random() < 0.8:
        lines = [b"Content-Length: " + str(len(block)).encode()
                 if ln.lower().startswith(b"content-length:") else ln for ln in lines]
    ps = payload_start(lines, block)
    out = []
    for ln in lines:
        low = ln.lower()
        if low.startswith(b"warc-block-digest:") and rng.random() < 0.9:
            ln = b"WARC-Block-Digest: " + b32(block)
        elif low.startswith(b"warc-payload-digest:") and rng.random() < 0.9:
            ln = b"WARC-Payload-Digest: " + b32(block[ps:])
        out.append(ln)
    return b"\r\n".join(out) + b"\r\n\r\n" + block + b"\r\n\r\n"


TYPES = [b"response", b"request", b"resource", b"metadata", b"revisit", b"conversion",
         b"warcinfo", b"continuation"]
SIZES = [0, 1, 2, 3, 4, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096,
         65535, 65536, 65537, 70000]


def synth(rng: random.Random) -> bytes:
    """A record made here, usual or nearly so, with right digests."""
    t = rng.choice(TYPES[:6] if rng.random() < 0.9 else TYPES)
    uri = rng.choice([b"http://example.com/a", b"https://x/", b"HTTP://X/", b"<http://a/b>",
                      b"urn:x:y", b"dns:example.com", b"ftp://x/", b"http:", b"hTtPs:x"])
    body = rng.randbytes(rng.choice(SIZES)) if rng.random() < 0.5 else \
        (b"x" * rng.choice(SIZES))
    block = body
    if rng.random() < 0.7:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        head += b"X: " + b"y" * rng.choice(SIZES) + b"\r\n" if rng.random() < 0.3 else b""
        head += rng.choice([b"\r\n", b"\n", b" \r\n", b"\t\r\n", b"\x0b\n", b"\r\r\n",
                            b"\r\n\r\n"])
        block = head + body
    lines = [rng.choice([b"WARC/1.1", b"WARC/1.0", b"WARC/0.17", b"WARC/0.18"]),
             b"WARC-Type: " + t,
             b"WARC-Record-ID: <urn:uuid:%d>" % rng.randrange(1 << 30),
             b"WARC-Date: " + rng.choice([b"2020-01-02T03:04:05Z", b"2020-01-02T03:04:05.1Z",
                                          b"2020-01-02T03:04:05.123456789Z"]),
             b"Content-Length: " + str(len(block)).encode(),
             b"Content-Type: " + rng.choice([b"application/http; msgtype=response",
                                             b"text/html", b"a/b ;", b"a/b   "])]
    if t != b"metadata" or rng.random() < 0.5:
        lines.append(b"WARC-Target-URI: " + uri)
    if t == b"revisit":
        lines.append(b"WARC-Profile: http://netpreserve.org/warc/1.1/revisit/"
                     b"identical-payload-digest")
        lines.append(b"WARC-Refers-To: <urn:uuid:1>")
    if rng.random() < 0.7:
        lines.append(b"WARC-Block-Digest: x")
    if rng.random() < 0.6:
        lines.append(b"WARC-Payload-Digest: x")
    if rng.random() < 0.3:
        lines.append(b"WARC-IP-Address: 10.0.%d.%d" % (rng.randrange(256), rng.randrange(256)))
    if rng.random() < 0.3:
        lines.append(b"WARC-Concurrent-To: <urn:uuid:2>")
    if rng.random() < 0.2:
        lines.append(b"X-Extension-%d: v" % rng.randrange(4))
    head_lines = [lines[0]] + rng.sample(lines[1:], len(lines) - 1)
    rec = b"\r\n".join(head_lines) + b"\r\n\r\n" + block + b"\r\n\r\n"
    return fix(rec, random.Random(0))


VALUES = [b"", b" ", b"<urn:uuid:1>", b"urn:uuid:1", b"http://a/", b"<http://a/>", b"a:>",
          b"<a:", b"<a:b c>", b"<>", b"<", b">", b"<:>", b"<a:>", b"a:", b"<a:b>>", b"<<a:b>",
          b"2020-01-01T00:00:00Z", b"2020-01-01t00:00:00z", b"2020-01-01T00:00:00.Z",
          b"2020-01-01T00:00:00.123Z", b"2020-01-01T00:00:00.1234567890Z", b"2020-01-01",
          b"9999-99-99T99:99:99Z", b"2020-01-01T00:00:00ZZ", b"\xd9\xa0\xd9\xa0",
          b"1.2.3.4", b"01.2.3.4", b"256.1.1.1", b"::1", b"1.2.3.4.5", b"1.2.3", b"1.2.3.",
          b"255.255.255.255", b"1000.1.1.1", b"0.0.0.0", b"1.2.3.04", b"\xd9\xa1.2.3.4",
          b"text/html", b"text/html ; x", b"text/", b"/html", b"a/b/c", b"a/b;\x00",
          b"response", b"Response", b"revisit", b"warcinfo", b"continuation", b"metadata",
          b"request", b"resource", b"conversion", b"bogus", b"sha1:", b"sha1:A",
          b"sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", b"sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          b"SHA1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", b"sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
          b"sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1", b"sha1:" + b"0" * 40, b"sha256:00",
          b"12", b"-1", b"+1", b"1x", b"1", b"0", b"00", b"2", b"0" * 15 + b"1",
          b"9" * 15, b"9" * 16, b"9" * 19, b"9" * 20, b"9" * 40, b"9223372036854775807",
          b"9223372036854775808", b"18446744073709551616", b"\xd9\xa1", b"\xef\xbc\x91",
          b"\xc3\xa9", b"a\tb", b"a\x00", b"\x00", b"a\x7fb", b"a\rb", b"a\nb", b"a\r",
          b"\x80", b"\xff", b"x" * 300]
NAMES = [b"WARC-Type", b"WARC-Record-ID", b"WARC-Date", b"Content-Length", b"Content-Type",
         b"WARC-Concurrent-To", b"WARC-Block-Digest", b"WARC-Payload-Digest",
         b"WARC-IP-Address", b"WARC-Refers-To", b"WARC-Refers-To-Target-URI",
         b"WARC-Refers-To-Date", b"WARC-Target-URI", b"WARC-Truncated", b"WARC-Warcinfo-ID",
         b"WARC-Filename", b"WARC-Profile", b"WARC-Identified-Payload-Type",
         b"WARC-Segment-Number", b"WARC-Segment-Origin-ID", b"WARC-Segment-Total-Length",
         b"X-Extension", b"warc-type", b"WARC-TYPE", b"content-length", b"CONTENT-LENGTH",
         b"Bad Name", b"", b" folded", b"\tfolded", b"X\x00", b"X\xc3\xa9", b"{}", b"a:b"]
VERSIONS = [b"WARC/1.0", b"WARC/1.1", b"warc/1.1", b"WARC/2.0", b"WARC/0.17", b"WARC/0.18",
            b"WARC/1.1 ", b" WARC/1.1", b"HTTP/1.1", b"WARC/1.1\x00", b"WARC/1.", b"",
            b"WARC/1.10", b"WARC/01.1"]
BYTES = b"\x00\r\n \t:<>/-.0123456789AZaz\x7f\x80\xc3\xa9\xff"


def mutate(rng: random.Random, record: bytes) -> bytes:
    end = record.find(b"\r\n\r\n")
    if end < 0 or rng.random() < 0.08:  # bytes, blind
        data = bytearray(record)
        for _ in range(rng.randint(1, 4)):
            k = rng.random()
            at = rng.randrange(len(data) + 1)
            if k < 0.4 and data:
                data[min(at, len(data) - 1)] = rng.choice(BYTES)
            elif k < 0.7:
                data[at:at] = bytes([rng.choice(BYTES)]) * rng.choice([1, 1, 2, 3, 100])
            elif k < 0.9:
                del data[at:at + rng.randint(1, 8)]
            else:
                del data[at:]
        return bytes(data)
    lines, rest = record[:end].split(b"\r\n"), record[end:]
    for _ in range(rng.randint(1, 3)):
        k, j = rng.random(), rng.randrange(len(lines))
        if k < 0.25 and j > 0:
            name = lines[j].partition(b":")[0]
            lines[j] = name + b":" + rng.choice([b"", b" ", b"  ", b"\t"]) + \
                rng.choice(VALUES) + rng.choice([b"", b" ", b"  "])
        elif k < 0.37:
            lines.insert(j + 1, rng.choice(NAMES) + b":" + rng.choice([b"", b" "])
                         + rng.choice(VALUES))
        elif k < 0.45 and j > 0:
            del lines[j]
        elif k < 0.5:
            lines.insert(j + 1, lines[j])
        elif k < 0.56:
            lines[0] = rng.choice(VERSIONS)
        elif k < 0.64 and j > 0:
            lines[j] = rng.choice([lines[j].upper(), lines[j].lower(),
                                   lines[j].replace(b":", b" :", 1),
                                   lines[j].replace(b": ", b":\t", 1), lines[j] + b"\n",
                                   lines[j] + b"\r", b"\r" + lines[j], lines[j] + b"\r\n",
                                   lines[j][:rng.randrange(len(lines[j]) + 1)]])
        elif k < 0.7 and len(rest) > 8:  # a byte of the block
            block = bytearray(rest)
            block[rng.randrange(4, len(block) - 4)] ^= 1 << rng.randrange(8)
            rest = bytes(block)
        elif k < 0.76:
            for x, line in enumerate(lines):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length" and value.strip().isdigit():
                    length = max(0, int(value) + rng.choice([-3, -1, 1, 2, 1 << 40, -1000]))
                    lines[x] = name + b": " + rng.choice([b"", b"0", b"00"]) + \
                        str(length).encode()
        elif k < 0.82:  # the HTTP head's blank line
            rest = rest.replace(b"\r\n\r\n", rng.choice([b"\r\n \r\n", b"\n\n", b"\r\n\r",
                                                         b"\n\r\n", b"\r\r\n"]), 2)
        elif k < 0.86:  # the record's end
            rest = rng.choice([rest[:-1], rest[:-2], rest[:-4], rest + b"\r\n",
                               rest[:-4] + b"\n\n", rest[:-4] + b"\r\n\r", rest + b"X"])
        elif k < 0.9:  # a byte of the head
            line = bytearray(lines[j])
            if line:
                line[rng.randrange(len(line))] = rng.choice(BYTES)
            lines[j] = bytes(line)
        elif k < 0.93:  # many fields
            extra = [rng.choice(NAMES[:22]) + b": " + rng.choice(VALUES)
                     for _ in range(rng.choice([10, 100, 1000]))]
            lines[1:1] = extra
        elif k < 0.96:  # a long value
            lines.insert(j + 1, b"X-Long: " + b"a" * rng.choice([1000, 70000]))
        else:  # the block's digests made right
            return fix(b"\r\n".join(lines) + rest, rng)
    out = b"\r\n".join(lines) + rest
    return fix(out, rng) if rng.random() < 0.4 else out


# -- the oracles --------------------------------------------------------------------------

class Failure(Exception):
    pass


def check(cond: bool, what: str) -> None:
    if not cond:
        raise Failure(what)


def exact_types(got: tuple[Any, ...]) -> None:
    version, headers, keys, fields, type_, uri = got
    check(type(version) is str and type(type_) is str and type(uri) is str, "str types")
    check(type(headers) is list and type(keys) is list and type(fields) is dict, "types")
    for pair in headers:
        check(type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str
              and type(pair[1]) is str and pair[1].isascii(), "header pair")
        check(pair[1].encode("utf-8").decode("ascii") == pair[1], "a str really ASCII")


class Oracle:
    def __init__(self, ext: Any) -> None:
        from preserve.verify import warcheaders, warcscan
        from preserve.verify.httphead import HttpHead
        from preserve.verify.warcheaders import RecordHead

        self.ext = ext
        self.warcheaders = warcheaders
        self.warcscan = warcscan
        self.HttpHead = HttpHead
        self.RecordHead = RecordHead
        self.last = b""  # the input of the last call, written out when a check fails
        self.stats = dict.fromkeys(["head", "head_ok", "record", "record_ok", "scan",
                                    "scan_taken", "python_clean_c_none"], 0)

    def attrs(self, h: Any) -> tuple[Any, ...]:
        return (h.version, h.headers, h.keys, h.fields, h.type, h.uri)

    def head(self, raw: bytes) -> None:
        self.stats["head"] += 1
        self.last = raw
        got = self.ext.head(raw)
        py, problems = self.warcheaders.parse_python(raw, 0)
        if got is None:
            if py is not None and not problems:
                self.stats["python_clean_c_none"] += 1
            return
        self.stats["head_ok"] += 1
        check(type(got) is tuple and len(got) == 6, "head: a 6-tuple")
        exact_types(got)
        check(py is not None and problems == [], f"head accepted, Python: {problems}")
        check(got == self.attrs(py), "head: attributes differ")

    def record(self, data: bytes, pos: int) -> None:
        self.stats["record"] += 1
        self.last = data[pos:] if 0 <= pos <= len(data) else data
        got = self.ext.record(data, pos)
        if got is None:
            return
        self.stats["record_ok"] += 1
        check(type(got) is tuple and len(got) == 11, "record: an 11-tuple")
        end, *head, length, http_head, start, sha1 = got
        exact_types(tuple(head))
        hend = data.find(b"\r\n\r\n", pos)
        check(hend >= 0, "record: no head end")
        py, problems = self.warcheaders.parse_python(data[pos:hend], 0)
        check(py is not None and problems == [], f"record accepted, Python: {problems}")
        check(tuple(head) == self.attrs(py), "record: head attributes differ")
        cl = py.fields["content-length"]
        check(cl.isdigit() and int(cl) == length, "record: length")
        bs = hend + 4
        check(end == bs + length + 4 and end <= len(data), "record: end")
        check(data[end - 4:end] == b"\r\n\r\n", "record: no CRLF CRLF at its end")
        block = data[bs:bs + length]
        f = py.fields
        if "warc-block-digest" in f:
            check(f["warc-block-digest"].encode() == b32(block), "record: block digest")
        http = py.type in ("response", "request", "revisit") and length > 0 and \
            py.uri[:6].lower().startswith(("http:", "https:"))
        if http:
            reader = self.HttpHead()
            n = reader.feed(block)
            check(n is not None, "record: Python finds no HTTP head")
            check(http_head == reader.head(), "record: http_head")
            check(start == bs + n, "record: payload start")
        else:
            check(http_head is None and start == bs, "record: no HTTP head")
        payload = data[start:bs + length]
        if py.type == "revisit":
            check(sha1 is None, "record: revisit sha1")
        elif "warc-payload-digest" in f:
            check(f["warc-payload-digest"].encode() == b32(payload), "payload digest")
            check(sha1 is None, "record: sha1 with a payload digest")
        else:
            check(sha1 == hashlib.sha1(payload).digest(), "record: payload sha1")

    def scan(self, data: bytes, chunk: int, limit: int | None) -> None:
        """The scanner with and without the C path: the same everything."""
        self.stats["scan"] += 1
        self.last = data
        ws, wh = self.warcscan, self.warcheaders
        compiled_record, compiled_head = ws._compiled_record, wh._compiled_head
        taken = 0

        def counted(d: bytes, p: int) -> Any:
            nonlocal taken
            got = compiled_record(d, p)
            taken += got is not None
            return got
        try:
            ws._compiled_record, wh._compiled_head = None, None
            python = self._scan(data, chunk, limit)
            ws._compiled_record, wh._compiled_head = counted, compiled_head
            fast = self._scan(data, chunk, limit)
        finally:
            ws._compiled_record, wh._compiled_head = compiled_record, compiled_head
        self.stats["scan_taken"] += taken
        check(fast == python, "scan: records, findings or sink calls differ")

    def _scan(self, data: bytes, chunk: int, limit: int | None) -> tuple[Any, ...]:
        calls: list[tuple[Any, ...]] = []
        oracle = self

        class Sink:
            def wants_payload(self, head: Any, http_head: bytes | None) -> int:
                calls.append(("wants", head.offset, *oracle.attrs(head), http_head))
                return (0, 5, 100, 1 << 20)[head.offset % 4]

            def record(self, head: Any, *rest: Any) -> None:
                calls.append(("record", head.offset, *oracle.attrs(head), *rest))

            def member_length(self, offset: int, length: int) -> None:
                calls.append(("member", offset, length))

        scanner = self.warcscan.Scanner("f", Sink(), limit=limit)  # type: ignore[arg-type]
        for i in range(0, len(data), chunk):
            scanner.feed(data[i:i + chunk])
            if scanner.reached is not None:
                break
        scanner.end()
        return (scanner.records, scanner.reached, [repr(f) for f in scanner.findings.done()],
                calls)


# -- the checks of reference counts, odd arguments and allocation failures --------------

def counts(sample: list[Any]) -> tuple[int, ...]:
    gc.collect()
    return (sys.getrefcount(None), len(gc.get_objects()),
            *(sys.getrefcount(x) for x in sample))


def refcounts(ext: Any, inputs: list[bytes], rounds: int) -> None:
    """Many calls, results dropped: None's count, the versions', the GC objects' stay."""
    versions = []
    for raw in inputs:
        got = ext.head(raw.partition(b"\r\n\r\n")[0])
        if got is not None:
            versions.append(got[0])
            versions.append(got[1][0][0])  # a field name, kept by the module
    for raw in inputs:  # once, so that every name is cached
        ext.head(raw.partition(b"\r\n\r\n")[0])
        ext.record(raw, 0)
    before = counts(versions)
    for _ in range(rounds):
        for raw in inputs:
            ext.head(raw.partition(b"\r\n\r\n")[0])
            ext.record(raw, 0)
            ext.record(raw, 1)
            ext.record(bytearray(raw), 0)
            ext.record(memoryview(raw)[:len(raw) - 1], 0)
    after = counts(versions)
    # (a few GC objects come and go with the interpreter's own caches: a leak per call
    # would show as thousands)
    check(before[0] == after[0] and before[2:] == after[2:]
          and abs(before[1] - after[1]) < 50,
          f"reference counts moved: {before[:4]} -> {after[:4]}")


def odd_arguments(ext: Any, raw: bytes) -> None:
    """Arguments of the wrong kind: an exception or None, never a crash."""
    import array
    for pos in (-1, -(1 << 62), len(raw), len(raw) + 1, 1 << 62, len(raw) - 1, True, 0):
        ext.record(raw, pos)
    for bad in ((raw, 1 << 64), (raw, -(1 << 64)), (raw, 1.0), (raw, "0"), ("x", 0),
                (None, 0), (raw,), (raw, 0, 0), (memoryview(raw)[::2], 0)):
        try:
            ext.record(*bad)
        except (TypeError, OverflowError, BufferError, ValueError):
            pass
    for bad in ("x", None, 1, memoryview(raw)[::2]):
        try:
            ext.head(bad)
        except (TypeError, BufferError, ValueError):
            pass
    ext.head(array.array("B", raw.partition(b"\r\n\r\n")[0]))
    ext.record(array.array("B", raw), 0)
    ext.head(b"")
    ext.record(b"", 0)


def nomemory(ext: Any, inputs: list[bytes], fresh: int) -> int:
    """Each input with allocation k failing, for every k until the call needs no more:
    MemoryError or the result it gives without a failure. ``fresh`` new field names go
    through the module's name cache this way too. The number of calls made."""
    import _testcapi
    calls = 0
    names = [b"X-Nomem-%d: v\r\n" % i for i in range(fresh)]
    for raw in inputs + [r.replace(b"\r\n", b"\r\n" + n, 1) for r, n in
                         zip(inputs * fresh, names, strict=False)]:
        for fn, args in ((ext.head, (raw.partition(b"\r\n\r\n")[0],)),
                         (ext.record, (raw, 0))):
            k = 0
            while True:
                calls += 1
                _testcapi.set_nomemory(k, k + 1)
                try:
                    got: Any = fn(*args)
                except MemoryError:
                    got = MemoryError
                finally:
                    _testcapi.remove_mem_hooks()
                if got is not MemoryError:
                    check(got == fn(*args), "a different result after an allocation failed")
                    if k > 200:
                        break
                k += 1
                if k > 400:
                    break
    return calls


def systematic(oracle: Oracle, records: list[bytes]) -> int:
    """Every single-byte change of each record's head (each of BYTES put at each
    position, each byte deleted, each byte doubled), each cut at every length, with its
    digests right and as is. The number of inputs."""
    inputs = 0
    for record in records:
        end = record.find(b"\r\n\r\n") + 4
        changed = []
        for at in range(end):
            changed += [record[:at] + bytes([b]) + record[at + 1:] for b in BYTES]
            changed += [record[:at] + record[at + 1:], record[:at + 1] + record[at:],
                        record[:at]]
        changed += [record[:at] for at in range(end, len(record))]
        for data in changed:
            oracle.head(data.partition(b"\r\n\r\n")[0])
            oracle.record(data, 0)
            fixed = fix(data, random.Random(1))
            oracle.record(fixed, 0)
            inputs += 2
    return inputs


def extremes(oracle: Oracle, good: bytes) -> None:
    """Huge header counts, huge values and lengths, tiny buffers; last, the name cache
    filled with junk (the fast path is then mostly off, and must stay right)."""
    ext = oracle.ext
    head, _, rest = good.partition(b"\r\n\r\n")
    for lines in (b"\r\nX-A: b" * 100000, b"".join(b"\r\nX-A%d: b" % i for i in range(50)),
                  b"\r\nX-Long: " + b"v" * (1 << 20), b"\r\n" + b"N" * 64 + b": v",
                  b"\r\n" + b"N" * 65 + b": v", b"\r\n" + b"N" * (1 << 20) + b": v"):
        oracle.head(head + lines)
        oracle.record(head + lines + b"\r\n\r\n" + rest, 0)
    for cl in (b"9" * 15, b"9" * 16, b"0" * 15, b"0" * 1000 + b"1", b"9223372036854775807"):
        data = re.sub(rb"(?i)content-length: *\d+", b"Content-Length: " + cl, good)
        oracle.head(data.partition(b"\r\n\r\n")[0])
        oracle.record(data, 0)
    for n in range(12):
        for pos in range(-1, n + 2):
            ext.record(good[:n], pos)
            ext.record(b"\r\n\r\n"[:n], pos)
        ext.head(good[:n])
    for i in range(400):  # junk names until the cache is full, then the oracles again
        oracle.head(b"WARC/1.1\r\nJ%d: v" % i)


def failed(out: Path, seed: int, e: Failure, data: bytes) -> int:
    path = out / f"fuzz_fastrecord_failure_{seed}.bin"
    path.write_bytes(data)
    print(f"FAILURE: {e}; the input (from the record's start) is {path}", flush=True)
    return 1


# -- the run ------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--asan", action="store_true", help="build with ASan/UBSan, re-run")
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--so", type=Path, help="the extension to load (default: built one)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--every", type=float, default=60)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    if args.asan:
        tmp = Path(tempfile.mkdtemp(prefix="fuzz_fastrecord_"))
        so = build(args.source, tmp)
        libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], check=True,
                                 capture_output=True, text=True).stdout.strip()
        env = dict(os.environ, LD_PRELOAD=libasan, PYTHONMALLOC="malloc",
                   ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        argv = [sys.executable, __file__, "--so", str(so), "--seconds", str(args.seconds),
                "--every", str(args.every), "--out", str(args.out)]
        if args.seed is not None:
            argv += ["--seed", str(args.seed)]
        return subprocess.run(argv, env=env).returncode
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    if args.so is not None:
        ext = load(args.so)
    else:
        import preserve.verify._sha1x2 as ext  # type: ignore[no-redef]
    from preserve.verify import warcheaders, warcscan
    assert warcheaders._sha1x2 is ext and warcheaders._compiled_head is ext.head
    if not ext.available():
        print("this CPU has no SHA extensions: record() is not checked", file=sys.stderr)
    assert warcscan._compiled_record is ext.record
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    print(f"seed {seed}, extension {ext.__file__}", flush=True)
    oracle = Oracle(ext)
    records = corpus_records()
    synths = [synth(rng) for _ in range(200)]
    good = [r for r in records + synths if ext.record(r, 0) is not None]
    print(f"{len(records)} corpus records, {len(synths)} made, {len(good)} taken by "
          "record()", flush=True)
    odd_arguments(ext, good[0])
    refcounts(ext, records[:40] + synths[:40], 20)
    calls = nomemory(ext, good[:15] + records[:5], fresh=10)
    print(f"allocation failures: {calls} calls", flush=True)
    started = last = time.monotonic()
    try:
        while time.monotonic() - started < args.seconds:
            k = rng.random()
            base = rng.choice(good) if rng.random() < 0.5 else rng.choice(records + synths)
            if k < 0.15:
                current = synth(rng)
            else:
                current = base
                for _ in range(rng.choice([1, 1, 1, 2, 3])):
                    current = mutate(rng, current)
            oracle.head(current.partition(b"\r\n\r\n")[0])
            oracle.head(current)  # with its block, as a header block: must not crash
            oracle.record(current, 0)
            pad = rng.choice([b"", b"\r\n", b"WARC/1.1\r\n", rng.randbytes(7)])
            oracle.record(pad + current, len(pad))
            oracle.record(current, rng.randrange(len(current) + 1))
            if rng.random() < 0.02:
                stream = [mutate(rng, r) if rng.random() < 0.6 else r
                          for r in rng.choices(good + records, k=rng.randint(1, 5))]
                data = b"".join(gzip.compress(r, 1) for r in stream) \
                    if rng.random() < 0.5 else b"".join(stream)
                if rng.random() < 0.1:
                    data = data[:rng.randrange(len(data) + 1)]
                current = data
                oracle.scan(data, rng.choice([3, 100, 4096, 1 << 17]),
                            rng.choice([None, None, rng.randrange(len(data) + 1)]))
            now = time.monotonic()
            if now - last >= args.every:
                last = now
                print(f"{now - started:7.0f} s {oracle.stats}", flush=True)
                refcounts(ext, good[:10], 2)
    except Failure as e:
        return failed(args.out, seed, e, oracle.last)
    refcounts(ext, records[:40] + synths[:40], 5)
    try:
        inputs = systematic(oracle, good[:3] + synths[:3])
        print(f"systematic single-byte changes: {inputs} inputs", flush=True)
        extremes(oracle, good[0])
        for raw in records + synths:
            oracle.head(raw.partition(b"\r\n\r\n")[0])
            oracle.record(raw, 0)
    except Failure as e:
        return failed(args.out, seed, e, oracle.last)
    print(f"done in {time.monotonic() - started:.0f} s: {oracle.stats}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

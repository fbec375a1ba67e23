"""Regenerate the WARC corpus in fixtures/warc/ (see fixtures/README.md).

    python scripts/make_warc_fixtures.py          the hand-made files (byte-identical)
    python scripts/make_warc_fixtures.py --wget   also re-record wget.warc.gz from the
                                                  bundled test site (new dates and ids)

Each hand-made file is built from fixed bytes, record ids and dates, gzip members with
mtime 0, so every run writes the same bytes. Every WARC ``NAME`` has an expectation
``NAME.json``: the exit status of ``preserve verify NAME`` and the finding codes it must
report (tests/test_verify_fixtures.py).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "warc"
DATE = "2026-11-28T13:59:06Z"
BODY = b"<html><head><title>Fixture</title></head><body>Hello</body></html>\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY)
REQUEST = b"GET / HTTP/1.1\r\nHost: fixture.example\r\nUser-Agent: fixture\r\n\r\n"
WARCINFO = b"software: make_warc_fixtures.py\r\nformat: WARC File Format 1.1\r\n"


def rid(n: int) -> str:
    return f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def record(headers: list[tuple[str, str]], block: bytes, length: int | None = None) -> bytes:
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(block) if length is None else length}\r\n\r\n"
    return head.encode() + block + b"\r\n\r\n"


def gz(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = c.compress(data) + c.flush()
    return out[:4] + b"\0\0\0\0" + out[8:]  # mtime 0 (zlib already writes 0; be sure)


def warcinfo(n: int = 1) -> bytes:
    return record([("WARC-Type", "warcinfo"), ("WARC-Record-ID", rid(n)), ("WARC-Date", DATE),
                   ("WARC-Filename", "fixture.warc.gz"),
                   ("WARC-Block-Digest", sha1(WARCINFO)),
                   ("Content-Type", "application/warc-fields")], WARCINFO)


def response(n: int = 2, *, block_digest: str | None = None,
             payload_digest: str | None = None, length: int | None = None,
             uri: str = "http://fixture.example/", date: str = DATE,
             block: bytes = RESPONSE, drop: str = "") -> bytes:
    headers = [("WARC-Type", "response"), ("WARC-Record-ID", rid(n)), ("WARC-Date", date),
               ("WARC-Target-URI", uri),
               ("WARC-Block-Digest", block_digest or sha1(block)),
               ("WARC-Payload-Digest", payload_digest or sha1(BODY)),
               ("Content-Type", "application/http;msgtype=response")]
    return record([h for h in headers if h[0] != drop], block, length)


def request(n: int = 3, concurrent: int = 2) -> bytes:
    return record([("WARC-Type", "request"), ("WARC-Record-ID", rid(n)), ("WARC-Date", DATE),
                   ("WARC-Target-URI", "http://fixture.example/"),
                   ("WARC-Concurrent-To", rid(concurrent)),
                   ("WARC-Block-Digest", sha1(REQUEST)),
                   ("Content-Type", "application/http;msgtype=request")], REQUEST)


def revisit(n: int, refers_to: str, payload_digest: str | None = None) -> bytes:
    head = RESPONSE[: RESPONSE.index(b"\r\n\r\n") + 4]
    return record([("WARC-Type", "revisit"), ("WARC-Record-ID", rid(n)),
                   ("WARC-Date", "2026-11-28T14:00:00Z"),
                   ("WARC-Target-URI", "http://fixture.example/again"),
                   ("WARC-Profile",
                    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                   ("WARC-Refers-To-Target-URI", "http://fixture.example/"),
                   ("WARC-Refers-To-Date", DATE), ("WARC-Refers-To", refers_to),
                   ("WARC-Block-Digest", sha1(head)),
                   ("WARC-Payload-Digest", payload_digest or sha1(BODY)),
                   ("Content-Type", "application/http;msgtype=response")], head)


def members(*records: bytes) -> bytes:
    return b"".join(gz(r) for r in records)


def digest_forms() -> bytes:
    """One record per digest form found in the wild, all correct."""
    b, p = hashlib.sha256(RESPONSE).digest(), hashlib.sha256(BODY).digest()
    forms = [
        (f"sha256:{b.hex()}", f"sha256:{p.hex()}"),
        (f"sha-256:{b.hex().upper()}", f"SHA-256:{p.hex()}"),
        ("sha256:" + base64.b32encode(b).decode().rstrip("="),
         "sha-256:" + base64.b32encode(p).decode().lower().rstrip("=")),
        (f"md5:{hashlib.md5(RESPONSE).hexdigest()}",
         f"MD5:{hashlib.md5(BODY).hexdigest().upper()}"),
        (sha1(RESPONSE).lower(),
         "SHA1:" + base64.b32encode(hashlib.sha1(BODY).digest()).decode()),
    ]
    return members(warcinfo(), *(response(10 + i, block_digest=bd, payload_digest=pd,
                                          uri=f"http://fixture.example/{i}")
                                 for i, (bd, pd) in enumerate(forms)))


def corrupt_gzip() -> bytes:
    data = bytearray(members(warcinfo(), response(), request()))
    first = len(gz(warcinfo()))
    data[first + 30] ^= 0x40  # inside the deflate data of the response's member
    return bytes(data)


def hand_made() -> dict[str, tuple[bytes, int, list[str]]]:
    full = members(warcinfo(), response(), request())
    return {
        "valid-minimal.warc.gz": (full, 0, []),
        "valid-uncompressed.warc": (warcinfo() + response() + request(), 0, []),
        "valid-digest-forms.warc.gz": (digest_forms(), 0, []),
        "valid-revisit.warc.gz": (members(warcinfo(), response(), revisit(4, rid(2))), 0, []),
        "bad-block-digest.warc.gz": (members(warcinfo(), response(
            block_digest=sha1(b"something else")), request()), 1, ["WARC_BLOCK_DIGEST"]),
        "bad-payload-digest.warc.gz": (members(warcinfo(), response(
            payload_digest=sha1(b"something else")), request()), 1, ["WARC_PAYLOAD_DIGEST"]),
        "truncated-gzip-member.warc.gz": (full[: len(full) - 40], 1, ["WARC_TRUNCATED"]),
        "truncated-record.warc": ((warcinfo() + response())[:-60], 1, ["WARC_TRUNCATED"]),
        "content-length-too-long.warc.gz": (members(warcinfo(), response(
            length=len(RESPONSE) + 10), request()), 1, ["WARC_CONTENT_LENGTH"]),
        "content-length-too-short.warc.gz": (members(warcinfo(), response(
            length=len(RESPONSE) - 10), request()), 1, ["WARC_CONTENT_LENGTH"]),
        "duplicate-record-id.warc.gz": (members(warcinfo(), response(2), request(2)), 1,
                                        ["WARC_DUPLICATE_ID"]),
        "missing-date.warc.gz": (members(warcinfo(), response(drop="WARC-Date")), 1,
                                 ["WARC_HEADER_MISSING"]),
        "corrupt-gzip.warc.gz": (corrupt_gzip(), 1, ["WARC_GZIP_CORRUPT"]),
        "not-a-warc.warc.gz": (b"<html>this is not a WARC file</html>\n", 1, ["WARC_NOT_WARC"]),
        "revisit-wrong-digest.warc.gz": (members(warcinfo(), response(), revisit(
            4, rid(2), payload_digest=sha1(b"other payload"))), 1, ["WARC_REVISIT_DIGEST"]),
        "revisit-elsewhere.warc.gz": (members(warcinfo(), revisit(4, rid(99))), 0,
                                      ["WARC_REVISIT_EXTERNAL"]),
        "shared-member.warc.gz": (gz(warcinfo() + response()) + gz(request()), 0,
                                  ["WARC_SHARED_MEMBER"]),
        "trailing-garbage.warc.gz": (full + b"garbage after the last record\n", 1,
                                     ["WARC_TRAILING_DATA"]),
    }


def write(name: str, data: bytes, exit_status: int, codes: list[str], note: str) -> None:
    from preserve.atomic import atomic_write

    expectation = {"exit": exit_status, "codes": codes, "source": note}
    with atomic_write(OUT / name) as f:
        f.write(data)
    with atomic_write(OUT / f"{name}.json") as f:
        f.write((json.dumps(expectation, indent=2) + "\n").encode())


def record_wget() -> None:
    """wget -r against the bundled test site (one article), as a foreign valid WARC."""
    wget = shutil.which("wget")
    if wget is None:
        sys.exit("wget is not installed")
    sys.path.insert(0, str(ROOT))  # the test site, beside src/
    from testsite import TestSite

    with TestSite(articles=1) as site, tempfile.TemporaryDirectory() as tmp:
        subprocess.run([wget, "-r", "-l", "1", "-p", "--quiet", "--no-verbose",
                        "--warc-file=wget", "-e", "robots=on", "-P", "mirror", site.url],
                       cwd=tmp, check=False)
        write("wget.warc.gz", (Path(tmp) / "wget.warc.gz").read_bytes(), 0, [],
              "wget 1.21 --warc-file, -r -l 1 -p, against the bundled test site "
              "(1 article)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wget", action="store_true", help="re-record wget.warc.gz too")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (data, exit_status, codes) in hand_made().items():
        write(name, data, exit_status, codes, "scripts/make_warc_fixtures.py")
    if args.wget:
        record_wget()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The CDXJ and pages indexer, checked line for line against cdxj-indexer (the reference tool).

Every WARC here is written in the test, with warcio or by hand where warcio would not
write the oddity (no payload digest, a bracketed target URI, a wrong Content-Length),
and by wget when it is installed.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from helpers_socket import serve_http
from preserve.collection import Collection
from preserve.errors import WarcFormatError
from preserve.store.cdxj import CdxjEntry
from preserve.store.indexer import (
    IndexSummary,
    WarcAnomaly,
    build_indexes,
    index_warc,
)
from preserve.store.pages import PAGES_HEADER, PageEntry, page_id

CDXJ_INDEXER = Path(sys.executable).parent / "cdxj-indexer"
DATE = "2026-11-28T13:45:00Z"
LATER = "2026-11-29T08:00:00Z"

needs_cdxj_indexer = pytest.mark.skipif(
    not CDXJ_INDEXER.exists(), reason=f"cdxj-indexer is not installed at {CDXJ_INDEXER}"
)


# -- building WARCs -------------------------------------------------------------------


class Warc:
    """Writes records one gzip member each (or uncompressed), remembering their offsets."""

    def __init__(self, compress: bool = True, version: str = "1.0") -> None:
        self.buf = io.BytesIO()
        self.compress = compress
        self.writer = WARCWriter(self.buf, gzip=compress, warc_version=version)
        self.offsets: list[int] = []

    def _mark(self) -> int:
        self.offsets.append(self.buf.tell())
        return self.offsets[-1]

    def warcinfo(self) -> int:
        offset = self._mark()
        self.writer.write_record(
            self.writer.create_warcinfo_record("test.warc.gz", {"software": "preserve-tests"})
        )
        return offset

    def response(self, url: str, body: bytes, status: str = "200 OK",
                 headers: list[tuple[str, str]] | None = None, date: str = DATE,
                 rec_type: str = "response") -> int:
        offset = self._mark()
        http = StatusAndHeaders(status, headers or [("Content-Type", "text/html")],
                                protocol="HTTP/1.1")
        self.writer.write_record(self.writer.create_warc_record(
            url, rec_type, payload=io.BytesIO(body), length=len(body), http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        ))
        return offset

    def request(self, url: str) -> int:
        offset = self._mark()
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.com")], protocol="")
        self.writer.write_record(self.writer.create_warc_record(
            url, "request", http_headers=http, warc_headers_dict={"WARC-Date": DATE},
        ))
        return offset

    def revisit(self, url: str, digest: str, headers: bool = True, date: str = LATER) -> int:
        offset = self._mark()
        http = (StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                 protocol="HTTP/1.1") if headers else None)
        self.writer.write_record(self.writer.create_revisit_record(
            url, digest, url, DATE, http_headers=http, warc_headers_dict={"WARC-Date": date},
        ))
        return offset

    def block(self, rec_type: str, url: str, content_type: str, data: bytes) -> int:
        offset = self._mark()
        self.writer.write_record(self.writer.create_warc_record(
            url, rec_type, payload=io.BytesIO(data), length=len(data),
            warc_content_type=content_type, warc_headers_dict={"WARC-Date": DATE},
        ))
        return offset

    def raw(self, headers: list[tuple[str, str]], block: bytes, content_length: int | None = None,
            version: str = "WARC/1.0") -> int:
        """A record written by hand, for what warcio's writer will not produce."""
        offset = self._mark()
        length = len(block) if content_length is None else content_length
        head = "".join(f"{k}: {v}\r\n" for k, v in headers)
        data = (f"{version}\r\n{head}Content-Length: {length}\r\n\r\n".encode()
                + block + b"\r\n\r\n")
        self.buf.write(gzip.compress(data) if self.compress else data)
        return offset

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.buf.getvalue())
        return path


def html(title: str | None, extra: bytes = b"", charset: str = "utf-8") -> bytes:
    head = f"<title>{title}</title>" if title is not None else ""
    return (f"<!doctype html><html><head>{head}</head><body>".encode(charset)
            + extra + b"<p>hello</p></body></html>")


def chunked(data: bytes, size: int = 100) -> bytes:
    out = b""
    for i in range(0, len(data), size):
        piece = data[i : i + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def digest_of(warc: Path, url: str) -> str:
    for item in index_warc(warc):
        if isinstance(item, CdxjEntry) and item.fields.get("url") == url:
            return item.fields["digest"]
    raise AssertionError(url)


def mixed(compress: bool = True, version: str = "1.0") -> Warc:
    """Every kind of record a crawl writes, and some that other tools write."""
    w = Warc(compress, version)
    w.warcinfo()
    w.request("http://example.com/")
    w.response("http://example.com/", html("Home &amp; Garden \n  Centre"),
               headers=[("Content-Type", "text/html; charset=utf-8")])
    w.request("http://example.com/style.css")
    w.response("http://example.com/style.css", b"body { color: red }",
               headers=[("Content-Type", "text/css")])
    w.response("http://example.com/robots.txt", b"User-agent: *\nDisallow:\n",
               headers=[("Content-Type", "text/plain")])
    w.response("http://example.com/fake-robots/robots.txt", html("not a page"))
    w.response("http://example.com/missing", html("Not Found"), status="404 Not Found")
    w.response("http://example.com/old", b"", status="301 Moved Permanently",
               headers=[("Location", "http://example.com/"), ("Content-Length", "0")])
    w.response("http://example.com/gz", chunked(gzip.compress(html("Compressed"))),
               headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                        ("Transfer-Encoding", "chunked")])
    w.response("http://example.com/deflate", zlib.compress(html("Deflated")),
               headers=[("Content-Type", "text/html"), ("Content-Encoding", "deflate")])
    w.response("http://example.com/latin", html("Caf\u00e9", charset="latin-1"),
               headers=[("Content-Type", "text/html; charset=ISO-8859-1")])
    w.response("http://example.com/meta",
               b'<html><head><meta charset="windows-1251"><title>\xcf\xf0\xe8</title>',
               headers=[("Content-Type", "text/html")])
    w.response("http://example.com/xhtml", html("XHTML page"),
               headers=[("Content-Type", "application/xhtml+xml")])
    w.response("http://example.com/upper", html("Upper"),
               headers=[("Content-Type", "TEXT/HTML;charset=UTF-8")])
    w.response("http://example.com/untitled", html(None))
    w.response("http://example.com/late-title", html("Late", extra=b"<!-- x -->" * 5000)
               .replace(b"<title>Late</title>", b"") + b"<title>Late</title>")
    w.response("http://example.com/huge", b"<html><head>" + b" " * 300_000
               + b"<title>Too far</title>")
    w.response("http://example.com/img.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
               headers=[("Content-Type", "image/png")])
    w.response("http://example.com/no-type", b"opaque", headers=[("X-Nothing", "1")])
    w.response("http://example.com/micro", html("Microseconds"),
               date="2026-11-28T13:45:00.123456Z")
    w.block("metadata", "http://example.com/", "application/warc-fields",
            b"outlink: http://example.com/style.css E =EMBED_MISC\r\n")
    w.block("metadata", "http://example.com/", "application/json", b'{"a": 1}')
    w.block("resource", "http://example.com/shot.png", "image/png", b"\x89PNG fake")
    w.block("resource", "urn:preserve:log", "text/plain; charset=utf-8", b"log line\n")
    w.raw([("WARC-Type", "response"), ("WARC-Record-ID", "<urn:uuid:dns-1>"),
           ("WARC-Date", DATE), ("WARC-Target-URI", "dns:example.com"),
           ("Content-Type", "text/dns")], b"20261128134500\nexample.com. 300 IN A 127.0.0.1\n")
    body = chunked(html("No digest header"), 7)
    w.raw([("WARC-Type", "response"), ("WARC-Record-ID", "<urn:uuid:nodigest-1>"),
           ("WARC-Date", DATE), ("WARC-Target-URI", "http://example.com/nodigest"),
           ("Content-Type", "application/http; msgtype=response")],
          b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
          + body)
    w.raw([("WARC-Type", "resource"), ("WARC-Record-ID", "<urn:uuid:nodigest-2>"),
           ("WARC-Date", DATE), ("WARC-Target-URI", "http://example.com/res.txt"),
           ("Content-Type", "text/plain")], b"a resource without a payload digest")
    w.raw([("WARC-Type", "response"), ("WARC-Record-ID", "<urn:uuid:bracket-1>"),
           ("WARC-Date", DATE), ("WARC-Target-URI", "<http://example.com/bracketed>"),
           ("Content-Type", "application/http; msgtype=response")],
          b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html("Bracketed"))
    w.raw([("WARC-Type", "response"), ("WARC-Record-ID", "<urn:uuid:nohdr-1>"),
           ("WARC-Date", DATE), ("WARC-Target-URI", "http://example.com/bare"),
           ("Content-Type", "application/http; msgtype=response")],
          b"HTTP/1.1 200 OK\r\n\r\n")
    w.raw([("WARC-Type", "conversion"), ("WARC-Record-ID", "<urn:uuid:conv-1>"),
           ("WARC-Date", DATE), ("WARC-Target-URI", "http://example.com/"),
           ("Content-Type", "text/plain")], b"converted")
    return w


def with_revisits(w: Warc, home_digest: str) -> Warc:
    w.revisit("http://example.com/", home_digest)
    w.revisit("http://example.com/style.css", "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
              headers=False)
    return w


def build_mixed(tmp: Path, compress: bool = True, version: str = "1.0") -> Path:
    suffix = ".warc.gz" if compress else ".warc"
    first = mixed(compress, version).save(tmp / f"probe{suffix}")
    home = digest_of(first, "http://example.com/")
    first.unlink()
    return with_revisits(mixed(compress, version), home).save(tmp / f"mixed{suffix}")


# -- running the reference tool -------------------------------------------------------


def reference_lines(*args: str | Path) -> list[str]:
    result = subprocess.run([str(CDXJ_INDEXER), *map(str, args)], capture_output=True,
                            check=True, timeout=120)
    return result.stdout.decode("utf-8").splitlines()


def our_lines(path: Path) -> list[str]:
    return [i.to_line() for i in index_warc(path) if isinstance(i, CdxjEntry)]


def our_pages(path: Path) -> list[PageEntry]:
    return [i for i in index_warc(path) if isinstance(i, PageEntry)]


# -- a wget-written WARC --------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text(
        '<html><head><title>Test site</title><link rel="stylesheet" href="style.css">'
        '</head><body><a href="page2.html">two</a> <a href="sub/">sub</a>'
        '<a href="missing.html">gone</a>'
        '<img src="logo.png"></body></html>')
    (root / "page2.html").write_text(
        '<html><head><meta charset="utf-8"><title>Second page \u2013 ok</title></head>'
        '<body><a href="index.html">home</a></body></html>', encoding="utf-8")
    (root / "style.css").write_text("body { color: red }")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    (root / "sub" / "notes.txt").write_text("plain text")
    handler = functools.partial(_QuietHandler, directory=str(root))
    with serve_http(handler) as url:
        yield url


@pytest.fixture
def wget_warc(site: str, tmp_path: Path) -> Path:
    wget = shutil.which("wget")
    if wget is None:
        pytest.skip("wget is not on PATH; the wget-written WARC cannot be made")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["HOME"] = str(tmp_path)
    (tmp_path / "warcs").mkdir()
    done = subprocess.run(
        [wget, "-r", "-l", "3", "-q", "--no-hsts", "--no-proxy", "--tries=1",
         "--warc-file", str(tmp_path / "warcs" / "wget"), "-P", str(tmp_path / "dl"), site],
        env=env, check=False, timeout=120, capture_output=True,
    )
    path = tmp_path / "warcs" / "wget.warc.gz"
    assert path.exists(), f"wget wrote no WARC: {done.stderr!r}"
    return path


# -- CDXJ: the same lines as cdxj-indexer ---------------------------------------------

CORPUS: dict[str, Callable[[Path], Path]] = {
    "mixed-gzip": lambda tmp: build_mixed(tmp),
    "mixed-uncompressed": lambda tmp: build_mixed(tmp, compress=False),
    "mixed-warc-1.1": lambda tmp: build_mixed(tmp, version="1.1"),
    "empty": lambda tmp: Warc().save(tmp / "empty.warc.gz"),
    "warcinfo-only": lambda tmp: _only_warcinfo(tmp),
}


def _only_warcinfo(tmp: Path) -> Path:
    w = Warc()
    w.warcinfo()
    return w.save(tmp / "info.warc.gz")


@pytest.mark.slow
@needs_cdxj_indexer
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_lines_match_cdxj_indexer(name: str, tmp_path: Path) -> None:
    path = CORPUS[name](tmp_path)
    assert our_lines(path) == reference_lines(path)


@pytest.mark.slow
@needs_cdxj_indexer
def test_lines_match_cdxj_indexer_for_wget(wget_warc: Path) -> None:
    ours = our_lines(wget_warc)
    assert ours == reference_lines(wget_warc)
    assert any('missing.html", "mime": "text/html", "status": "404"' in line for line in ours)


def test_mixed_record_types(tmp_path: Path) -> None:
    entries = [i for i in index_warc(build_mixed(tmp_path)) if isinstance(i, CdxjEntry)]
    by_url: dict[str, list[dict[str, str]]] = {}
    for e in entries:
        by_url.setdefault(e.fields.get("url", "-"), []).append(e.fields)
    # requests, warcinfo, application/warc-fields metadata and conversions are not indexed
    assert len(by_url["http://example.com/"]) == 3  # response, revisit, JSON metadata
    kinds = sorted(f["mime"] for f in by_url["http://example.com/"])
    assert kinds == ["application/json", "text/html", "warc/revisit"]
    revisit = next(f for f in by_url["http://example.com/"] if f["mime"] == "warc/revisit")
    assert revisit["status"] == "200"
    bare_revisit = by_url["http://example.com/style.css"][1]
    assert bare_revisit["mime"] == "warc/revisit" and "status" not in bare_revisit
    assert by_url["http://example.com/old"][0]["status"] == "301"
    assert "status" not in by_url["dns:example.com"][0]
    assert by_url["http://example.com/bracketed"][0]["mime"] == "text/html"
    assert by_url["http://example.com/nodigest"][0]["digest"].startswith("sha1:")
    assert "mime" not in by_url["http://example.com/no-type"][0]
    assert all(e.timestamp == "20261128134500" for e in entries
               if e.fields.get("mime") != "warc/revisit")
    assert all(list(e.fields)[-3:] == ["length", "offset", "filename"] for e in entries)


def test_line_format(tmp_path: Path) -> None:
    w = Warc()
    offset = w.response("http://www.Example.com/a?b=2&a=1", html("x"))
    path = w.save(tmp_path / "one.warc.gz")
    (entry,) = [i for i in index_warc(path, "renamed.warc.gz") if isinstance(i, CdxjEntry)]
    key, ts, obj = entry.to_line().split(" ", 2)
    assert key == "com,example)/a?a=1&b=2"
    assert ts == "20261128134500"
    fields = json.loads(obj)
    assert fields["url"] == "http://www.Example.com/a?b=2&a=1"
    assert fields["offset"] == str(offset) and fields["filename"] == "renamed.warc.gz"
    assert int(fields["length"]) == path.stat().st_size
    assert fields["mime"] == "text/html" and fields["status"] == "200"


# -- pages -----------------------------------------------------------------------------

EXPECTED_PAGES = {
    "http://example.com/": "Home & Garden Centre",
    "http://example.com/gz": "Compressed",
    "http://example.com/deflate": "Deflated",
    "http://example.com/latin": "Caf\u00e9",
    "http://example.com/meta": "\u041f\u0440\u0438",
    "http://example.com/xhtml": "XHTML page",
    "http://example.com/upper": "Upper",
    "http://example.com/untitled": None,
    "http://example.com/late-title": "Late",
    "http://example.com/huge": None,  # the title is beyond the first 256 KiB
    "http://example.com/micro": "Microseconds",
    "http://example.com/nodigest": "No digest header",
    "http://example.com/bracketed": "Bracketed",
}


def test_pages_of_mixed_warc(tmp_path: Path) -> None:
    pages = our_pages(build_mixed(tmp_path))
    first = {p.url: p.title for p in pages if p.ts == DATE}
    assert first == EXPECTED_PAGES
    (revisit,) = [p for p in pages if p.ts == LATER]
    # a revisit is a capture of the page; its title comes from the original payload
    assert (revisit.url, revisit.title) == ("http://example.com/", "Home & Garden Centre")
    assert all(p.id == page_id(p.url, p.ts) and len(p.id) == 16 for p in pages)
    assert len({p.id for p in pages}) == len(pages)


def test_page_json() -> None:
    page = PageEntry(url="http://a/", ts=DATE, title="T\u00e9", id="0123456789abcdef")
    assert json.loads(page.to_json()) == {"id": "0123456789abcdef", "url": "http://a/",
                                          "ts": DATE, "title": "T\u00e9"}
    untitled = PageEntry(url="http://a/", ts=DATE, title=None, id="0123456789abcdef")
    assert "title" not in json.loads(untitled.to_json())


@pytest.mark.slow
def test_pages_of_wget_warc(wget_warc: Path, site: str) -> None:
    titles = {p.url: p.title for p in our_pages(wget_warc)}
    assert titles[site] == "Test site"
    assert titles[site + "page2.html"] == "Second page \u2013 ok"
    assert titles[site + "sub/"] == "Directory listing for /sub/"
    assert set(titles) == {site, site + "page2.html", site + "sub/", site + "index.html"}


def test_gzip_bomb_is_read_in_bounded_memory(tmp_path: Path) -> None:
    bomb = gzip.compress(b"<html><head>" + b" " * 60_000_000 + b"<title>x</title>", 9)
    w = Warc()
    w.response("http://example.com/bomb", bomb,
               headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    w.response("http://example.com/after", html("After"))
    path = w.save(tmp_path / "bomb.warc.gz")
    tracemalloc.start()
    try:
        pages = our_pages(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(p.url, p.title) for p in pages] == [("http://example.com/bomb", None),
                                                 ("http://example.com/after", "After")]
    assert peak < 8 * 1024 * 1024


def test_huge_chunk_header_is_not_trusted(tmp_path: Path) -> None:
    w = Warc()
    w.response("http://example.com/c", b"7fffffff\r\n" + html("Chunk"),
               headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
    assert [p.title for p in our_pages(w.save(tmp_path / "c.warc.gz"))] == ["Chunk"]


# -- damaged files -----------------------------------------------------------------------


def _three() -> Warc:
    w = Warc()
    w.warcinfo()
    w.response("http://example.com/1", html("one"))
    w.response("http://example.com/2", html("two"))
    return w


def _cut(n: int) -> Callable[[], tuple[bytes, int]]:
    def make() -> tuple[bytes, int]:
        w = _three()
        return w.buf.getvalue()[:-n], w.offsets[-1]
    return make


def _flip() -> tuple[bytes, int]:
    w = _three()
    data = bytearray(w.buf.getvalue())
    middle = (w.offsets[1] + w.offsets[2]) // 2
    data[middle] ^= 0xFF
    data[middle + 1] ^= 0xFF
    return bytes(data), w.offsets[1]


def _flip_large() -> tuple[bytes, int]:
    w = _three()
    big = w.response("http://example.com/big", os.urandom(200_000),
                     headers=[("Content-Type", "application/octet-stream")])
    w.response("http://example.com/after", html("after"))
    data = bytearray(w.buf.getvalue())
    data[big + 100_000] ^= 0xFF
    return bytes(data), big


def _garbage() -> tuple[bytes, int]:
    return b"this is not a WARC file\n" * 20, 0


def _garbage_after() -> tuple[bytes, int]:
    w = _three()
    return w.buf.getvalue() + b"trailing garbage\r\n", len(w.buf.getvalue())


def _one_member() -> tuple[bytes, int]:
    w = Warc(compress=False)
    w.response("http://example.com/1", html("one"))
    w.response("http://example.com/2", html("two"))
    return gzip.compress(w.buf.getvalue()), 0  # the offset of the member holding both


def _uncompressed_cut() -> tuple[bytes, int]:
    w = Warc(compress=False)
    w.response("http://example.com/1", html("one"))
    last = w.response("http://example.com/2", html("two"))
    return w.buf.getvalue()[:-40], last


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_garbage, "no WARC record header"),
        (_garbage_after, "no WARC record header"),
        (_cut(300), "truncated"),
        (_cut(5), "truncated"),
        (_cut(1), "truncated"),
        (_flip, ""),
        (_flip_large, "corrupt gzip data"),
        (_one_member, "share this gzip member"),
        (_uncompressed_cut, "record is truncated"),
    ],
    ids=["garbage", "garbage-after", "cut-in-record", "cut-in-trailer", "cut-last-byte",
         "flipped-bytes", "flipped-in-large-record", "one-member", "uncompressed-cut"],
)
def test_damaged_warc_raises_with_offset(
    make: Callable[[], tuple[bytes, int]], message: str, tmp_path: Path
) -> None:
    data, offset = make()
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(data)
    with pytest.raises(WarcFormatError) as caught:
        list(index_warc(path))
    assert caught.value.path == path
    assert caught.value.offset == offset
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "tail",
    [b"", gzip.compress(b""), gzip.compress(b"\r\n\r\n"), gzip.compress(b"") * 3],
    ids=["nothing", "empty-member", "blank-member", "empty-members"],
)
def test_blank_tail_is_tolerated(tail: bytes, tmp_path: Path) -> None:
    w = _three()
    path = tmp_path / "ok.warc.gz"
    path.write_bytes(w.buf.getvalue() + tail)
    assert [p.title for p in our_pages(path)] == ["one", "two"]


def test_title_scan_is_linear(tmp_path: Path) -> None:
    body = b"<html><head>" + b"<title x" * 30_000 + b"<title>ok"
    w = Warc()
    w.response("http://example.com/t", body)
    assert [p.title for p in our_pages(w.save(tmp_path / "t.warc.gz"))] == [None]


@needs_cdxj_indexer
def test_truncated_gzip_differs_from_cdxj_indexer(tmp_path: Path) -> None:
    """A deliberate difference: cdxj-indexer indexes a WARC whose last gzip member is cut
    short (with a wrong length); we refuse it, since replay of that record would fail."""
    data, offset = _cut(5)()
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data)
    reference = reference_lines(path)
    assert len(reference) == 2 and f'"offset": "{offset}"' in reference[-1]
    with pytest.raises(WarcFormatError):
        list(index_warc(path))


@needs_cdxj_indexer
def test_wrong_content_length_is_an_anomaly(tmp_path: Path) -> None:
    w = Warc()
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html("Long")
    bad = w.raw([("WARC-Type", "response"), ("WARC-Record-ID", "<urn:uuid:long-1>"),
                 ("WARC-Date", DATE), ("WARC-Target-URI", "http://example.com/long"),
                 ("Content-Type", "application/http; msgtype=response")],
                block + b"extra bytes\r\n", content_length=len(block))
    w.response("http://example.com/next", html("Next"))
    path = w.save(tmp_path / "long.warc.gz")
    anomalies: list[WarcAnomaly] = []
    items = list(index_warc(path, on_anomaly=anomalies.append))
    assert [a.offset for a in anomalies] == [bad]
    assert "Content-Length" in anomalies[0].message
    assert [i.to_line() for i in items if isinstance(i, CdxjEntry)] == reference_lines(path)


# -- the collection --------------------------------------------------------------------


def make_collection(root: Path) -> Path:
    warcs = root / "warcs"
    first = build_mixed(warcs)
    home = digest_of(first, "http://example.com/")
    second = Warc()
    second.warcinfo()
    second.revisit("http://example.com/", home, date="2026-11-30T00:00:00Z")
    second.response("http://example.com/a", html("A"), date="2026-11-27T00:00:00Z")
    second.save(warcs / "second.warc.gz")
    (warcs / "third.warc.gz.open").write_bytes(b"being written, not a WARC yet")
    return root


@needs_cdxj_indexer
def test_build_indexes_matches_sorted_cdxj_indexer(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll")
    summary = build_indexes(Collection(coll))
    warcs = sorted((coll / "warcs").glob("*.warc.gz"))
    expected = reference_lines("-s", *warcs)
    index = (coll / "indexes" / "index.cdxj").read_text("utf-8").splitlines()
    assert index == expected
    assert index == sorted(index)
    assert summary == IndexSummary(warcs=2, records=len(index), pages=len(EXPECTED_PAGES) + 3,
                                   warc_bytes=sum(p.stat().st_size for p in warcs))


def test_build_indexes_pages_file(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll")
    build_indexes(Collection(coll))
    lines = (coll / "pages" / "pages.jsonl").read_text("utf-8").splitlines()
    assert json.loads(lines[0]) == PAGES_HEADER
    pages = [json.loads(line) for line in lines[1:]]
    assert [(p["ts"], p["url"]) for p in pages] == sorted((p["ts"], p["url"]) for p in pages)
    assert pages[0] == {"id": page_id("http://example.com/a", "2026-11-27T00:00:00Z"),
                        "url": "http://example.com/a", "ts": "2026-11-27T00:00:00Z",
                        "title": "A"}
    # the revisit in the second file found its title in the first
    assert pages[-1]["ts"] == "2026-11-30T00:00:00Z"
    assert pages[-1]["title"] == "Home & Garden Centre"
    assert all(set(p) <= {"id", "url", "ts", "title"} for p in pages)


def test_build_indexes_spills_to_disk_with_same_result(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll")
    build_indexes(Collection(coll))
    index = (coll / "indexes" / "index.cdxj").read_bytes()
    pages = (coll / "pages" / "pages.jsonl").read_bytes()
    build_indexes(Collection(coll), sort_buffer_bytes=300)
    assert (coll / "indexes" / "index.cdxj").read_bytes() == index
    assert (coll / "pages" / "pages.jsonl").read_bytes() == pages
    assert sorted(p.name for p in (coll / "indexes").iterdir()) == ["index.cdxj"]


def test_build_indexes_reports_progress(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll")
    seen: list[int] = []
    summary = build_indexes(Collection(coll), on_progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == summary.warc_bytes


def test_build_indexes_keeps_old_files_on_bad_warc(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll")
    build_indexes(Collection(coll))
    before = (coll / "indexes" / "index.cdxj").read_bytes()
    (coll / "warcs" / "zzz.warc.gz").write_bytes(b"garbage\n" * 10)
    with pytest.raises(WarcFormatError) as caught:
        build_indexes(Collection(coll))
    assert caught.value.path.name == "zzz.warc.gz" and caught.value.offset == 0
    assert (coll / "indexes" / "index.cdxj").read_bytes() == before
    assert sorted(p.name for p in (coll / "indexes").iterdir()) == ["index.cdxj"]
    assert sorted(p.name for p in (coll / "pages").iterdir()) == ["pages.jsonl"]


def test_build_indexes_on_empty_collection(tmp_path: Path) -> None:
    summary = build_indexes(Collection(tmp_path / "coll"))
    assert summary == IndexSummary(warcs=0, records=0, pages=0)
    assert (tmp_path / "coll" / "indexes" / "index.cdxj").read_text() == ""
    lines = (tmp_path / "coll" / "pages" / "pages.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [PAGES_HEADER]


@pytest.mark.parametrize("date", ["20261207083015", "99999-12-07T08:30:15Z"])
def test_a_date_no_calendar_holds_is_a_format_error(date: str, tmp_path: Path) -> None:
    """A WARC-Date of digits only, or a year past 9999: one WarcFormatError at the record
    (warcio's parse overflows on the first; it went through as a traceback)."""
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
    head = ("WARC/1.1\r\nWARC-Type: response\r\n"
            "WARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-123456789012>\r\n"
            f"WARC-Date: {date}\r\nWARC-Target-URI: http://127.0.0.1/x\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    path = tmp_path / "dated.warc"
    path.write_bytes(head + body + b"\r\n\r\n")
    with pytest.raises(WarcFormatError) as caught:
        list(index_warc(path))
    assert caught.value.offset == 0
    assert f"record has no valid WARC-Date ({date!r})" in str(caught.value)

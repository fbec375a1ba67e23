"""Issue #13's hostile-server matrix: each case a real crawl of one hostile path on 127.0.0.1.

The server is tests/helpers_hostile.py (raw sockets, exact bytes). For every case the
crawl ends on its own well within its cap, memory stays bounded where a case aims at it
(the crawl runs in a child process whose peak RSS the kernel reports), what arrived is
recorded honestly (the exact bytes in the WARC, ``WARC-Truncated`` where cut, the outcome
in the crawl log), and ``preserve verify`` on the collection exits 0.

Where each case of the issue's "Tests must show" list is covered:

===========================================  ==========================================
case                                         test module
===========================================  ==========================================
gzip and deflate bombs as seed, as a         this module (``test_a_bomb_*``)
linked page, as robots.txt, as a sitemap
(Content-Encoding and a .gz sitemap)
one highly compressible record verified      test_verify_false_alarms.py
a body over max-response-size (Truncated)    test_crawl_faults.py
body trickled at 1 byte/s, huge length       test_deadlines.py
headers trickled, endless 100 Continue       test_deadlines.py
resets and truncated chunking (retried,      test_crawl_faults.py (TestSite faults)
then failed)
resets mid-body, truncated and bogus         this module (``test_a_broken_body_*``)
chunking, verified after the crawl
oversized response headers (1 MB, 10,000     this module (``test_oversized_headers_*``)
lines, one 1 MB line)
oversized cookies (60 new 4 KB per page)     test_cookies.py
session-id traps                             test_crawl_hostile.py
self-listing sitemap index                   test_crawl_hostile.py
``Crawl-delay: 86400``                       test_crawl_hostile.py
redirect loops (A->B->A, self, endless       this module (``test_redirect_*``)
chain of new URLs)
redirects to private addresses (seed, page,  this module (``test_redirects_to_private_*``)
robots.txt), never connected to
links to private addresses                   test_crawl_faults.py
TLS: test CA, self-signed, expired           test_tls.py
symlinks, FIFOs, /dev/zero, ../ and          test_export_hostile.py,
absolute manifest paths, symlinked DEST      test_verify_special_files.py
a read-only collection                       test_verify_readonly.py
a damaged state database                     test_status.py
the audit trail (chained event digests)      test_verify_event_chain.py
SIGKILL with 404s and redirects in flight    test_crawl_kill.py
===========================================  ==========================================
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from helpers_crawl import WarcRecord, cli, crawl, jsonl, read_warc, tool
from helpers_hostile import HostileRequest, HostileServer, Reset, html, response
from preserve.collection import Collection

pytestmark = pytest.mark.slow  # a crawl per hostile case, with child processes

GUARD = 20.0  # max-time of every crawl here: far beyond what each case takes
CLAIM = 1 << 30  # what a bomb inflates to: 1 GiB, in about 1 MB on the wire
RSS_CAP = 256 * 1024 * 1024  # peak RSS of a crawl child: a bomb held in memory is 1 GiB
# (the issue measured under 170 MB; 162 MB was seen at load 11, so the cap leaves room)


# -- helpers ------------------------------------------------------------------------------


def bomb(prefix: bytes, coding: str, claim: int = CLAIM) -> bytes:
    """``prefix`` and then ``claim`` bytes of spaces, compressed by ``coding``.

    A full flush byte-aligns the stream and resets the dictionary, so the deflate blocks
    for each further MiB are identical and can be repeated: the bomb costs nothing to make.
    """
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}[coding]
    filler = b" " * (1 << 20)
    co = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
    first += co.compress(filler) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(filler) + co.flush(zlib.Z_FULL_FLUSH)
    return first + block * (claim // len(filler) - 1) + co.flush()


def verified(root: Path) -> None:
    result = cli("verify", root)
    assert result.returncode == 0, result.stdout + result.stderr


def log_of(root: Path) -> dict[str, list[dict[str, Any]]]:
    """URL -> its crawl-log lines, in order."""
    (path,) = Collection(root).logs.glob("crawl-*.jsonl")
    lines: dict[str, list[dict[str, Any]]] = {}
    for line in jsonl(path):
        lines.setdefault(line["url"], []).append(line)
    return lines


def records(root: Path) -> list[WarcRecord]:
    return [r for w in Collection(root).closed_warcs() for r in read_warc(w)]


def response_for(root: Path, url: str) -> WarcRecord:
    (found,) = [r for r in records(root) if r.type == "response" and r.uri == url]
    return found


# Runs ARGV and writes its exit status and peak RSS (kB) to the file named first. A child's
# ru_maxrss starts from the RSS of the process that spawned it (Linux carries the old
# memory's high-water mark over exec), so the crawl is spawned from this small launcher,
# never straight from pytest, whose own RSS grows over a suite.
LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def peak_of(argv: list[str], report: Path, timeout: float, **popen: Any) -> tuple[int, int]:
    """Run ``argv`` under the launcher: its exit status and peak RSS in bytes."""
    subprocess.run([sys.executable, "-c", LAUNCHER, str(report), *argv], timeout=timeout,
                   check=True, **popen)
    code, kilobytes = report.read_text().split()
    return int(code), int(kilobytes) * 1024


class Child:
    """``preserve crawl`` in a child process: its exit status, output, peak RSS, run time."""

    def __init__(self, root: Path, seed: str, *options: str) -> None:
        out, err = root.parent / f"{root.name}.out", root.parent / f"{root.name}.err"
        argv = [sys.executable, "-m", "preserve", "crawl", str(root), "--seed", seed,
                "--delay", "0", "--retries", "0", "--max-time", f"{GUARD:g}s", "--quiet",
                "--json", *options]
        started = time.monotonic()
        with open(out, "wb") as o, open(err, "wb") as e:
            self.returncode, self.peak_rss = peak_of(
                argv, root.parent / f"{root.name}.rss", 3 * GUARD, stdout=o, stderr=e,
                stdin=subprocess.DEVNULL)
        self.seconds = time.monotonic() - started
        self.stderr = err.read_text()
        self.summary: dict[str, Any] = json.loads(out.read_text() or "{}")


def test_the_peak_rss_measured_is_the_crawls_own(tmp_path: Path) -> None:
    ballast = b"\x01" * RSS_CAP  # this process is big, as pytest may be late in a suite
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 > RSS_CAP
    slurp = [sys.executable, "-c", f"x = b'1' * {RSS_CAP + (32 << 20)}"]
    idle = [sys.executable, "-c", "pass"]
    assert peak_of(slurp, tmp_path / "slurp", 60)[1] > RSS_CAP  # a slurp is seen
    assert peak_of(idle, tmp_path / "idle", 60)[1] < RSS_CAP / 4  # and pytest is not
    del ballast


# -- gzip and deflate bombs ---------------------------------------------------------------

PAGE = (b"<!doctype html><html><head><title>bomb</title></head><body>"
        b'<a href="/after">after</a>')
SITEMAP = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
           b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<url><loc>/after</loc></url>")
ROBOTS = b"User-agent: *\nDisallow: /private\n"
NOT_FOUND_TXT = response(404, b"", "text/plain")


def _bomb_site(where: str, coding: str) -> tuple[dict[str, Any], str, str]:
    """Routes, the seed path, and the path of the bomb."""
    routes: dict[str, Any] = {"/robots.txt": NOT_FOUND_TXT, "/after": html("after"),
                              "/private": html("private")}
    encoded = (("Content-Encoding", coding),)
    if where == "seed":
        routes["/"] = response(200, bomb(PAGE, coding), headers=encoded)
        return routes, "/", "/"
    if where == "page":
        routes["/"] = html("home", "/bomb")
        routes["/bomb"] = response(200, bomb(PAGE, coding), headers=encoded)
        return routes, "/", "/bomb"
    if where == "robots":
        routes["/"] = html("home", "/private", "/after")
        routes["/robots.txt"] = response(200, bomb(ROBOTS, coding), "text/plain",
                                         headers=encoded)
        return routes, "/", "/robots.txt"
    if where == "sitemap":
        routes["/"] = html("home")
        routes["/sitemap.xml"] = response(200, bomb(SITEMAP, coding), "application/xml",
                                          headers=encoded)
        return routes, "/", "/sitemap.xml"
    assert where == "sitemap.gz" and coding == "gzip"
    routes["/"] = html("home")
    routes["/robots.txt"] = response(200, b"Sitemap: /sitemap.xml.gz\n", "text/plain")
    routes["/sitemap.xml.gz"] = response(200, bomb(SITEMAP, "gzip"), "application/x-gzip")
    return routes, "/", "/sitemap.xml.gz"


# Each is a second or two (a child process, then verify): two stay in the fast suite,
# the seed and the .gz sitemap (the one that inflates most: 50 MiB, the protocol's cap).
FAST_BOMBS = {("seed", "gzip"), ("sitemap.gz", "gzip")}
BOMBS = [pytest.param(w, c, marks=() if (w, c) in FAST_BOMBS else pytest.mark.slow)
         for w, c in [*((w, c) for w in ("seed", "page", "robots", "sitemap")
                        for c in ("gzip", "deflate")), ("sitemap.gz", "gzip")]]


@pytest.mark.parametrize(("where", "coding"), BOMBS)
def test_a_bomb_is_stored_as_sent_within_bounded_memory(tmp_path: Path, where: str,
                                                        coding: str) -> None:
    routes, seed, path = _bomb_site(where, coding)
    root = tmp_path / "c"
    with HostileServer(routes) as server:
        child = Child(root, server.url.rstrip("/") + seed)
        sent = routes[path]
        fetched = [r.path for r in server.requests]
    assert child.returncode == 0, child.stderr
    assert child.summary["status"] == "finished"
    assert child.seconds < 2 * GUARD, child.seconds  # "finished" above: within max-time
    assert child.peak_rss < RSS_CAP, child.peak_rss
    assert fetched.count(path) == 1
    # The bomb's bytes, as sent, compressed: stored whole and said to be whole.
    bomb_url = server.url.rstrip("/") + path
    record = response_for(root, bomb_url)
    assert record.block == sent
    assert record.get("WARC-Truncated") is None
    [line] = log_of(root)[bomb_url]
    assert line["outcome"] == "captured" and "truncated" not in line
    assert line["bytes"] == len(sent)
    # What could be read before the filler was used: the link, the sitemap entry, the rule.
    if where == "robots":
        assert "/private" not in fetched and "/after" in fetched
    else:
        assert "/after" in fetched
    verified(root)


# -- resets mid-body, truncated and bogus chunking ----------------------------------------

BODY = b"<!doctype html><title>cut</title>" + b"x" * 20_000
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"

BAD_CHUNK = "protocol: invalid chunk size in a chunked body"
BROKEN: dict[str, tuple[bytes, str]] = {
    # path: (what the server sends, the crawl-log error it must give)
    "/reset-mid-body": (Reset(HEAD + b"Content-Length: 1000000\r\n\r\n" + BODY), "reset: "),
    "/reset-mid-chunk": (Reset(HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                               + b"%x\r\n" % len(BODY) + BODY[:5000]), "reset: "),
    "/chunked-no-last-chunk": (HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                               + b"%x\r\n" % len(BODY) + BODY + b"\r\n", "protocol: "),
    "/chunk-cut-short": (HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                         + b"%x\r\n" % (2 * len(BODY)) + BODY, "protocol: "),
    "/chunk-size-bogus": (HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                          + b"zz\r\n" + BODY + b"\r\n0\r\n\r\n", BAD_CHUNK),
    "/chunk-size-huge": (HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                         + b"ffffffffffffffffffff\r\n" + BODY + b"\r\n0\r\n\r\n", "protocol: "),
    "/chunk-size-negative": (HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                             + b"-10\r\n" + BODY + b"\r\n0\r\n\r\n", BAD_CHUNK),
    "/length-then-close": (HEAD + b"Content-Length: 1000000\r\nConnection: close\r\n\r\n"
                           + BODY, "protocol: "),
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, float]]:
    routes: dict[str, Any] = {path: data for path, (data, _) in BROKEN.items()}
    routes["/robots.txt"] = NOT_FOUND_TXT
    routes["/"] = html("home", *BROKEN, "/after")
    routes["/after"] = html("after")
    root = tmp_path_factory.mktemp("broken") / "c"
    with HostileServer(routes) as server:
        started = time.monotonic()
        _, summary = crawl(root, (server.url,), max_time=GUARD, retries=0, sitemaps=False,
                           max_fetch_time=60.0, timeout=30.0)
        took = time.monotonic() - started
        assert summary.status == "finished", summary.stop_reason
        yield root, server.url.rstrip("/"), took


@pytest.mark.parametrize("path", sorted(BROKEN))
def test_a_broken_body_is_a_failure_in_the_log_and_nothing_stored(
        broken: tuple[Path, str, float], path: str) -> None:
    root, base, took = broken
    assert took < 15.0, took  # no case waited for the 30 s read timeout
    [line] = log_of(root)[base + path]
    assert line["outcome"] == "failed", line
    assert line["error"].startswith(BROKEN[path][1]), line
    assert not [r for r in records(root) if r.uri == base + path]


def test_a_crawl_of_broken_bodies_goes_on_and_verifies(broken: tuple[Path, str, float]) -> None:
    root, base, _ = broken
    assert log_of(root)[base + "/after"][0]["outcome"] == "captured"
    verified(root)
    for warc in Collection(root).closed_warcs():
        check = tool("warcio", "check", warc)
        assert check.returncode == 0, check.stdout + check.stderr


# -- oversized response headers -----------------------------------------------------------


def _headers(count: int, size: int) -> bytes:
    lines = b"".join(b"X-Pad-%d: %s\r\n" % (n, b"h" * size) for n in range(count))
    body = b"<!doctype html><title>headers</title>"
    return (HEAD + lines + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
            + body)


TOO_MANY = "protocol: got more than 100 headers"  # http.client's limits
TOO_LONG = "protocol: got more than 65536 bytes when reading header line"
HEADERS: dict[str, tuple[bytes, str]] = {
    "/headers-1mb": (_headers(128, 8192), TOO_MANY),  # 1 MiB of headers in 128 lines
    "/header-lines-10000": (_headers(10_000, 8), TOO_MANY),
    "/header-line-1mb": (_headers(1, 1 << 20), TOO_LONG),  # one line of 1 MiB
}


@pytest.fixture(scope="module")
def headers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, float]]:
    routes: dict[str, Any] = {path: data for path, (data, _) in HEADERS.items()}
    routes["/robots.txt"] = NOT_FOUND_TXT
    routes["/"] = html("home", *HEADERS, "/many-but-fine", "/after")
    routes["/many-but-fine"] = _headers(90, 4000)  # 360 KB in 90 lines: within limits
    routes["/after"] = html("after")
    root = tmp_path_factory.mktemp("headers") / "c"
    with HostileServer(routes) as server:
        started = time.monotonic()
        _, summary = crawl(root, (server.url,), max_time=GUARD, retries=0, sitemaps=False,
                           max_fetch_time=60.0, timeout=30.0)
        took = time.monotonic() - started
        assert summary.status == "finished", summary.stop_reason
        yield root, server.url.rstrip("/"), took


@pytest.mark.parametrize("path", sorted(HEADERS))
def test_oversized_headers_are_refused_after_a_bounded_read(
        headers: tuple[Path, str, float], path: str) -> None:
    root, base, took = headers
    assert took < 15.0, took  # read and refused, not waited for (the timeout is 30 s)
    [line] = log_of(root)[base + path]
    assert line["outcome"] == "failed", line
    assert line["error"] == HEADERS[path][1]  # said plainly, not as a repr of a tuple
    assert not [r for r in records(root) if r.uri == base + path]


def test_many_headers_within_limits_are_kept_exactly_and_verify(
        headers: tuple[Path, str, float]) -> None:
    root, base, _ = headers
    record = response_for(root, base + "/many-but-fine")
    assert record.block == _headers(90, 4000)
    assert log_of(root)[base + "/after"][0]["outcome"] == "captured"
    verified(root)


# -- redirect loops -----------------------------------------------------------------------


def _redirect(location: str, status: int = 302) -> bytes:
    return response(status, b"", headers=(("Location", location),))


def _chain(request: HostileRequest) -> bytes:
    n = int(request.query.partition("n=")[2] or 0)
    return _redirect(f"/chain?n={n + 1}")  # a new URL every time, for ever


MAX_REDIRECTS = 4


def test_redirect_loops_and_endless_chains_end_and_verify(tmp_path: Path) -> None:
    routes: dict[str, Any] = {
        "/robots.txt": NOT_FOUND_TXT,
        "/": html("home", "/a", "/self", "/chain?n=0", "/after"),
        "/a": _redirect("/b"), "/b": _redirect("/a", 301),
        "/self": _redirect("/self"),
        "/chain": _chain,
        "/after": html("after"),
    }
    root = tmp_path / "c"
    with HostileServer(routes) as server:
        started = time.monotonic()
        _, summary = crawl(root, (server.url,), max_time=GUARD, retries=0, sitemaps=False,
                           max_redirects=MAX_REDIRECTS)
        took = time.monotonic() - started
        fetched = [r.target for r in server.requests]
    assert summary.status == "finished", summary.stop_reason
    assert took < 15.0, took  # loops cut by max-redirects, not by the crawl's max-time
    # Each loop's URLs once; the chain up to max-redirects hops after the link to it.
    assert sorted(fetched) == sorted(["/robots.txt", "/", "/a", "/b", "/self", "/after",
                                      *(f"/chain?n={n}" for n in range(MAX_REDIRECTS + 1))])
    base = server.url.rstrip("/")
    log = log_of(root)
    for path, status in [("/a", 302), ("/b", 301), ("/self", 302)]:
        [line] = log[base + path]
        assert (line["outcome"], line["status"]) == ("captured", status)
        assert response_for(root, base + path).block == routes[path]
    [cut] = log[base + f"/chain?n={MAX_REDIRECTS + 1}"]
    assert (cut["outcome"], cut["error"]) == ("out-of-scope", "too-many-redirects")
    assert cut["hops"] == "L" + "R" * (MAX_REDIRECTS + 1)
    verified(root)


# -- redirects to private addresses: the SSRF guard ---------------------------------------

# Only ever connected to if the guard fails; the audit hook below refuses even that.
PRIVATE = {
    "/seed-to-private": "http://10.0.0.1/",
    "/to-metadata": "http://169.254.169.254/latest/meta-data/",
    "/to-metadata-decimal": "http://2852039166/latest/meta-data/",  # 169.254.169.254
    "/to-ten-hex": "http://0x0a000001/",  # 10.0.0.1
    "/to-mapped": "http://[::ffff:10.0.0.1]/",
    "/to-rfc1918": "http://192.168.0.1/admin",
}


class Connects:
    """Every address the process asks to connect to, by a ``socket.connect`` audit hook.

    An address other than 127.0.0.1 is refused in the hook, before the system call: a
    guard that failed would fail this test without sending a packet anywhere.
    """

    active = False
    seen: list[str] = []
    installed = False

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if event != "socket.connect" or not cls.active:
            return
        address = args[1]
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        cls.seen.append(host)
        if host != "127.0.0.1":
            raise ConnectionRefusedError(f"test: connect to {host} refused by the audit hook")


@pytest.fixture
def connects() -> Iterator[list[str]]:
    if not Connects.installed:
        sys.addaudithook(Connects.hook)  # for the rest of the process: gated by `active`
        Connects.installed = True
    Connects.seen = []
    Connects.active = True
    try:
        yield Connects.seen
    finally:
        Connects.active = False


@pytest.mark.parametrize("ignore_robots", [False, True], ids=["robots", "no-robots"])
def test_redirects_to_private_addresses_are_blocked_before_connecting(
        tmp_path: Path, connects: list[str], ignore_robots: bool) -> None:
    routes: dict[str, Any] = {path: _redirect(to) for path, to in PRIVATE.items()}
    routes["/robots.txt"] = NOT_FOUND_TXT
    routes["/"] = html("home", *(p for p in PRIVATE if p != "/seed-to-private"))
    other: dict[str, Any] = {  # a second host whose robots.txt redirects to the metadata
        "/robots.txt": _redirect("http://169.254.169.254/robots.txt"), "/": html("other")}
    root = tmp_path / "c"
    with HostileServer(routes) as server, HostileServer(other) as second:
        seeds = (server.url, server.url + "seed-to-private", second.url)
        # The include pattern brings every private target into scope, so that only the
        # address guard stands between the crawl and them. With robots.txt obeyed, each
        # private host's robots.txt is what is refused; ignored, the page itself.
        _, summary = crawl(root, seeds, max_time=GUARD, retries=0, sitemaps=False,
                           ignore_robots=ignore_robots,
                           include=(r"^http://(10\.|169\.254\.|192\.168\.|0x|\[|\d+/)",))
    assert summary.status == "finished", summary.stop_reason
    assert connects and set(connects) == {"127.0.0.1"}, connects
    log = log_of(root)
    base = server.url.rstrip("/")
    for path in PRIVATE:
        [line] = log[base + path]
        assert (line["outcome"], line["status"]) == ("captured", 302)
    elsewhere = {url: lines for url, lines in log.items() if host_of(url) != "127.0.0.1"}
    blocked = {url: lines for url, lines in elsewhere.items()
               if lines[0]["outcome"] == "blocked-address"}
    for lines in blocked.values():
        for line in lines:
            assert line["outcome"] == "blocked-address", lines
            assert line["error"].startswith("blocked-address: address "), lines
            assert "is not public and no seed is on it" in line["error"], lines
    # Every other line elsewhere is a page whose host's robots.txt was refused so.
    assert all(lines[0]["outcome"] == "robots-blocked" for url, lines in elsewhere.items()
               if url not in blocked)
    assert bool(set(elsewhere) - set(blocked)) is not ignore_robots
    assert {host_of(url) for url in blocked} == {
        "0x0a000001", "10.0.0.1", "169.254.169.254", "192.168.0.1", "2852039166",
        "::ffff:10.0.0.1"}, sorted(blocked)
    if not ignore_robots:
        # The second host's robots.txt led nowhere: logged under the URL refused, via
        # the robots.txt that redirected there (itself logged once, as captured).
        [robots] = [line for line in blocked["http://169.254.169.254/robots.txt"]
                    if line["via"] == second.url + "robots.txt"]
        assert robots["hops"] == "PR"
        [redirect] = log[second.url + "robots.txt"]
        assert (redirect["outcome"], redirect["status"]) == ("captured", 302)
    assert summary.blocked_addresses == sum(len(v) for v in blocked.values())
    requests = [r for r in records(root) if r.type == "request"]
    assert requests and all(host_of(r.uri) == "127.0.0.1" for r in requests)
    verified(root)


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""

"""SIGKILL at random moments while a 404, a redirect or an error response is in flight.

A site of pages, each linking to a page that is missing (404), one that is gone (410),
a permanent and a temporary redirect (301, 302) and a server error (500), is served
slowly by tests/helpers_hostile.py, so the crawl (``python -m preserve crawl`` in a
child process) is still running when it is killed, which each kill checks. It is
killed while the server holds such a request unanswered, then resumed until it
finishes. For every status the collection must hold exactly what an uninterrupted
crawl of the same site holds: no URL lost, none captured twice.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from helpers_hostile import HostileRequest, HostileServer, html, response

PRESERVE = [sys.executable, "-m", "preserve"]
PAGES = 24
LATENCY = 0.012  # seconds per answer: a whole crawl takes a few seconds
OPTIONS = ("--delay", "0", "--retries", "0", "--quiet", "--json")
SEED = 20261206
# The answers a kill waits for: one of them must be in flight at that moment.
AIMS = {"missing": "a 404", "gone": "a 410", "moved": "a 301", "hop": "a 302",
        "broken": "a 500"}


def _routes() -> dict[str, bytes | Callable[[HostileRequest], bytes]]:
    routes: dict[str, bytes | Callable[[HostileRequest], bytes]] = {
        "/robots.txt": response(200, b"User-agent: *\nAllow: /\n", "text/plain"),
        "/": html("home", *(f"/p{n}" for n in range(PAGES))),
    }
    for n in range(PAGES):
        routes[f"/p{n}"] = html(f"page {n}", f"/missing{n}", f"/gone{n}", f"/moved{n}",
                                f"/hop{n}", f"/broken{n}", f"/p{(n + 1) % PAGES}")
        routes[f"/gone{n}"] = response(410, b"<!doctype html><title>Gone</title>")
        routes[f"/moved{n}"] = response(301, b"", headers=(("Location", f"/new{n}"),))
        routes[f"/hop{n}"] = response(302, b"", headers=(("Location", f"/p{n}"),))
        routes[f"/broken{n}"] = response(500, b"<!doctype html><title>Error</title>")
        routes[f"/new{n}"] = html(f"new {n}")
    return routes  # /missingN and /sitemap.xml: the server's 404


def captures(coll: Path) -> dict[str, Counter[str]]:
    """Status -> how many times each target was captured, from the WARCs."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for path in sorted((coll / "warcs").glob("*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type in ("response", "revisit"):
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    target = "/" + uri.split("/", 3)[3]
                    found[str(record.http_headers.get_statuscode())][target] += 1
    return found


def crawl(coll: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*PRESERVE, "crawl", str(coll), *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


def kill_in_flight(proc: subprocess.Popen[str], server: HostileServer, after: int,
                   aim: str) -> bool:
    """SIGKILL ``proc`` once ``after`` more requests came and one to ``aim`` is unanswered;
    True if it was killed while running."""
    start = len(server.requests)
    deadline = time.monotonic() + 60
    while proc.poll() is None:
        if len(server.requests) - start >= after and any(
                t.startswith(f"/{aim}") for t in server.in_flight()):
            proc.send_signal(signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "timed out waiting for the moment"
        time.sleep(0.0005)
    proc.communicate(timeout=60)
    return proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_with_404s_and_redirects_in_flight(tmp_path: Path,
                                                    procs: list[subprocess.Popen[str]]) -> None:
    rnd = random.Random(SEED)
    coll, ref = tmp_path / "killed", tmp_path / "uninterrupted"
    with HostileServer(_routes(), latency=LATENCY) as site, \
            HostileServer(_routes(), latency=LATENCY) as ref_site:
        procs.append(crawl(ref, "--seed", ref_site.url, *OPTIONS))
        kills: list[str] = []
        proc = crawl(coll, "--seed", site.url, *OPTIONS)
        procs.append(proc)
        for aim in rnd.sample(sorted(AIMS), k=len(AIMS)):
            if not kill_in_flight(proc, site, rnd.randint(3, 25), aim):
                break  # the crawl finished first: resumes below have nothing to do
            kills.append(aim)
            proc = crawl(coll)
            procs.append(proc)
        proc.communicate(timeout=120)
        runs = 1 + len(kills)
        while True:  # until the status says nothing is unfinished
            status = subprocess.run([*PRESERVE, "status", str(coll), "--json"],
                                    capture_output=True, text=True, timeout=60)
            assert status.returncode == 0, status.stderr
            if not json.loads(status.stdout)["unfinished"]:
                break
            proc = crawl(coll)
            procs.append(proc)
            proc.communicate(timeout=120)
            runs += 1
        out, err = procs[0].communicate(timeout=120)
        assert procs[0].returncode == 1, err  # finished, with the 500s as failures
        reference = json.loads(out)
        requests = len(site.requests)

    # The site was slow enough: every planned kill hit a running crawl, each time with
    # the answer it aimed at in flight.
    assert len(kills) == len(AIMS), (kills, requests)

    found, expected = captures(coll), captures(ref)
    assert set(expected) == {"200", "301", "302", "404", "410", "500"}
    for status, targets in expected.items():
        assert all(n == 1 for n in targets.values()), status
        twice = {t: n for t, n in found[status].items() if n > 1}
        assert not twice, f"captured more than once with status {status}: {twice}"
        assert set(found[status]) == set(targets), f"status {status}: lost or extra"
    assert set(found) == set(expected)
    total = sum(sum(c.values()) for c in expected.values())
    assert reference["captured"] == total

    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check",
                            *map(str, sorted((coll / "warcs").glob("*.warc.gz")))],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    verify = subprocess.run([*PRESERVE, "verify", str(coll)], capture_output=True, text=True,
                            timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    events = [json.loads(line)["eventType"] for line in
              (coll / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert events.count("crawl started") == 1 and events.count("crawl finished") == 1
    assert events.count("crawl resumed") == runs - 1

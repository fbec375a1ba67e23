"""End to end: politeness, the fault endpoints, robots.txt ignored, and the SSRF guard.

Each crawl here runs against its own test site, so the server's request log (arrival
times, statuses, exact bytes) is evidence of what the crawler did on the wire.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from helpers_crawl import WarcRecord, cli, crawl, create, jsonl, read_warc, tool
from preserve.collection import Collection
from testsite import RequestLog, TestSite

LATENCY = 0.05
TOLERANCE = 0.005  # the server's clock and the crawler's are read in different threads


def _gaps(entries: list[RequestLog]) -> list[float]:
    times = sorted(e.time for e in entries)
    return [b - a for a, b in zip(times, times[1:], strict=False)]


# -- politeness -----------------------------------------------------------------------


@pytest.mark.slow
def test_delay_between_requests_and_one_at_a_time(tmp_path: Path) -> None:
    with TestSite(articles=4, latency=LATENCY) as site:
        _, summary = crawl(tmp_path / "c", (site.url,), delay=0.3, concurrency=4, max_pages=8)
        entries = site.requests
    assert summary.captured >= 8
    assert all(e.complete for e in entries)
    # Each response takes LATENCY to start, and the next request may only start `delay`
    # after the previous response was received: starts closer than both together would
    # mean two requests in flight at once, or a short delay.
    gaps = _gaps(entries)
    assert len(gaps) >= 7
    assert min(gaps) >= 0.3 + LATENCY - TOLERANCE, gaps


@pytest.mark.slow
def test_robots_crawl_delay_is_honoured(tmp_path: Path) -> None:
    with TestSite(articles=4, crawl_delay=0.4) as site:
        _, summary = crawl(tmp_path / "c", (site.url,), delay=0.0, concurrency=4, max_pages=6)
        entries = site.requests
    assert entries[0].path == "/robots.txt"
    assert summary.captured >= 6
    assert min(_gaps(entries)) >= 0.4 - TOLERANCE, _gaps(entries)


@pytest.mark.slow
def test_a_longer_delay_wins_over_crawl_delay(tmp_path: Path) -> None:
    with TestSite(articles=4, crawl_delay=0.1) as site:
        crawl(tmp_path / "c", (site.url,), delay=0.3, max_pages=4)
        entries = site.requests
    assert min(_gaps(entries)) >= 0.3 - TOLERANCE


# -- fault endpoints, through the command line ----------------------------------------

ERROR_STATUS = {"/fault/503": 503, "/fault/429": 429, "/fault/flaky": 500}
RECOVERING = tuple(ERROR_STATUS)
FAILING = {"/fault/slow": "timeout", "/fault/reset": "reset", "/fault/truncated": "protocol",
           "/fault/truncated-chunked": "protocol"}
MAX_RESPONSE = 100_000


@dataclass
class FaultCrawl:
    site: TestSite
    coll: Collection
    result: subprocess.CompletedProcess[str]
    records: list[WarcRecord]
    log: list[dict[str, object]]

    def lines(self, path: str) -> list[dict[str, object]]:
        return [line for line in self.log if line["url"] == self.site.absolute(path)]

    def sent(self, path: str) -> list[RequestLog]:
        return [e for e in self.site.requests if e.path == path]

    def records_for(self, path: str) -> list[WarcRecord]:
        return [r for r in self.records if r.uri == self.site.absolute(path)]


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultCrawl]:
    with TestSite(slow_delay=2.0, huge_size=2_000_000, fault_failures=1) as site:
        seeds = tuple(site.absolute(p) for p in (*RECOVERING, *FAILING, "/fault/huge"))
        root = tmp_path_factory.mktemp("faults") / "faults"
        # The prefix scope keeps the crawl under /fault/ (robots.txt names the sitemap).
        coll = create(root, seeds, scope="prefix", sitemaps=False, retries=1, timeout=0.5,
                      delay=0.0, max_response_size=MAX_RESPONSE)
        result = cli("crawl", root, "--json")
        records = [r for p in coll.closed_warcs() for r in read_warc(p)]
        yield FaultCrawl(site, coll, result, records, jsonl(coll.logs / "crawl-0001.jsonl"))


@pytest.mark.slow
def test_failures_give_exit_status_1_and_are_listed(faults: FaultCrawl) -> None:
    assert faults.result.returncode == 1, faults.result.stderr
    assert "Traceback" not in faults.result.stderr
    summary = json.loads(faults.result.stdout)
    assert summary["status"] == "finished"
    assert sorted(summary["failed_urls"]) == sorted(faults.site.absolute(p) for p in FAILING)
    assert summary["failures"] == len(FAILING)
    assert summary["statuses"] == {"200": 5}  # robots.txt, three recovered, the huge one
    assert jsonl(faults.coll.events_path)[-1]["eventOutcome"] == "warning"


@pytest.mark.slow
@pytest.mark.parametrize("path", RECOVERING)
def test_a_retried_url_is_captured_once_with_its_final_answer(faults: FaultCrawl,
                                                              path: str) -> None:
    first, second = faults.sent(path)
    assert (first.status, second.status) == (ERROR_STATUS[path], 200)
    assert second.time - first.time >= 1.0 - TOLERANCE  # Retry-After: 1, and the back-off
    response, request, *_ = faults.records_for(path)
    if response.type == "revisit":  # /fault/429 answers as /fault/503 did, in the end
        assert response.block == second.raw_response.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    else:
        assert response.block == second.raw_response  # the error answer is not stored
    assert request.type == "request" and request.block == second.raw_request
    retry, captured = faults.lines(path)
    assert (retry["outcome"], retry["status"]) == ("retry", first.status)
    assert str(retry["error"]).startswith(f"HTTP {first.status}; retry in 1.0s")
    assert (captured["outcome"], captured["status"]) == (
        "revisit" if response.type == "revisit" else "captured", 200)


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(FAILING))
def test_network_failures_are_retried_then_logged_failed(faults: FaultCrawl, path: str) -> None:
    assert len(faults.sent(path)) == 2  # retries = 1
    assert faults.records_for(path) == []
    retry, failed = faults.lines(path)
    assert retry["outcome"] == "retry" and "status" not in retry  # no HTTP answer to report
    assert failed["outcome"] == "failed"
    assert str(failed["error"]).startswith(FAILING[path] + ": ")
    assert "status" not in failed


@pytest.mark.slow
def test_an_oversized_response_is_stored_truncated(faults: FaultCrawl) -> None:
    response, request = faults.records_for("/fault/huge")
    assert response.type == "response" and request.type == "request"
    assert response.get("WARC-Truncated") == "length"
    assert MAX_RESPONSE < len(response.payload) <= MAX_RESPONSE + 64 * 1024
    assert response.block.startswith(faults.sent("/fault/huge")[0].raw_response)  # the head
    [line] = faults.lines("/fault/huge")
    assert (line["outcome"], line["truncated"]) == ("captured", "length")


@pytest.mark.slow
def test_warcs_of_the_fault_crawl_pass_warcio_check(faults: FaultCrawl) -> None:
    for path in faults.coll.closed_warcs():
        result = tool("warcio", "check", "-v", path)
        assert result.returncode == 0, result.stdout
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, check_digests="raise"):
                record.content_stream().read()


@pytest.mark.slow
def test_only_final_answers_are_in_the_warcs(faults: FaultCrawl) -> None:
    answers = [r for r in faults.records if r.type in ("response", "revisit")]
    assert [r.block.split(b" ", 2)[1] for r in answers] == [b"200"] * 5
    assert [r.type for r in answers].count("revisit") == 1


# -- robots.txt ignored -----------------------------------------------------------------


def test_ignore_robots_fetches_disallowed_pages_and_says_so(tmp_path: Path) -> None:
    with TestSite(articles=4) as site:
        coll, summary = crawl(tmp_path / "c", (site.url,), ignore_robots=True)
        paths = {e.path for e in site.requests}
        private = site.disallowed_urls()
    assert "/private/secret/" in paths and "/robots.txt" not in paths
    assert summary.robots_blocked == 0 and summary.status == "finished"
    records = [r for p in coll.closed_warcs() for r in read_warc(p)]
    assert private <= {r.uri for r in records if r.type == "response"}
    assert dict(records[0].fields())["robots"] == "ignore"
    events = jsonl(coll.events_path)
    assert events[0]["data"]["robots"] == "ignore"
    [policy] = [e for e in events if e["eventType"] == "robots policy"]
    assert policy["eventOutcome"] == "warning" and "ignored" in policy["eventOutcomeDetail"]


# -- the SSRF guard -------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, TestSite]]:
    """A test site, and a bare listening socket at the same port on 127.0.0.2."""
    with TestSite(articles=4) as site:
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.2", site.port))
        except OSError as e:
            sock.close()
            pytest.skip(f"cannot listen on 127.0.0.2 here: {e}")
        with sock:
            sock.listen(8)
            yield sock, site


def _never_connected(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def test_links_to_private_addresses_are_never_connected_to(
        listener: tuple[socket.socket, TestSite], tmp_path: Path) -> None:
    sock, site = listener
    loopback = f"http://127.0.0.2:{site.port}/"
    # The include pattern brings 127.0.0.2 into scope, so only the address check stops it.
    coll, summary = crawl(tmp_path / "c", (site.absolute("/fault/private-link"),),
                          scope="prefix", include=(r"^http://127\.0\.0\.2:",),
                          sitemaps=False, retries=1)
    assert _never_connected(sock)
    log = jsonl(coll.logs / "crawl-0001.jsonl")
    outcomes = {str(line["url"]): line for line in log}
    for url in (loopback + "robots.txt", "http://10.0.0.1/robots.txt"):
        assert outcomes[url]["outcome"] == "blocked-address"
        assert str(outcomes[url]["error"]).startswith("blocked-address: address ")
    assert outcomes[loopback]["outcome"] == "robots-blocked"
    assert outcomes["http://10.0.0.1/logo.png"]["outcome"] == "robots-blocked"
    assert outcomes["http://10.0.0.1/"]["outcome"] == "out-of-scope"
    assert summary.blocked_addresses == 2
    records = [r for p in coll.closed_warcs() for r in read_warc(p)]
    assert all(r.uri.startswith(site.url) for r in records if r.type == "request")


def test_without_include_the_loopback_link_is_out_of_scope(
        listener: tuple[socket.socket, TestSite], tmp_path: Path) -> None:
    sock, site = listener
    coll, _ = crawl(tmp_path / "c", (site.absolute("/fault/private-link"),), scope="prefix",
                    sitemaps=False, ignore_robots=True, retries=0)
    assert _never_connected(sock)
    outcomes = {str(line["url"]): line for line in jsonl(coll.logs / "crawl-0001.jsonl")}
    assert outcomes[f"http://127.0.0.2:{site.port}/"]["outcome"] == "out-of-scope"
    # robots.txt ignored: the requisite on 10.0.0.1 is tried, and refused before connecting
    logo = outcomes["http://10.0.0.1/logo.png"]
    assert logo["outcome"] == "blocked-address"
    assert logo["error"] == "blocked-address: address 10.0.0.1 is not public and no seed is on it"


@pytest.mark.slow
def test_an_unreachable_robots_txt_disallows_its_host(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    seed = f"http://127.0.0.1:{port}/"
    coll, summary = crawl(tmp_path / "c", (seed,), retries=1, sitemaps=False)
    log = jsonl(coll.logs / "crawl-0001.jsonl")
    assert [(line["url"], line["outcome"]) for line in log] == [
        (seed + "robots.txt", "retry"), (seed + "robots.txt", "failed"), (seed, "robots-blocked")]
    assert str(log[1]["error"]).startswith("connect: ")
    assert log[2]["error"].startswith("disallowed by robots.txt (disallow-all: robots.txt "
                                      "could not be fetched, connect: ")
    assert summary.failed_urls == [seed + "robots.txt"] and summary.captured == 0
    [policy] = [e for e in jsonl(coll.events_path) if e["eventType"] == "robots policy"]
    assert policy["eventOutcome"] == "warning"
    assert policy["eventOutcomeDetail"].endswith("host disallowed (RFC 9309)")

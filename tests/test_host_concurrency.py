"""The crawl loop keeps every host busy, one request per host at a time (capture/engine.py).

Several hosts are several ports on 127.0.0.1, each a real HTTP server that records, for
every request, its host, when it arrived and when the server began to answer. The answer
is recorded as begun before its first byte is sent, so a request the crawler sends after
reading that answer always arrives after the recorded end: "two requests to one host at
once" and "a gap shorter than the delay" are facts of the log, not of timing luck.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers_crawl import crawl, create
from preserve.capture.addresses import AddressPolicy
from preserve.capture.crawler import Crawler
from preserve.capture.fetcher import HttpFetcher
from preserve.web.exchange import Exchange, FetchResult, ResponseBlock


@dataclass(frozen=True)
class Hit:
    host: int  # the site's index
    path: str
    start: float  # monotonic, when the request arrived
    end: float  # monotonic, when the server began to answer (after its latency)


class Sites:
    """``n`` sites of ``pages`` linked pages each, answering after ``latency`` seconds."""

    def __init__(self, n: int, pages: int, latency: float) -> None:
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.servers = [self._server(i, pages, latency) for i in range(n)]
        self.threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                         daemon=True) for s in self.servers]
        for thread in self.threads:
            thread.start()

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(f"http://127.0.0.1:{s.server_address[1]}/" for s in self.servers)

    def _server(self, index: int, pages: int, latency: float) -> ThreadingHTTPServer:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                start = time.monotonic()
                time.sleep(latency)
                if self.path == "/":
                    links = "".join(f'<a href="/p{k}">page {k}</a>' for k in range(pages))
                    status, body = 200, f"<html><body>{links}</body></html>".encode()
                elif self.path.startswith("/p"):
                    status, body = 200, f"<html><body>{self.path}</body></html>".encode()
                else:  # robots.txt, sitemap.xml: none, so everything is allowed
                    status, body = 404, b"not here"
                with sites.lock:
                    sites.hits.append(Hit(index, self.path, start, time.monotonic()))
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def by_host(self) -> dict[int, list[Hit]]:
        out: dict[int, list[Hit]] = {}
        for hit in sorted(self.hits, key=lambda h: h.start):
            out.setdefault(hit.host, []).append(hit)
        return out


@pytest.fixture(scope="module")
def four_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """Four hosts of five pages, 100 ms per answer, crawled with concurrency 4, delay 0."""
    sites = Sites(4, pages=4, latency=0.1)
    try:
        _, summary = crawl(tmp_path_factory.mktemp("c"), sites.urls, concurrency=4)
        assert summary.status == "finished"
        yield sites
    finally:
        sites.close()


@pytest.mark.slow
def test_one_request_at_a_time_per_host(four_hosts: Sites) -> None:
    hosts = four_hosts.by_host()
    assert len(hosts) == 4 and all(len(hits) >= 6 for hits in hosts.values())
    for host, hits in hosts.items():
        for before, after in zip(hits, hits[1:], strict=False):
            assert after.start >= before.end, (host, before, after)


@pytest.mark.slow
def test_hosts_are_fetched_at_once(four_hosts: Sites) -> None:
    # Requests to different hosts overlapped: while one host answered, others did too.
    hits = four_hosts.hits
    overlapping = sum(1 for a in hits for b in hits
                      if a.host < b.host and a.start < b.end and b.start < a.end)
    assert overlapping >= len(hits) // 2, overlapping
    # Most of the time all four hosts were being asked: the crawl took about one host's
    # serial time, not the sum. Measured on the servers' own log, so a loaded machine
    # slows both sides alike.
    busy = sum(h.end - h.start for h in hits)
    span = max(h.end for h in hits) - min(h.start for h in hits)
    assert busy / span > 1.5, (busy, span)


@pytest.mark.slow
def test_the_delay_is_kept_between_requests_to_one_host(tmp_path: Path) -> None:
    sites = Sites(2, pages=2, latency=0.0)
    try:
        _, summary = crawl(tmp_path / "c", sites.urls, concurrency=4, delay=0.2)
    finally:
        sites.close()
    assert summary.status == "finished"
    hosts = sites.by_host()
    assert len(hosts) == 2
    for host, hits in hosts.items():
        assert len(hits) >= 4
        for before, after in zip(hits, hits[1:], strict=False):
            assert after.start - before.end >= 0.2, (host, before, after)
    # Meanwhile the other host was asked: the two hosts' requests interleave.
    order = [h.host for h in sorted(sites.hits, key=lambda h: h.start)]
    assert order.index(1) < len(order) - order[::-1].index(0) - 1


def test_every_host_gets_its_turn_with_fewer_workers_than_hosts(tmp_path: Path) -> None:
    """With two workers for four hosts, the hosts first in line do not keep the workers
    while the others wait: each host's home page comes before any host's last page."""
    sites = Sites(4, pages=5, latency=0.01)
    try:
        _, summary = crawl(tmp_path / "c", sites.urls, concurrency=2)
    finally:
        sites.close()
    assert summary.status == "finished"
    hosts = sites.by_host()
    assert len(hosts) == 4
    homes = max(next(h.start for h in hits if h.path == "/") for hits in hosts.values())
    lasts = min(max(h.start for h in hits if h.path.startswith("/p"))
                for hits in hosts.values())
    assert homes < lasts


class _HeldBlock(ResponseBlock):
    """A response whose bytes are read (digested, by the worker) only once ``go`` is set,
    or after ``wait`` seconds: the worker's work after its fetch is held up."""

    def __init__(self, block: ResponseBlock, go: threading.Event, wait: float) -> None:
        self.__dict__.update(block.__dict__)
        self.go, self.wait, self.went = go, wait, False

    def chunks(self, size: int = 1 << 16) -> Iterator[bytes]:
        self.went = self.went or self.go.wait(self.wait)
        return super().chunks(size)


class _HoldFirstPage:
    """Fetches for real; the first page's answer is held up (``_HeldBlock``) until the
    crawl starts another fetch."""

    def __init__(self, seeds: tuple[str, ...]) -> None:
        self.http = HttpFetcher("t", policy=AddressPolicy.for_seeds(seeds))
        self.next_fetch = threading.Event()
        self.held: _HeldBlock | None = None
        self.lock = threading.Lock()

    def fetch(self, url: str, *, referer: str | None = None) -> FetchResult:
        with self.lock:
            hold = self.held is None and not url.endswith("/robots.txt")
            if not hold and self.held is not None:
                self.next_fetch.set()
        result = self.http.fetch(url, referer=referer)
        if hold and isinstance(result, Exchange):
            result.response = self.held = _HeldBlock(result.response, self.next_fetch, 10.0)
        return result

    def close(self) -> None:
        self.http.close()


def test_a_host_is_freed_when_its_fetch_ends(tmp_path: Path) -> None:
    """The host's next request does not wait for the worker's work on the answer before
    it (finding links, digests, compression): it starts while that work is held up.
    With a profile chosen: while one is being detected, each answer is stored before
    the host's next URL is claimed (test_profiles.py)."""
    sites = Sites(1, pages=2, latency=0.0)
    url = sites.urls[0]
    seeds = (url, url + "p0", url + "p1")
    fetcher = _HoldFirstPage(seeds)
    try:
        coll = create(tmp_path / "c", seeds, delay=0.0, concurrency=1, profile="none")
        summary = Crawler(coll, coll.load_config(), fetcher=fetcher).run()
    finally:
        sites.close()
    assert summary.status == "finished"
    assert fetcher.held is not None and fetcher.held.went
    # Still one request at a time to the host.
    hits = sites.by_host()[0]
    for before, after in zip(hits, hits[1:], strict=False):
        assert after.start >= before.end, (before, after)

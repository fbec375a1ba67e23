"""Traps and amplification from a hostile server (tests/helpers_hostile.py, exact bytes).

Each case is a site built to keep a crawler busy for ever: session ids in every link,
a sitemap index that lists itself under new names, a robots.txt ``Crawl-delay`` of a
day. For each, the crawl finishes on its own within its documented bound, and
``preserve verify`` on what it wrote exits 0. A ``max-time`` guard keeps a regression
from hanging the suite: the crawl then ends ``limit-reached``, and the test fails.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from helpers_crawl import cli, crawl, jsonl
from helpers_hostile import HostileRequest, HostileServer, html, response
from preserve.capture.scope import MAX_SITEMAP_NESTING
from preserve.collection import Collection

pytestmark = pytest.mark.slow  # a crawl per hostile case

GUARD = 20.0  # max-time of every crawl here: far beyond what a bounded crawl takes


def verified(coll: Collection) -> None:
    result = cli("verify", coll.root)
    assert result.returncode == 0, result.stdout + result.stderr


def crawl_log(coll: Collection) -> list[dict[str, object]]:
    (path,) = coll.logs.glob("crawl-*.jsonl")
    return jsonl(path)


# -- session ids -------------------------------------------------------------------------


def test_session_ids_in_links_are_not_a_trap(tmp_path: Path) -> None:
    tokens = (f"{n:032x}" for n in itertools.count(0xC0FFEE))

    def page(request: HostileRequest) -> bytes:
        # Every visit links back to the page under a new session id, as servlet
        # containers and PHP do for a client without cookies.
        return html(request.path, f"{request.path};jsessionid={next(tokens)}",
                    f"{request.path}?PHPSESSID={next(tokens)}",
                    f"{request.path}?sid={next(tokens)}",
                    f"/other?lang=en&sid={next(tokens)}",
                    f"/other;jsessionid={next(tokens)}?lang=en")

    routes = {"/page": page, "/other": page, "/robots.txt": response(404, b"", "text/plain")}
    with HostileServer(routes) as server:
        server.routes["/"] = lambda r: html("home", f"{server.url}page;jsessionid={next(tokens)}")
        coll, summary = crawl(tmp_path / "c", (server.url,), max_time=GUARD)
        fetched = [r.target for r in server.requests]
    assert summary.status == "finished", summary.stop_reason
    # Each page once, under its URL without the session id.
    assert sorted(fetched) == ["/", "/other", "/other?lang=en", "/page", "/robots.txt",
                               "/sitemap.xml"]
    verified(coll)


# -- sitemaps ------------------------------------------------------------------------------


def _index(request: HostileRequest) -> bytes:
    n = int(request.query.partition("n=")[2] or 0)
    entries = [f"/sitemap-index.xml?n={n}", f"/sitemap-index.xml?n={n + 1}", f"/urls.xml?n={n}"]
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<sitemap><loc>{e}</loc></sitemap>" for e in entries)
            + "</sitemapindex>").encode()
    return response(200, body, "application/xml")


def _urlset(request: HostileRequest) -> bytes:
    n = int(request.query.partition("n=")[2] or 0)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>/p{n}</loc></url></urlset>").encode()
    return response(200, body, "application/xml")


def test_a_sitemap_index_that_lists_itself_is_bounded(tmp_path: Path) -> None:
    routes = {
        "/robots.txt": response(200, b"User-agent: *\nAllow: /\nSitemap: /sitemap-index.xml?n=0\n",
                                "text/plain"),
        "/": html("home"), "/sitemap-index.xml": _index, "/urls.xml": _urlset,
        **{f"/p{n}": html(f"p{n}") for n in range(10)},
    }
    with HostileServer(routes) as server:
        coll, summary = crawl(tmp_path / "c", (server.url,), max_time=GUARD, sitemaps=False)
        indexes = server.count("/sitemap-index.xml")
        urlsets = server.count("/urls.xml")
    assert summary.status == "finished", summary.stop_reason
    # robots.txt -> index n=0 -> n=1 -> n=2 (one level past the protocol), and no deeper.
    assert indexes == MAX_SITEMAP_NESTING
    assert urlsets == MAX_SITEMAP_NESTING - 1  # listed by the indexes within the bound
    traps = [e for e in crawl_log(coll) if e.get("error") == "trap:sitemap-nesting"]
    assert traps and all(e["outcome"] == "trap" for e in traps)
    assert summary.traps == len(traps)
    verified(coll)


def test_sitemap_fetches_count_against_max_urls(tmp_path: Path) -> None:
    routes = {"/robots.txt": response(200, b"Sitemap: /sitemap-index.xml\n", "text/plain"),
              "/": html("home"), "/sitemap-index.xml": _index, "/urls.xml": _urlset}
    with HostileServer(routes) as server:
        coll, summary = crawl(tmp_path / "c", (server.url,), max_time=GUARD, max_urls=3,
                              concurrency=1, sitemaps=False)
        fetched = len(server.requests)
    assert summary.status == "limit-reached" and summary.stop_reason == "max-urls"
    assert summary.captured == fetched == 3  # robots.txt, the seed, the first sitemap
    verified(coll)


# -- Crawl-delay ------------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [0.4])
def test_a_crawl_delay_of_a_day_is_capped_and_said(tmp_path: Path, cap: float) -> None:
    routes = {"/robots.txt": response(200, b"User-agent: *\nCrawl-delay: 86400\n", "text/plain"),
              "/": html("home", "/a", "/b"), "/a": html("a"), "/b": html("b")}
    with HostileServer(routes) as server:
        t0 = time.monotonic()
        coll, summary = crawl(tmp_path / "c", (server.url,), max_time=GUARD,
                              max_crawl_delay=cap, sitemaps=False)
        took = time.monotonic() - t0
        times = [r.time for r in server.requests]
    assert summary.status == "finished", summary.stop_reason
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= cap - 0.01, gaps  # the cap is a delay all the same
    assert took < 3 * cap + 5
    robots = [json.loads(line) for line in coll.events_path.read_text().splitlines()
              if '"robots policy"' in line]
    assert len(robots) == 1
    assert robots[0]["eventOutcome"] == "warning"
    assert f"Crawl-delay 86400s capped at {cap:g}s" in robots[0]["eventOutcomeDetail"]
    verified(coll)

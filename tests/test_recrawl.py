"""A second crawl of an unchanged site stores revisits of the first crawl's records.

Cross-crawl deduplication (issue 6): the payload digest index in the collection's state
spans every crawl, so a recrawl writes an identical-payload-digest revisit for each
response whose payload an earlier crawl already stored, and pywb still replays the page
at the second crawl's timestamp from the two crawls' WARCs together.

The site serves pages and images of the median web page's weight (about 18 KB of HTML,
60 KB an image), so the share a recrawl stores is what it would be on a real site; what
a revisit costs does not depend on the weight, and is bounded per URL as well.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import requests

from helpers_crawl import WarcRecord, crawl, read_warc, sha1_digest, tool
from helpers_pywb import COLL, _our_index, _start_wayback, _stop
from preserve.capture.crawler import Crawler
from preserve.capture.summary import CrawlSummary
from preserve.collection import Collection
from preserve.store.state import CrawlRegistry, StateDB
from testsite import TestSite

# Two crawls of a median-weight site, then pywb replay: seconds, not milliseconds.
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Recrawled:
    coll: Collection
    first: CrawlSummary
    second: CrawlSummary
    first_records: list[WarcRecord]
    second_records: list[WarcRecord]
    second_files: list[Path]
    article_url: str
    article_body: bytes


def _files(coll: Collection, crawl_id: str) -> list[Path]:
    db = StateDB(coll.state_db)
    try:
        names = CrawlRegistry(db).warc_names(crawl_id)
    finally:
        db.close()
    return [coll.warcs / n for n in names]


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory: pytest.TempPathFactory) -> Recrawled:
    root = tmp_path_factory.mktemp("recrawl") / "coll"
    with TestSite(weight="median") as site:
        coll, first = crawl(root, (site.url,))
        second = Crawler(coll, coll.load_config()).run()
        article = site.site.articles[3]
        url = site.absolute(article.path)
        body = site.site.resolve(article.path, "").body
    first_files, second_files = _files(coll, first.crawl), _files(coll, second.crawl)
    return Recrawled(
        coll, first, second,
        [r for p in first_files for r in read_warc(p)],
        [r for p in second_files for r in read_warc(p)],
        second_files, url, body,
    )


def test_the_second_crawl_is_a_new_numbered_crawl(recrawled: Recrawled) -> None:
    assert recrawled.first.crawl != recrawled.second.crawl
    assert recrawled.second.status == "finished"
    assert recrawled.second.captured == recrawled.first.captured


def test_every_unchanged_payload_is_a_revisit_of_the_first_crawl(recrawled: Recrawled) -> None:
    originals = {r.id: r for r in recrawled.first_records if r.type == "response"}
    revisits = [r for r in recrawled.second_records if r.type == "revisit"]
    stored = [r for r in recrawled.second_records if r.type == "response"]
    assert len(revisits) >= 0.9 * recrawled.second.captured
    # What is stored again in full is only what dedup leaves alone: non-200 answers.
    assert all(not r.http_head.startswith(b"HTTP/1.1 200") for r in stored), [
        r.uri for r in stored]
    assert sum(r.get("WARC-Refers-To-Target-URI") == r.uri for r in revisits) >= len(
        revisits) - 2  # the test site serves one PDF at two URLs
    for revisit in revisits:
        original = originals[revisit.get("WARC-Refers-To") or ""]
        assert revisit.get("WARC-Refers-To-Target-URI") == original.uri
        assert revisit.get("WARC-Refers-To-Date") == original.get("WARC-Date")
        assert revisit.get("WARC-Payload-Digest") == original.get("WARC-Payload-Digest")
        assert sha1_digest(original.payload) == original.get("WARC-Payload-Digest")
        assert revisit.get("WARC-Profile") == (
            "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
        assert revisit.payload == b""


def test_unchanged_pages_get_no_second_metadata_record(recrawled: Recrawled) -> None:
    assert not [r for r in recrawled.second_records if r.type == "metadata"]
    assert [r for r in recrawled.first_records if r.type == "metadata"]


def test_the_recrawl_stores_a_tenth_of_the_first_at_most(recrawled: Recrawled) -> None:
    first, second = recrawled.first.crawl_warc_bytes, recrawled.second.crawl_warc_bytes
    assert second == sum(p.stat().st_size for p in recrawled.second_files)
    assert 0 < second <= 0.10 * first, (first, second, second / first)


def test_a_revisit_costs_little_more_than_its_headers(recrawled: Recrawled) -> None:
    # Per URL: the request record and the revisit record (WARC and HTTP headers only),
    # each a gzip member; the warcinfo record and the few stored non-200 answers besides.
    per_url = recrawled.second.crawl_warc_bytes / recrawled.second.captured
    assert per_url < 1_400, per_url


def test_warcio_check_accepts_the_recrawl(recrawled: Recrawled) -> None:
    for path in recrawled.second_files:
        result = tool("warcio", "check", "-v", path)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def wayback(recrawled: Recrawled,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, requests.Session]]:
    root = tmp_path_factory.mktemp("pywb-recrawl")
    _our_index(root, recrawled.coll)
    with requests.Session() as session:
        session.trust_env = False
        proc, base = _start_wayback(root, session)
        try:
            yield base, session
        finally:
            _stop(proc)


def test_pywb_replays_the_article_at_the_second_crawls_time(
        recrawled: Recrawled, wayback: tuple[str, requests.Session]) -> None:
    base, session = wayback
    revisit = next(r for r in recrawled.second_records
                   if r.type == "revisit" and r.uri == recrawled.article_url)
    date = revisit.get("WARC-Date") or ""
    timestamp = "".join(c for c in date if c.isdigit())[:14]
    response = session.get(f"{base}/{COLL}/{timestamp}id_/{recrawled.article_url}",
                           timeout=10, allow_redirects=False)
    assert response.status_code == 200
    assert response.content == recrawled.article_body
    # The memento served is the revisit's, at the second crawl's time.
    served = email.utils.parsedate_to_datetime(response.headers["Memento-Datetime"])
    captured = datetime.fromisoformat(date.replace("Z", "+00:00")).replace(microsecond=0)
    assert served == captured

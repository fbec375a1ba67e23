"""What a crawl missed (access/missed.py), against real crawls of the test site.

The site's opt-in breakage (testsite/site.py, ``broken``) adds a page whose image answers
404, whose link leads to an endpoint answering 500, and which links to a redirect to
another site; ``site.repair()`` makes the image and the endpoint answer 200.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers_crawl import crawl
from preserve.access.missed import GROUPS, NOT_FETCHED, find_missed
from preserve.capture.crawler import Crawler
from preserve.errors import ConfigError
from testsite import TestSite
from testsite.site import (
    BROKEN_ENDPOINT,
    BROKEN_IMAGE,
    BROKEN_PAGE,
    BROKEN_REDIRECT,
    OFFSITE_PETITION,
    PRIVATE_PATH,
)


def test_missed_lists_exactly_the_404_requisite_and_the_failing_endpoint(tmp_path: Path) -> None:
    with TestSite(articles=4, broken=True) as site:
        coll, summary = crawl(tmp_path / "c", (site.url,), retries=0)
        missed = find_missed(coll)
    assert summary.status == "finished"
    [image] = missed.requisites
    assert (image.url, image.reason, image.status) == (site.absolute(BROKEN_IMAGE), "http-404",
                                                       404)
    assert image.referrer == site.absolute(BROKEN_PAGE) and image.crawl_id == "0001"
    assert image.hops is not None and image.hops.endswith("E")
    failed = {m.url: m for m in missed.failed}
    # /missing/ is the site's own broken link (a page that answers 404): a failure too.
    assert set(failed) == {site.absolute(BROKEN_ENDPOINT), site.absolute("/missing/")}
    endpoint = failed[site.absolute(BROKEN_ENDPOINT)]
    assert (endpoint.reason, endpoint.status, endpoint.referrer) == (
        "http-500", 500, site.absolute(BROKEN_PAGE))
    assert [m.url for m in missed.robots] == [site.absolute(PRIVATE_PATH)]
    [redirect] = missed.redirects_out_of_scope
    assert (redirect.url, redirect.referrer, redirect.reason) == (
        OFFSITE_PETITION, site.absolute(BROKEN_REDIRECT), "out-of-scope")
    reasons = {m.reason for m in missed.out_of_scope}
    assert reasons == {"out-of-scope", "max-depth"}  # other sites; the endless calendar
    assert all(site.url not in m.url or site.is_trap(m.url) for m in missed.out_of_scope)
    counts = missed.counts()
    assert list(counts) == list(GROUPS) and counts["requisites"] == 1 and counts["failed"] == 2
    data = missed.to_dict()
    assert data["counts"] == counts and data["crawls"] == ["0001"]
    assert data["requisites"][0]["url"] == image.url
    assert data["reasons"]["failed"] == {"http-404": 1, "http-500": 1}


def test_a_later_crawl_that_captured_a_url_takes_it_off(tmp_path: Path) -> None:
    with TestSite(articles=4, broken=True) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
        before = find_missed(coll, crawl_id="1")
        site.site.repair()
        Crawler(coll, coll.load_config()).run()
        after_all = find_missed(coll)
        after_first = find_missed(coll, crawl_id="0001")
        second = find_missed(coll, crawl_id="0002")
    assert {m.url for m in before.requisites} == {site.absolute(BROKEN_IMAGE)}
    for result in (after_all, after_first, second):
        assert result.requisites == []
        assert [m.url for m in result.failed] == [site.absolute("/missing/")]
    assert after_all.failed[0].crawl_id == "0002"  # the latest attempt is the one shown
    assert after_first.failed[0].crawl_id == "0001" and after_first.crawls == ["0001"]
    assert after_all.crawls == ["0001", "0002"]


def test_an_earlier_capture_does_not_hide_what_a_later_crawl_missed(tmp_path: Path) -> None:
    with TestSite(articles=4, broken=True) as site:
        site.site.repair()
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
        site.site.repaired = False  # the image and the endpoint fail again
        Crawler(coll, coll.load_config()).run()
        second = find_missed(coll, crawl_id="0002")
        collection = find_missed(coll)
    assert [m.url for m in second.requisites] == [site.absolute(BROKEN_IMAGE)]
    assert site.absolute(BROKEN_ENDPOINT) in {m.url for m in second.failed}
    # The collection as a whole holds a good capture of both, from the first crawl.
    assert collection.requisites == []
    assert site.absolute(BROKEN_ENDPOINT) not in {m.url for m in collection.failed}


def test_requisites_a_crawl_stopped_at_a_limit_never_fetched(tmp_path: Path) -> None:
    with TestSite(articles=4) as site:
        coll, summary = crawl(tmp_path / "c", (site.url,), max_pages=1, concurrency=1,
                              sitemaps=False)
        missed = find_missed(coll)
    assert summary.status == "limit-reached"
    assert missed.requisites, "the home page's requisites were queued, not fetched"
    for m in missed.requisites:
        assert m.reason == NOT_FETCHED and m.referrer == site.url and m.hops == "E"
    captured = {line.split('"url": "')[1].split('"')[0]
                for line in coll.index_path.read_text().splitlines()}
    assert not captured & {m.url for m in missed.requisites}
    assert missed.failed == []


def test_an_unknown_crawl_is_one_clear_error(tmp_path: Path) -> None:
    with TestSite(articles=2) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,))
    with pytest.raises(ConfigError, match=r"no crawl '7'.*crawls: 0001"):
        find_missed(coll, crawl_id="7")


def test_fetch_errors_are_failed_with_the_logs_error(tmp_path: Path) -> None:
    with TestSite(articles=2, faults_linked=True, slow_delay=0.2, huge_size=100_000) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
        missed = find_missed(coll)
    failed = {m.url.removeprefix(site.url.rstrip("/")): m for m in missed.failed}
    reset = failed["/fault/reset"]
    assert (reset.reason, reset.status) == ("reset", None)
    assert reset.error is not None and reset.error.startswith("reset: ")
    assert failed["/fault/truncated"].reason == "protocol"
    assert (failed["/fault/503"].reason, failed["/fault/503"].status) == ("http-503", 503)
    assert failed["/fault/429"].reason == "http-429"
    assert "/fault/slow" not in failed and "/fault/huge" not in failed  # captured

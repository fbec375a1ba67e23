"""The recheck at the end of a recrawl is bounded, logged, and done once per crawl.

Two articles of the test site are deleted between two crawls, with ``recheck-limit = 1``:
the recrawl requests one of them again (its 404 is the proof of deletion) and logs the
other as skipped; the diff says which is which. The recrawl is stopped as the recheck
runs and resumed: the resumed run must not request the skipped page, so the limit holds
over every run of a crawl.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from helpers_crawl import cli, crawl, jsonl
from preserve.capture.crawler import Crawler
from preserve.capture.summary import Progress
from preserve.collection import Collection
from preserve.store.crawllog import captured_pages, earlier_log
from testsite import TestSite


def test_the_recheck_is_bounded_logged_and_not_repeated_on_resume(tmp_path: Path) -> None:
    with TestSite(articles=4) as site:
        coll, first = crawl(tmp_path / "c", (site.url,), recheck_limit=1)
        assert first.rechecked == 0 and first.recheck_skipped == 0  # a first crawl
        articles = site.site.articles
        deleted = {site.absolute(site.site.remove_article(a.number).path)
                   for a in (articles[1], articles[2])}

        stop = threading.Event()

        def progress(p: Progress) -> None:
            if p.last_url in deleted:
                stop.set()  # the recheck has begun: stop, as Ctrl-C would

        stopped = Crawler(coll, coll.load_config(), on_progress=progress, stop=stop).run()
        assert stopped.status == "interrupted"
        resumed = Crawler(coll, coll.load_config()).run()
        assert resumed.status == "finished" and resumed.crawl == stopped.crawl

    log = jsonl(coll.crawl_log_path(resumed.crawl))
    again = [e for e in log if e.get("hops") == "C"]
    fetched = [e for e in again if e["outcome"] == "captured"]
    skipped = [e for e in again if e["outcome"] == "out-of-scope"]
    assert len(fetched) == 1 and fetched[0]["status"] == 404
    assert len(skipped) == 1 and skipped[0]["error"] == "recheck-limit"
    assert {fetched[0]["url"], skipped[0]["url"]} == deleted
    assert (resumed.rechecked, resumed.recheck_skipped) == (1, 1)

    data = json.loads(cli("diff", coll.root, "--json").stdout)
    pages = {p["url"]: p for p in data["pages"]}
    proven, unproven = pages[fetched[0]["url"]], pages[skipped[0]["url"]]
    assert (proven["change"], proven["reason"], proven["status"]) == ("gone", "404", 404)
    assert (unproven["change"], unproven["reason"]) == ("gone", "not captured")
    assert "status" not in unproven and "record" not in unproven


def test_the_previous_crawl_is_the_latest_log_before_this_one(tmp_path: Path) -> None:
    coll = Collection(tmp_path)
    coll.logs.mkdir()
    for name in ("crawl-0001.jsonl", "crawl-0003.jsonl", "crawl-0004.jsonl", "crawl-x.jsonl",
                 "other.jsonl"):
        (coll.logs / name).write_text("")
    logs = coll.crawl_logs()
    assert earlier_log(logs, "0004") == ("0003", coll.logs / "crawl-0003.jsonl")
    assert earlier_log(logs, "0003") == ("0001", coll.logs / "crawl-0001.jsonl")
    assert earlier_log(logs, "0001") is None


def test_the_pages_of_a_log_are_its_html_200_captures(tmp_path: Path) -> None:
    log = tmp_path / "crawl-0001.jsonl"
    lines = [
        {"url": "http://a/p", "status": 200, "mime": "text/html", "outcome": "captured"},
        {"url": "http://a/r", "status": 200, "mime": "text/html", "outcome": "revisit"},
        {"url": "http://a/i.png", "status": 200, "mime": "image/png", "outcome": "captured"},
        {"url": "http://a/404", "status": 404, "mime": "text/html", "outcome": "captured"},
        {"url": "http://a/x", "outcome": "out-of-scope"},
        {"url": "http://a/robots.txt", "status": 200, "mime": "text/html",
         "outcome": "captured"},
    ]
    log.write_text("".join(json.dumps(x) + "\n" for x in lines) + "{not json\n"
                   + json.dumps({"url": "http://a/cut", "status": 200}))
    assert list(captured_pages(log)) == ["http://a/p", "http://a/r"]
    assert list(captured_pages(tmp_path / "missing.jsonl")) == []

"""``preserve patch`` (access/patch.py): a new crawl of what earlier crawls missed.

Against the test site's opt-in breakage (testsite/site.py, ``broken``): a page whose
image answers 404 and whose link leads to an endpoint answering 500, until
``site.repair()``.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import pytest

from helpers_crawl import cli, crawl, jsonl, read_warc
from preserve.access.missed import find_missed
from preserve.access.patch import patch_collection, plan_patch
from preserve.capture.crawler import Crawler
from preserve.collection import Collection
from preserve.config import CollectionConfig
from preserve.errors import CollectionError
from preserve.store.crawlstate_sqlite import SqliteCrawlState
from preserve.store.inventory import list_crawls
from testsite import TestSite
from testsite.site import (
    BROKEN_ENDPOINT,
    BROKEN_IMAGE,
    BROKEN_PAGE,
    REPAIRED_CHART,
    REPAIRED_LINK,
)


def _index(coll: Collection) -> dict[str, list[str]]:
    """url -> the statuses the index holds for it."""
    found: dict[str, list[str]] = {}
    for line in coll.index_path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line.split(" ", 2)[2])
        found.setdefault(data["url"], []).append(data.get("status", ""))
    return found


def test_patch_captures_what_was_missed_once_the_site_is_fixed(tmp_path: Path) -> None:
    with TestSite(articles=4, broken=True) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
        image, endpoint = site.absolute(BROKEN_IMAGE), site.absolute(BROKEN_ENDPOINT)
        assert "200" not in _index(coll).get(image, [])
        site.site.repair()
        site.clear_requests()
        done = cli("patch", coll.root, "--json")
        asked = [r.path for r in site.requests]
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["crawl"] == "0002" and result["patched"] == 2
    assert {t["url"] for t in result["targets"]} == {image, endpoint, site.absolute("/missing/")}
    # The site's own 404 page answers 404 again: still missed, but not a failed fetch.
    assert [t["url"] for t in result["still_missed"]] == [site.absolute("/missing/")]
    # Polite as any crawl: robots.txt first, then each target once, and the one image of
    # the endpoint's page (now a page) that the collection lacks; not the stylesheets and
    # scripts it holds, and no link followed (REPAIRED_LINK is new: for a crawl to find).
    assert asked[0] == "/robots.txt"
    assert sorted(asked[1:]) == sorted([BROKEN_IMAGE, BROKEN_ENDPOINT, "/missing/",
                                        REPAIRED_CHART])
    assert REPAIRED_LINK not in asked
    missed = find_missed(coll)
    assert missed.requisites == []
    assert [(m.url, m.crawl_id) for m in missed.failed] == [(site.absolute("/missing/"), "0002")]
    index = _index(coll)
    assert "200" in index[image] and "200" in index[endpoint]
    crawls = list_crawls(coll)
    assert [(c["id"], c["kind"], c["status"]) for c in crawls] == [
        ("0001", "crawl", "finished"), ("0002", "patch", "finished")]
    assert crawls[1]["warcs"], "the patch wrote its own WARC"
    shown = cli("crawls", coll.root)
    assert shown.returncode == 0
    [line] = [x for x in shown.stdout.splitlines() if x.startswith("0002")]
    assert line.endswith("patch")
    # Recorded as a crawl: its log, its events, its warcinfo.
    log = jsonl(coll.crawl_log_path("0002"))
    assert {e["url"] for e in log if e["outcome"] == "captured"} >= {image, endpoint}
    image_line = next(e for e in log if e["url"] == image)
    assert image_line["via"] == site.absolute(BROKEN_PAGE) and image_line["hops"].endswith("E")
    assert any(e["eventType"] == "crawl started"
               and "patch crawl of 3 URL(s)" in e["eventOutcomeDetail"]
               for e in jsonl(coll.events_path))
    warc = coll.warcs / crawls[1]["warcs"][0]
    info = dict(read_warc(warc)[0].fields())
    assert info["crawl"] == "0002" and info["crawl-kind"] == "patch"
    # Nothing missed that a patch can fetch but the 404 page.
    again = plan_patch(coll)
    assert [t.missed.url for t in again.targets] == [site.absolute("/missing/")]


def test_nothing_to_patch_says_so(tmp_path: Path) -> None:
    with TestSite(articles=2) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), exclude=("/missing/$",))
        site.clear_requests()
        done = cli("patch", coll.root)
        asked = site.requests
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("nothing to patch")
    assert asked == [] and [c["id"] for c in list_crawls(coll)] == ["0001"]


def test_dry_run_lists_and_fetches_nothing(tmp_path: Path) -> None:
    with TestSite(articles=2, broken=True) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
        site.clear_requests()
        done = cli("patch", coll.root, "--dry-run")
        as_json = cli("patch", coll.root, "--dry-run", "--json")
        asked = site.requests
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "would fetch 3 URLs again:"
    assert f"requisite http-404         {site.absolute(BROKEN_IMAGE)}" in done.stdout
    assert f"failed    http-500         {site.absolute(BROKEN_ENDPOINT)}" in done.stdout
    assert json.loads(as_json.stdout)["dry_run"] is True
    assert asked == [] and [c["id"] for c in list_crawls(coll)] == ["0001"]


def test_the_scope_as_it_is_now_decides(tmp_path: Path) -> None:
    with TestSite(articles=2, broken=True) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
        config = coll.load_config()
        coll.save_config(CollectionConfig(config.description, dataclasses.replace(
            config.crawl, exclude=("/api/",))))
        site.site.repair()
        site.clear_requests()
        result = patch_collection(coll)
        asked = [r.path for r in site.requests]
    assert [(t.missed.url, t.skipped) for t in result.patch.skipped] == [
        (site.absolute(BROKEN_ENDPOINT), "excluded")]
    assert BROKEN_ENDPOINT not in asked and BROKEN_IMAGE in asked
    done = cli("patch", coll.root, "--dry-run")
    assert "not fetched, the scope now leaves them out: 1" in done.stdout


def test_an_interrupted_patch_resumes_and_a_crawl_waits_for_it(tmp_path: Path) -> None:
    with TestSite(articles=2, broken=True) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
        site.site.repair()
        stop = threading.Event()
        first = patch_collection(coll, stop=stop, on_start=lambda _id, _resumed: stop.set())
        assert first.summary is not None and first.summary.status == "interrupted"
        with pytest.raises(CollectionError, match="unfinished patch crawl; run `preserve patch"):
            Crawler(coll, coll.load_config()).run()
        refused = cli("crawl", coll.root)
        resumed = patch_collection(coll)
    assert refused.returncode == 2
    assert refused.stderr.startswith("preserve: error: ") and len(refused.stderr.splitlines()) == 1
    assert resumed.patch.resumes == "0002"
    assert resumed.summary is not None and resumed.summary.crawl == "0002"
    assert resumed.summary.status == "finished"
    assert find_missed(coll).requisites == []
    assert [(c["id"], c["kind"]) for c in list_crawls(coll)] == [("0001", "crawl"),
                                                                 ("0002", "patch")]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    missing = cli("patch", tmp_path / "nowhere")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.startswith("preserve: error: ") and len(
        missing.stderr.splitlines()) == 1
    with TestSite(articles=2, broken=True) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
    with coll.lock():
        locked = cli("patch", coll.root)
    assert locked.returncode == 2 and "in use" in locked.stderr
    assert len(locked.stderr.splitlines()) == 1
    state = SqliteCrawlState(coll.state_db)
    try:
        state.start("2026-12-07T00:00:00+00:00", {})
    finally:
        state.close()
    unfinished = cli("patch", coll.root)
    assert unfinished.returncode == 2
    assert unfinished.stderr.strip().endswith(
        "crawl 0002 is unfinished; run `preserve crawl "
        f"{coll.root}` to finish it before a patch")

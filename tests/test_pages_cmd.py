"""`preserve pages`: every captured page of pages.jsonl, with every capture of its URL
from the CDXJ index (revisits marked), after two real crawls of the test site."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers_crawl import cli, crawl, jsonl
from preserve.access.links import replay_url
from preserve.access.search import timestamp14
from preserve.capture.crawler import Crawler
from preserve.collection import Collection
from testsite import TestSite

pytestmark = pytest.mark.slow  # two crawls of the test site


@dataclass(frozen=True)
class Recrawled:
    root: Path
    changed: str  # URL of the article edited between the crawls
    unchanged: str


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recrawled]:
    root = tmp_path_factory.mktemp("pages") / "coll"
    with TestSite(articles=3) as site:
        coll, _ = crawl(root, (site.url,), max_depth=2)
        changed = site.site.edit_article(0, "A new text for the second crawl.")
        unchanged = site.site.articles[2]
        time.sleep(1.1)  # index timestamps are to the second: two crawls, two times
        Crawler(coll, coll.load_config()).run()
        yield Recrawled(root, site.absolute(changed.path), site.absolute(unchanged.path))


def listing(root: Path) -> list[dict[str, Any]]:
    result = cli("pages", "--json", root)
    assert result.returncode == 0, result.stderr
    pages = json.loads(result.stdout)  # one JSON array
    assert isinstance(pages, list)
    # written one page a line, so a reader can stream it too
    assert len(result.stdout.splitlines()) == len(pages) + 1
    return pages


def test_every_page_of_pages_jsonl_is_listed_with_its_capture_times(
        recrawled: Recrawled) -> None:
    listed = jsonl(Collection(recrawled.root).pages_path)[1:]  # after the header line
    expected: dict[str, set[str]] = {}
    for page in listed:
        expected.setdefault(page["url"], set()).add(timestamp14(page["ts"]))
    pages = listing(recrawled.root)
    assert len(pages) == len(expected)  # each URL once
    got = {p["url"]: {c["timestamp"] for c in p["captures"] if c["page"]} for p in pages}
    assert got == expected
    assert all(len(times) == 2 for times in got.values())  # both crawls
    titles = {p["url"]: p["title"] for p in listed}
    assert {p["url"]: p["title"] for p in pages} == {u: titles.get(u) for u in got}


def test_captures_are_oldest_first_with_status_and_revisits_marked(
        recrawled: Recrawled) -> None:
    pages = {p["url"]: p for p in listing(recrawled.root)}
    same = pages[recrawled.unchanged]["captures"]
    assert [c["revisit"] for c in same] == [False, True]
    assert [c["status"] for c in same] == [200, 200]
    assert same[0]["timestamp"] < same[1]["timestamp"]
    assert same[1]["mime"] == "warc/revisit"
    edited = pages[recrawled.changed]["captures"]
    assert [c["revisit"] for c in edited] == [False, False]
    for c in edited:
        assert c["replay_url"] == replay_url("http://127.0.0.1:8080", c["timestamp"],
                                             recrawled.changed)
        assert c["warc_file"].endswith(".warc.gz") and c["offset"] >= 0


def test_the_text_listing_says_each_capture_and_counts(recrawled: Recrawled) -> None:
    result = cli("pages", recrawled.root)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    pages = listing(recrawled.root)
    total = sum(len(p["captures"]) for p in pages)
    assert lines[-1] == f"{len(pages)} pages, {total} captures"
    at = lines.index(recrawled.unchanged)
    assert lines[at + 2].split()[1:] == ["200", "text/html"]
    assert lines[at + 3].split()[1:] == ["revisit", "warc/revisit"]


def test_no_index_is_one_line_and_exit_2(recrawled: Recrawled, tmp_path: Path) -> None:
    copy = tmp_path / "coll"
    shutil.copytree(recrawled.root, copy)
    Collection(copy).index_path.unlink()
    result = cli("pages", copy)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "run `preserve index`" in result.stderr

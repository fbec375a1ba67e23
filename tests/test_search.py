"""Full-text search (issue #17): `preserve normalise` builds normalised/search.sqlite3
from a real crawl of the test site, and `preserve search` finds its articles.

The test site's articles are edited before the crawl to carry the words searched for:
an accented city name, Greek and Cyrillic words, a word in one article's title and in
another's body.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers_crawl import cli, crawl, jsonl
from preserve.access.links import replay_url
from preserve.access.search import search
from preserve.capture.crawler import Crawler
from preserve.collection import Collection
from preserve.normalise.collection import normalise_collection
from testsite import TestSite

pytestmark = pytest.mark.slow  # crawls and normalises the test site

ACCENTED = ("In Düsseldorf the delegation met colleagues from Θεσσαλονίκη and from "
            "the Ёлка festival committee.\n\nA zeppelinwort was sighted over the river.")


@dataclass(frozen=True)
class Searched:
    root: Path
    urls: dict[str, str]  # which article -> its URL
    titles: dict[str, str]


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searched]:
    root = tmp_path_factory.mktemp("search") / "coll"
    with TestSite(articles=4) as site:
        s = site.site
        accented = s.edit_article(0, ACCENTED)
        titled = s.retitle_article(1, "Quixotic harbour plans")
        body = s.edit_article(2, "The proposal was called quixotic by some and quixotic "
                                 "by others; quixotic it stays.\n\nNothing else to report.")
        crawl(root, (site.url,), max_depth=2)
        urls = {"accented": site.absolute(accented.path), "titled": site.absolute(titled.path),
                "body": site.absolute(body.path)}
        titles = {"accented": accented.title, "titled": titled.title, "body": body.title}
    result = cli("normalise", root)
    assert result.returncode == 0, result.stderr
    yield Searched(root, urls, titles)


@pytest.fixture
def coll(searched: Searched, tmp_path: Path) -> Path:
    copy = tmp_path / "coll"
    shutil.copytree(searched.root, copy)
    return copy


def urls_of(root: Path, query: str, *options: str) -> list[str]:
    result = cli("search", "--json", *options, root, query)
    assert result.returncode == 0, result.stderr
    return [h["url"] for h in json.loads(result.stdout)["hits"]]


def test_a_word_of_the_body_finds_its_article(searched: Searched) -> None:
    result = search(Collection(searched.root), "zeppelinwort")
    assert [h.url for h in result.hits] == [searched.urls["accented"]]
    hit = result.hits[0]
    assert hit.title == searched.titles["accented"]
    assert "[zeppelinwort]" in hit.to_dict()["snippet"]


@pytest.mark.parametrize(("typed", "written"), [
    ("Dusseldorf", "Düsseldorf"), ("DUSSELDORF", "Düsseldorf"),
    ("θεσσαλονικη", "Θεσσαλονίκη"), ("елка", "Ёлка"), ("Düsseldorf", "Düsseldorf"),
])
def test_a_name_typed_without_its_accents_is_found(searched: Searched, typed: str,
                                                   written: str) -> None:
    hits = search(Collection(searched.root), typed).hits
    assert [h.url for h in hits] == [searched.urls["accented"]]
    assert f"[{written}]" in hits[0].to_dict()["snippet"]  # highlighted as written


def test_a_title_match_ranks_above_a_body_match(searched: Searched) -> None:
    # The body says it three times in a short page, the title once: the title still
    # wins. The listings that show the title in a teaser come after both.
    urls = urls_of(searched.root, "quixotic")
    assert urls[:2] == [searched.urls["titled"], searched.urls["body"]]
    assert len(urls) == 4  # the home page and /news/ list the retitled article


def test_a_quoted_phrase_matches_only_the_words_in_that_order(searched: Searched) -> None:
    assert urls_of(searched.root, '"zeppelinwort was sighted"') == [searched.urls["accented"]]
    assert urls_of(searched.root, '"sighted zeppelinwort"') == []
    assert urls_of(searched.root, "zeppelin*") == [searched.urls["accented"]]


def test_json_hits_carry_what_a_person_needs(searched: Searched) -> None:
    base = "http://127.0.0.1:9999"
    result = cli("search", "--json", "--limit", "1", "--replay-base", base, searched.root,
                 "quixotic")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"query", "fts_query", "total", "all_captures", "hits"}
    assert (out["query"], out["total"], len(out["hits"])) == ("quixotic", 4, 1)
    hit = out["hits"][0]
    assert set(hit) == {"url", "title", "snippet", "score", "capture_time", "timestamp",
                        "replay_url", "id", "page_type", "authors", "published", "modified",
                        "language", "provenance"}
    assert hit["title"] == "Quixotic harbour plans"
    assert hit["page_type"] == "article" and hit["authors"] and hit["published"]
    assert isinstance(hit["score"], float)
    assert hit["replay_url"] == replay_url(base, hit["timestamp"], hit["url"])
    # The replay link's time is a capture of that URL in the collection's index.
    index = Collection(searched.root).index_path.read_text(encoding="utf-8")
    assert any(f' {hit["timestamp"]} ' in line and f'"url": "{hit["url"]}"' in line
               for line in index.splitlines())
    article = next(a for a in jsonl(Collection(searched.root).articles_path)
                   if a["id"] == hit["id"])
    assert hit["provenance"]["warc_file"] == article["provenance"]["warc_file"]
    assert hit["provenance"]["offset"] == article["provenance"]["offset"]


def test_the_text_output_marks_matches_and_links_to_replay(searched: Searched) -> None:
    result = cli("search", searched.root, "Dusseldorf")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 page matching 'Dusseldorf'")
    assert "[Düsseldorf]" in result.stdout
    assert "http://127.0.0.1:8080/archive/" in result.stdout
    assert searched.urls["accented"] in result.stdout
    nothing = cli("search", searched.root, "nosuchwordanywhere")
    assert (nothing.returncode, nothing.stdout) == (0, "no page matches 'nosuchwordanywhere'\n")


@pytest.mark.parametrize(("query", "says"), [
    ('"unbalanced', "is not closed"),
    ("harbour AND", "AND at the end of the query"),
    ("(harbour", "a ( that is not closed"),
])
def test_a_query_typo_is_one_line_and_exit_2(searched: Searched, query: str,
                                             says: str) -> None:
    result = cli("search", searched.root, query)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("preserve: error: search query") and says in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_no_index_says_run_normalise_and_normalise_builds_it(coll: Path) -> None:
    c = Collection(coll)
    c.search_index_path.unlink()
    result = cli("search", coll, "zeppelinwort")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "run `preserve normalise` first" in result.stderr
    # No new WARC to normalise: the index is built again from articles.jsonl alone.
    assert cli("normalise", "--quiet", coll).returncode == 0
    assert urls_of(coll, "zeppelinwort") != []


def test_a_damaged_index_is_built_again_by_normalise(coll: Path) -> None:
    c = Collection(coll)
    expected = urls_of(coll, "quixotic")
    with c.search_index_path.open("r+b") as f:
        f.seek(100)
        f.write(b"\xff" * 4096)  # the schema pages and more: not a database any longer
    broken = cli("search", coll, "quixotic")
    assert broken.returncode == 2 and "run `preserve normalise`" in broken.stderr
    assert broken.stderr.count("\n") == 1
    assert cli("normalise", "--quiet", coll).returncode == 0
    assert urls_of(coll, "quixotic") == expected


def test_verify_passes_after_normalise_built_the_index(coll: Path) -> None:
    assert Collection(coll).search_index_path.is_file()
    result = cli("verify", "--json", coll)
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["findings"] == []
    audit = cli("audit", "--json", coll)
    assert Collection.SEARCH_INDEX_REL not in {e["path"] for e in json.loads(audit.stdout)}


def test_a_second_normalise_after_a_recrawl_updates_the_index(tmp_path: Path) -> None:
    root = tmp_path / "coll"
    with TestSite(articles=3) as site:
        s = site.site
        changed = s.edit_article(0, "The zeppelinwort report.\n\nMore words here.")
        kept = s.edit_article(1, "An unchanged page about lighthouses.")
        coll, _ = crawl(root, (site.url,), max_depth=2)
        normalise_collection(coll)
        assert [h.url for h in search(coll, "zeppelinwort").hits] == [
            site.absolute(changed.path)]
        first_time = search(coll, "lighthouses").hits[0].capture_time
        s.edit_article(0, "The blimpwort report.\n\nMore words here.")
        added = s.add_article()
        Crawler(coll, coll.load_config()).run()
    normalise_collection(coll)
    new = search(coll, "blimpwort").hits
    assert [h.url for h in new] == [site.absolute(changed.path)]
    assert new[0].capture_time > first_time
    assert search(coll, "zeppelinwort").hits == []  # the page no longer says it
    old = search(coll, "zeppelinwort", all_captures=True).hits  # but its first capture did
    assert [(h.url, h.capture_time < new[0].capture_time) for h in old] == [
        (site.absolute(changed.path), True)]
    # The unchanged page: its latest capture (the recrawl's revisit) is the one shown.
    lighthouses = search(coll, "lighthouses").hits
    assert [h.url for h in lighthouses] == [site.absolute(kept.path)]
    assert lighthouses[0].capture_time > first_time
    assert len(search(coll, "lighthouses", all_captures=True).hits) == 2
    assert [h.url for h in search(coll, f'title:"{added.title}"').hits] == [
        site.absolute(added.path)]
    # Every line of articles.jsonl is in the index once; a third run changes nothing.
    lines = len(jsonl(coll.articles_path))
    before = search(coll, "report", all_captures=True, limit=1000)
    assert _pages_in_index(coll) == lines
    normalise_collection(coll)
    assert _pages_in_index(coll) == lines
    assert search(coll, "report", all_captures=True, limit=1000) == before


def _pages_in_index(coll: Collection) -> int:
    import sqlite3

    db = sqlite3.connect(coll.search_index_path)
    try:
        return int(db.execute("SELECT count(*) FROM docs").fetchone()[0])
    finally:
        db.close()

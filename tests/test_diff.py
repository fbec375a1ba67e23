"""Change report between crawls (`preserve diff`), `preserve crawls` and `--final`.

The test site is changed between two crawls (one article edited, one retitled, one
removed, one added, one unlinked but still served, one moved by a 301); the diff must
name exactly those articles, and every other article unchanged, though the template
around each (recent posts, neighbours' titles) changed. The recrawl requests again the
first crawl's pages that nothing links to any more, so the removed one is proven gone by
its 404 and the unlinked one is found still there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from helpers_crawl import cli, read_warc
from preserve.collection import Collection
from testsite import TestSite


@dataclass(frozen=True)
class Changed:
    coll: Path
    edited: str
    retitled: str
    removed: str
    added: str
    unlinked: str
    moved: str
    kept: frozenset[str]  # the other articles' URLs
    second_run: str  # stdout of the recrawl
    second_json: dict[str, object]  # its summary


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Changed:
    coll = tmp_path_factory.mktemp("diff") / "coll"
    with TestSite(articles=8) as site:
        done = cli("crawl", coll, "--seed", site.url, "--delay", "0", "--quiet")
        assert done.returncode == 0, done.stderr
        articles = site.site.articles
        edited = site.site.edit_article(articles[2].number, "A new first paragraph.\n\nMore.")
        # Only the title changes, in <article><header class="entry-header"><h1>.
        retitled = site.site.retitle_article(articles[6].number, "A title given afterwards")
        removed = site.site.remove_article(articles[5].number)
        added = site.site.add_article()
        unlinked = site.site.unlist_article(articles[3].number)
        moved = site.site.move_article(articles[4].number, "/news/")
        second = cli("crawl", coll, "--delay", "0", "--final", "--label", "final crawl")
        assert second.returncode == 0, second.stderr
        events = [json.loads(x) for x in Collection.open(coll).events_path.read_text(
            ).splitlines()]
        summary = [e for e in events if e["eventType"] == "crawl finished"][-1]["data"]
        gone = (edited.number, retitled.number, removed.number, unlinked.number, moved.number)
        kept = frozenset(site.absolute(a.path) for a in articles if a.number not in gone)
        return Changed(coll, site.absolute(edited.path), site.absolute(retitled.path),
                       site.absolute(removed.path), site.absolute(added.path),
                       site.absolute(unlinked.path), site.absolute(moved.path), kept,
                       second.stdout, summary)


def _diff(changed: Changed, *args: str) -> dict[str, object]:
    done = cli("diff", changed.coll, "--json", *args)
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def _by_url(data: dict[str, object]) -> dict[str, dict[str, str]]:
    pages = data["pages"]
    assert isinstance(pages, list)
    return {p["url"]: p for p in pages}


def test_diff_names_the_edited_removed_and_added_articles(changed: Changed) -> None:
    data = _diff(changed)
    assert (data["from"], data["to"]) == ("0001", "0002")
    pages = _by_url(data)
    assert pages[changed.edited]["change"] == "changed"
    assert pages[changed.retitled]["change"] == "changed"
    assert pages[changed.removed]["change"] == "gone"
    assert pages[changed.added]["change"] == "new"
    for url in changed.kept:
        assert pages[url]["change"] == "unchanged", url
    # Beyond those three, only listings changed (their lists of articles did); every
    # other page is unchanged, though its sidebar of recent posts is not.
    assert pages[changed.unlinked]["change"] == "unlinked"
    assert pages[changed.moved]["change"] == "moved"
    named = (changed.edited, changed.retitled, changed.removed, changed.added,
             changed.unlinked, changed.moved)
    others = {u: p["change"] for u, p in pages.items() if u not in named}
    listings = {u for u, c in others.items() if c != "unchanged"}
    assert all(urlsplit(u).path == "/" or urlsplit(u).path.startswith("/news/")
               and urlsplit(u).path.count("/") <= 3 for u in listings), listings
    template = [u for u, p in pages.items() if p.get("reason") == "template"]
    assert len(template) >= len(changed.kept)


def test_counts_agree_with_the_pages(changed: Changed) -> None:
    data = _diff(changed)
    pages = list(_by_url(data).values())
    counts = data["counts"]
    assert isinstance(counts, dict)
    for kind in ("new", "changed", "unchanged", "gone"):
        assert counts[kind] == sum(p["change"] == kind for p in pages)
    assert counts["new"] >= 1 and counts["gone"] >= 1 and counts["unchanged"] >= 6


def test_a_removed_page_is_proven_gone_by_its_404(changed: Changed) -> None:
    """Nothing links to it any more, yet the recrawl asked for it again: the 404 it got is
    in the diff with the record that holds it."""
    removed = _by_url(_diff(changed))[changed.removed]
    assert (removed["change"], removed["reason"], removed["status"]) == ("gone", "404", 404)
    record = removed["record"]
    assert isinstance(record, dict)
    coll = Collection.open(changed.coll)
    assert "-0002-" in record["warc"]
    found = [r for r in read_warc(coll.warcs / record["warc"]) if r.offset == record["offset"]]
    assert len(found) == 1 and found[0].uri == changed.removed
    assert found[0].type == "response" and found[0].http_head.startswith(b"HTTP/1.1 404")
    assert record["date"].replace("-", "").replace(":", "").replace("T", "").startswith(
        removed["after"][:12])


def test_the_recrawl_requested_the_unlinked_pages_again(changed: Changed) -> None:
    log = Collection.open(changed.coll).crawl_log_path("0002")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    again = {e["url"]: e for e in lines if e.get("hops") == "C"}
    assert set(again) == {changed.removed, changed.unlinked, changed.moved}
    assert again[changed.removed]["status"] == 404
    assert again[changed.unlinked]["status"] == 200
    assert again[changed.moved]["status"] == 301
    assert all(e.get("via") is None for e in again.values())  # no page led there
    assert changed.second_json["rechecked"] == 3
    assert changed.second_json["recheck_skipped"] == 0
    assert "rechecked    3 pages of the previous crawl" in changed.second_run


def test_a_page_only_unlinked_is_still_there_not_gone(changed: Changed) -> None:
    page = _by_url(_diff(changed))[changed.unlinked]
    assert (page["change"], page["reason"]) == ("unlinked", "still there")
    assert "status" not in page and "record" not in page


def test_a_redirected_page_is_moved_with_its_target(changed: Changed) -> None:
    page = _by_url(_diff(changed))[changed.moved]
    assert (page["change"], page["reason"], page["status"]) == ("moved", "301", 301)
    assert page["location"] == changed.moved.split("/news/")[0] + "/news/"
    assert isinstance(page["record"], dict) and page["record"]["offset"] >= 0


def test_text_output_names_each_state(changed: Changed) -> None:
    lines = cli("diff", changed.coll).stdout.splitlines()
    assert lines[0].endswith(" gone, 1 moved, 1 unlinked")

    def line(url: str) -> list[str]:
        return next(x.split() for x in lines if f" {url}" in x)

    assert line(changed.removed) == ["gone", "(404)", changed.removed]
    assert line(changed.unlinked) == ["unlinked", "(still", "there)", changed.unlinked]
    assert line(changed.moved)[:3] == ["moved", "(301)", changed.moved]
    assert line(changed.moved)[3:] == ["->", changed.moved.split("/news/")[0] + "/news/"]


def test_the_recrawl_ends_with_the_short_change_report(changed: Changed) -> None:
    assert "changes from crawl 0001 to 0002:" in changed.second_run
    assert "1 new" in changed.second_run


def test_text_output_lists_changes_but_not_unchanged_pages(changed: Changed) -> None:
    done = cli("diff", changed.coll)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("changes from crawl 0001 to 0002:")
    assert ["changed", changed.edited] in [x.split() for x in lines]
    assert not any(line.startswith("unchanged") for line in lines)
    everything = cli("diff", changed.coll, "--all").stdout.splitlines()
    assert any(line.startswith("unchanged") for line in everything)


def test_the_final_crawl_is_marked_everywhere(changed: Changed) -> None:
    listed = cli("crawls", changed.coll, "--json")
    assert listed.returncode == 0, listed.stderr
    crawls = json.loads(listed.stdout)
    assert [(c["id"], c["final"], c["label"]) for c in crawls] == [
        ("0001", False, None), ("0002", True, "final crawl")]
    assert crawls[1]["warc_bytes"] > 0 and crawls[1]["revisits"] > 0
    text = cli("crawls", changed.coll).stdout
    assert "FINAL final crawl" in text
    coll = Collection.open(changed.coll)
    warcinfo = [r for p in coll.closed_warcs() if "-0002-" in p.name
                for r in read_warc(p) if r.type == "warcinfo"]
    assert warcinfo and all(("final-crawl", "true") in r.fields() for r in warcinfo)
    assert all(("crawl-label", "final crawl") in r.fields() for r in warcinfo)
    events = [json.loads(line) for line in coll.events_path.read_text().splitlines()]
    started = [e for e in events if e["eventType"] == "crawl started"]
    assert [e.get("data", {}).get("final") for e in started] == [False, True]


@pytest.mark.parametrize("args, message", [
    (("--from", "0009"), "no crawl '0009'"),
    (("--to", "x"), "'x' is not a crawl number"),
])
def test_unknown_crawls_are_one_line_exit_2(changed: Changed, args: tuple[str, ...],
                                            message: str) -> None:
    done = cli("diff", changed.coll, *args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_single_crawl_cannot_be_diffed(tmp_path: Path, shared_site: TestSite) -> None:
    coll = tmp_path / "one"
    assert cli("crawl", coll, "--seed", shared_site.url, "--delay", "0", "--quiet",
               "--max-pages", "5").returncode == 0
    done = cli("diff", coll)
    assert done.returncode == 2
    assert "needs two crawls" in done.stderr and "Traceback" not in done.stderr


def test_importing_diff_leaves_normalise_out() -> None:
    """The end of every crawl imports preserve.diff to learn whether there is a crawl to
    compare with; normalise (a tenth of a second of imports) comes only with a page to
    compare."""
    code = "import sys, preserve.diff; print(sorted(m for m in sys.modules " \
           "if m.startswith('preserve.normalise')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"

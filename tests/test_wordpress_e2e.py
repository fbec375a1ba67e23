"""Issue #15 end to end against a real WordPress (scripts/wordpress/, docs/cms.md).

One crawl of the site with the CLI under the wordpress profile, shared by the module:
every post an ``article`` with its published day, its authors and its subjects; static
pages ``page``; archives and the home page ``listing``; no REST, oEmbed or ``replytocom``
capture. Then mutate.php edits 3 bodies, retitles 1 post, trashes 2 and publishes 2; a
recrawl and ``preserve diff --json`` must report exactly those, the trashed posts gone
with their 404 captured. The truth is populate.php's manifest, not our extractor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers_crawl import cli
from helpers_wordpress import WordPress

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # two crawls in a fixture

# Fast settings, as the other crawl tests use: no delay between requests to 127.0.0.1.
CRAWL_OPTIONS = ("--delay", "0", "--quiet")
NOISE = re.compile(r"/wp-json/|[?&]rest_route=|oembed|[?&]replytocom=")


@dataclass
class Crawled:
    coll: Path
    site: WordPress
    summary: dict[str, Any]  # the first crawl's JSON summary
    articles: dict[str, dict[str, Any]]  # normalised records by URL


def _ok(done: Any, what: str) -> None:
    assert done.returncode in (0, 1), f"{what} exited {done.returncode}: {done.stderr[-2000:]}"


def _crawl(coll: Path, *args: str) -> dict[str, Any]:
    """Crawl with --profile wordpress; its JSON summary."""
    done = cli("crawl", coll, *args, "--profile", "wordpress", *CRAWL_OPTIONS, "--json",
               timeout=1200)
    _ok(done, "crawl --profile wordpress")
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


@pytest.fixture(scope="module")
def crawled(wordpress: WordPress, tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    coll = tmp_path_factory.mktemp("wp") / "coll"
    summary = _crawl(coll, "--seed", wordpress.url)
    _ok(cli("normalise", coll, "--quiet", timeout=600), "normalise")
    articles: dict[str, dict[str, Any]] = {}
    with open(coll / "normalised" / "articles.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            articles.setdefault(record["url"], record)
    return Crawled(coll, wordpress, summary, articles)


@dataclass
class Recrawled:
    mutations: dict[str, Any]
    diff: dict[str, Any]
    by_url: dict[str, dict[str, Any]]  # diff entries by URL


@pytest.fixture(scope="module")
def recrawled(crawled: Crawled) -> Recrawled:
    mutations = crawled.site.mutate()
    _crawl(crawled.coll)
    done = cli("diff", crawled.coll, "--json", timeout=600)
    assert done.returncode == 0, done.stderr
    diff = json.loads(done.stdout)
    return Recrawled(mutations, diff, {p["url"]: p for p in diff["pages"]})


def captures(coll: Path) -> list[dict[str, Any]]:
    """Every line of the collection's CDXJ index: its JSON, with the timestamp."""
    out = []
    with open(coll / "indexes" / "index.cdxj", encoding="utf-8") as f:
        for line in f:
            _key, timestamp, fields = line.rstrip("\n").split(" ", 2)
            out.append({"timestamp": timestamp, **json.loads(fields)})
    return out


def listing_urls(manifest: dict[str, Any]) -> set[str]:
    """The archives the site links to: home and its pages, categories, tags, authors, months."""
    home = manifest["home"]
    per_page = manifest["posts_per_page"]
    last = -(-len(manifest["posts"]) // per_page)
    urls = {home} | {f"{home}page/{n}/" for n in range(2, last + 1)}
    urls |= {c["url"] for c in manifest["categories"]} | {t["url"] for t in manifest["tags"]}
    urls |= {a["url"] for a in manifest["authors"]} | set(manifest["months"])
    return urls


def is_listing(url: str, manifest: dict[str, Any]) -> bool:
    """A home, category, tag, author or date archive URL, any page of it."""
    path = url[len(manifest["home"]) - 1:]
    return bool(re.fullmatch(r"/(page/\d+/|(category|tag|author)/[^/]+/(page/\d+/)?"
                             r"|\d{4}/(\d{2}/(\d{2}/)?)?(page/\d+/)?)?", path))


def mismatches(rows: Iterable[tuple[str, Any, Any]]) -> list[str]:
    return [f"{url}: got {got!r}, expected {want!r}" for url, got, want in rows if got != want]


def report(problems: list[str], of: int, what: str) -> str:
    shown = "\n  ".join(problems[:8])
    return f"{len(problems)} of {of} {what}:\n  {shown}"


# The first crawl.

def test_the_wordpress_profile_left_out_the_noise_and_counted_it(crawled: Crawled) -> None:
    summary = crawled.summary
    assert summary["profile"] == "wordpress"
    excluded = summary["profile_excluded"]
    assert excluded.get("wp-json", 0) > 0 and excluded.get("replytocom", 0) > 0, excluded


def test_every_post_and_page_is_captured(crawled: Crawled) -> None:
    m = crawled.site.manifest
    missing = [p["url"] for p in m["posts"] + m["pages"] if p["url"] not in crawled.articles]
    assert not missing, report(missing, 65, "posts and pages not normalised")


def test_posts_are_articles(crawled: Crawled) -> None:
    posts = crawled.site.manifest["posts"]
    rows = [(p["url"], crawled.articles.get(p["url"], {}).get("page_type"), "article")
            for p in posts]
    problems = mismatches(rows)
    assert not problems, report(problems, len(posts), "posts not typed article")


def test_posts_have_their_published_day(crawled: Crawled) -> None:
    posts = crawled.site.manifest["posts"]
    rows = [(p["url"], (crawled.articles.get(p["url"], {}).get("published") or "")[:10],
             p["day"]) for p in posts]
    problems = mismatches(rows)
    assert not problems, report(problems, len(posts), "posts without their published day")


def test_posts_have_their_authors(crawled: Crawled) -> None:
    posts = crawled.site.manifest["posts"]
    rows = [(p["url"], crawled.articles.get(p["url"], {}).get("authors"), [p["author"]])
            for p in posts]
    problems = mismatches(rows)
    assert not problems, report(problems, len(posts), "posts with wrong authors")


def test_posts_have_their_tags(crawled: Crawled) -> None:
    posts = crawled.site.manifest["posts"]
    rows = [(p["url"], sorted(crawled.articles.get(p["url"], {}).get("tags") or []),
             sorted(p["tags"])) for p in posts]
    problems = mismatches(rows)
    assert not problems, report(problems, len(posts), "posts with wrong tags")


def test_posts_have_their_categories(crawled: Crawled) -> None:
    posts = crawled.site.manifest["posts"]
    rows = [(p["url"], sorted(crawled.articles.get(p["url"], {}).get("categories") or []),
             sorted(p["categories"])) for p in posts]
    problems = mismatches(rows)
    assert not problems, report(problems, len(posts), "posts with wrong categories")


def test_posts_have_the_site_name(crawled: Crawled) -> None:
    m = crawled.site.manifest
    rows = [(p["url"], crawled.articles.get(p["url"], {}).get("site_name"), m["site_name"])
            for p in m["posts"]]
    problems = mismatches(rows)
    assert not problems, report(problems, len(m["posts"]), "posts without the site name")


def test_static_pages_are_pages(crawled: Crawled) -> None:
    pages = crawled.site.manifest["pages"]
    rows = [(p["url"], crawled.articles.get(p["url"], {}).get("page_type"), "page")
            for p in pages]
    problems = mismatches(rows)
    assert not problems, report(problems, len(pages), "static pages not typed page")


def test_archives_are_listings(crawled: Crawled) -> None:
    urls = sorted(listing_urls(crawled.site.manifest))
    rows = [(u, crawled.articles.get(u, {}).get("page_type"), "listing") for u in urls]
    problems = mismatches(rows)
    assert not problems, report(problems, len(urls), "archives not typed listing")


def test_listings_are_not_duplicates(crawled: Crawled) -> None:
    m = crawled.site.manifest
    dupes = [f"{u}: duplicate_of {r['duplicate_of']}" for u, r in crawled.articles.items()
             if is_listing(u, m) and r.get("duplicate_of")]
    listings = [u for u in crawled.articles if is_listing(u, m)]
    assert not dupes, report(dupes, len(listings), "listings marked duplicates")


def test_no_cms_noise_captured(crawled: Crawled) -> None:
    noise = sorted({c["url"] for c in captures(crawled.coll) if NOISE.search(c["url"])})
    assert not noise, report(noise, len(noise), "REST, oEmbed or replytocom captures")


# The recrawl after mutate.php.

def _kind(recrawled: Recrawled, change: str) -> set[str]:
    return {u for u, p in recrawled.by_url.items() if p["change"] == change}


def test_diff_reports_the_edited_and_retitled_posts_as_changed(
        crawled: Crawled, recrawled: Recrawled) -> None:
    m = crawled.site.manifest
    content = {p["url"] for p in m["posts"] + m["pages"]}
    want = {e["url"] for e in recrawled.mutations["edited"] + recrawled.mutations["retitled"]}
    changed = _kind(recrawled, "changed")
    assert changed & content == want
    others = sorted(u for u in changed - content if not is_listing(u, m))
    assert not others, f"changed pages that are neither posts nor archives: {others}"


def test_diff_reports_the_new_posts_as_new(crawled: Crawled, recrawled: Recrawled) -> None:
    m = crawled.site.manifest
    want = {e["url"] for e in recrawled.mutations["new"]}
    new = _kind(recrawled, "new")
    assert want <= new
    others = sorted(u for u in new - want if not is_listing(u, m))
    assert not others, f"new pages that are neither the new posts nor archives: {others}"


def test_diff_reports_the_trashed_posts_gone_404(crawled: Crawled, recrawled: Recrawled) -> None:
    m = crawled.site.manifest
    want = {e["url"] for e in recrawled.mutations["trashed"]}
    gone = _kind(recrawled, "gone")
    content = {p["url"] for p in m["posts"] + m["pages"]}
    assert gone & content == want
    reasons = {u: recrawled.by_url[u].get("reason") for u in want}
    assert reasons == {u: "404" for u in want}, reasons
    others = sorted(u for u in gone - content if not is_listing(u, m))
    assert not others, f"gone pages that are neither posts nor archives: {others}"


def test_trashed_posts_404_is_captured(crawled: Crawled, recrawled: Recrawled) -> None:
    found: dict[str, set[str]] = {}
    for c in captures(crawled.coll):
        if c.get("status") == "404":
            found.setdefault(c["url"], set()).add(c["timestamp"])
    for entry in recrawled.mutations["trashed"]:
        url = entry["url"]
        assert url in found, f"no 404 captured for the trashed post {url}"
        after = recrawled.by_url.get(url, {}).get("after")
        assert after in found[url], (
            f"the diff names no 404 capture of {url}: {recrawled.by_url.get(url)}")


def test_diff_leaves_every_other_post_unchanged(crawled: Crawled, recrawled: Recrawled) -> None:
    mut = recrawled.mutations
    touched = {e["url"] for kind in ("edited", "retitled", "trashed") for e in mut[kind]}
    rest = [p["url"] for p in crawled.site.manifest["posts"] if p["url"] not in touched]
    rows = [(u, recrawled.by_url.get(u, {}).get("change"), "unchanged") for u in rest]
    problems = mismatches(rows)
    assert not problems, report(problems, len(rest), "untouched posts not unchanged")

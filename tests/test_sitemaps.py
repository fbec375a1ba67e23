"""Sitemaps, feeds and robots.txt Sitemap lines: the corpus in fixtures/sitemaps, then edges."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from preserve.capture.sitemaps import (
    MAX_SITEMAP_URLS,
    SitemapEntries,
    looks_like_feed,
    looks_like_sitemap,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sitemaps"
EXPECTATIONS = sorted(FIXTURES.glob("*.json"))


def _document(expectation: Path) -> Path:
    # Matched on the name up to its first dot, so "x.xml.gz" belongs to "x.json".
    (document,) = [
        p
        for p in FIXTURES.iterdir()
        if p.suffix != ".json" and p.name.split(".")[0] == expectation.stem
    ]
    return document


def _parse(body: bytes, expected: dict[str, object]) -> SitemapEntries:
    url = str(expected["url"])
    content_type = expected["content_type"]
    assert content_type is None or isinstance(content_type, str)
    if expected["parser"] == "robots":
        return SitemapEntries(sitemaps=robots_sitemaps(body, url))
    if expected["parser"] == "feed":
        return parse_feed(body, url)
    return parse_sitemap(body, url, content_type)


def test_corpus_is_complete() -> None:
    documents = {p.name.split(".")[0] for p in FIXTURES.iterdir() if p.suffix != ".json"}
    assert documents == {p.stem for p in EXPECTATIONS}
    assert len(documents) >= 14


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda p: p.stem)
def test_fixture(expectation: Path) -> None:
    expected = json.loads(expectation.read_text(encoding="utf-8"))
    body = _document(expectation).read_bytes()
    assert _parse(body, expected) == SitemapEntries(
        urls=tuple(expected["urls"]), sitemaps=tuple(expected["sitemaps"])
    )


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda p: p.stem)
def test_fixture_is_recognised(expectation: Path) -> None:
    expected = json.loads(expectation.read_text(encoding="utf-8"))
    start = _document(expectation).read_bytes()[:4096]
    url, content_type = expected["url"], expected["content_type"]
    assert looks_like_sitemap(url, content_type, start) is expected["looks_like_sitemap"]
    assert looks_like_feed(url, content_type, start) is expected["looks_like_feed"]


@pytest.mark.parametrize("name", ["rss2.xml", "atom.xml", "rss1.rdf"])
def test_a_feed_submitted_as_sitemap_gives_the_same_urls(name: str) -> None:
    # sitemaps.org accepts RSS and Atom feeds as sitemaps.
    body = (FIXTURES / name).read_bytes()
    url = "https://feeds.example.com/" + name
    assert parse_sitemap(body, url) == parse_feed(body, url)
    assert parse_feed(body, url).urls


def test_nested_index_is_walked_to_every_page() -> None:
    # A crawler's view: start at the index, fetch each child from the fixture
    # directory by the last segment of its URL, and stop at sitemaps already seen.
    seen: set[str] = set()
    pages: list[str] = []
    queue = ["https://www.example.com/sitemap-index.xml"]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        body = (FIXTURES / urlsplit(url).path.rpartition("/")[2]).read_bytes()
        assert looks_like_sitemap(url, None, body[:4096])
        entries = parse_sitemap(body, url)
        pages.extend(entries.urls)
        queue.extend(entries.sitemaps)
    assert pages == [
        "https://www.example.com/pages/one",
        "https://www.example.com/pages/two",
        "https://www.example.com/posts/hello-world",
        "https://www.example.com/posts/second",
        "https://www.example.com/text/one",
        "https://www.example.com/text/two",
        "https://www.example.com/text/three",
        "HTTPS://WWW.EXAMPLE.COM/text/upper",
    ]
    assert len(seen) == 5


def test_xxe_reads_no_local_file() -> None:
    secret = Path("/etc/hostname")
    body = (FIXTURES / "xxe.xml").read_bytes()
    found = parse_sitemap(body, "https://www.example.com/sitemap.xml")
    assert all("xxe" not in url and "%" not in url for url in found.urls)
    if secret.exists() and secret.read_text().strip():
        assert all(secret.read_text().strip() not in url for url in found.urls)


def test_billion_laughs_is_refused_quickly() -> None:
    body = (FIXTURES / "billion-laughs.xml").read_bytes()
    found = parse_sitemap(body, "https://www.example.com/sitemap.xml")
    assert all(len(url) < 100 for url in found.urls)
    # Expanded, the entities would make ~3 GB of text; refused, the text is no bigger
    # than the body it came from.
    assert sum(len(url) for url in found.urls) <= len(body)


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("https://www.example.com/sitemap.xml.gz", None),  # by URL
        ("https://www.example.com/sitemap.xml", None),  # by magic bytes
        ("https://www.example.com/sitemap", "application/x-gzip"),
    ],
)
def test_gzipped_sitemap(url: str, content_type: str | None) -> None:
    xml = b"<urlset><url><loc>https://www.example.com/gz</loc></url></urlset>"
    found = parse_sitemap(gzip.compress(xml), url, content_type)
    assert found.urls == ("https://www.example.com/gz",)


def test_gz_url_with_body_already_inflated() -> None:
    # The server sent Content-Encoding: gzip and the client undid it.
    xml = b"<urlset><url><loc>https://www.example.com/plain</loc></url></urlset>"
    found = parse_sitemap(xml, "https://www.example.com/sitemap.xml.gz")
    assert found.urls == ("https://www.example.com/plain",)


def test_gzip_bomb_sitemap_is_bounded() -> None:
    # ~60 MB of whitespace inside <urlset> inflates past the 50 MiB cap; parsing
    # stops there with what came before.
    head = b"<urlset><url><loc>https://www.example.com/first</loc></url>"
    body = gzip.compress(head + b" " * 60_000_000 + b"<url><loc>https://x.example/</loc></url>")
    found = parse_sitemap(body, "https://www.example.com/sitemap.xml.gz")
    assert found.urls == ("https://www.example.com/first",)


def test_entries_are_capped_per_sitemap() -> None:
    records = b"".join(
        b"<url><loc>https://www.example.com/p%d</loc></url>" % i
        for i in range(MAX_SITEMAP_URLS + 100)
    )
    found = parse_sitemap(b"<urlset>" + records + b"</urlset>", "https://www.example.com/s.xml")
    assert len(found.urls) == MAX_SITEMAP_URLS
    assert found.urls[-1] == f"https://www.example.com/p{MAX_SITEMAP_URLS - 1}"


def test_text_sitemap_is_capped() -> None:
    body = b"\n".join(b"https://www.example.com/t%d" % i for i in range(MAX_SITEMAP_URLS + 10))
    found = parse_sitemap(body, "https://www.example.com/sitemap.txt")
    assert len(found.urls) == MAX_SITEMAP_URLS


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"\x00\x01\x02\xff" * 100,
        b"<",
        b"<?xml version='1.0'?>",
        b"<urlset><url><loc>",
        b"<urlset><url><loc>https://www.example.com/a&b=c&amp;d</loc></url></urlset>",
        b"\x1f\x8b\x08\x00garbage",
        b"<html><body><a href='/x'>not a sitemap</a></body></html>",
    ],
)
def test_damaged_bodies_never_raise(body: bytes) -> None:
    found = parse_sitemap(body, "https://www.example.com/sitemap.xml")
    assert all(url.startswith("https://www.example.com/") for url in found.urls)
    assert parse_feed(body, "https://www.example.com/feed") is not None


@pytest.mark.parametrize(
    ("loc", "url"),
    [
        # Bare ampersands are common in generated sitemaps; libxml2's recovery alone
        # would drop "&b" and give a different URL.
        (b"https://www.example.com/?a=1&b=2", "https://www.example.com/?a=1&b=2"),
        (b"https://www.example.com/?a=1&amp;b=2", "https://www.example.com/?a=1&b=2"),
        (b"https://www.example.com/?a=1&#38;b=2", "https://www.example.com/?a=1&b=2"),
        (b"https://www.example.com/?a=1&#x26;b=2", "https://www.example.com/?a=1&b=2"),
        (b"https://www.example.com/?a=1&", "https://www.example.com/?a=1&"),
        (
            b"<![CDATA[https://www.example.com/?a=1&b=2&amp;]]>",
            "https://www.example.com/?a=1&b=2&amp;",
        ),
    ],
)
def test_ampersands(loc: bytes, url: str) -> None:
    body = b"<urlset><url><loc>" + loc + b"</loc></url></urlset>"
    assert parse_sitemap(body, "https://www.example.com/s.xml").urls == (url,)


@pytest.mark.parametrize(
    ("robots", "sitemaps"),
    [
        (b"", ()),
        (b"User-agent: *\nDisallow: /\n", ()),
        (b"Sitemap: /s.xml", ("https://www.example.com/s.xml",)),
        (
            b"\xef\xbb\xbfSitemap: https://www.example.com/bom.xml\n",
            ("https://www.example.com/bom.xml",),
        ),
        (b"Sitemap: https://www.example.com/s.xml#frag\n", ("https://www.example.com/s.xml",)),
        (b"Sitemap: javascript:alert(1)\n", ()),
        (
            b"\xff\xfe\x00junk\nSitemap: /after-junk.xml\n",
            ("https://www.example.com/after-junk.xml",),
        ),
    ],
)
def test_robots_sitemaps(robots: bytes, sitemaps: tuple[str, ...]) -> None:
    assert robots_sitemaps(robots, "https://www.example.com/robots.txt") == sitemaps


@pytest.mark.parametrize(
    ("url", "content_type", "start", "sitemap", "feed"),
    [
        ("http://e.co/x", "application/xml", b"<urlset xmlns='x'>", True, False),
        (
            "http://e.co/x",
            None,
            b"\xef\xbb\xbf  <?xml version='1.0'?>\n<sitemapindex>",
            True,
            False,
        ),
        ("http://e.co/x", "text/xml", b"<!-- generated --><urlset>", True, False),
        ("http://e.co/x", "text/html", b"<urlset>", False, False),
        ("http://e.co/sitemap.txt", "text/plain", b"http://e.co/a\n", True, False),
        ("http://e.co/notes.txt", "text/plain", b"http://e.co/a\n", False, False),
        ("http://e.co/sitemap.xml", "text/html", b"<!DOCTYPE html><html>", False, False),
        ("http://e.co/s.xml.gz", None, gzip.compress(b"<urlset>" + b" " * 9000), True, False),
        ("http://e.co/s.xml.gz", None, gzip.compress(b"<urlset>" + b" " * 9000)[:40], True, False),
        ("http://e.co/f", "application/rss+xml", b"", False, True),
        ("http://e.co/f", "application/atom+xml; charset=utf-8", b"", False, True),
        ("http://e.co/f", "text/xml", b"<?xml version='1.0'?><rss version='2.0'>", False, True),
        ("http://e.co/f", None, b"<feed xmlns='http://www.w3.org/2005/Atom'>", False, True),
        ("http://e.co/f", None, b"<rdf:RDF xmlns='http://purl.org/rss/1.0/'>", False, True),
        ("http://e.co/f", None, b"<rdf:RDF xmlns:foaf='http://xmlns.com/foaf/0.1/'>", False, False),
        ("http://e.co/f", "text/html", b"<rss>", False, False),
        ("http://e.co/f", None, b"<!DOCTYPE rss [<!ENTITY x '>'>]><rss>", False, True),
        ("http://e.co/f", None, b"", False, False),
        ("http://e.co/f", None, b"\x00\x01binary", False, False),
    ],
)
def test_sniffing(
    url: str, content_type: str | None, start: bytes, sitemap: bool, feed: bool
) -> None:
    assert looks_like_sitemap(url, content_type, start) is sitemap
    assert looks_like_feed(url, content_type, start) is feed

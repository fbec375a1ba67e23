"""Fuzzing what the crawler parses from hostile servers besides pages: sitemaps (XML, text,
gzipped), sitemap indexes, RSS and Atom feeds and robots.txt, over arbitrary bytes and the
real files of fixtures/sitemaps/, mutated.

Property: each parser returns its result and never raises; sitemap and feed entries are
absolute http(s) URLs, at most MAX_SITEMAP_URLS of them; robots rules answer every question.
"""

from __future__ import annotations

import gzip

from hypothesis import example, given
from hypothesis import strategies as st

from helpers_fuzz import FUZZ, corpus, mutated
from preserve.capture.robots import parse_robots
from preserve.capture.sitemaps import (
    MAX_SITEMAP_URLS,
    SitemapEntries,
    looks_like_feed,
    looks_like_sitemap,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
)

SEEDS = corpus("sitemaps", (".xml", ".txt", ".rdf", ".gz"))
URLS = st.sampled_from(["https://example.org/sitemap.xml", "https://example.org/s.xml.gz",
                        "http://127.0.0.1:8080/feed/", "https://example.org/robots.txt"])
CONTENT_TYPES = st.sampled_from([None, "application/xml", "text/xml; charset=utf-16",
                                 "application/gzip", "text/plain", "text/html",
                                 "application/rss+xml", "application/atom+xml", "bogus/\x00"])
xml_bytes = st.one_of(mutated(SEEDS), mutated(SEEDS).map(lambda b: gzip.compress(b, mtime=0)),
                      st.binary(max_size=2048),
                      st.text(alphabet='<>/="?! &;#xlmnsurtiepd\n', max_size=500)
                      .map(str.encode))
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
          + b"".join(b'<!ENTITY %c "%s">' % (c, (b"&%c;" % (c - 1)) * 10)
                     for c in range(ord("b"), ord("k")))
          + b']><urlset><url><loc>https://example.org/&j;</loc></url></urlset>')


def _check(entries: SitemapEntries) -> None:
    assert len(entries.urls) <= MAX_SITEMAP_URLS
    assert len(entries.sitemaps) <= MAX_SITEMAP_URLS
    for url in entries.urls + entries.sitemaps:
        assert url.lower().startswith(("http://", "https://")), url


@FUZZ
@given(body=xml_bytes, url=URLS, content_type=CONTENT_TYPES)
@example(body=LAUGHS, url="https://example.org/sitemap.xml", content_type=None)
@example(body=b"\x1f\x8b" + b"\x00" * 20, url="https://example.org/s.xml.gz",
         content_type="application/gzip")
def test_sitemap_parsing_never_raises(body: bytes, url: str, content_type: str | None) -> None:
    looks_like_sitemap(url, content_type, body[:4096])
    entries = parse_sitemap(body, url, content_type)
    _check(entries)
    if body is LAUGHS:
        assert all("aaaaaaaaaa" not in u for u in entries.urls)  # no entity expanded


@FUZZ
@given(body=xml_bytes, url=URLS, content_type=CONTENT_TYPES)
def test_feed_parsing_never_raises(body: bytes, url: str, content_type: str | None) -> None:
    looks_like_feed(url, content_type, body[:4096])
    _check(parse_feed(body, url))


robots_bytes = st.one_of(
    mutated(corpus("sitemaps", ("robots.txt",))),
    st.lists(st.sampled_from(["User-agent: *", "User-agent: preserve", "Disallow: /",
                              "Allow: /a$", "Disallow: /*?", "Crawl-delay: 86400",
                              "Crawl-delay: -1", "Crawl-delay: nan", "Crawl-delay: 1e999",
                              "Request-rate: 1/0", "Sitemap: /s.xml", "Sitemap: http://[x/",
                              "Disallow: %zz", "Allow: /\x00", "# comment", ""]),
             max_size=12).map(lambda lines: "\n".join(lines).encode()),
    st.binary(max_size=1024))


@FUZZ
@given(body=robots_bytes, status=st.sampled_from([0, 200, 204, 301, 404, 429, 500]),
       path=st.sampled_from(["/", "/a", "/a?b", "/%zz", "/\u00e9t\u00e9", "/a$", "//x"]))
@example(body=b"User-agent: *\nCrawl-delay: 1e999\nRequest-rate: 1/0\n", status=200, path="/")
def test_robots_never_raises(body: bytes, status: int, path: str) -> None:
    rules = parse_robots(status, body)
    assert isinstance(rules.allowed(f"https://example.org{path}", "preserve/0.1"), bool)
    delay = rules.crawl_delay("preserve/0.1")
    assert delay is None or isinstance(delay, float)
    for url in robots_sitemaps(body, "https://example.org/robots.txt"):
        assert url.lower().startswith(("http://", "https://"))

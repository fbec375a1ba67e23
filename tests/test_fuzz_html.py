"""Fuzzing what reads hostile HTML and CSS: the article extractor (normalise's
extract_article), the link extractor the crawler runs on every page (capture.links.extract)
and content decoding (web.decoding.decode_body), over arbitrary bytes and over the real
pages of fixtures/html/ and fixtures/normalise/, mutated.

Property: each returns its result (problems recorded in it) and never raises, and what it
returns stays within its documented bounds.
"""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from helpers_fuzz import FUZZ, corpus, mutated
from preserve.capture.links import MAX_LINKS, extract
from preserve.normalise import Article, extract_article
from preserve.web.decoding import decode_body

PAGES = corpus("html", (".html", ".xhtml", ".css")) + corpus("normalise", (".html",))
URLS = st.sampled_from([None, "https://example.org/news/2024/01/a-page/", "http://[::1]/",
                        "https://example.org/%zz/", "not a url", "http://exa mple.org/",
                        "https://example.org:99999/", ""])
CHARSETS = st.sampled_from([None, "utf-8", "iso-8859-1", "utf-16", "utf-16-be", "utf-32",
                            "x-no-such-charset", "", "utf-7", "cp1252", "shift_jis",
                            "\x00", "big5-hkscs", "iso-2022-jp"])
page_bytes = st.one_of(mutated(PAGES), st.binary(max_size=4096),
                       st.text(alphabet='<>/="\' abdhilmprtv!-&#;x0\n', max_size=600)
                       .map(str.encode))
DEEP = b"<div>" * 100_000 + b"x"


@pytest.mark.slow
@FUZZ
@given(page=page_bytes, url=URLS, charset=CHARSETS)
@example(page=DEEP, url=None, charset=None)
@example(page=b"<p>a</p>", url=None, charset="\x00")  # codecs.lookup: ValueError
@example(page=b'<a href="https://[]x.org/">a</a>', url=None, charset=None)  # urlsplit
@example(page=b'<a href="a">a</a><img src="b">', url="http://[x/", charset=None)
@example(page=b'<link rel=canonical href="//[x/"><p>a</p>', url="http://a/", charset=None)
@example(page=b'<script type="application/ld+json">' + b"[" * 100_000 + b"</script>",
         url=None, charset=None)  # json.loads: RecursionError
@example(page=b"\xff\xfe<\x00h\x00", url=None, charset="utf-8")
@example(page=b"<meta charset=utf-7><p>+ADw-", url=None, charset=None)
def test_extract_article_never_raises(page: bytes, url: str | None,
                                      charset: str | None) -> None:
    article = extract_article(page, url, http_charset=charset)
    assert isinstance(article, Article)
    assert all(isinstance(p, str) and p for p in article.problems)
    json.dumps(article.to_dict())  # what normalise writes to articles.jsonl


@pytest.mark.slow
@FUZZ
@given(page=st.one_of(mutated(PAGES).map(lambda b: b.decode("utf-8", "replace")),
                      st.text(max_size=2000)), url=URLS)
def test_extract_article_on_text_never_raises(page: str, url: str | None) -> None:
    assert isinstance(extract_article(page, url), Article)


@FUZZ
@given(page=page_bytes,
       content_type=st.sampled_from(["text/html", "text/html; charset=utf-16",
                                     "application/xhtml+xml; charset=bogus", "text/css",
                                     "text/css; charset=utf-32", "image/png", "",
                                     "text/html; charset=\x00"]))
def test_link_extraction_never_raises(page: bytes, content_type: str) -> None:
    found = extract(page, "https://example.org/a/b.html", content_type)
    for urls in (found.links, found.embeds):
        assert len(urls) <= MAX_LINKS
        assert all(u.startswith(("http://", "https://")) for u in urls)


def _coded(body: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(body, mtime=0)
    if coding == "deflate":
        return zlib.compress(body)
    return body


@pytest.mark.slow
@FUZZ
@given(body=mutated(PAGES), coding=st.sampled_from(["gzip", "deflate", "gzip, deflate",
                                                    "br", "identity", "x-bogus"]),
       damage=st.integers(0, 40), limit=st.integers(0, 100_000))
@example(body=b"\x00" * 10_000_000, coding="gzip", damage=0, limit=1000)
def test_decode_body_is_bounded_and_never_raises(body: bytes, coding: str, damage: int,
                                                 limit: int) -> None:
    encoded = _coded(body, coding.split(",")[0].strip())
    if damage:
        cut = encoded[:-damage]
        encoded = cut if damage % 2 else encoded[:damage] + b"\x00" + encoded[damage:]
    decoded = decode_body(encoded, coding, limit)
    assert len(decoded) <= limit


@pytest.mark.parametrize(("page", "url", "charset"), [
    (b"<p>a</p>", None, "\x00"),
    (b'<a href="https://[]x.org/">a</a><p>words</p>', None, None),
    (b'<a href="a">a</a><img src="b"><p>words</p>', "http://[x/", None),
    (b'<link rel=canonical href="//[x/"><p>words</p>', "http://a/", None),
    (b'<script type="application/ld+json">' + b"[" * 100_000 + b"</script><p>words</p>",
     None, None),
], ids=["nul-charset", "bad-bracket-link", "bad-bracket-base", "bad-bracket-canonical",
        "deep-json-ld"])
def test_crashes_found_by_fuzzing_stay_fixed(page: bytes, url: str | None,
                                             charset: str | None) -> None:
    """The @examples above, also in the quick run (``-m "not slow"``)."""
    article = extract_article(page, url, http_charset=charset)
    assert isinstance(article, Article)
    extract(page, url or "https://example.org/", f"text/html; charset={charset}")

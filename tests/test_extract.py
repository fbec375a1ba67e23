"""extract_article on single pages: decoding, metadata sources, page types, bad input."""

from __future__ import annotations

import codecs

import pytest

from preserve import Article, extract_article
from preserve.normalise.article import PAGE_TYPES
from preserve.normalise.dates import parse_date, url_date
from preserve.web.html import decode_html, http_charset

PARAS = "".join(
    f"<p>Paragraph {i} of the speech on fisheries, farming and the rules of the single "
    f"market that the committee agreed after a long debate in Strasbourg.</p>" for i in range(8))


def page(head: str = "", body: str = PARAS, charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="{charset}">'
            f"<title>A speech &ndash; Site</title>{head}</head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news/'>News</a></nav>"
            f"<article><h1>A speech</h1>{body}</article>"
            f"<footer><p>Copyright the office.</p></footer></body></html>")


def test_body_metadata_and_markdown() -> None:
    head = ('<meta property="og:type" content="article">'
            '<meta property="article:published_time" content="2019-11-18T10:00:00Z">'
            '<meta name="author" content="Jane Doe"><link rel="canonical" href="/a/">')
    a = extract_article(page(head), "http://example.org/a/?utm=1")
    assert isinstance(a, Article)
    assert a.page_type == "article"
    assert a.title == "A speech"
    assert a.authors == ("Jane Doe",)
    assert a.published == "2019-11-18T10:00:00Z"
    assert a.language == "en-GB"
    assert a.canonical_url == "http://example.org/a/"
    assert a.body_text.startswith("Paragraph 0 of the speech")
    assert "Copyright" not in a.body_text and "Home" not in a.body_text
    assert a.body_markdown.startswith("Paragraph 0")
    assert a.word_count > 100
    assert a.to_dict()["provenance"] is None


def test_jsonld_wins_over_opengraph_and_dublin_core() -> None:
    head = ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
            '[{"@type": "NewsArticle", "headline": "From JSON-LD", "datePublished": '
            '"2020-01-02", "author": [{"@type": "Person", "name": "By Ann Smith"}], '
            '"keywords": "fish, farms"}]}</script>'
            '<meta property="og:title" content="From OG">'
            '<meta name="DC.title" content="From DC"><meta name="DC.date" content="2019-05-06">'
            '<meta name="DC.creator" content="Dee Sea">')
    a = extract_article(page(head), "http://example.org/2018/03/04/x")
    assert (a.title, a.published, a.authors, a.tags) == (
        "From JSON-LD", "2020-01-02", ("Ann Smith",), ("fish", "farms"))
    assert a.page_type == "article"


def test_dublin_core_then_time_then_url_date() -> None:
    dc = extract_article(page('<meta name="DC.date" content="2019-05-06">'
                              '<meta name="DC.creator" content="Dee Sea">'))
    assert dc.published == "2019-05-06" and dc.authors == ("Dee Sea",)
    timed = extract_article(page(body='<time datetime="2017-02-03T04:05">3 Feb</time>' + PARAS))
    assert timed.published == "2017-02-03T04:05:00"
    from_url = extract_article(page(), "http://example.org/news/2016/07/08/speech")
    assert from_url.published == "2016-07-08"


def test_byline_text() -> None:
    a = extract_article(page(body='<p class="byline">By Rob Roy</p>' + PARAS))
    assert a.authors == ("Rob Roy",)
    box = ('<p class="byline">Analysis by Ann Lee, Staff Writer</p>' + PARAS +
           '<div class="author-box"><span class="author">About Ann Lee</span></div>'
           '<div id="comments"><span class="author">Commenter Bob</span></div>')
    assert extract_article(page(body=box)).authors == ("Ann Lee",)


@pytest.mark.parametrize(("meta", "authors"), [
    ("Jill Disis, CNN Business", ("Jill Disis",)),
    ("By TOM KRISHER, AP Auto Writer", ("TOM KRISHER",)),
    ("Paul Von Trapp", ("Paul Von Trapp",)),
    ("Doe, john", ("Doe, john",)),
])
def test_author_names_are_cleaned(meta: str, authors: tuple[str, ...]) -> None:
    a = extract_article(page(f'<meta name="author" content="{meta}">'))
    assert a.authors == authors


def test_listing_is_not_an_article() -> None:
    teasers = "".join(
        f'<article><h2><a href="/n/{i}/">Story {i}</a></h2><p>A short teaser of story {i} '
        f'about the parliament.</p></article>' for i in range(10))
    html = f"<html><head><title>News</title></head><body><main>{teasers}</main></body></html>"
    assert extract_article(html, "http://example.org/news/").page_type == "listing"


def test_no_metadata_at_all() -> None:
    a = extract_article(f"<html><body>{PARAS}</body></html>")
    assert a.title is None and a.authors == () and a.published is None
    assert a.page_type == "article"  # long text: an article without metadata
    assert a.body_text.startswith("Paragraph 0")


@pytest.mark.parametrize(("http", "data", "encoding"), [
    (None, "<meta charset='windows-1252'><p>5 € für Müller</p>".encode("cp1252"), "cp1252"),
    ("iso-8859-1", "<p>5 € für Müller</p>".encode("cp1252"), "cp1252"),
    (None, codecs.BOM_UTF8 + "<p>5 € für Müller</p>".encode(), "utf-8"),
    (None, codecs.BOM_UTF16_LE + "<p>5 € für Müller</p>".encode("utf-16-le"), "utf-16-le"),
    ("utf-8", "<p>5 € für Müller</p>".encode("cp1252"), "cp1252"),  # a lying header
    ("windows-1252", "<p>5 € für Müller</p>".encode(), "utf-8"),  # UTF-8 under a legacy label
])
def test_decoding(http: str | None, data: bytes, encoding: str) -> None:
    decoded = decode_html(data, http)
    assert "5 € für Müller" in decoded.text
    assert decoded.encoding == encoding
    assert bool(decoded.problems) == (http in ("utf-8", "windows-1252"))


def test_http_charset() -> None:
    assert http_charset('text/html; charset="ISO-8859-1"') == "ISO-8859-1"
    assert http_charset("text/html") is None and http_charset(None) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2019-11-18T10:00:00+0100", "2019-11-18T10:00:00+01:00"),
    ("2019-11-18", "2019-11-18"),
    ("20191118", "2019-11-18"),
    ("Mon, 18 Nov 2019 10:00:00 GMT", "2019-11-18T10:00:00Z"),
    ("18 November 2019", "2019-11-18"),
    ("November 18th, 2019", "2019-11-18"),
    ("2019-02-30", None),
    ("not a date", None),
])
def test_parse_date(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


def test_url_date() -> None:
    assert url_date("https://x.example/2019/11/18/slug") == "2019-11-18"
    assert url_date("https://x.example/news/20191118-slug") == "2019-11-18"
    assert url_date("https://x.example/2019/13/45/") is None


BAD_INPUT = {
    "empty": b"",
    "whitespace": b" \r\n\t ",
    "binary junk": bytes(range(256)) * 64,
    "png": b"\x89PNG\r\n\x1a\n" + bytes(200),
    "pdf": b"%PDF-1.4\n" + bytes(range(256)),
    "truncated": b"<html><head><title>Cut</title></head><body><article><p>The text stops he",
    "absurd nesting": b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000,
    "nul bytes in html": b"<html><body><p>a\x00b</p></body></html>",
    "only a comment": b"<!-- nothing -->",
    "undeclared junk bytes": b"<html><body><p>" + bytes(range(128, 256)) + b"</p></body></html>",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_bad_input_never_raises(name: str) -> None:
    a = extract_article(BAD_INPUT[name], "http://example.org/bad")
    assert a.page_type in PAGE_TYPES
    if name in ("empty", "whitespace", "binary junk", "png", "pdf"):
        assert a.page_type == "other" and a.problems and a.body_text == ""
    if name == "absurd nesting":
        assert a.problems and a.problems[0].startswith("nesting:")
    assert isinstance(a.to_dict(), dict)


def test_huge_page_is_read_up_to_the_limit() -> None:
    huge = b"<html><body>" + b"<p>" + b"word " * 10_000_000 + b"</p></body></html>"
    assert len(huge) > 50_000_000
    a = extract_article(huge, max_bytes=500_000)
    assert any(p.startswith("size:") for p in a.problems)

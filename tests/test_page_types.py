"""Page types from the main content (docs/normalise.md, "Page types" and "Listings").

Pages are built the way Twenty Twenty-One, Drupal and NationBuilder themes write them:
the template around the content (widget areas with the "Latest Comments" widget's bare
<article> elements, comment sections, post navigation) must not change a page's type.
The pages saved from a real WordPress are in fixtures/normalise/ (wp-*.html).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from helpers_crawl import create, jsonl
from preserve import extract_article
from preserve.cli.render import normalise_line
from preserve.normalise.collection import normalise_collection
from preserve.normalise.listing import teaser_markdown, teaser_text
from preserve.normalise.pagetype import Teaser

PROSE = "".join(
    f"<p>Paragraph {i}: the fishing fleets of the north need a fair share of the quota, "
    "said the member in a debate on the common fisheries policy in Strasbourg.</p>"
    for i in range(5))
WIDGETS = """<aside class="widget-area"><section class="widget widget_block">
<h2>Recent Comments</h2><ol class="wp-block-latest-comments">""" + "".join(
    f'<li class="wp-block-latest-comments__comment"><article><footer>'
    f'<span class="wp-block-latest-comments__comment-author">Reader {i}</span> on '
    f'<a href="/2019/0{i}/01/post-{i}/#comment-{i}">Post {i}</a>'
    f'<time datetime="2024-0{i}-02T10:00:00+00:00">2 May</time></footer></article></li>'
    for i in range(1, 6)) + "</ol></section></aside>"
COMMENTS = """<div id="comments" class="comments-area"><h2 class="comments-title">3 comments
</h2><ol class="comment-list">""" + "".join(
    f'<li id="comment-{i}" class="comment"><article id="div-comment-{i}" class="comment-body">'
    f'<footer class="comment-meta"><b class="fn">Reader {i}</b> <time datetime='
    f'"2024-01-0{i}T10:00:00+00:00">1 January</time></footer><div class="comment-content">'
    f'<p>Comment {i}: thank you for the update on the quota.</p></div></article></li>'
    for i in range(1, 4)) + "</ol></div>"
POST_NAV = """<nav class="navigation post-navigation"><div class="nav-links">
<a href="/2019/01/01/older/" rel="prev">Older</a><a href="/2019/03/01/newer/" rel="next">Newer</a>
</div></nav>"""


def page(main: str, *, body: str = "", head: str = "", aside: str = WIDGETS) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><title>T</title>{head}</head>'
            f'<body class="{body}"><header id="masthead"><nav><a href="/">Home</a></nav>'
            f'</header><main id="main">{main}</main>{aside}<footer id="colophon">'
            "<p>Site footer</p></footer></body></html>")


def post(classes: str = "post type-post", dated: bool = True, extra: str = "") -> str:
    meta = ('<footer class="entry-footer"><span class="posted-on"><time class="entry-date '
            'published" datetime="2019-02-14T10:00:00+00:00">February 14, 2019</time>'
            '</span></footer>') if dated else ""
    return (f'<article id="post-5" class="{classes}"><header class="entry-header">'
            f'<h1 class="entry-title">Island ferries</h1></header><div class="entry-content">'
            f"{PROSE}{extra}</div>{meta}</article>")


def teaser(i: int, day: str = "2019-02-14") -> str:
    return (f'<article class="post type-post"><header class="entry-header"><h2 class='
            f'"entry-title"><a href="/2019/02/{i:02d}/story-{i}/">Story {i}</a></h2></header>'
            f'<div class="entry-content"><p>The excerpt of story {i}, the same words in '
            f'every teaser of every archive of this site.</p></div><footer class="entry-footer">'
            f'<time class="entry-date published" datetime="{day}T10:00:00+00:00">{day}</time>'
            "</footer></article>")


def kind(html: str, url: str = "http://example.org/2019/02/14/island-ferries/") -> str:
    return extract_article(html, url).page_type


def test_a_post_with_comments_and_the_latest_comments_widget_is_an_article() -> None:
    html = page(post() + POST_NAV + COMMENTS, body="single single-post")
    a = extract_article(html, "http://example.org/2019/02/14/island-ferries/")
    assert a.page_type == "article"
    assert a.published == "2019-02-14T10:00:00+00:00"


def test_the_rules_are_not_class_names_only() -> None:
    # Without WordPress's classes the widget and the comments still do not count, and a
    # dated post is an article by its date.
    html = page(post(classes="entry") + POST_NAV + COMMENTS)
    assert kind(html) == "article"


@pytest.mark.parametrize(("main", "body", "head"), [
    (post(classes="page type-page", dated=False), "page-template-default page page-id-2", ""),
    (post(classes="node node--type-page node--view-mode-full", dated=False),
     "path-node page-node-type-page", ""),
    (post(classes="entry", dated=False), "", ""),  # one undated, unsigned article
    (f"<h1>About</h1>{PROSE}", "", ""),  # a marked main region holding no item
    (post(classes="page type-page", dated=False), "page",
     '<meta property="og:type" content="article">'),  # Yoast writes this on pages too
])
def test_static_pages_are_pages(main: str, body: str, head: str) -> None:
    assert kind(page(main, body=body, head=head), "http://example.org/about/") == "page"


def test_a_webpage_declaration_without_structure_is_a_page() -> None:
    ld = ('<script type="application/ld+json">{"@context": "https://schema.org", '
          '"@type": "AboutPage", "name": "About"}</script>')
    html = f"<html><head>{ld}</head><body><div>{PROSE}</div></body></html>"
    assert kind(html, "http://example.org/about/") == "page"
    assert kind(f"<html><body><div>{PROSE}</div></body></html>") == "article"


def test_a_date_in_a_widget_is_not_the_page_date() -> None:
    html = page(post(classes="entry", dated=False))
    a = extract_article(html, "http://example.org/about/")
    assert a.page_type == "page" and a.published is None


def test_related_stories_after_an_article_do_not_make_a_listing() -> None:
    related = "".join(teaser(i) for i in range(1, 5))
    html = page(post(classes="entry") + f'<section class="more-stories">{related}</section>')
    assert kind(html) == "article"


def test_post_navigation_is_not_pagination() -> None:
    links = '<h2><a href="/report.pdf">The report</a></h2><h3><a href="/vote/">The vote</a></h3>'
    assert kind(page(post(classes="entry", extra=links) + POST_NAV)) == "article"


@pytest.mark.parametrize(("main", "body", "expected"), [
    ("".join(teaser(i) for i in range(1, 4)), "", "listing"),  # three items
    (teaser(1) + teaser(2) + '<nav class="navigation pagination"><a class="page-numbers" '
     'href="/page/2/">2</a></nav>', "", "listing"),  # two teasers and pagination
    (teaser(1), "archive date", "listing"),  # a day archive of one post
    (teaser(1), "", "other"),  # one teaser, and nothing says the page is an index
])
def test_listings(main: str, body: str, expected: str) -> None:
    html = page('<header class="page-header"><h1>Archives</h1></header>' + main, body=body)
    assert kind(html, "http://example.org/2019/02/") == expected


def test_a_listing_body_is_its_teasers() -> None:
    html = page("".join(teaser(i, f"2019-02-{i:02d}") for i in range(1, 4)), body="home blog")
    a = extract_article(html, "http://example.org/")
    assert a.page_type == "listing" and a.published is None
    assert a.body_text == ("Story 1 (2019-02-01)\nStory 2 (2019-02-02)\nStory 3 (2019-02-03)")
    assert a.body_markdown.splitlines()[0] == (
        "- [Story 1](http://example.org/2019/02/01/story-1/) (2019-02-01)")
    assert a.word_count == 15  # "Story 1 2019 02 01" three times


def test_teaser_rendering_escapes_markdown() -> None:
    teasers = [Teaser("A [draft] report", "http://example.org/a b/", None),
               Teaser("Vote", "http://example.org/v/", "2019-02-14T10:00:00+00:00")]
    assert teaser_text(teasers) == "A [draft] report\nVote (2019-02-14)"
    assert teaser_markdown(teasers) == ("- [A \\[draft\\] report](<http://example.org/a b/>)\n"
                                        "- [Vote](http://example.org/v/) (2019-02-14)")


def _http(body: bytes) -> StatusAndHeaders:
    return StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                       ("Content-Length", str(len(body)))], protocol="HTTP/1.1")


def test_archives_sharing_their_newest_post_are_not_duplicates(tmp_path: Path) -> None:
    home = page("".join(teaser(i) for i in (9, 8, 7, 6)), body="home blog").encode()
    tag = page("".join(teaser(i) for i in (9, 5, 3)), body="archive tag").encode()
    month = page(teaser(9), body="archive date").encode()
    other_tag = page(teaser(9), body="archive tag").encode()
    static = page(post(classes="page type-page", dated=False), body="page").encode()
    coll = create(tmp_path / "wp", ("http://example.org/",))
    with (coll.warcs / "wp-0001.warc.gz").open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url, body in [("http://example.org/", home), ("http://example.org/tag/t/", tag),
                          ("http://example.org/about/", static),
                          ("http://example.org/2019/02/", month),
                          ("http://example.org/tag/u/", other_tag),
                          ("http://example.org/tag/t/", tag)]:
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=_http(body)))
    summary = normalise_collection(coll)
    first, second, about, one, same_one, again = jsonl(coll.articles_path)
    assert [x["page_type"] for x in (first, second, about, one, same_one, again)] == [
        "listing", "listing", "page", "listing", "listing", "listing"]
    # Two archives listing the same single post are still two listings.
    assert one["body_text"] == same_one["body_text"] and same_one["duplicate_of"] is None
    assert first["duplicate_of"] is None and second["duplicate_of"] is None
    assert again["duplicate_of"] == second["id"]  # the same archive captured again
    assert (summary.listings, summary.static_pages, summary.articles) == (5, 1, 0)
    assert "0 articles, 1 static page, 5 listings, 0 other" in normalise_line(summary)


LONG = PROSE * 2  # ten paragraphs, about 280 words


def test_a_title_linking_to_the_page_itself_is_not_a_teaser() -> None:
    url = "http://example.org/2019/02/14/island-ferries/"
    own = (f'<article class="entry"><h2 class="entry-title"><a href="{url}" rel="bookmark">'
           f"Island ferries</a></h2>{PROSE}</article>")
    assert kind(page(own + teaser(1) + teaser(2)), url) == "article"


def test_an_article_among_many_related_teasers_is_an_article() -> None:
    # No <article> around the text, a kicker linking to the section above it, and more
    # teasers than paragraphs: the text stands alone, outside every teaser.
    text = ('<div class="content"><h2 class="kicker"><a href="/society/">Society</a></h2>'
            f'<h1>Island ferries</h1><p><time datetime="2019-02-14">14 Feb</time></p>{LONG}'
            "</div>")
    related = "".join(teaser(i) for i in range(1, 7))
    html = page(f'{text}<div class="related-grid">{related}</div>')
    assert kind(html) == "article"
    excerpts = page(f"<h1>News</h1>{related}")
    assert kind(excerpts, "http://example.org/news/") == "listing"


def test_an_article_dated_in_its_own_aside_keeps_its_date() -> None:
    html = page(f'<div class="story"><aside class="meta"><time datetime="2023-10-18">18 '
                f"October</time></aside><h1>Island ferries</h1>{PROSE}</div>"
                + COMMENTS.replace("2024-01-0", "2023-10-1"))
    a = extract_article(html, "http://example.org/island-ferries")
    assert a.published == "2023-10-18" and a.page_type == "article"
    only_comments = page(f"<h1>Island ferries</h1>{PROSE}" + COMMENTS)
    assert extract_article(only_comments, "http://example.org/x").published is None


@pytest.mark.parametrize("head", [
    '<meta property="og:type" content="Article">',
    '<script type="application/ld+json">{"@type": "DiscussionForumPosting"}</script>',
])
def test_declared_articles(head: str) -> None:
    html = page("".join(teaser(i) for i in range(1, 5)), head=head)
    assert kind(html) == "article"


def test_a_post_address_is_not_a_static_page() -> None:
    html = page(post(classes="entry", dated=False))
    assert kind(html, "http://blog.example.org/2015/06/through-the-glass.html") == "article"
    assert kind(html, "http://blog.example.org/through-the-glass.html") == "page"

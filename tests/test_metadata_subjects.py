"""Subjects (issue 15): tags and categories of the page's own article, never of a tag
cloud or a widget; the site's name; the article's Dublin Core view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from preserve import extract_article

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "normalise"
PARAS = "".join(
    f"<p>Paragraph {i} of the speech on fisheries, farming and the rules of the single "
    f"market that the committee agreed after a long debate in Strasbourg.</p>" for i in range(6))
CLOUD = ('<aside class="widget-area"><section class="widget widget_tag_cloud">'
         '<a href="/tag/a/" rel="tag">cloud-tag</a> <a href="/category/b/" rel="category tag">'
         'Cloud category</a></section></aside>')


def page(head: str = "", article: str = "", after: str = CLOUD,
         title: str = "A speech &ndash; Example Site", header: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>{title}</title>{head}</head><body>{header}"
            f"<nav><a href='/'>Home</a></nav>"
            f"<main><article><h1>A speech</h1>{PARAS}{article}</article>{after}</main>"
            f"<footer><p>Copyright the office.</p></footer></body></html>")


def extract(html: str):  # type: ignore[no-untyped-def]
    return extract_article(html, "http://example.org/2021/03/14/a-speech/")


@pytest.mark.parametrize("name", ["wp-twentytwentyone-bio", "wp-twentytwentyone-nobio",
                                  "nationbuilder-blog-post", "drupal-article"])
def test_cms_fixture_subjects(name: str) -> None:
    """Twenty Twenty-One's rel="tag" and rel="category tag" links, NationBuilder's page
    tags, Drupal's field--name-field-tags; never the tag clouds and lists beside them;
    the site's name from og:site_name or from the title and the header's site title."""
    spec = json.loads((CORPUS / f"{name}.expected.json").read_text("utf-8"))
    article = extract_article((CORPUS / f"{name}.html").read_bytes(), spec["url"]).to_dict()
    assert {k: article[k] for k in ("tags", "categories", "site_name")} == \
        {k: spec["fields"][k] for k in ("tags", "categories", "site_name")}


def test_rel_tag_and_rel_category_tag() -> None:
    links = ('<footer class="entry-footer">Categorised as <a href="/c/eu/" rel="category tag">'
             'Europe</a>, <a href="/c/farm/" rel="category tag">Farming</a> Tagged '
             '<a href="/t/cap/" rel="tag">CAP</a>, <a href="/t/subsidy/" rel="tag">subsidy</a>'
             ', <a href="/t/cap/" rel="tag">cap</a></footer>')
    a = extract(page(article=links))
    assert a.tags == ("CAP", "subsidy") and a.categories == ("Europe", "Farming")


def test_no_subjects_from_a_tag_cloud_alone() -> None:
    a = extract(page())
    assert a.tags == () and a.categories == ()


def test_structured_subjects_first() -> None:
    data = {"@type": "BlogPosting", "headline": "A speech",
            "keywords": "fisheries, quotas, fisheries", "articleSection": ["Europe", "Sea"]}
    head = (f'<script type="application/ld+json">{json.dumps(data)}</script>'
            '<meta property="article:tag" content="ignored">')
    a = extract(page(head, '<a href="/t/x/" rel="tag">ignored too</a>'))
    assert a.tags == ("fisheries", "quotas") and a.categories == ("Europe", "Sea")


def test_opengraph_tags_and_section() -> None:
    head = ('<meta property="article:tag" content="ferries">'
            '<meta property="article:tag" content="#islands">'
            '<meta property="article:section" content="Transport">')
    a = extract(page(head))
    assert a.tags == ("ferries", "islands") and a.categories == ("Transport",)


def test_tag_list_by_class_and_cloud_counts() -> None:
    tags = ('<div class="post-tags">Tags: <a href="/t/a/">health</a> <a href="/t/b/">'
            'parking</a> <a href="/t/c/">Elections (611 posts)</a></div>')
    assert extract(page(article=tags)).tags == ("health", "parking")


@pytest.mark.parametrize(("head", "title", "header", "site"), [
    ('<meta property="og:site_name" content="Og Site">'
     '<script type="application/ld+json">{"@type": "WebSite", "name": "Ld Site"}</script>',
     "A speech", "", "Og Site"),
    ('<script type="application/ld+json">{"@graph": [{"@type": "Article", "headline": "A",'
     ' "publisher": {"@id": "#org"}}, {"@type": "Organization", "@id": "#org",'
     ' "name": "The Office"}]}</script>', "A speech", "", "The Office"),
    ("", "A speech &ndash; Example Site", "", "Example Site"),
    ("", "Example Site | A speech", '<header><p class="site-title"><a href="/">Example Site'
     "</a></p></header>", "Example Site"),
    ('<meta property="og:title" content="A speech">', "Example Site &raquo; A speech", "",
     "Example Site"),
    ("", "A speech", '<header><div class="site-branding__name"><a href="/" rel="home">'
     "Example Site</a></div></header>", "Example Site"),
    ("", "A speech", "", None),
])
def test_site_name(head: str, title: str, header: str, site: str | None) -> None:
    assert extract(page(head, title=title, header=header, after="")).site_name == site


def test_the_title_is_not_the_site_when_the_h1_is_the_blog_name() -> None:
    html = page(title="Muffins, the recipe &ndash; Baking Blog", after="").replace(
        "<h1>A speech</h1>", "<h1>Baking Blog</h1>")
    assert extract(html).site_name is None


def test_dublin_core_view() -> None:
    head = ('<meta property="og:type" content="article">'
            '<meta property="article:published_time" content="2021-03-14T10:12:00Z">'
            '<meta name="author" content="Jane Doe">'
            '<meta property="article:tag" content="ferries">'
            '<meta property="article:section" content="Transport">')
    a = extract(page(head))
    assert a.dublin_core() == {
        "dc:title": "A speech", "dc:creator": ["Jane Doe"],
        "dc:subject": ["ferries", "Transport"], "dc:publisher": "Example Site",
        "dc:date": "2021-03-14T10:12:00Z", "dcterms:issued": "2021-03-14T10:12:00Z",
        "dc:type": "Text", "dc:format": "text/html",
        "dc:identifier": "http://example.org/2021/03/14/a-speech/",
        "dc:source": "http://example.org/2021/03/14/a-speech/", "dc:language": "en-GB"}


def test_categories_follow_tags_in_the_record() -> None:
    keys = list(extract(page()).to_dict())
    assert keys[keys.index("tags") + 1] == "categories"


@pytest.mark.parametrize("count", [1, 3])
def test_a_listing_has_no_subjects_of_its_teasers(count: int) -> None:
    """An archive page: each teaser's title links to its post, its footer names its
    categories and tags; none of them is the page's (a monthly archive may hold one)."""
    teasers = "".join(
        f'<article class="post"><header><h2 class="entry-title"><a href="/p/{i}/">Post {i}'
        f'</a></h2></header><p>Teaser {i}.</p><footer class="entry-footer">'
        f'<a href="/c/t/" rel="category tag">Transport</a> <a href="/t/f/" rel="tag">Ferries'
        f'</a> <span class="byline">By <a href="/author/a/" rel="author">Ann Lee</a></span>'
        f'</footer></article>' for i in range(count))
    html = (f"<html><head><title>March 2021 &ndash; Example Site</title></head><body>"
            f"<main><header><h1>Month: March 2021</h1></header>{teasers}</main></body></html>")
    a = extract_article(html, "http://example.org/2021/03/")
    assert (a.tags, a.categories, a.authors) == ((), (), ())


def test_a_post_whose_title_links_to_itself_is_the_page_article() -> None:
    """Older themes link a post's own title to its permalink; that is not a teaser."""
    html = ('<html><head><title>Ferries &ndash; Example Site</title></head><body><main>'
            '<article><h2><a href="/2021/03/ferries/#top">Ferries</a></h2>' + PARAS +
            '<footer><a href="/t/f/" rel="tag">ferries</a></footer></article></main>'
            '</body></html>')
    assert extract_article(html, "http://example.org/2021/03/ferries").tags == ("ferries",)
    teaser = html.replace("/2021/03/ferries/#top", "/2021/04/other/")
    assert extract_article(teaser, "http://example.org/2021/03/ferries").tags == ()

"""Authors as real sites write them (issue 15, "Bylines"): structured data first, then
the article's own byline; never link prose, a biography, a comment, a widget or a teaser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from preserve import extract_article
from preserve.normalise.authors import clean_names

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "normalise"
PARAS = "".join(
    f"<p>Paragraph {i} of the speech on fisheries, farming and the rules of the single "
    f"market that the committee agreed after a long debate in Strasbourg.</p>" for i in range(6))


def page(head: str = "", article: str = "", after: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>A speech &ndash; Site</title>{head}</head><body>"
            f"<nav><a href='/'>Home</a></nav>"
            f"<main><article><h1>A speech</h1>{article}{PARAS}</article>{after}</main>"
            f"<footer><p>Copyright the office.</p></footer></body></html>")


def authors(html: str) -> tuple[str, ...]:
    return extract_article(html, "http://example.org/2021/03/14/a-speech/").authors


@pytest.mark.parametrize("name", ["wp-twentytwentyone-bio", "wp-twentytwentyone-nobio",
                                  "nationbuilder-blog-post", "drupal-article"])
def test_cms_fixture_authors(name: str) -> None:
    """Twenty Twenty-One (pages saved from a real WordPress) names an author with a bio
    only in the bio box ("By Tomás Ó Briain" and the link "View all of Tomás Ó Briain's
    posts."); the comments and the Latest Comments widget name commenters."""
    spec = json.loads((CORPUS / f"{name}.expected.json").read_text("utf-8"))
    article = extract_article((CORPUS / f"{name}.html").read_bytes(), spec["url"])
    assert list(article.authors) == spec["fields"]["authors"]


def test_yoast_graph_author_by_reference() -> None:
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "Article", "@id": "http://example.org/a/#article",
         "author": {"@id": "http://example.org/#/schema/person/1"}, "headline": "A speech"},
        {"@type": "Person", "@id": "http://example.org/#/schema/person/1", "name": "Jo Bloggs"},
    ]}
    head = f'<script type="application/ld+json">{json.dumps(graph)}</script>'
    assert authors(page(head)) == ("Jo Bloggs",)


def test_a_person_in_the_byline_beats_an_organisation_as_author() -> None:
    data = {"@type": "NewsArticle", "headline": "A speech",
            "author": {"@type": "Organization", "name": "Daily Example"}}
    head = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    assert authors(page(head, '<div class="byline">By <span>Ann Lee</span></div>')) == \
        ("Ann Lee",)
    assert authors(page(head)) == ("Daily Example",)


@pytest.mark.parametrize("prose", [
    "View all of Jane Doe's posts.", "View all posts by Jane Doe", "Posts by Jane Doe",
    "More by Jane Doe", "Zeige alle Beiträge von Jane Doe", "Alle Beiträge von Jane Doe anzeigen",
    "Voir tous les articles de Jane Doe",
])
def test_name_read_out_of_link_prose(prose: str) -> None:
    link = f'<div class="author-box"><a href="/author/jane/" rel="author">{prose}</a></div>'
    assert authors(page(after=link)) == ("Jane Doe",)


def test_prose_without_a_name_is_not_an_author() -> None:
    link = '<p><a href="/author/jane/" rel="author">Read more about our team here.</a></p>'
    assert authors(page(article=link)) == ()


@pytest.mark.parametrize("byline", [
    "By Jane Doe", "Von Jane Doe", "Par Jane Doe", "Por Jane Doe", "di Jane Doe",
    "Door Jane Doe", "Av Jane Doe", "Przez Jane Doe", "Από Jane Doe", "Autor: Jane Doe",
    "Written by Jane Doe", "Posted by Jane Doe · March 3, 2021 2:13 PM",
    "Submitted by Jane Doe on Sun, 06/12/2026 - 21:00", "Jane Doe am 26/05/14, 07:41",
    "By Jane Doe | Example News", "Jane Doe <jane@example.org>",
])
def test_byline_forms_and_languages(byline: str) -> None:
    html = page(article=f'<p class="byline">{byline.replace("<", "&lt;")}</p>')
    assert authors(html) == ("Jane Doe",)


@pytest.mark.parametrize(("byline", "names"), [
    ("By Jane Doe and John Roe", ("Jane Doe", "John Roe")),
    ("Von Jane Doe und John Roe", ("Jane Doe", "John Roe")),
    ("Par Jane Doe et John Roe", ("Jane Doe", "John Roe")),
    ("Por Jane Doe y John Roe", ("Jane Doe", "John Roe")),
    ("By Jane Doe, John Roe and Ann Lee", ("Jane Doe", "John Roe", "Ann Lee")),
    ("By Jane Doe & John Roe", ("Jane Doe", "John Roe")),
    ("By Jane Doe, AP Writer", ("Jane Doe",)),
    ("By Jane Doe, New York", ("Jane Doe",)),
])
def test_several_authors_are_split(byline: str, names: tuple[str, ...]) -> None:
    assert authors(page(article=f'<p class="byline">{byline}</p>')) == names


def test_free_text_byline_beside_the_headline() -> None:
    assert authors(page(article="<p><em>Przez Jane Doe</em></p>")) == ("Jane Doe",)


def test_commenters_widgets_and_teasers_are_not_authors() -> None:
    comments = ('<div id="comments"><article class="comment-body"><div class="comment-author '
                'vcard"><b class="fn">Hamish Grant</b> says:</div><p>Well said.</p></article>'
                '</div>')
    widget = ('<aside class="widget-area"><section class="widget"><ol><li><article><footer>'
              '<a class="wp-block-latest-comments__comment-author" href="/">Morag Stewart</a>'
              ' on <a href="/x/">A speech</a></footer></article></li></ol></section></aside>')
    teaser = ('<section class="related-posts"><article><h3><a href="/b/">Another</a></h3>'
              '<span class="byline">By Iain Ross</span></article></section>')
    assert authors(page(after=comments + widget + teaser)) == ()
    signed = page(article='<span class="byline">By Ann Lee</span>',
                  after=comments + widget + teaser)
    assert authors(signed) == ("Ann Lee",)
    # An article's own aside holds its byline; a "widget" holding most of the page is a
    # wrapper (Blogger), not a widget beside the article.
    aside = page(article='<aside class="meta"><p class="byline">By Ann Lee</p></aside>',
                 after=comments + widget + teaser)
    assert authors(aside) == ("Ann Lee",)
    blogger = page(after=comments + widget + teaser).replace(
        "<main>", '<main><div class="widget Blog" id="Blog1">').replace(
        "</article>", '<span class="post-author vcard">Posted by <span class="fn">Ann Lee'
        "</span></span></article></div>")
    assert authors(blogger) == ("Ann Lee",)


def test_the_visible_byline_beats_a_meta_author() -> None:
    """A meta author is often the site's default (its owner, a CMS account)."""
    head = '<meta name="author" content="admin">'
    assert authors(page(head, '<p class="byline">By Ann Lee</p>')) == ("Ann Lee",)
    assert authors(page(head)) == ("admin",)


def test_the_site_itself_is_not_an_author() -> None:
    head = ('<meta name="author" content="Example News">'
            '<meta property="og:site_name" content="Example News">')
    assert authors(page(head, '<p class="byline">By Ann Lee</p>')) == ("Ann Lee",)


def test_a_domain_is_not_a_name() -> None:
    assert authors(page('<meta name="author" content="example.org">')) == ()


@pytest.mark.parametrize(("text", "names"), [
    ("Doe, Jane", ["Doe, Jane"]),
    ("Ursula von der Leyen", ["Ursula von der Leyen"]),
    ("Da Silva Santos", ["Da Silva Santos"]),
    ("di Mario Rossi", ["Mario Rossi"]),
    ("By Jane Doe 3 hours ago", ["Jane Doe"]),
    ("Photo: Reuters", []),
    ("14:57 Uhr", []),
    ("Beitrag von", []),
    ("https://example.org/jane", []),
])
def test_clean_names(text: str, names: list[str]) -> None:
    assert clean_names(text) == names

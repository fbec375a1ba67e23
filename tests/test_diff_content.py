"""What the change report compares: a page's own content, not the site's template.

Pages in the markup WordPress 6.1 writes with its Twenty Twenty-One theme (the post's
``<h1>`` in ``<header class="entry-header">`` inside ``<article>`` inside ``<main>``; the
site header, the footer widgets with "Recent Posts" and "Latest Comments", the footer's
date around it): a retitled post is a changed page; a change to the masthead, a widget
or the footer is not. The same holds for pages without ``<main>``.
"""

from __future__ import annotations

import pytest
from lxml import etree

from preserve.normalise.content import content_root, content_text
from preserve.web.html import parse_html

_TT1 = """<!doctype html>
<html lang="en-GB"><head><meta charset="UTF-8"><title>{title} &#8211; Eilidh MacLeod MEP</title>
<script>document.body.classList.add('js');</script></head>
<body class="post-template-default single single-post postid-12 wp-embed-responsive">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header has-title-and-tagline" role="banner">
<div class="site-branding"><h1 class="site-title"><a href="/">{site}</a></h1>
<p class="site-description">Member of the European Parliament</p></div>
<nav id="site-navigation" class="primary-navigation" role="navigation" aria-label="Primary menu">
<ul id="primary-menu-list" class="menu-wrapper"><li><a href="/about/">About</a></li>
<li><a href="/contact/">Contact</a></li>{menu}</ul></nav>
</header>
<div id="content" class="site-content"><div id="primary" class="content-area">
<main id="main" class="site-main">
<article id="post-12" class="post-12 post type-post status-publish format-standard hentry
 category-fisheries tag-scotland entry">
<header class="entry-header alignwide"><h1 class="entry-title">{title}</h1></header>
<div class="entry-content"><p>The Commission's proposal on fishing quotas for the North Sea
was debated in Strasbourg today, and I spoke for the coastal communities of the Highlands.</p>
<p>{body}</p></div>
<footer class="entry-footer default-max-width"><div class="posted-by"><span class="posted-on">
Published <time class="entry-date published updated" datetime="2021-03-04T10:00:00+00:00">March 4,
2021</time></span><span class="byline">By <a href="/author/eilidh/" rel="author">Eilidh
MacLeod</a></span></div><div class="post-taxonomies"><span class="cat-links">Categorized as
<a href="/category/fisheries/" rel="category tag">Fisheries</a></span></div></footer>
<div class="author-bio show-avatars"><h2 class="author-title">By Eilidh MacLeod</h2>
<p class="author-description">MEP for the Highlands and Islands.
<a class="author-link" href="/author/eilidh/" rel="author">View all of Eilidh MacLeod's
posts.</a></p></div>
</article>
<div id="comments" class="comments-area default-max-width show-avatars">
<h2 class="comments-title">{comments}</h2>
<ol class="comment-list"><li id="comment-3" class="comment even thread-even depth-1">
<article id="div-comment-3" class="comment-body"><p>Well said.</p></article></li></ol>
<div id="respond" class="comment-respond"><form action="/wp-comments-post.php" method="post"
id="commentform" class="comment-form"><textarea name="comment"></textarea></form></div></div>
<nav class="navigation post-navigation" role="navigation" aria-label="Posts">
<div class="nav-links"><div class="nav-previous"><a href="/2021/03/01/older/" rel="prev">
<p class="meta-nav">Previous post</p><p class="post-title">{previous}</p></a></div></div></nav>
</main></div></div>
<aside class="widget-area">
<section id="block-3" class="widget widget_block"><h2>Recent Posts</h2>
<ul class="wp-block-latest-posts__list wp-block-latest-posts"><li>
<a href="/2021/03/04/x/">{recent}</a></li></ul></section>
<section id="block-4" class="widget widget_block"><h2>Recent Comments</h2>
<ol class="wp-block-latest-comments"><li class="wp-block-latest-comments__comment">
<article><footer class="wp-block-latest-comments__comment-meta"><a
class="wp-block-latest-comments__comment-author" href="/">{commenter}</a> on <a
class="wp-block-latest-comments__comment-link" href="/x/#comment-3">{recent}</a></footer>
</article></li></ol></section></aside>
<footer id="colophon" class="site-footer" role="contentinfo">
<div class="site-info"><div class="site-name">{site}</div>
<div class="powered-by">Proudly powered by WordPress. Page generated {footer_date}.</div></div>
</footer></div></body></html>
"""

_BASE = dict(title="Fishing quotas: standing up for the Highlands", site="Eilidh MacLeod MEP",
             menu="", body="We must keep the quota for mackerel.", comments="One thought",
             previous="An older post", recent="The newest post", commenter="Iain",
             footer_date="4 March 2021")


def _text(**changed: str) -> str:
    doc, _ = parse_html(_TT1.format(**(_BASE | changed)))
    return content_text(doc)


def test_the_posts_own_title_is_content() -> None:
    text = _text()
    assert text.startswith("Fishing quotas: standing up for the Highlands")
    assert _text(title="Fishing quotas: a new title") != text


def test_the_body_is_content() -> None:
    assert _text(body="We must keep the quota for herring.") != _text()


@pytest.mark.parametrize("change", [
    {"site": "Eilidh MacLeod, former MEP"},  # the masthead and the footer
    {"menu": '<li><a href="/new/">New page</a></li>'},  # the main menu
    {"recent": "A post published since"},  # the "Recent Posts" and comments widgets
    {"commenter": "Morag"},
    {"footer_date": "5 March 2021"},  # a date in the footer
    {"previous": "A retitled older post"},  # the post navigation
    {"comments": "2 thoughts"},  # a new comment
])
def test_the_template_around_the_post_is_not_content(change: dict[str, str]) -> None:
    assert _text(**change) == _text()


def test_the_content_root_is_main_not_a_widgets_article() -> None:
    doc, _ = parse_html(_TT1.format(**_BASE))
    assert content_root(doc).get("id") == "main"


_NO_MAIN = """<html><body>
<header class="site-header"><p class="site-title">{site}</p><nav><a href="/">Home</a></nav></header>
<div class="wrap">
<aside class="sidebar"><article class="widget-post"><a href="/n/">{recent}</a></article></aside>
<article class="post"><header class="entry-header"><h1>{title}</h1></header>
<p>Text of the post, long enough to be the content of the page.</p></article>
</div>
<div id="footer">{footer}</div>
</body></html>"""


@pytest.mark.parametrize(("change", "differs"), [
    ({"title": "Another title"}, True),
    ({"site": "Renamed site"}, False),
    ({"recent": "Another recent post"}, False),
    ({"footer": "Updated 5 March"}, False),
])
def test_without_main_the_article_outside_the_chrome_is_the_root(
        change: dict[str, str], differs: bool) -> None:
    base = dict(site="Site", recent="Recent post", title="Title", footer="Updated 4 March")

    def text(**c: str) -> str:
        doc, _ = parse_html(_NO_MAIN.format(**(base | c)))
        return content_text(doc)

    assert (text(**change) != text()) is differs


def test_a_form_wrapping_the_whole_page_is_not_chrome() -> None:
    """An ASP.NET page lives in one <form>: dropping it would hide every change."""
    page = ("<html><body><form id='aspnetForm'><div><h1>{t}</h1><p>All the text of the page "
            "is here, inside the form.</p></div></form></body></html>")
    first, _ = parse_html(page.format(t="One"))
    second, _ = parse_html(page.format(t="Two"))
    assert content_text(first) != content_text(second)
    assert "inside the form" in content_text(first)


def test_scripts_and_styles_are_not_text() -> None:
    doc, _ = parse_html("<html><body><main><p>Words</p><script>var x = 1;</script>"
                        "<style>p {}</style></main></body></html>")
    assert content_text(doc) == "Words"
    assert isinstance(content_root(doc), etree._Element)

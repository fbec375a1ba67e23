"""The page's own article, as against what the template puts around it.

Bylines and subjects are read only from the article: a name in a comment, a "Latest
comments" widget or a related-post teaser, or a tag in a sidebar's tag cloud, belongs to
something else. The article is the ``<article>`` element holding the page's ``<h1>``,
else the only ``<article>`` outside the regions below unless it is a teaser (its first
heading links to another page); without one, the whole page (and then a page of
several articles, a listing, has none of its own: each is a teaser).

An element is *elsewhere* when, between it and the article, there is another
``<article>`` (a teaser, a related post, a comment in some themes) or any zone of
regions.py (docs/normalise.md, "Regions": navigation, the site's header, footer and
aside, forms, comments, widgets, sidebars, related posts, teasers). This reader's policy:
a zone recognised by its class or id alone that holds more than half of the page's text
is a wrapper, not a region beside the article (comments excepted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urljoin

from lxml import etree

from . import regions

__all__ = ["Page", "main_article", "elsewhere"]

_ARTICLE_WITH_H1 = etree.XPath("(//article[.//h1])[1]")
_CLASSES = etree.XPath("//@class")
# A teaser's first heading links to the article it stands for.
_HEADING_LINKS = etree.XPath("(.//*[self::h1 or self::h2 or self::h3])[1]//a/@href")
_ARTICLES = etree.XPath("//article")
_TEXT_LENGTH = etree.XPath("string-length(.)")


def _same_page(href: str, url: str | None) -> bool:
    if url is None:
        return False
    try:
        target = urldefrag(urljoin(url, href.strip()))[0]
    except ValueError:
        return False
    return target.rstrip("/") == urldefrag(url)[0].rstrip("/")


def _teaser(article: etree._Element, url: str | None) -> bool:
    """Whether the article's first heading links to another page (a teaser's title
    links to its post; a post's own title may link to itself)."""
    hrefs: list[str] = _HEADING_LINKS(article)
    return bool(hrefs) and not _same_page(hrefs[0], url)


def main_article(doc: etree._Element, page_chars: Callable[[], int] | None = None,
                 url: str | None = None) -> etree._Element | None:
    """The ``<article>`` holding the ``<h1>``, else the only one not elsewhere unless it
    is a teaser (its first heading a link to another page than ``url``). A page of
    several articles none of which holds the headline is a list of teasers: it has no
    article of its own, and everything in its articles is elsewhere. ``page_chars`` as
    for ``elsewhere``."""
    found: list[etree._Element] = _ARTICLE_WITH_H1(doc)
    if found and not elsewhere(found[0], None, page_chars):
        return found[0]
    articles: list[etree._Element] = _ARTICLES(doc)
    own = [a for a in articles[:50] if not elsewhere(a, None, page_chars)]
    if len(own) == 1 and not _teaser(own[0], url):
        return own[0]
    return None


def elsewhere(el: etree._Element, article: etree._Element | None,
              page_chars: Callable[[], int] | None = None) -> bool:
    """Whether ``el`` belongs to something other than ``article`` (the page's article,
    from ``main_article``; None when the page has none). With ``page_chars`` (the
    length of the page's text), a region named as a sidebar or widget that holds more
    than half of the page's text is a wrapper, not a region beside the article."""
    chain = [el, *el.iterancestors()]
    inside = [regions.OUTSIDE] * len(chain)  # where chain[i] is (regions.where)
    above = regions.OUTSIDE
    for i in range(len(chain) - 1, -1, -1):
        inside[i] = above
        if chain[i].tag == "article":
            above = regions.IN_ARTICLE
        elif above == regions.OUTSIDE and regions.is_content(chain[i]):
            above = regions.IN_MAIN
    end = chain.index(article) if article is not None and article in chain else len(chain)
    for i in range(end):
        node = chain[i]
        if i > 0 and node.tag == "article":
            return True  # another article: a teaser, a related post
        if regions.tag_zone(node, inside[i]) is not None:
            return True
        kind = regions.name_zone(regions.names_of(node))
        if kind is None:
            continue
        if kind != regions.COMMENTS and page_chars is not None and \
                _TEXT_LENGTH(node) > regions.WRAPPER_SHARE * page_chars():
            continue  # a wrapper
        return True
    return False


class Page:
    """What the readers of one page share, each found once and only when first asked
    for: the page's article, and the values of its class attributes (each with
    ``getparent()``, the element)."""

    def __init__(self, doc: etree._Element, url: str | None = None) -> None:
        self.doc = doc
        self.url = url
        self._article: list[etree._Element | None] = []
        self._classes: list[Any] | None = None
        self._chars: int | None = None

    @property
    def article(self) -> etree._Element | None:
        if not self._article:
            self._article.append(main_article(self.doc, self.text_length, self.url))
        return self._article[0]

    @property
    def classes(self) -> list[Any]:
        if self._classes is None:
            self._classes = _CLASSES(self.doc)
        return self._classes

    def text_length(self) -> int:
        if self._chars is None:
            self._chars = int(_TEXT_LENGTH(self.doc))
        return self._chars

    def elsewhere(self, el: etree._Element) -> bool:
        return elsewhere(el, self.article, self.text_length)

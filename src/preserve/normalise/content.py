"""A page's own content without the site's chrome: the text ``preserve diff`` compares.

The *content root* is the page's ``<main>`` (or its element with ``role="main"``); without
one, its ``<article>`` when it has exactly one outside the chrome; else the ``<body>``.
Inside it, what native.py marks as boilerplate by markup is chrome and left out (``nav``,
``aside``, ``footer``, ``form``, ``menu``, hidden elements, navigation and complementary
roles, classes and ids such as ``sidebar``, ``widget``, ``share``, ``comments``,
``author-bio``), with native.py's two corrections: a marked region holding more than half
of the text is a wrapper, not chrome, and one holding an element named as an article body
(``entry-content``) is kept. A ``<header>`` is chrome only outside any ``main`` or
``article``: the site's masthead goes, the post's ``<header class="entry-header">`` with
its ``<h1>`` stays, so a retitled post is a changed page.

The same rules decide what normalise's scorer counts as boilerplate, so the diff calls a
page changed when what an archive keeps of it changed, not when a "Recent posts" widget,
a footer date or the menu did.
"""

from __future__ import annotations

from lxml import etree

from ..web.html import text_content
from .native import _ARTICLE_BODY, _BOILER, WRAPPER_SHARE, _mark

__all__ = ["content_root", "content_text"]

_MAINS = etree.XPath("//main | //*[@role='main']")
_ARTICLES = etree.XPath("//article")
# Never text a reader sees.
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "head",
                       "title", "button", "select", "option", "object", "embed"})
_CONTENT_TAGS = frozenset({"main", "article"})


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def _inside(el: etree._Element, tags: frozenset[str]) -> bool:
    return any(_tag(a) in tags for a in el.iterancestors())


def _chrome_region(el: etree._Element) -> bool:
    """``el`` is marked as chrome by its markup (native.py's boilerplate marks)."""
    return _mark(el, _tag(el)) == _BOILER


def content_root(doc: etree._Element) -> etree._Element:
    """The element holding the page's own content (see the module docstring)."""
    mains: list[etree._Element] = _MAINS(doc)
    if mains:
        main: etree._Element = mains[0]
        return main
    found: list[etree._Element] = _ARTICLES(doc)
    articles = [a for a in found if not any(_chrome_region(p) for p in a.iterancestors())]
    if len(articles) == 1:
        return articles[0]
    body = doc.find(".//body")
    return body if body is not None else doc


def _names_body(el: etree._Element) -> bool:
    """An element inside ``el`` is named as an article body (``entry-content``)."""
    return any(isinstance(d.tag, str) and _mark(d, _tag(d)) == _ARTICLE_BODY
               for d in el.iterdescendants())


def content_text(doc: etree._Element) -> str:
    """The text of the page's content root without its chrome, white space collapsed."""
    root = content_root(doc)
    total = len(text_content(root)) or 1
    top = _tag(root) not in _CONTENT_TAGS  # the body: a site header is chrome here
    parts: list[str] = []

    def chrome(el: etree._Element, tag: str) -> bool:
        if tag in _NOT_TEXT:
            return True
        marked = _chrome_region(el) or (top and tag == "header"
                                        and not _inside(el, _CONTENT_TAGS))
        if not marked:
            return False
        return len(text_content(el)) <= WRAPPER_SHARE * total and not _names_body(el)

    def walk(el: etree._Element) -> None:
        if el.text:
            parts.append(el.text)
        for child in el:
            if isinstance(child.tag, str) and not chrome(child, _tag(child)):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(root)
    return " ".join("".join(parts).split())

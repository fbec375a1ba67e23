"""A page's own content without the site's chrome: the text ``preserve diff`` compares.

The *content root* is the page's main region (regions.py: its ``<main>``, else its element
with ``role="main"``; not the ``#content``-style ids, which often hold the sidebar too);
without one, its ``<article>`` when it has exactly one outside the chrome; else the
``<body>``. Inside it, what the body scorer (native.py) marks as boilerplate by markup is
chrome and left out (the template zones of docs/normalise.md, "Regions", and the scorer's
own words: ``share``, ``author-bio`` ...), with the scorer's two corrections: a marked
region holding more than half of the text is a wrapper, not chrome, and one holding an
element named as an article body (``entry-content``) is kept. A ``<header>`` is chrome
when it is the site's (regions.py): the site's masthead goes, the post's
``<header class="entry-header">`` with its ``<h1>`` stays, so a retitled post is a
changed page.

The same rules decide what normalise's scorer counts as boilerplate, so the diff calls a
page changed when what an archive keeps of it changed, not when a "Recent posts" widget,
a footer date or the menu did.
"""

from __future__ import annotations

from lxml import etree

from ..web.html import text_content
from . import regions
from .native import article_body, boilerplate

__all__ = ["content_root", "content_text"]

_ARTICLES = etree.XPath("//article")
# Never text a reader sees.
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "head",
                       "title", "button", "select", "option", "object", "embed"})


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def content_root(doc: etree._Element) -> etree._Element:
    """The element holding the page's own content (see the module docstring)."""
    main, marked = regions.main_region(doc, by_id=False)
    if marked:
        return main
    found: list[etree._Element] = _ARTICLES(doc)
    articles = [a for a in found if not any(boilerplate(p) for p in a.iterancestors())]
    if len(articles) == 1:
        return articles[0]
    body = regions.body_of(doc)
    return body if body is not None else doc


def _names_body(el: etree._Element) -> bool:
    """An element inside ``el`` is named as an article body (``entry-content``)."""
    return any(article_body(d) for d in el.iterdescendants())


def content_text(doc: etree._Element) -> str:
    """The text of the page's content root without its chrome, white space collapsed."""
    root = content_root(doc)
    total = len(text_content(root)) or 1
    top = _tag(root) not in regions.CONTENT_TAGS  # the body: a site header is chrome here
    parts: list[str] = []

    def chrome(el: etree._Element, tag: str) -> bool:
        if tag in _NOT_TEXT:
            return True
        marked = boilerplate(el) or (
            top and tag == "header" and regions.tag_zone(el, regions.where(el)) is not None)
        if not marked:
            return False
        return len(text_content(el)) <= regions.WRAPPER_SHARE * total and not _names_body(el)

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

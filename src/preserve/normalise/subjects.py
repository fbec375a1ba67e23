"""What the page's article is about, and whose site it is: tags, categories, site name.

Tags, strongest first (the first source that gives any gives all):

1. JSON-LD ``keywords`` of the article object (a list, or a comma-separated string).
2. ``article:tag`` meta elements.
3. ``rel=tag`` links of the page's article (``rel="category tag"`` is a category), then
   the links in an element of the article classed as its tag list (``tags-links``,
   ``post-tags``, ``page-tags``, Drupal's ``field--name-field-tags`` ...).
4. ``DC.subject``/``dcterms.subject``, then ``keywords``/``news_keywords`` meta.

Categories likewise: JSON-LD ``articleSection``; ``article:section``; links with
``rel="category"`` (WordPress writes ``rel="category tag"``), then the links of an element
classed as the article's categories (``cat-links``, ``post-categories``,
``field--name-field-category`` ...).

Links are read only from the page's article (``scope``): a tag cloud in a sidebar, a
widget or the site's footer lists the whole site's tags, not this page's. Values are
stripped of white space and a leading ``#``, deduplicated (ignoring case) in the page's
order.

The site name: ``og:site_name``; JSON-LD: a ``WebSite``'s ``name``, then the article's
``publisher`` name; ``application-name`` or ``DC.publisher`` meta; then the page's
``<title>``: the part (split at " – ", " | ", " - " ...) that is the header's site-title
link (classed ``site-title``, ``site-name`` or ``site-branding__name``, or a link
``rel=home``), else the part that is not the page's own title; else the site-title text
alone. The page's own title counts here on either side when the page declared it
(JSON-LD, OpenGraph, Dublin Core or other meta); an ``<h1>`` is often the blog's name,
so a title from it counts only first of two parts ("Post – Site").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from . import scope

__all__ = ["Subjects", "read_subjects", "TITLE_SEPARATOR"]

TITLE_SEPARATOR = re.compile(r"\s+[|\u2013\u2014\-:\u00bb\u00b7]\s+")
_SEPARATOR_CHARS = " |\u2013\u2014-:\u00bb\u00b7"
_SPACE = re.compile(r"\s+")
_MAX_SUBJECTS = 50
_COUNT = re.compile(r"\(\d+(?:\s+\w+)?\)$")
_RELS = etree.XPath("//a[@rel]")
# Class names of the article's own tag and category lists (whole class tokens).
_TAG_LISTS = frozenset({
    "tags-links", "tag-links", "post-tags", "entry-tags", "page-tags", "article-tags",
    "tags", "tag-list", "taglist", "post-tag", "field--name-field-tags", "meta-tags",
    "story-tags", "blog-tags", "wp-block-post-terms", "taxonomy-post_tag",
})
_CATEGORY_LISTS = frozenset({
    "cat-links", "category-links", "post-categories", "entry-categories", "categories",
    "post-category", "entry-category", "article-categories", "field--name-field-category",
    "field--name-field-categories", "taxonomy-category",
})
_SITE_TITLE_CLASSES = frozenset({"site-title", "site-name", "site-branding__name"})
_HOME_LINKS = etree.XPath('//a[contains(concat(" ", normalize-space(@rel), " "), " home ")]')
_TITLE = etree.XPath("//title")


class Subjects:
    """Tags, categories and site name, each with the source that gave it."""

    def __init__(self) -> None:
        self.tags: list[str] = []
        self.categories: list[str] = []
        self.site_name: str | None = None
        self.sources: dict[str, str] = {}

    def offer(self, name: str, value: Any, source: str) -> None:
        if name in self.sources or not value:
            return
        setattr(self, name, value)
        self.sources[name] = source


def _clean(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def terms(values: Iterable[Any]) -> list[str]:
    """Cleaned, deduplicated (ignoring case), in order; at most 50."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            continue
        term = _clean(value).lstrip("#").strip(" ,;")
        if _COUNT.search(term):
            continue  # "Elections (611 posts)": a tag cloud's entry, the site's tags
        if term and len(term) <= 100 and term.casefold() not in seen:
            seen.add(term.casefold())
            out.append(term)
            if len(out) >= _MAX_SUBJECTS:
                break
    return out


def _split(value: Any) -> list[Any]:
    """A JSON-LD value: a list, or one string of comma-separated terms."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return value.split(",")
    return []


def _text(el: etree._Element) -> str:
    return _clean("".join(el.itertext()))


def _article_links(page: scope.Page) -> tuple[list[str], list[str]]:
    """(tags, categories) from rel links, then from the article's tag and category lists."""
    tags: list[str] = []
    categories: list[str] = []
    links: list[etree._Element] = _RELS(page.doc)
    for a in links:
        rel = (a.get("rel") or "").lower().split()
        if "tag" not in rel and "category" not in rel:
            continue
        if page.elsewhere(a):
            continue
        (categories if "category" in rel else tags).append(_text(a))
    if tags and categories:
        return tags, categories
    listed_tags: list[str] = []
    listed_categories: list[str] = []
    for value in page.classes:
        if "tag" not in value and "cat" not in value:
            continue
        el, names = value.getparent(), set(value.split())
        is_tags, is_categories = names & _TAG_LISTS, names & _CATEGORY_LISTS
        if not (is_tags or is_categories) or page.elsewhere(el):
            continue
        found = [_text(a) for a in el.iter("a") if a.get("href")]
        (listed_tags if is_tags else listed_categories).extend(found)
    return tags or listed_tags, categories or listed_categories


def _title_parts(doc: etree._Element) -> list[str]:
    titles: list[etree._Element] = _TITLE(doc)
    for title in titles:
        if any(a.tag == "svg" for a in title.iterancestors()):
            continue
        text = _clean("".join(title.itertext()))
        if text:
            parts = (_clean(x).strip(_SEPARATOR_CHARS) for x in TITLE_SEPARATOR.split(text))
            return [p for p in parts if p]
    return []


def _header_texts(page: scope.Page) -> tuple[list[str], list[str]]:
    """(site-title texts, link-home texts) of the page's header."""
    found = [v.getparent() for v in page.classes
             if "site" in v and _SITE_TITLE_CLASSES & set(v.split())]
    titles = [_text(el) for el in found[:5]
              if not any(a.tag == "article" for a in el.iterancestors())]
    homes = [_text(a) for a in _HOME_LINKS(page.doc)[:5]]
    return ([t for t in titles if t and len(t) <= 100],
            [t for t in homes if t and len(t) <= 100])


def _site_from_title(page: scope.Page, page_title: str | None, h1_title: str | None
                     ) -> str | None:
    parts = _title_parts(page.doc)
    titles, homes = _header_texts(page)
    for header in titles + homes:
        for part in parts:
            if part.casefold() == header.casefold():
                return part
    if len(parts) >= 2 and page_title:
        own = page_title.casefold()
        if parts[0].casefold() == own:
            return parts[-1]
        if parts[-1].casefold() == own:
            return parts[0]
    elif len(parts) == 2 and h1_title and parts[0].casefold() == h1_title.casefold():
        return parts[1]  # "Post – Site", as WordPress, Drupal and most themes write it
    return titles[0] if titles else None


def _resolve(value: Any, index: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, dict) and isinstance(value.get("@id"), str) and "name" not in value:
        return index.get(value["@id"], value)
    return value


def read_subjects(page: scope.Page, objects: list[dict[str, Any]],
                  article_types: frozenset[str], values: dict[str, list[str]],
                  page_title: str | None, h1_title: str | None = None) -> Subjects:
    """Tags, categories and the site name by the order above. ``objects`` are the page's
    JSON-LD objects, ``values`` its meta elements (lower-cased key to contents),
    ``page_title`` the article's title as the page declared it, ``h1_title`` as its
    ``<h1>`` gives it."""
    out = Subjects()
    index = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    articles = [o for o in objects if _types(o) & article_types]
    for obj in articles:
        out.offer("tags", terms(_split(obj.get("keywords"))), "json-ld")
        out.offer("categories", terms(_split(obj.get("articleSection"))), "json-ld")
    out.offer("tags", terms(values.get("article:tag", [])), "opengraph")
    out.offer("categories", terms(values.get("article:section", [])), "opengraph")
    if "tags" not in out.sources or "categories" not in out.sources:
        tags, categories = _article_links(page)
        out.offer("tags", terms(tags), "links")
        out.offer("categories", terms(categories), "links")
    out.offer("tags", terms(values.get("dc.subject", []) + values.get("dcterms.subject", [])),
              "dublin-core")
    out.offer("tags", terms(v for key in ("keywords", "news_keywords")
                            for value in values.get(key, []) for v in value.split(",")),
              "meta")

    out.offer("site_name", _clean((values.get("og:site_name") or [""])[0]), "opengraph")
    names = [o.get("name") for o in objects if "website" in _types(o)]
    names += [_resolve(o.get("publisher"), index) for o in articles]
    for name in names:
        if isinstance(name, dict):
            name = name.get("name")
        out.offer("site_name", _clean(name) if isinstance(name, str) else "", "json-ld")
    for key in ("application-name", "dc.publisher", "dcterms.publisher"):
        out.offer("site_name", _clean((values.get(key) or [""])[0]), "meta")
    if "site_name" not in out.sources:
        out.offer("site_name", _site_from_title(page, page_title, h1_title), "title")
    return out


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    return {str(x).rsplit("/", 1)[-1].lower() for x in items if isinstance(x, str)}

"""Page metadata from every source a page offers, strongest first.

For each field the first source that gives a value wins, in this order (documented in
docs/normalise.md):

1. JSON-LD: schema.org Article types (NewsArticle, BlogPosting, ...), also inside @graph;
   any other object only for ``inLanguage``.
2. OpenGraph ``og:*`` and ``article:*`` properties.
3. Dublin Core ``DC.*`` and ``dcterms.*`` meta elements.
4. Other common meta elements (``description``, ``twitter:*``,
   ``citation_*``, ``parsely-*``, ``pubdate``), ``<link rel=canonical>``, ``<html lang>``.
5. Dates in the body (``pagedates.py``), never from regions.py's template zones: a
   JSON-LD ``WebPage``'s ``dateModified``; microdata and hAtom attributes
   (``itemprop=datePublished``, ``class=published``); ``<time>`` (a ``datePublished``/
   ``pubdate`` one first); then a date in the URL path (/2019/11/18/); then a date line
   written out, in any of the EU's 24 languages.
6. Authors, and tags, categories and the site name, have their own order of sources
   (structured data, then the page's own article): see ``authors`` and ``subjects``.
7. (The URL's date is read with the body's, in 5.)
8. Heuristics: the ``<h1>``, the ``<title>`` less its " – Site" suffix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from .authors import jsonld_authors, meta_authors, page_authors
from .dates import parse_date, url_date
from .pagedates import markup_dates, text_date, time_date, title_date
from .scope import Page
from .subjects import TITLE_SEPARATOR, read_subjects

__all__ = ["Metadata", "extract_metadata", "ARTICLE_TYPES", "BODY_DATE_SOURCES"]

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "scholarlyarticle",
    "techarticle", "socialmediaposting", "liveblogposting", "report", "posting",
    "advertisercontentarticle", "satiricalarticle", "medicalscholarlyarticle", "review",
})
# Dates read from the page's body or URL: on a listing, its first teaser's, not its own.
BODY_DATE_SOURCES = frozenset({"markup", "time", "url", "text"})
_SPACE = re.compile(r"\s+")
_MAX_JSONLD = 1_000_000


@dataclass
class Metadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    schema_types: set[str] = field(default_factory=set)
    og_type: str | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def offer(self, name: str, value: Any, source: str) -> None:
        """Set ``name`` from ``source`` unless a stronger source already gave it."""
        if name in self.sources or value in (None, "", []):
            return
        setattr(self, name, value)
        self.sources[name] = source


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = _SPACE.sub(" ", value).strip()
    return text or None


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    return {str(x).rsplit("/", 1)[-1].lower() for x in items if isinstance(x, str)}


def _jsonld_objects(doc: etree._Element) -> Iterator[dict[str, Any]]:
    for script in doc.iterfind('.//script[@type="application/ld+json"]'):
        text = (script.text or "").strip()
        if not text or len(text) > _MAX_JSONLD:
            continue
        try:
            data = json.loads(text)
        except RecursionError:  # nested deeper than the interpreter allows: a hostile page
            continue
        except ValueError:
            try:  # a common slip: raw newlines inside strings
                data = json.loads(text.replace("\n", " ").replace("\r", " "))
            except (ValueError, RecursionError):
                continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                yield obj
                graph = obj.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)


def _from_jsonld(objects: list[dict[str, Any]], meta: Metadata) -> str | None:
    """Read the JSON-LD; return the ``dateModified`` of a non-article object (a
    ``WebPage``), which ranks below the head's meta elements. Its ``datePublished`` is not
    taken: Yoast and other SEO plugins write one on every page, static pages and archives
    too (on the metadata gate it was wrong on 8 of the 14 pages where it was the only
    source)."""
    page_modified: str | None = None
    for obj in objects:
        types = _types(obj)
        meta.schema_types |= types
        if types & ARTICLE_TYPES:
            meta.offer("title", _clean(obj.get("headline")) or _clean(obj.get("name")),
                       "json-ld")
            meta.offer("published", parse_date(_clean(obj.get("datePublished"))), "json-ld")
            meta.offer("modified", parse_date(_clean(obj.get("dateModified"))), "json-ld")
            meta.offer("description", _clean(obj.get("description")), "json-ld")
            page = obj.get("mainEntityOfPage")
            page_url = page.get("@id") if isinstance(page, dict) else page
            meta.offer("canonical_url", _clean(obj.get("url")) or _clean(page_url), "json-ld")
        elif page_modified is None:
            page_modified = parse_date(_clean(obj.get("dateModified")))
        if isinstance(obj.get("inLanguage"), str):
            meta.offer("language", _clean(obj["inLanguage"]), "json-ld")
    return page_modified


def _meta_values(doc: etree._Element) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for el in doc.iterfind(".//meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        content = _clean(el.get("content"))
        if key and content:
            values.setdefault(key.strip().lower(), []).append(content)
    return values


def _first(values: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if key in values:
            return values[key][0]
    return None


def _from_meta(doc: etree._Element, v: dict[str, list[str]], meta: Metadata) -> None:
    og = "opengraph"
    meta.og_type = _first(v, "og:type")
    meta.offer("title", _first(v, "og:title"), og)
    meta.offer("description", _first(v, "og:description"), og)
    meta.offer("published", parse_date(_first(
        v, "article:published_time", "og:article:published_time", "og:published_time")), og)
    meta.offer("modified", parse_date(_first(
        v, "article:modified_time", "og:article:modified_time", "og:updated_time")), og)
    meta.offer("canonical_url", _first(v, "og:url"), og)
    locale = _first(v, "og:locale")
    dc = "dublin-core"
    meta.offer("title", _first(v, "dc.title", "dcterms.title"), dc)
    meta.offer("published", parse_date(_first(
        v, "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date",
        "dc.date.created", "dcterms.created")), dc)
    meta.offer("modified", parse_date(_first(v, "dc.date.modified", "dcterms.modified")), dc)
    meta.offer("language", _first(v, "dc.language", "dcterms.language"), dc)
    meta.offer("description", _first(v, "dc.description", "dcterms.description",
                                      "dcterms.abstract"), dc)
    other = "meta"
    meta.offer("title", _first(v, "twitter:title", "citation_title", "parsely-title"), other)
    meta.offer("published", parse_date(_first(
        v, "citation_publication_date", "citation_date", "parsely-pub-date", "pubdate",
        "publishdate", "publish-date", "publish_date", "publication_date", "sailthru.date",
        "article.published", "date", "datepublished", "datecreated", "uploaddate")), other)
    meta.offer("modified", parse_date(_first(
        v, "datemodified", "last-modified", "article.updated", "dateupdate")), other)
    meta.offer("description", _first(v, "description", "twitter:description"), other)
    for link in doc.iterfind(".//link[@rel]"):
        href = link.get("href")
        if "canonical" in link.get("rel", "").lower().split() and href:
            meta.offer("canonical_url", href.strip(), "link")
            break
    html_el = doc if doc.tag == "html" else doc.find(".//html")
    if html_el is not None:
        meta.offer("language", _clean(html_el.get("lang") or html_el.get(
            "{http://www.w3.org/XML/1998/namespace}lang")), "html-lang")
    meta.offer("language", _first(v, "content-language", "language"), other)
    if locale:
        meta.offer("language", locale.replace("_", "-"), og)


def _text(el: etree._Element) -> str:
    return _SPACE.sub(" ", "".join(el.itertext())).strip()


def _from_page(doc: etree._Element, url: str | None, meta: Metadata,
               page_modified: str | None = None) -> None:
    """The page's own text: dates in the body, the URL, <h1>, <title>; each looked up
    only when no stronger source gave the field (the searches cost more than all the
    rest)."""
    meta.offer("modified", page_modified, "json-ld-page")
    if "published" not in meta.sources:
        _from_body_dates(doc, url, meta)
    if "title" not in meta.sources:
        h1 = doc.find(".//h1")
        meta.offer("title", _text(h1) if h1 is not None else None, "h1")
        title = doc.find(".//title")
        if title is not None and _text(title):
            text = _text(title)
            parts = TITLE_SEPARATOR.split(text)
            meta.offer("title", parts[0] if len(parts) > 1 and len(parts[0]) >= 10
                       else text, "title")


def _from_body_dates(doc: etree._Element, url: str | None, meta: Metadata) -> None:
    """Dates in the body (pagedates.py), then the URL: microdata first, then ``<time>``,
    then the URL, then a date line (a URL's date is the publication's; a written one may
    be an update's)."""
    published, modified = markup_dates(doc, meta.language)
    meta.offer("published", published, "markup")
    meta.offer("modified", modified, "markup")
    if "published" not in meta.sources:
        meta.offer("published", time_date(doc, meta.language), "time")
    meta.offer("published", url_date(url), "url")
    if "published" not in meta.sources:
        meta.offer("published", text_date(doc, meta.language), "text")
    if "published" not in meta.sources:
        meta.offer("published", title_date(doc, meta.language), "text")


def _read_subjects(page: Page, objects: list[dict[str, Any]],
                   values: dict[str, list[str]], meta: Metadata) -> None:
    """Tags, categories and the site name by ``subjects``' order of sources."""
    declared = meta.sources.get("title") in ("json-ld", "opengraph", "dublin-core", "meta")
    found = read_subjects(page, objects, ARTICLE_TYPES, values,
                          meta.title if declared else None,
                          meta.title if meta.sources.get("title") == "h1" else None)
    for name in ("tags", "categories", "site_name"):
        if name in found.sources:
            meta.offer(name, getattr(found, name), found.sources[name])


def _read_authors(page: Page, objects: list[dict[str, Any]],
                  values: dict[str, list[str]], meta: Metadata) -> None:
    """Authors by ``authors``' order of sources; a name that is the site's own is the
    publisher, not an author."""
    people, organisations = jsonld_authors(objects, ARTICLE_TYPES)
    site = (meta.site_name or "").casefold()

    def own(names: list[str]) -> list[str]:
        return [n for n in names if n.casefold() != site]

    meta.offer("authors", own(people), "json-ld")
    if "authors" not in meta.sources:
        names, kind = page_authors(page)
        meta.offer("authors", own(names), kind)
    meta.offer("authors", own(meta_authors(values)), "meta")
    meta.offer("authors", organisations, "json-ld")


def extract_metadata(doc: etree._Element, url: str | None = None) -> Metadata:
    """Read every source in order; ``doc`` is a parsed lxml document."""
    meta = Metadata()
    objects = list(_jsonld_objects(doc))
    values = _meta_values(doc)
    page_modified = _from_jsonld(objects, meta)
    _from_meta(doc, values, meta)
    _from_page(doc, url, meta, page_modified)
    page = Page(doc, url)
    _read_subjects(page, objects, values, meta)
    _read_authors(page, objects, values, meta)
    if meta.canonical_url and url:
        try:
            meta.canonical_url = urljoin(url, meta.canonical_url)
        except ValueError:  # a bad bracketed host (``https://[x/``) in either
            meta.canonical_url = None
    return meta

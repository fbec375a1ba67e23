"""The dates a page's body gives about itself, for pages whose head does not say
(docs/normalise.md, "Dates"): microdata and microformat attributes, ``<time>`` elements,
a date written out in an element that holds one (classed ``date``, ``meta``,
``byline``, ...), a date line just below the ``<h1>``. Never from the template's zones
(regions.py: comments, widgets, sidebars, navigation, related lists, the site's header
and footer, ...): a date there is another text's (``outside_content``); and never a date
that a line gives as a change's ("Updated ...").
"""

from __future__ import annotations

import re

from lxml import etree

from . import regions
from .dates import parse_date

__all__ = ["markup_dates", "time_date", "text_date", "title_date", "outside_content", "title_path"]

# Words of the class or id of a container whose dates are not the page's, on top of
# regions.py's zones: share bars, newsletters, breadcrumbs, cookie notices, banners,
# "read more" and "most read" boxes (a dates-only list: a date there is never the page's,
# though the other readers need not skip them).
_OTHER_TEXTS = frozenset({"share", "shares", "socialshare", "newsletter", "breadcrumb",
                          "breadcrumbs", "cookie", "cookies", "banner", "readmore",
                          "more", "most"})
# Regions' words for lists of other pages (related posts, teasers): they name one even
# beside a content word (DW's "relatedContent"), where regions.py reads the name as the
# content's own (entry-related); a date there is always another text's, and the article's
# containers are trusted already (``title_path``).
_LIST_WORDS = frozenset(w for w in regions.ZONE_WORDS
                        if regions.name_zone(w) in (regions.RELATED, regions.TEASERS))
_OTHER_WORDS = _OTHER_TEXTS | _LIST_WORDS
_CONTENT_TAGS = frozenset({"main", "body"})
_ENTRY = re.compile(r"(?:^|\s)h-?entry(?:\s|$)")
_MAX_TEXT = 150

# XPath compiled once (compiling per page costs as much as running). One pass finds every
# attribute-dated element (an XPath of attribute comparisons costs several times as
# much); the values are told apart in Python.
_ATTRIBUTED = etree.XPath(".//*[@itemprop or @property or (@class and (@title or @datetime))]")
_PUBLISHED_PROPS = frozenset({"datepublished", "datecreated", "dc:date", "dc:created",
                              "dcterms:created", "dcterms:issued", "schema:datecreated",
                              "schema:datepublished"})
_MODIFIED_PROPS = frozenset({"datemodified", "schema:datemodified", "dcterms:modified"})
_PUBLISHED_TIMES = etree.XPath(
    './/time[@datetime][@itemprop="datePublished" or @pubdate or '
    'contains(@class, "publish") or contains(@class, "entry-date") or '
    'contains(@class, "post-date")]')
_TIMES = etree.XPath(".//time")
_NAMED = etree.XPath(".//*[@class or @id]")
# Class or id of an element that holds a date line: "date", "datum", "posted-on",
# "entry-meta", "byline", "submitted", "article-info", "created" ...
_DATE_HOLDER = re.compile(r"date|datum|fecha|data|time|posted|publi|meta|byline|submitted|"
                          r"info|created|author", re.I)
# "Updated", "last modified" in the EU's languages: a date line that starts so gives the
# date of a change, not of the publication.
_UPDATED = re.compile(
    r"updated|modified|aktualisiert|geändert|mis à jour|modifié|actualizad|aggiornat|"
    r"atualizad|bijgewerkt|gewijzigd|zaktualizowan|aktualizován|aktualizovan|opdateret|"
    r"uppdaterad|päivitetty|frissítve|actualizat|ενημερώθηκε|ενημέρωση|актуализира|"
    r"posodobljeno|ažurirano|atjaunināt|atnaujinta|uuendatud|nuashonraithe|aġġornat", re.I)
_SKIP_TAGS = frozenset({"script", "style", "a", "time", "html", "body", "head"})
_NEAR_TITLE = etree.XPath("following::text()[normalize-space()][position() <= 12]")
_CONTENT_ROOTS = etree.XPath("(//*[self::article or self::main or @role='main'])[1]")


def title_path(doc: etree._Element) -> frozenset[etree._Element]:
    """The containers of the page's first ``<h1>``: the article's, whatever their class
    says (a theme may give the content column ``id=sidebar``)."""
    h1 = doc.find(".//h1")
    return frozenset(h1.iterancestors()) if h1 is not None else frozenset()


def outside_content(el: etree._Element,
                    trusted: frozenset[etree._Element] = frozenset()) -> bool:
    """True for an element in a template zone (regions.py, docs/normalise.md "Regions":
    comments, widgets, sidebars, navigation, related lists, the site's header, footer
    and aside, ...) but an ``<aside>`` inside the content, or in a container named by
    ``_OTHER_WORDS``. Read up to ``<main>`` or a microformat ``hentry``, and not on
    ``trusted`` containers (those of the page's title): a name on the layout
    ("has-sidebar") says nothing about the article inside it."""
    for a in el.iterancestors():
        tag = a.tag
        if not isinstance(tag, str):
            continue
        if tag in _CONTENT_TAGS:
            return False
        if a in trusted:
            continue
        names = regions.names_of(a)
        if _ENTRY.search(names):
            return False
        inside = regions.where(a)
        kind = regions.zone(a, inside)
        if kind == regions.ASIDE and tag == "aside" and inside != regions.OUTSIDE:
            kind = None  # an <aside> in the content: themes put the post's date in one
        if kind is not None:
            return True
        if regions.name_words(names) & _OTHER_WORDS:
            return True
    return False


def _attr_date(el: etree._Element, language: str | None) -> str | None:
    for attr in ("content", "datetime", "title"):
        when = parse_date(el.get(attr), language)
        if when:
            return when
    return parse_date(" ".join("".join(el.itertext()).split())[:_MAX_TEXT], language)


def markup_dates(doc: etree._Element, language: str | None) -> tuple[str | None, str | None]:
    """(published, modified) from microdata, RDFa and hAtom attributes in the body:
    ``itemprop=datePublished``, ``property=schema:dateCreated``, ``class=published``;
    ``itemprop=dateModified``, ``class=updated`` (WordPress themes write both classes on
    one ``<time>`` until the post is edited)."""
    published = modified = None
    trusted = title_path(doc)
    for el in _ATTRIBUTED(doc)[:500]:
        if el.tag == "meta":
            continue
        prop = (el.get("itemprop") or el.get("property") or "").lower()
        classes = el.get("class", "").split()
        if prop in _PUBLISHED_PROPS or "published" in classes:
            if published is None and not outside_content(el, trusted):
                published = _attr_date(el, language)
        if prop in _MODIFIED_PROPS or "updated" in classes:
            if modified is None and not outside_content(el, trusted):
                modified = _attr_date(el, language)
        if published and modified:
            break
    return published, modified


def _is_change(el: etree._Element) -> bool:
    """A ``<time>`` marked as the date of a change (hAtom ``updated``, ``dateModified``)."""
    classes = el.get("class", "").lower()
    return ("updated" in classes or "modified" in classes
            or (el.get("itemprop") or "").lower() == "datemodified")


def time_date(doc: etree._Element, language: str | None) -> str | None:
    """A ``<time>`` of the content: one marked as the publication date first, then the
    first other that is not marked as a change's (its ``datetime``, else its text)."""
    marked: list[etree._Element] = _PUBLISHED_TIMES(doc)
    times: list[etree._Element] = _TIMES(doc)
    trusted = title_path(doc)
    for el in (marked + times)[:40]:
        if el not in marked and _is_change(el):
            continue
        if outside_content(el, trusted):
            continue
        when = parse_date(el.get("datetime"), language) or _published_in(
            " ".join("".join(el.itertext()).split())[:_MAX_TEXT], language)
        if when:
            return when
    return None


def _short_text(el: etree._Element) -> str | None:
    """The element's text if it is a date line's length, else None (read no further)."""
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        size += len(piece)
        if size > 4 * _MAX_TEXT:
            return None
        parts.append(piece)
    text = " ".join("".join(parts).split())
    return text if 5 < len(text) < _MAX_TEXT else None


def _published_in(line: str, language: str | None) -> str | None:
    """The publication date of a date line: None for a line that gives only the date of a
    change ("Last modified on 4 November 2020"), the date before the word otherwise
    ("5 Dec 2024, updated 6 Dec 2024")."""
    m = _UPDATED.search(line)
    return parse_date(line[: m.start()] if m else line, language)


def text_date(doc: etree._Element, language: str | None) -> str | None:
    """A date written out in a short element that holds dates (classed ``date``,
    ``meta``, ``byline``, ``posted``, ...), in the article or main element first."""
    roots: list[etree._Element] = _CONTENT_ROOTS(doc)
    trusted = title_path(doc)
    for root in (*roots, doc):
        named: list[etree._Element] = _NAMED(root)
        tried = 0
        for el in named:
            if el.tag in _SKIP_TAGS or not isinstance(el.tag, str):
                continue
            if not _DATE_HOLDER.search(f"{el.get('class', '')} {el.get('id', '')}"):
                continue
            text = _short_text(el)
            if text is None or outside_content(el, trusted):
                continue
            when = _published_in(text, language)
            if when:
                return when[:10]
            tried += 1
            if tried >= 40:
                break
    return None


def title_date(doc: etree._Element, language: str | None) -> str | None:
    """A date line just below the page's ``<h1>``: a short text among the next twelve,
    where articles put their date when no element is classed for it."""
    h1 = doc.find(".//h1")
    if h1 is None:
        return None
    trusted = title_path(doc)
    texts: list[etree._ElementUnicodeResult] = _NEAR_TITLE(h1)
    for text in texts:
        line = " ".join(text.split())
        if not 5 < len(line) < 60:
            continue
        when = _published_in(line, language)
        if when:
            parent = text.getparent()
            if parent is not None and outside_content(parent, trusted):
                return None
            return when[:10]
    return None

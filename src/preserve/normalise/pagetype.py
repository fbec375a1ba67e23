"""What kind of page this is, read from its main content and never from its template:
an ``article``, a static ``page``, a ``listing`` of other pages, or ``other``.

``read_structure`` looks once at the page's main content (regions.py's main region)
with the template zones of regions.py left out, all but boxes of teasers.
``page_type`` applies the rules of docs/normalise.md ("Page types"), each with its
reason there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from . import regions
from .blocks import Block, tokens
from .dates import parse_date
from .metadata import ARTICLE_TYPES, Metadata

__all__ = ["PageStructure", "Teaser", "read_structure", "page_type", "is_dated",
           "zone_kind", "LISTING_TYPES", "MIN_ARTICLE_WORDS"]

MIN_ARTICLE_WORDS = 80
# schema.org types that declare an index of other pages.
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "blog",
                           "profilepage"})
# schema.org article types; DiscussionForumPosting is a SocialMediaPosting, so an
# Article, in schema.org's hierarchy (a forum thread: its posts are its content).
_DECLARED_ARTICLES = ARTICLE_TYPES | {"discussionforumposting"}
# schema.org types that declare a page that is not an article (weaker: only an undated,
# unsigned page is taken at its word, since some sites declare WebPage everywhere).
_WEBPAGE_TYPES = frozenset({"webpage", "aboutpage", "contactpage", "faqpage", "qapage",
                            "checkoutpage", "medicalwebpage"})
# Content types that CMSs write into class names: WordPress (post_class, body_class),
# Drupal (node--type-*, page-node-type-*, node-type-*).
_PAGE_CLASSES = frozenset({"type-page", "node--type-page", "node-type-page",
                           "page-node-type-page", "node--type-basic-page",
                           "page-node-type-basic-page"})
_PAGE_CLASS_PREFIXES = ("page-template", "page-id-")
_ARTICLE_CLASSES = frozenset({"type-post", "single-post", "single", "node--type-article",
                              "node-type-article", "page-node-type-article",
                              "node--type-blog-post", "node--type-blog", "node-type-blog",
                              "node--type-news", "node-type-news"})
# Body classes of index pages (WordPress archives, its posts page, search; Drupal
# taxonomy terms); they count only together with a teaser in the main content.
_LISTING_CLASSES = frozenset({"archive", "blog", "search-results", "path-taxonomy",
                              "page-taxonomy-term"})

# Compiled once.
_MARK_TAGS = ("article", "h2", "h3", "a", "div")
# A link to a numbered page of the same list: WordPress /page/2/, ?paged=2, Drupal and
# NationBuilder ?page=2; or classed as one (WordPress page-numbers, Drupal pager__link).
_PAGE_HREF = re.compile(r"/page/\d+/?(?:$|[?#])|[?&](?:page|paged|pg)=\d+")
_PAGE_LINK_CLASSES = frozenset({"page-numbers", "pager__link", "page-link", "next_page",
                                "previous_page"})
_HEADINGS = etree.XPath("(.//h1 | .//h2 | .//h3 | .//h4 | .//h5 | .//h6)[1]")
_TITLE_LINKS = etree.XPath(
    "(.//a[@href][@rel='bookmark' or contains(@class, 'title') or contains(@class, 'headline')"
    " or ancestor::*[contains(@class, 'title') or contains(@class, 'headline')]])[1]")
_LINKED_HEADINGS = etree.XPath("count(.//*[self::h2 or self::h3][.//a[@href]])")
_HAS_LINK = etree.XPath("boolean(.//a[@href])")
_HAS_H1 = etree.XPath("boolean(.//h1)")
_TIMES = etree.XPath(".//time")
_LENGTH = etree.XPath("string-length(normalize-space(.))")
# A teaser gives a title, a date and an excerpt: far less text than this (characters).
_TEASER_CHARS = 2000
_URL_MONTH = re.compile(r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])(?:/|$)")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Teaser:
    """One entry of a listing: the title of another page, its link, its date if given."""

    title: str
    url: str | None
    published: str | None = None


@dataclass(frozen=True)
class PageStructure:
    """What the main content holds, template zones left out."""

    items: int  # <article> elements (and Drupal views rows), not nested in one another
    teasers: tuple[Teaser, ...]  # items and headings whose title links to another page
    repeated: int  # most teasers side by side under one parent, of one tag
    paginated: bool
    main_item: bool  # a full item holding most full items' text, or a main region of none
    dominant: bool  # that item outweighs all teasers (an article with related links)
    classes: frozenset[str]  # class tokens of <body> and of the main item
    boxes: str = ""  # the words of the teasers' elements, lower-cased, one box a line
    zone_dates: frozenset[str] = frozenset()  # dates of <time> in comments and widgets
    content_dates: frozenset[str] = frozenset()  # and of those outside them
    url_month: bool = False  # the URL's path has a year and month: /2015/06/


def _text(el: etree._Element) -> str:
    return _SPACE.sub(" ", "".join(el.itertext())).strip()


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def zone_kind(el: etree._Element) -> str | None:
    """What template zone ``el`` is, if any (regions.py, docs/normalise.md "Regions"):
    ``comments``, ``widgets``, else ``template`` for any other zone but a box of
    teasers (on a listing they are the content)."""
    kind = regions.zone(el, regions.where(el))
    if kind in (regions.COMMENTS, regions.WIDGETS) or kind is None:
        return kind
    return None if kind == regions.TEASERS else "template"


def _page_link(a: etree._Element) -> bool:
    if _PAGE_HREF.search(a.get("href") or ""):
        return True
    classes = a.get("class")
    return classes is not None and not _PAGE_LINK_CLASSES.isdisjoint(classes.lower().split())


def _same_page(url: str) -> str:
    return urldefrag(url)[0].rstrip("/").lower()


class _Links:
    """Titles' links resolved against the page's URL; a link to the page itself (its
    URL or canonical URL: many themes link a post's title to its permalink) is not a
    link to another page."""

    def __init__(self, url: str | None, canonical: str | None) -> None:
        self.base = url
        self.own = {_same_page(u) for u in (url, canonical) if u}

    def of(self, el: etree._Element) -> str | None:
        """The other page a title links to; None for an in-page anchor, a link to this
        page or a bad URL."""
        anchors = [el] if _tag(el) == "a" else []
        anchors += list(el.iter("a")) + [a for a in el.iterancestors("a")]
        for a in anchors:
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
                continue
            try:
                absolute = urljoin(self.base, href) if self.base else href
                urlsplit(absolute)
            except ValueError:
                continue
            return None if _same_page(absolute) in self.own else absolute
        return None


def _date(container: etree._Element) -> str | None:
    for t in _TIMES(container)[:3]:
        when = parse_date(t.get("datetime")) or parse_date(_text(t))
        if when:
            return when
    return None


def _item_teaser(item: etree._Element, links: _Links) -> Teaser | None:
    """An item is a teaser when its first heading links to another page (a title link
    of a card when it has no heading)."""
    found: list[etree._Element] = _HEADINGS(item)
    if not found:
        found = _TITLE_LINKS(item)
    if not found:
        return None
    url = links.of(found[0])
    title = _text(found[0])
    if url is None or not title:
        return None
    return Teaser(title, url, _date(item))


def _container(heading: etree._Element, root: etree._Element) -> etree._Element:
    """The element holding this linked heading and no other (a card, a list item), nor
    the page's own title (a teaser never holds the ``<h1>``)."""
    node = heading
    for _ in range(4):
        parent = node.getparent()
        if (parent is None or parent is root or _LINKED_HEADINGS(parent) > 1
                or _HAS_H1(parent)):
            break
        node = parent
    return node


def read_structure(doc: etree._Element, url: str | None = None,
                   canonical: str | None = None) -> PageStructure:
    root, marked = regions.main_region(doc)
    links = _Links(url, canonical)
    scope = regions.Zones(root, zone_kind)
    items: list[etree._Element] = []
    item_set: set[etree._Element] = set()
    entries: list[tuple[etree._Element, Teaser]] = []
    full: list[etree._Element] = []
    paginated = False
    for el in root.iter(*_MARK_TAGS):
        tag = _tag(el)
        if tag == "a":
            if not paginated:
                paginated = _page_link(el)
            continue
        if tag == "div" and "views-row" not in (el.get("class") or "").split():
            continue
        if scope.inside(el):
            continue
        if tag in ("h2", "h3") and not _HAS_LINK(el):
            continue
        if any(a in item_set for a in el.iterancestors()):
            continue  # inside an item: its own content
        if tag in ("h2", "h3"):
            teaser_url = links.of(el)
            title = _text(el)
            if teaser_url and title:
                box = _container(el, root)
                entries.append((box, Teaser(title, teaser_url, _date(box))))
            continue
        items.append(el)
        item_set.add(el)
        teaser = _item_teaser(el, links)
        if teaser is None:
            full.append(el)
        else:
            entries.append((el, teaser))
    groups: dict[tuple[int, str], int] = {}
    for box, _ in entries:
        key = (id(box.getparent()), _tag(box))
        groups[key] = groups.get(key, 0) + 1
    # A lone linked heading over a long text is a section's kicker ("Society", linking to
    # the section) above the content, not a teaser.
    entries = [(box, t) for box, t in entries if box in item_set or _LENGTH(box) <= _TEASER_CHARS
               or groups[(id(box.getparent()), _tag(box))] > 1]
    sizes = [_LENGTH(el) for el in full]
    lead = full[sizes.index(max(sizes))] if sizes and 2 * max(sizes) > sum(sizes) else None
    dominant = lead is not None and max(sizes) >= sum(_LENGTH(box) for box, _ in entries)
    main_item = lead is not None or (marked and not items and not entries)
    body = regions.body_of(doc)
    classes = set((body.get("class") or "").lower().split()) if body is not None else set()
    item_el = lead if lead is not None else (root if main_item else None)
    if item_el is not None:
        classes |= set((item_el.get("class") or "").lower().split())
    return PageStructure(
        items=len(items),
        teasers=tuple(t for _, t in entries),
        repeated=max(groups.values(), default=0),
        paginated=paginated,
        main_item=main_item,
        dominant=dominant,
        classes=frozenset(classes),
        url_month=_url_month(url),
        boxes="\n".join(" ".join(tokens(" ".join(box.itertext()).lower()))
                         for box, _ in entries),
        **_time_dates(doc),
    )


def _url_month(url: str | None) -> bool:
    """A year and month in the URL's path: where blogs put their posts, not pages."""
    try:
        return bool(url and _URL_MONTH.search(urlsplit(url).path))
    except ValueError:  # a bad bracketed host
        return False


def _time_dates(doc: etree._Element) -> dict[str, frozenset[str]]:
    """The dates of the page's ``<time datetime>`` elements in comments and widget
    areas, and of the others. (Only those two kinds of zone: sites put an article's own
    date in an ``<aside>`` or a column called sidebar often enough.)"""
    scope = regions.Zones(None, zone_kind)
    zone: set[str] = set()
    content: set[str] = set()
    for el in doc.iter("time"):
        when = parse_date(el.get("datetime"))
        if when:
            (zone if scope.of(el) in ("comments", "widgets") else content).add(when)
    return {"zone_dates": frozenset(zone), "content_dates": frozenset(content)}


def _is_listing(s: PageStructure) -> bool:
    if s.dominant:
        return False
    n = len(s.teasers)
    if s.items >= 3 or n >= 6 or s.repeated >= 3 or (s.paginated and n >= 2):
        return True
    return n >= 1 and not s.main_item and bool(s.classes & _LISTING_CLASSES)


def _cms_type(classes: frozenset[str]) -> str | None:
    page = bool(classes & _PAGE_CLASSES) or any(c.startswith(_PAGE_CLASS_PREFIXES)
                                                for c in classes)
    article = bool(classes & _ARTICLE_CLASSES)
    if page != article:
        return "page" if page else "article"
    return None


def is_dated(meta: Metadata, s: PageStructure) -> bool:
    """The page gives its own date: in its metadata or URL, or in a ``<time>`` outside
    the template zones (one inside is a widget's or a comment's)."""
    if meta.published is None:
        return False
    if meta.sources.get("published") != "time":
        return True
    return meta.published in s.content_dates or meta.published not in s.zone_dates


def _text_stands_alone(blocks: Sequence[Block], s: PageStructure) -> bool:
    """The body's prose lies outside every teaser, and is long: longer than any teaser
    and twice an article's least. Then the teasers are related links around an article
    or a page, not the page's content. (On a listing the body an extractor finds is a
    teaser's excerpt, or one post shown in full, inside a teaser; an archive's own
    introduction is short.)"""
    outside = 0
    for b in blocks:
        words = tokens(b.text.lower())
        if b.kind == "p" and len(words) >= 15 and " ".join(words) not in s.boxes:
            outside += len(words)
    largest = max((len(box.split()) for box in s.boxes.split("\n")), default=0)
    return outside >= 2 * MIN_ARTICLE_WORDS and outside > largest


def page_type(meta: Metadata, blocks: Sequence[Block], s: PageStructure) -> str:
    """The rules of docs/normalise.md, "Page types", in their order."""
    words = sum(len(tokens(b.text)) for b in blocks)
    paragraphs = sum(1 for b in blocks if b.kind == "p" and len(tokens(b.text)) >= 15)
    cms = _cms_type(s.classes)
    declared = bool(meta.schema_types & _DECLARED_ARTICLES) or (
        (meta.og_type or "").strip().lower() == "article")
    if declared and words > 0 and cms != "page":
        return "article"
    if meta.schema_types & LISTING_TYPES or (_is_listing(s)
                                             and not _text_stands_alone(blocks, s)):
        return "listing"
    if words == 0:
        return "other"
    if cms is not None:
        return cms
    dated = is_dated(meta, s)
    signed = bool(meta.authors) and meta.sources.get("authors") != "meta"
    if not (dated or signed or s.url_month) and (s.main_item
                                                 or meta.schema_types & _WEBPAGE_TYPES):
        return "page"
    if words >= MIN_ARTICLE_WORDS and paragraphs >= (1 if dated else 3):
        return "article"
    if dated and signed and paragraphs >= 2:
        return "article"  # short, but dated and signed
    return "other"

"""Regions of a page: its own content, and the template the site puts around it.

One vocabulary, each rule once, for every reader that must tell them apart
(docs/normalise.md, "Regions"): the page typer (pagetype.py), the byline and subject
readers (scope.py), the dates in the body, the diff's content text (content.py) and the
body scorer (native.py). The readers differ in *policy* (what they do with a region: the
typer counts no teaser in a comment, the byline reader reads no name in a teaser), never
in how a region is recognised.

A region is recognised by

- its tag: ``nav``, ``menu``, ``form``, ``dialog`` always; ``aside``, ``header`` and
  ``footer`` when they are the site's, not inside the content (an article's own header,
  footer and aside hold its title, byline, date and tags);
- its landmark role: ``navigation``, ``complementary``, ``banner``, ``contentinfo``,
  ``search``, ``dialog``;
- the words of its class and id (runs of letters and digits, camelCase split:
  ``commentList`` is ``comment list``), see ``name_zone``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from lxml import etree

__all__ = ["WORD", "name_words", "name_zone", "names_of", "tag_zone", "zone", "where",
           "is_content", "main_region", "body_of", "OUTSIDE", "IN_MAIN", "IN_ARTICLE",
           "COMMENTS", "WIDGETS", "SIDEBAR", "RELATED", "TEASERS", "NAVIGATION", "ASIDE",
           "HEADER", "FOOTER", "FORM", "DIALOG", "COMMENT_WORDS", "CONTENT_WORDS",
           "CONTENT_TAGS", "WRAPPER_SHARE", "ZONE_WORDS", "TEMPLATE_TAGS",
           "SITE_TAGS", "TEMPLATE_ROLES", "Zones"]

# Zone kinds.
COMMENTS = "comments"  # a comment thread, one comment, a "Latest comments" widget
WIDGETS = "widgets"  # a widget area or one widget
SIDEBAR = "sidebar"  # a column beside the content
RELATED = "related"  # related or recommended posts: other pages about this one's subject
TEASERS = "teasers"  # teasers, popular or trending posts: other pages, any subject
NAVIGATION = "navigation"  # menus, navigation links
ASIDE = "aside"  # the site's aside, the complementary landmark
HEADER = "header"  # the site's header: banner, masthead
FOOTER = "footer"  # the site's footer: contentinfo, colophon
FORM = "form"  # a form, the search landmark
DIALOG = "dialog"

# Words of a class or id: runs of letters and digits, camelCase split ("GoogleDfpAd").
WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# A comment thread is named so in every CMS: WordPress comments-area, comment-list,
# comment-respond, wp-block-latest-comments; Disqus disqus_thread. Always a zone, even
# with a content word (comment-content, comment-body are a comment's parts).
COMMENT_WORDS = frozenset({"comment", "comments", "commentlist", "disqus", "respond"})
# The other words of a zone's name, by kind; they count only without a content word.
_NAME_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    (COMMENTS, frozenset({"reply", "replies"})),
    (WIDGETS, frozenset({"widget", "widgets"})),
    (SIDEBAR, frozenset({"sidebar"})),
    # Jetpack's jp-relatedposts, YARPP's yarpp-related, the ad networks' recommendations.
    (RELATED, frozenset({"related", "relatedposts", "recommended", "recommendations",
                         "outbrain", "taboola"})),
    (TEASERS, frozenset({"teaser", "teasers", "popular", "trending"})),
    (HEADER, frozenset({"masthead"})),
    (FOOTER, frozenset({"colophon"})),
)
# Every word that names a zone (the body scorer marks each, among its own).
ZONE_WORDS = COMMENT_WORDS.union(*(words for _, words in _NAME_WORDS))
# "site-footer", "global-header": a header or footer word with a site word in one name.
_SITE_PARTS = {"header": HEADER, "footer": FOOTER}
_SITE_WORDS = frozenset({"site", "global"})
# A name with one of these words names the content, or a wrapper holding it
# (content-sidebar-wrap, entry-related is the article's own), not a zone.
CONTENT_WORDS = frozenset({"content", "entry", "article", "main", "post", "story", "body"})
# Whole class or id names of a blog's posts: Blogger's <div class="widget Blog" id="Blog1">.
_CONTENT_NAMES = frozenset({"blog", "blog1", "blog-posts"})
# Whole names of zones: WordPress themes' sidebar column is div#secondary (the word alone
# is also Bootstrap's colour: badge-secondary).
_ZONE_NAMES = {"secondary": SIDEBAR}
# Page builders call every block of a page a widget (Elementor's elementor-widget-text):
# not the sidebar widgets the word means elsewhere.
_BUILDER_PREFIXES = ("elementor-",)

_TAGS = {"nav": NAVIGATION, "menu": NAVIGATION, "form": FORM, "dialog": DIALOG}
TEMPLATE_TAGS = frozenset(_TAGS)
# The content's own aside, header and footer hold its byline, date and tags: only the
# site's are zones.
_SITE_TAGS = {"aside": ASIDE, "header": HEADER, "footer": FOOTER}
SITE_TAGS = frozenset(_SITE_TAGS)
_ROLES = {"navigation": NAVIGATION, "complementary": ASIDE, "banner": HEADER,
          "contentinfo": FOOTER, "search": FORM, "dialog": DIALOG}
TEMPLATE_ROLES = frozenset(_ROLES)
CONTENT_TAGS = frozenset({"article", "main"})
# Where an element is (``where``).
OUTSIDE, IN_MAIN, IN_ARTICLE = 0, 1, 2

# The main region's ids, in the order pages use them (WordPress themes: #primary around
# #main; others #content).
_MAIN_IDS = ("content", "main", "primary")
_IDS = etree.XPath(f"id('{' '.join(_MAIN_IDS)}')")
_ROLE_MAIN = etree.XPath("(//*[@role='main'])[1]")

# A region named as a zone that holds more than this share of the page's text is a
# wrapper (an ASP.NET page in one <form>, Blogger's posts in a "widget"), not a zone.
WRAPPER_SHARE = 0.5


@functools.lru_cache(maxsize=1 << 16)
def name_words(names: str) -> frozenset[str]:
    """The lower-cased words of a class and id (pages repeat the same few hundred)."""
    return frozenset(w.lower() for w in WORD.findall(names))


@functools.lru_cache(maxsize=1 << 14)
def name_zone(names: str) -> str | None:
    """The zone a class and id (space-separated) name: ``COMMENTS`` for a comment word
    (always); else, unless a word names content or the whole name is a blog's posts,
    the kind of its first zone word in ``_NAME_WORDS``' order, or ``HEADER``/``FOOTER``
    for one name joining a site word and a header or footer word."""
    if len(names) <= 2:
        return None
    words = name_words(names)
    if words & COMMENT_WORDS:
        return COMMENTS
    if words & CONTENT_WORDS or not _CONTENT_NAMES.isdisjoint(names.lower().split()):
        return None
    for name in names.lower().split():
        if name in _ZONE_NAMES:
            return _ZONE_NAMES[name]
    for kind, zone_words in _NAME_WORDS:
        if words & zone_words:
            if kind == WIDGETS and all(n.lower().startswith(_BUILDER_PREFIXES)
                                       for n in names.split()
                                       if name_words(n) & zone_words):
                continue
            return kind
    for name in names.split():
        parts = name_words(name)
        if parts & _SITE_WORDS:
            for part, kind in _SITE_PARTS.items():
                if part in parts:
                    return kind
    return None


def tag_zone(el: etree._Element, inside: int) -> str | None:
    """The zone ``el`` is by its tag or landmark role; ``inside`` says where it is
    (``where``): an ``aside`` inside an ``<article>`` is the article's own (its tags, a
    pull quote; one beside the article in ``<main>`` is the page's sidebar), a
    ``header`` or ``footer`` inside any content is the content's (its title, byline,
    date), and so is one whose class or id names content (``entry-header``)."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    kind = _TAGS.get(tag)
    if kind is None and tag in _SITE_TAGS and inside < (IN_ARTICLE if tag == "aside"
                                                        else IN_MAIN) \
            and not name_words(names_of(el)) & CONTENT_WORDS:
        kind = _SITE_TAGS[tag]  # not named as content: <header class="entry-header">
    if kind is None:
        role = el.get("role")
        if role:
            kind = _ROLES.get(role.strip().lower())
    return kind


def zone(el: etree._Element, inside: int) -> str | None:
    """The zone ``el`` is by its markup: a schema.org ``Comment``, else its class and id
    (``name_zone``: a theme's ``<aside class="widget-area">`` is a widget area), else its
    tag or role (``tag_zone``)."""
    itemtype = el.get("itemtype")
    if itemtype and "comment" in itemtype.lower():
        return COMMENTS
    return name_zone(names_of(el)) or tag_zone(el, inside)


def names_of(el: etree._Element) -> str:
    """``el``'s class and id, as ``name_zone`` reads them."""
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def is_content(el: etree._Element) -> bool:
    """``el`` holds content: an ``<article>``, a ``<main>``, the element with
    ``role=main`` or a main region's id (``main_region``)."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    return tag in CONTENT_TAGS or el.get("role") == "main" or el.get("id") in _MAIN_IDS


def where(el: etree._Element) -> int:
    """``IN_ARTICLE`` when ``el`` is inside an ``<article>``, else ``IN_MAIN`` inside
    other content (``is_content``), else ``OUTSIDE``."""
    found = OUTSIDE
    for a in el.iterancestors():
        if a.tag == "article":
            return IN_ARTICLE
        if found == OUTSIDE and is_content(a):
            found = IN_MAIN
    return found


def body_of(doc: etree._Element) -> etree._Element | None:
    tag = doc.tag.lower() if isinstance(doc.tag, str) else ""
    return doc.find("body") if tag == "html" else next(doc.iter("body"), None)


def main_region(doc: etree._Element, by_id: bool = True) -> tuple[etree._Element, bool]:
    """The page's main region and whether the page marks it: its first ``<main>``, else
    (``by_id``) its element with id ``content``, ``main`` or ``primary``, else the first
    with ``role=main``; else its body (False)."""
    main = next(doc.iter("main"), None)
    if main is not None:
        return main, True
    found: list[etree._Element] = (_IDS(doc) if by_id else []) or _ROLE_MAIN(doc)
    if found:
        return found[0], True
    body = body_of(doc)
    return (body if body is not None else doc), False


class Zones:
    """Which zone holds an element (``zone``, or the reader's ``kind``), with a memo of
    the elements already asked about, for a reader that asks about many of one page."""

    def __init__(self, root: etree._Element | None = None,
                 kind: Callable[[etree._Element], str | None] | None = None) -> None:
        self.root = root
        self.kind = kind or (lambda el: zone(el, where(el)))
        self.memo: dict[etree._Element, str | None] = {}

    def of(self, el: etree._Element) -> str | None:
        """The kind of the innermost zone holding ``el`` (itself or an ancestor below
        ``root``, or below ``<body>`` without one); None if none does: ``el`` is then
        inside the content."""
        node: etree._Element | None = el
        while node is not None and node is not self.root and (
                not isinstance(node.tag, str) or node.tag.lower() not in ("body", "html")):
            if node in self.memo:
                found = self.memo[node]
            else:
                found = self.memo[node] = self.kind(node)
            if found is not None:
                return found
            node = node.getparent()
        return None

    def inside(self, el: etree._Element) -> bool:
        """Whether ``el`` is inside template."""
        return self.of(el) is not None

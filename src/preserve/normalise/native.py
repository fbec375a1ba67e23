"""preserve's own main-content scorer: one walk of the already parsed page, no copy.

The page is cut into text blocks (paragraphs, headings, list items ...), each knowing the
element that holds it and how much of its text is link text. Regions that are
boilerplate by their markup are marked: ``nav``, ``aside``, ``footer``, ``form``,
``menu``, hidden elements, navigation roles, and elements whose class or id has a
boilerplate word (``sidebar``, ``share``, ``related``, ``comments`` ... as whole words)
and no content word, or one class or id joining both (``post-meta``, ``entry-footer``:
a part of the article that is not its text). Two corrections keep odd names from hiding
the article:

- a marked region that holds more than half of the page's text is a wrapper (an ASP.NET
  page in one ``<form>``, a Blogger ``widget Blog``), not boilerplate;
- an element named as an article body (``post-content``, ``entry-content``,
  ``articleBody`` ...) clears the marks of the regions around it.

Paragraph-like blocks outside marked regions score their container and its parent, as in
Arc90's readability: a point per block, one per comma, one per 100 characters up to
three; a container's score is weighed by its link density. The best container is the
article, with its siblings that score at least a fifth as much (or are long paragraphs
with few links), and with the other containers of the same tag and class (an article
split into several text components), and with paragraphs of several sentences just above
it (an opening in the article's header) or after it in a container of its tag and class.
Its blocks outside marked regions, and not mostly link text, are the body.

It reads the tree that ``extract`` already parsed and does not change it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from . import regions
from .blocks import BLOCK_TAGS, KINDS, MAX_DEPTH, SKIP_TAGS, Block, PathBlocks

__all__ = ["NativeBody", "native_body", "boilerplate", "article_body"]

# Block-level tags start and end a text block, as for the whole-page blocks; what a reader
# never sees as text (form controls, embedded frames, formulas) is skipped here too.
_BLOCK = BLOCK_TAGS | {"menu"}
_SKIP = SKIP_TAGS | {"button", "iframe", "input", "math", "option"}
# Regions that are boilerplate by their tag: every template tag of regions.py, and an
# aside or footer wherever it is (the article's own holds its tags and byline, not its
# text). A header stays: the article's holds its headline and lead.
_BOILER_TAGS = regions.TEMPLATE_TAGS | (regions.SITE_TAGS - {"header"})
# Class or id words of boilerplate regions (whole words of the class or id, split at
# anything not a letter or digit), unless a content word is there too: every zone word of
# regions.py, and what is not the article's text though it may be in the article.
_NEGATIVE_WORDS = regions.ZONE_WORDS | frozenset({
    "share", "sharing", "social", "promo", "advert", "advertisement", "ad", "ads",
    "sponsor", "sponsored", "newsletter", "subscribe", "subscription", "signup", "popup",
    "modal", "cookie", "cookies", "consent", "breadcrumb", "breadcrumbs", "pagination",
    "pager", "nav", "navbar", "navigation", "menu", "footer", "toolbar", "skip", "print",
    "bio", "tags", "tag", "taglist", "categories", "category", "byline", "dateline",
    "caption", "credit", "credits", "hidden", "sr", "screenreader", "more", "banner",
    "author", "meta", "nocontent", "noscript", "toc",
})
_POSITIVE_WORDS = regions.CONTENT_WORDS | frozenset({"text", "prose", "articlebody"})
# Words of a wrapper's name ("content-with-sidebar-wrap"); "more" is as often the rest of
# the text ("read-more-content") as a teaser.
_LAYOUT_WORDS = frozenset({"with", "wrap", "wrp", "wrapper", "container", "layout", "inner",
                           "outer", "more"})
_BODY_NAMES = frozenset({"articlebody", "postbody", "entrycontent", "storybody",
                         "articletext", "postcontent", "articlecontent"})
_BODY_WHAT = frozenset({"article", "post", "entry", "story"})
_BODY_PART = frozenset({"body", "content", "text"})
_WORD = regions.WORD
# Class or id words of an article's lead paragraph (intro, abstract, Vorspann, chapô),
# which pages often put above the article's container, in its header.
_LEAD_WORDS = frozenset({"lead", "leadin", "lede", "intro", "introduction", "abstract",
                         "summary", "standfirst", "subheadline", "subhead", "subtitle",
                         "epigraph", "chapo", "chapeau", "vorspann", "entradilla",
                         "sumario", "dek"})
# Whole blocks that are labels, not text.
_LABELS = frozenset({"advertisement", "advert", "ad", "ads", "sponsored", "anzeige",
                     "publicidad", "publicité", "pubblicità", "reklama", "werbung",
                     "story continues below advertisement", "continue reading below",
                     "skip advertisement"})
_DATE = re.compile(r"\d{4}-\d{2}")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
WRAPPER_SHARE = regions.WRAPPER_SHARE
# The scorer's body stands alone (``NativeBody.confident``) when no container outside
# the article scores CLEAR_WIN of its score and the body holds HOLDS of the page's prose.
CLEAR_WIN = 0.15
HOLDS = 0.6
# The region around the article holds this multiple of the container's text.
REGION = 1.2
# Elements that hold text directly as containers, not as paragraphs.
_CONTAINERS = frozenset({"div", "section", "article", "main", "body"})
# A block scores its container only with at least this many characters.
_MIN_SCORING_CHARS = 25
# A lead above the container (``_leads``) is a paragraph of at least this many characters;
# a sentence under a headline (a deck, a standfirst) is left to the metadata's
# description, as the headline is left to its title.
LEAD_CHARS = 150
# The article's opening above its container (``_openings``): a paragraph under the
# container's ancestor NEIGHBOUR_UP levels up, of NEIGHBOUR_CHARS or more with few links
# and NEIGHBOUR_SENTENCES sentences or more (a deck is one short sentence; a list of file
# names or figures is none).
NEIGHBOUR_UP = 2
NEIGHBOUR_CHARS = 300
NEIGHBOUR_SENTENCES = 2
_SENTENCE_END = re.compile(r"\w[.!?…»“\")]*[.!?…](?=\s|$)")
# A block shorter than this that is mostly a date in <time> is a date line (``_dateline``).
DATELINE_CHARS = 80


@dataclass
class _Block:
    kind: str
    level: int
    text: str
    owner: etree._Element | None  # the block element holding the text
    chars: int
    link_chars: int
    flags: tuple[etree._Element, ...]  # the boilerplate-looking regions holding it
    boiler: bool = False


@dataclass(frozen=True)
class NativeBody:
    blocks: tuple[Block, ...]
    container: etree._Element | None  # the chosen element
    score: float  # its weighed score
    # The best score outside the article (not inside it, not around it), as a share of
    # the article's: near 0 when one container clearly wins, near 1 when two compete.
    rival: float = 1.0
    # The share of the page's text outside boilerplate regions that the body holds.
    share: float = 0.0
    # The container with what is around it (``REGION``): what a second extractor reads.
    region: etree._Element | None = None

    @property
    def confident(self) -> bool:
        """A clear winner holding most of the page's prose: no second opinion needed."""
        return bool(self.blocks) and self.rival < CLEAR_WIN and self.share >= HOLDS


_PLAIN, _BOILER, _ARTICLE_BODY = 0, 1, 2
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BOILER_ROLES = regions.TEMPLATE_ROLES


def _mark(el: etree._Element, tag: str) -> int:
    """_BOILER for a boilerplate region by its markup, _ARTICLE_BODY for an element named
    as an article body, else _PLAIN."""
    if tag in _BOILER_TAGS:
        return _BOILER
    keys = el.keys()  # one call, where asking for each attribute would be seven
    if not keys:
        return _PLAIN
    get = el.get
    if "hidden" in keys or ("aria-hidden" in keys and get("aria-hidden") == "true"):
        return _BOILER
    if "style" in keys and _HIDDEN_STYLE.search(get("style") or ""):
        return _BOILER
    if tag in ("html", "body"):
        return _PLAIN
    if "role" in keys and get("role") in _BOILER_ROLES:
        return _BOILER
    # A heading's id is an anchor made of its own words ("nav_the_results"), not a role.
    ident = "" if tag in _HEADINGS else get("id") or ""
    names = f"{get('class') or ''} {ident} {get('itemprop') or ''}"
    return _name_mark(names) if len(names) > 2 else _PLAIN


def _lower_tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def boilerplate(el: etree._Element) -> bool:
    """Whether the scorer marks ``el`` as boilerplate by its markup (before the wrapper
    and article-body corrections, which need the page)."""
    return _mark(el, _lower_tag(el)) == _BOILER


def article_body(el: etree._Element) -> bool:
    """Whether ``el`` is named as an article body (``entry-content``, ``articleBody``)."""
    return isinstance(el.tag, str) and _mark(el, _lower_tag(el)) == _ARTICLE_BODY


@functools.lru_cache(maxsize=1 << 16)
def _name_mark(names: str) -> int:
    """The mark of a class, id and itemprop (pages repeat the same few hundred). Words
    are runs of letters and digits, camelCase split ("GoogleDfpAd")."""
    words = frozenset(w.lower() for w in _WORD.findall(names))
    if words & _BODY_NAMES or (words & _BODY_WHAT and words & _BODY_PART):
        return _ARTICLE_BODY  # post-content, entry-content, article-body, articleBody
    if words & _NEGATIVE_WORDS and not words & _POSITIVE_WORDS:
        return _BOILER
    if any(_compound_boiler(name) for name in names.split()):
        return _BOILER
    return _PLAIN


def _compound_boiler(name: str) -> bool:
    """One class or id joining a content word and a boilerplate word names a part of the
    article that is not its text: ``post-meta``, ``entry-footer``, ``article-tags``,
    ``related_post``, ``PostCategory``. (Across separate classes the content word still
    wins: WordPress gives the article itself ``post category-news tag-eu``.) Layout words
    name a wrapper, not a part: ``content-with-sidebar-wrap`` holds the article."""
    words = frozenset(w.lower() for w in _WORD.findall(name))
    return bool(words & _NEGATIVE_WORDS and words & _POSITIVE_WORDS
                and not words & _LAYOUT_WORDS)


@functools.lru_cache(maxsize=1 << 12)
def _is_lead(names: str) -> bool:
    return any(w.lower() in _LEAD_WORDS for w in _WORD.findall(names))


class _Walker:
    def __init__(self, page: PathBlocks | None) -> None:
        self.blocks: list[_Block] = []
        self.parts: list[str] = []
        self.link_parts: int = 0
        self.kind = "p"
        self.level = 0
        self.owner: etree._Element | None = None
        self.flags: tuple[etree._Element, ...] = ()
        # The whole page's blocks for site-template learning, cut along this walk.
        self.page = page

    def flush(self) -> None:
        if self.parts:
            text = " ".join("".join(self.parts).split())
            if text:
                self.blocks.append(_Block(self.kind, self.level, text, self.owner, len(text),
                                          min(self.link_parts, len(text)), self.flags))
            self.parts = []
        self.link_parts = 0
        self.kind, self.level = "p", 0

    def walk(self, el: etree._Element, depth: int, flags: tuple[etree._Element, ...],
             in_link: bool, path: str) -> None:
        tag = el.tag
        if isinstance(tag, str) and depth <= MAX_DEPTH:
            if tag not in _SKIP:
                self._element(el, tag, depth, flags, in_link, path)
            elif self.page is not None:
                self.page.walk(el, depth, path)  # a button's text is still the page's
        tail = el.tail
        if tail:
            self.parts.append(tail)
            if self.page is not None:
                self.page.parts.append(tail)
            if in_link:
                self.link_parts += len(tail.strip())

    def _element(self, el: etree._Element, tag: str, depth: int,
                 flags: tuple[etree._Element, ...], in_link: bool, path: str) -> None:
        mark = _mark(el, tag)
        if mark == _BOILER:
            inner = (*flags, el)
        elif mark == _ARTICLE_BODY:
            inner = ()  # an article body named as such, inside a wrapper of odd name
        else:
            inner = flags
        link = in_link or tag == "a"
        block = tag in _BLOCK
        page = self.page
        here = path
        opened = False
        if page is not None:
            if tag in BLOCK_TAGS:
                here, opened = page.open(el, tag, path), True
            elif tag != tag.lower():
                page.broken = True
        if block:
            self.flush()
            self.owner, self.flags = el, inner
            self.kind = KINDS.get(tag, "p")
            self.level = int(tag[1]) if self.kind == "h" else 0
        text = el.text
        if text:
            self.parts.append(text)
            if page is not None:
                page.parts.append(text)
            if link:
                self.link_parts += len(text.strip())
        for child in el:
            self.walk(child, depth + 1, inner, link, here)
            if block and child.tag in _BLOCK:
                self.owner, self.flags = el, inner
        if block:
            self.flush()
            self.owner, self.flags = el.getparent(), flags
        if opened and page is not None:
            page.close(path)


def _page_blocks(doc: etree._Element, page: PathBlocks | None = None) -> list[_Block]:
    body = doc.find(".//body")
    walker = _Walker(page)
    walker.walk(body if body is not None else doc, 0, (), False, "")
    walker.flush()
    if page is not None:
        page.flush()
        page.done = True
    blocks = walker.blocks
    # A region named like boilerplate that holds most of the page is a wrapper with an
    # odd name (an ASP.NET form, "Page-ad-margins", a Blogger "widget Blog"), not a region.
    size: dict[etree._Element, int] = {}
    for b in blocks:
        for el in b.flags:
            size[el] = size.get(el, 0) + b.chars
    limit = WRAPPER_SHARE * sum(b.chars for b in blocks)
    for b in blocks:
        b.boiler = any(size[el] <= limit for el in b.flags)
    return blocks


# Per element: a container's score; the [chars, link chars] of the text it holds.
_Scores = dict[etree._Element, float]
_Text = dict[etree._Element, list[int]]


def _scores(blocks: Sequence[_Block]) -> tuple[_Scores, _Text]:
    """Readability's container scores and, per element, its [chars, link chars]."""
    score: _Scores = {}
    text: _Text = {}
    for b in blocks:
        owner = b.owner
        if owner is None:
            continue
        for el in (owner, *owner.iterancestors()):
            t = text.get(el)
            if t is None:
                text[el] = [b.chars, b.link_chars]
            else:
                t[0] += b.chars
                t[1] += b.link_chars
        if b.boiler or b.chars < _MIN_SCORING_CHARS or b.kind == "h":
            continue
        if b.link_chars > 0.5 * b.chars:
            continue
        points = 1 + b.text.count(",") + min(3, b.chars // 100)
        # A paragraph's container is its parent; text straight in a div scores the div.
        paragraph = b.kind in ("p", "pre", "quote") and owner.tag not in _CONTAINERS
        container = owner.getparent() if paragraph else owner
        if container is None:
            continue
        score[container] = score.get(container, 0.0) + points
        grand = container.getparent()
        if grand is not None:
            score[grand] = score.get(grand, 0.0) + points / 2
    return score, text


def _weighed(score: _Scores, text: _Text) -> _Scores:
    out: _Scores = {}
    for el, s in score.items():
        chars, links = text.get(el, (1, 0))
        density = links / chars if chars else 0.0
        out[el] = s * (1 - density)
    return out


def native_body(doc: etree._Element, page: PathBlocks | None = None) -> NativeBody:
    """The article blocks of a parsed lxml document; the document is not changed.
    ``page``, when given, is filled with the whole page's blocks as site-template
    learning cuts them, along the same walk (``blocks.PathBlocks``)."""
    blocks = _page_blocks(doc, page)
    score, text = _scores(blocks)
    weighed = _weighed(score, text)
    if not weighed:
        return NativeBody((), None, 0.0)
    best = max(weighed, key=weighed.__getitem__)
    best_score = weighed[best]
    chosen = {best}
    # Siblings, and containers of the same kind, that score a fifth as much belong too.
    threshold = max(10.0, best_score * 0.2)
    parent = best.getparent()
    if parent is not None:
        for sibling in parent:
            if sibling is best or not isinstance(sibling.tag, str):
                continue
            if weighed.get(sibling, 0.0) >= threshold:
                chosen.add(sibling)
            elif sibling.tag == "p":
                chars, links = text.get(sibling, (0, 0))
                if chars > 80 and links < 0.25 * chars:
                    chosen.add(sibling)
    # An article split into several containers of the same kind (a text component per
    # few paragraphs) is read from all of them.
    if best.get("class"):
        kind = (best.tag, best.get("class"))
        for el, s in weighed.items():
            if s >= threshold and (el.tag, el.get("class")) == kind:
                chosen.add(el)
    inside: set[etree._Element] = set()
    around: set[etree._Element] = set()
    for el in chosen:
        inside.update(el.iter())
        around.update(el.iterancestors())
    rival = max((s for el, s in weighed.items() if el not in inside and el not in around),
                default=0.0)
    region = _region(best, text)
    leads = _leads(blocks, inside, best, region)
    leads |= _openings(blocks, inside, best) | _continuations(blocks, inside, best)
    out: list[Block] = []
    prose = kept = 0
    for b in blocks:
        if b.boiler or b.owner is None:
            continue
        prose += b.chars
        if b.owner not in inside and b.owner not in leads:
            continue
        if b.link_chars > 0.5 * b.chars or b.kind == "caption":
            continue
        if b.chars < 40 and b.text.lower().strip(" :.-") in _LABELS:
            continue
        if b.chars < DATELINE_CHARS and _dateline(b):
            continue
        kept += b.chars
        out.append(Block(b.kind, b.text, b.level))
    return NativeBody(tuple(out), best, best_score, rival / best_score if best_score else 1.0,
                      kept / prose if prose else 0.0, region)


def _leads(blocks: Sequence[_Block], inside: set[etree._Element], best: etree._Element,
           region: etree._Element) -> set[etree._Element]:
    """The article's lead paragraphs above its container: before it, in the same
    ``<article>`` or ``<main>`` (else in its region), a paragraph of ``LEAD_CHARS`` or
    more whose own class or id names it a lead (``_LEAD_WORDS``)."""
    scope = next(best.iterancestors("article", "main"), region)
    if scope.tag in ("body", "html"):
        return set()
    found: set[etree._Element] = set()
    for b in blocks:
        owner = b.owner
        if owner is None or owner in inside:
            break
        if b.boiler or b.kind != "p" or b.chars < LEAD_CHARS:
            continue
        names = f"{owner.get('class') or ''} {owner.get('id') or ''}"
        if len(names) > 2 and _is_lead(names) and any(
                el is scope for el in owner.iterancestors()):
            found.add(owner)
    return found


def _prose(b: _Block) -> bool:
    """A paragraph of prose: NEIGHBOUR_CHARS or more, few links, NEIGHBOUR_SENTENCES
    sentences or more, outside marked regions."""
    return (not b.boiler and b.kind == "p" and b.chars >= NEIGHBOUR_CHARS
            and b.link_chars < 0.25 * b.chars
            and len(_SENTENCE_END.findall(b.text)) >= NEIGHBOUR_SENTENCES)


def _openings(blocks: Sequence[_Block], inside: set[etree._Element],
              best: etree._Element) -> set[etree._Element]:
    """Paragraphs of prose above the container and near it (``NEIGHBOUR_UP``): the
    article's opening, in a header or a wrapper of its own that scored too little to be
    a sibling. Only above it: prose after an article is as often an "about us"."""
    scope = best
    for _ in range(NEIGHBOUR_UP):
        up = scope.getparent()
        if up is None or up.tag in ("body", "html"):
            break
        scope = up
    if scope is best:
        return set()
    near = set(scope.iter())
    found: set[etree._Element] = set()
    for b in blocks:
        owner = b.owner
        if owner is None or owner in inside:
            break
        if owner in near and _prose(b):
            found.add(owner)
    return found


def _continuations(blocks: Sequence[_Block], inside: set[etree._Element],
                   best: etree._Element) -> set[etree._Element]:
    """Paragraphs of prose after the container, each in a container of its tag and class:
    a later text component of an article split in several, which holding one paragraph
    scored too little to join. (Not before it: there the same markup holds pull quotes
    and claims.)"""
    kind = (best.tag, best.get("class"))
    if not kind[1]:
        return set()
    found: set[etree._Element] = set()
    started = False
    for b in blocks:
        owner = b.owner
        if owner is None:
            continue
        if owner in inside:
            started = True
            continue
        if not started or not _prose(b):
            continue
        parent = owner if owner.tag in _CONTAINERS else owner.getparent()
        if parent is not None and (parent.tag, parent.get("class")) == kind:
            found.add(owner)
    return found


def _dateline(b: _Block) -> bool:
    """A short block that is mostly a ``<time>`` element whose ``datetime`` is a date
    (not a duration, ``PT15M``, nor empty): the page's date line, which the metadata
    reads."""
    owner = b.owner
    if owner is None:
        return False
    dated = sum(len("".join(t.itertext()).strip()) for t in owner.iter("time")
                if _DATE.match((t.get("datetime") or "").strip()))
    return dated >= 0.5 * b.chars


def _region(container: etree._Element, text: _Text) -> etree._Element:
    """The nearest ancestor of ``container`` holding REGION times its text (an article's
    lead can sit just outside its container), or ``container`` itself at the top."""
    need = REGION * text[container][0]
    region = container
    for region in container.iterancestors():
        if region.tag == "body" or text.get(region, (0, 0))[0] >= need:
            break
    return region


"""Main-content extraction: preserve's own scorer, with trafilatura when it is unsure.

The scorer (``native``) reads the already parsed tree. When it has a clear winner (no
container outside the article scores ``native.CLEAR_WIN`` of its score, and the body
holds ``native.HOLDS`` of the page's prose) its body stands alone.

Otherwise trafilatura (precision mode) reads the page too. Their errors are mostly
different, and where they agree the text is almost always the article, so:

1. Blocks at the *end* of trafilatura's body that the scorer's body does not contain are
   cut (comment threads, "related posts", author boxes, sign-up forms hang at the end).
2. Blocks at the *start* that it does not contain are cut only when they are a label (a
   kicker, a category, a photo credit: ``LEAD_TRIM_TOKENS`` words at most; headings do
   not count); a sentence or more is a lead paragraph that the scoring missed.
3. When the scorer's body contains nearly all of trafilatura's and is more than twice as
   long, trafilatura stopped early (a page split in several containers): the scorer's
   body is taken.
4. When the scorer's body holds less than half of trafilatura's, the scorer picked one
   part of the article (one of several text components, a lead, a product tab), and its
   edges say nothing about where the article ends: trafilatura's body is taken whole.
5. A first block repeating the page's title is dropped (the body is the text under it).
6. Headings at the end are dropped, whichever extractor's body it is: a heading with
   nothing under it introduces what was cut ("Related posts", "Explore further").
7. Where the two agree, the scorer's subheadings and list items between two blocks that
   both bodies hold are put back when trafilatura left them out (its precision mode drops
   short headings and list items inside the article).
8. A short block crediting a picture ("| © Getty Images") is a caption that the markup
   did not name as one, and is dropped; a copyright line with its year is kept.

If one extractor fails or finds nothing, the other's body is used alone.

trafilatura first reads only the region around the scorer's container (``_region_page``),
without its fallbacks (its own readability port and jusText). Only when the scorer
disagrees with that body (holds less than ``ESCALATE`` of it) does trafilatura read the
whole page again with them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from .blocks import Block, PathBlocks, shingles, tei_blocks, tokens
from .native import native_body

__all__ = ["Body", "extract_body", "LEAD_TRIM_TOKENS", "SUPPORT", "SWITCH_RATIO", "ESCALATE",
           "NARROW", "RIVAL", "FILL_KINDS"]

# A block is supported by the other extractor when this share of its 4-token shingles
# occurs in the other's text.
SUPPORT = 0.5
# An unsupported opening run is cut only up to this many tokens (a label, not a sentence).
LEAD_TRIM_TOKENS = 15
# The scorer's body replaces trafilatura's when longer by this factor and it contains
# COVER of trafilatura's shingles.
SWITCH_RATIO = 2.0
COVER = 0.8
# Below this share of trafilatura's shingles in the scorer's body, the scorer's body is
# too narrow to trim trafilatura's by (rule 4).
NARROW = 0.5
# trafilatura runs first without its own fallback extractors (fast); when the scorer's
# body holds less than this share of that body, the two disagree and trafilatura runs
# again with its fallbacks (its readability port, jusText), which cost as much again.
ESCALATE = 0.8
# When a container outside the scorer's article scores this share of its score, two
# candidates compete and the region around one of them may not hold the article:
# trafilatura reads the whole page at once.
RIVAL = 0.5
# The kinds of the scorer's blocks inside the agreed core that rule 7 puts back.
FILL_KINDS = frozenset({"h", "li"})


@dataclass(frozen=True)
class Body:
    blocks: tuple[Block, ...]
    method: str  # "combined", "trafilatura", "native", "none"
    problems: tuple[str, ...] = ()


def _trafilatura(text: str, url: str | None, fast: bool) -> list[Block]:
    import trafilatura

    xml = trafilatura.extract(text, url=url, favor_precision=True, fast=fast,
                              output_format="xml",
                              include_comments=False, include_links=False,
                              include_images=False, with_metadata=False)
    if not xml:
        return []
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True,
                                                                    resolve_entities=False))
    return tei_blocks(root) if root is not None else []


def _region_page(region: etree._Element | None, text: str) -> str:
    """The page trafilatura reads first: the scorer's region alone (``native.REGION``),
    or the whole page when the region is all of it. trafilatura's cost grows with the
    page; most of a page is far from its article."""
    if region is None or region.tag in ("body", "html"):
        return text
    inner = etree.tostring(region, encoding="unicode", method="html", with_tail=False)
    return f"<html><head></head><body>{inner}</body></html>"


def _supported(block: Block, other: set[tuple[str, ...]]) -> bool:
    own = shingles(block.text)
    return bool(own) and sum(1 for s in own if s in other) >= SUPPORT * len(own)


def _text_shingles(blocks: Sequence[Block]) -> set[tuple[str, ...]]:
    return shingles("\n".join(b.text for b in blocks))


def _cover(primary: Sequence[Block], other: set[tuple[str, ...]]) -> float:
    """The share of ``primary``'s shingles that occur in ``other`` (another body's)."""
    own = _text_shingles(primary)
    return sum(1 for s in own if s in other) / max(1, len(own))


def _ntokens(blocks: Sequence[Block]) -> int:
    return sum(len(tokens(b.text)) for b in blocks)


def combine(primary: Sequence[Block], secondary: Sequence[Block]) -> tuple[list[Block], str]:
    """The combination rules 1-4 above; returns the blocks and the method used."""
    if not primary:
        return list(secondary), "native" if secondary else "none"
    if not secondary:
        return list(primary), "trafilatura"
    other = _text_shingles(secondary)
    if _ntokens(secondary) > SWITCH_RATIO * _ntokens(primary) and _cover(
            primary, other) >= COVER:
        return list(secondary), "native"
    support = [_supported(b, other) for b in primary]
    if not any(support) or _cover(primary, other) < NARROW:
        return list(primary), "trafilatura"
    first = support.index(True)
    last = len(support) - 1 - support[::-1].index(True)
    if _ntokens([b for b in primary[:first] if b.kind != "h"]) > LEAD_TRIM_TOKENS:
        first = 0
    kept = list(primary[first : last + 1])
    return _fill(kept, secondary), "combined"


def _fill(kept: list[Block], secondary: Sequence[Block]) -> list[Block]:
    """Rule 7: the scorer's blocks *between* two of its blocks that trafilatura's body
    also holds are inside the core both agree on; those of ``FILL_KINDS`` that trafilatura
    left out (subheadings its precision mode drops) are put back, after the block of
    trafilatura's that holds their predecessor."""
    where: dict[tuple[str, ...], list[int]] = {}
    for i, b in enumerate(kept):
        for s in shingles(b.text):
            where.setdefault(s, []).append(i)
    joined = " " + " ".join(" ".join(tokens(b.text)) for b in kept) + " "
    inserts: dict[int, list[Block]] = {}
    anchor: int | None = None
    pending: list[Block] = []
    for b in secondary:
        own = shingles(b.text)
        # The block of trafilatura's holding most of it, at or after the last one.
        votes = Counter(i for s in own for i in where.get(s, ())
                        if anchor is None or i >= anchor)
        top = max(votes.values(), default=0)
        if own and top >= SUPPORT * len(own):
            if anchor is not None and pending:
                inserts.setdefault(anchor, []).extend(pending)
            anchor = min(i for i, n in votes.items() if n == top)
            pending = []
        elif anchor is not None and b.kind in FILL_KINDS and (
                f" {' '.join(tokens(b.text))} " not in joined):
            pending.append(b)
    if not inserts:
        return kept
    out: list[Block] = []
    for i, b in enumerate(kept):
        out.append(b)
        out.extend(inserts.get(i, ()))
    return out


# A picture credit: "©" and a name, not a year ("© 2019 ..." is a copyright notice, text
# of the article's own), in a block shorter than CREDIT_CHARS (rule 8).
_CREDIT = re.compile(r"©\s*(?!\s*(?:\d{4}|copyright))\w", re.I)
CREDIT_CHARS = 300


def _drop_credits(blocks: list[Block]) -> list[Block]:
    """Picture captions: a short block with a credit (\"© Getty Images\")."""
    return [b for b in blocks if len(b.text) >= CREDIT_CHARS or not _CREDIT.search(b.text)]


def _drop_dangling(blocks: list[Block]) -> list[Block]:
    """A heading ends no body: one with nothing under it introduces what was cut
    ("Related posts", "Explore further", "Keep reading")."""
    end = len(blocks)
    while end and blocks[end - 1].kind == "h":
        end -= 1
    return blocks[:end] if end else blocks  # headings alone are all the page has


def _drop_title(blocks: list[Block], titles: Sequence[str]) -> list[Block]:
    if not blocks or not titles:
        return blocks
    first = " ".join(tokens(blocks[0].text))
    if not first:
        return blocks
    for title in titles:
        norm = " ".join(tokens(title))
        if first == norm or (len(first.split()) >= 3 and first in norm):
            return blocks[1:]
    return blocks


def extract_body(doc: etree._Element, text: str, url: str | None = None,
                 titles: Sequence[str] = (), page: PathBlocks | None = None) -> Body:
    """The main content of the page ``text``, parsed as ``doc`` (not changed); never
    raises. ``page`` is filled as by ``native.native_body``."""
    problems: list[str] = []
    native = native_body(doc, page)
    secondary = list(native.blocks)
    if native.confident:
        return Body(tuple(_drop_title(_drop_dangling(_drop_credits(secondary)), titles)), "native")
    try:
        whole = native.rival >= RIVAL
        primary = [] if whole else _trafilatura(_region_page(native.region, text), url,
                                                 fast=True)
        if not primary or _cover(primary, _text_shingles(secondary)) < ESCALATE:
            primary = _trafilatura(text, url, fast=False)
    except Exception as e:
        primary = []
        problems.append(f"extract: trafilatura failed ({type(e).__name__})")
    blocks, method = combine(primary, secondary)
    return Body(tuple(_drop_title(_drop_dangling(_drop_credits(blocks)), titles)), method,
                tuple(problems))


_TITLES = etree.XPath('//meta[@property="og:title"]/@content | //title//text()')


def body_titles(doc: etree._Element) -> list[str]:
    """The page's own titles (og:title, <title>, <h1>), which a body should not repeat."""
    found: list[str] = []
    values: list[str] = _TITLES(doc)  # attribute values and text nodes: "smart" strings
    for value in values:
        if str(value).strip():
            found.append(str(value))
    for h1 in doc.iterfind(".//h1"):
        found.append("".join(h1.itertext()))
    return found

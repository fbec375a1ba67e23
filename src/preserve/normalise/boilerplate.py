"""Site-level boilerplate: text blocks that repeat across many pages of one site.

Every page of a host is cut into blocks (paragraphs, list items, headings...) and each
distinct block counts once per page. A block found on at least ``MIN_PAGES`` pages and on
at least ``SHARE`` of the host's pages is the site's template (navigation, sidebars,
newsletter sign-up, share buttons, footers, the "this site is archived" banner), not any
one page's content, and is removed from article bodies. An article reproduced in full
at a few URLs stays under the share, so its paragraphs are not mistaken for template.

A repeated block inside an element marked as a notice (``role=note``/``alert``, or a
first class naming a banner, notice, announcement, alert or "archived") is recorded once
per site as a *site note*, so what the banner said is kept, but not in every body.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from lxml import etree

from .blocks import Block, PathBlocks, block_key, tokens

__all__ = ["MIN_PAGES", "SHARE", "PageBlock", "page_blocks", "keyed_blocks", "threshold",
           "is_note", "block_filter"]

MIN_PAGES = 3
SHARE = 0.3
_NOTE_PATH = re.compile(r"banner|notice|announce|alert|\[note\]|archived", re.I)
# A block counts with two tokens (``blocks.tokens``: runs of word characters) or more,
# found without listing them all.
_TWO_TOKENS = re.compile(r"\w\W+\w")


class PageBlock(NamedTuple):  # a tuple: a page makes hundreds
    key: str
    text: str
    path: str


def page_blocks(doc: etree._Element) -> dict[str, PageBlock]:
    """The distinct blocks of a parsed page (``<body>``), by key, first occurrence kept."""
    body = doc.find(".//body")
    found = PathBlocks()
    root = body if body is not None else doc
    found.walk(root, 0, "")
    if root.tail:
        found.parts.append(root.tail)
    found.flush()
    return keyed_blocks(found.found)


def keyed_blocks(found: Sequence[tuple[str, str]]) -> dict[str, PageBlock]:
    """The distinct blocks among a page's (text, path) pairs (``blocks.PathBlocks``), by
    key, first occurrence kept; blocks of one word or none left out."""
    out: dict[str, PageBlock] = {}
    seen: set[str] = set()  # a text met again has its key already: not hashed again
    for text, path in found:
        if text in seen or not _TWO_TOKENS.search(text):
            continue
        seen.add(text)
        key = _key(text)
        if key not in out:
            out[key] = PageBlock(key, text, path)
    return out


# A site repeats its template's blocks on every page, and pass 2's filter keys the same
# texts again: the keys of short texts (a template's are) are remembered, a bounded
# number of them (16,384 texts of at most 300 characters: under 20 MB whatever their
# script, 5 MB of ASCII), so memory stays flat.
_CACHED_TEXT = 300
_cached_key = functools.lru_cache(maxsize=1 << 14)(block_key)


def _key(text: str) -> str:
    return _cached_key(text) if len(text) <= _CACHED_TEXT else block_key(text)


def threshold(pages: int) -> int:
    """How many of a host's ``pages`` a block must be on to count as template."""
    return max(MIN_PAGES, math.ceil(SHARE * pages))


def is_note(block: PageBlock) -> bool:
    return _note_path(block.path) and len(tokens(block.text)) >= 5


@functools.lru_cache(maxsize=1 << 14)
def _note_path(path: str) -> bool:
    """A path inside a notice (a site's pages repeat their paths: each is matched once)."""
    return bool(_NOTE_PATH.search(path))


def block_filter(
    is_boilerplate: Callable[[str], bool],
) -> Callable[[Sequence[Block]], tuple[list[Block], list[str]]]:
    """A body filter dropping the blocks ``is_boilerplate`` accepts (by block key)."""

    def run(blocks: Sequence[Block]) -> tuple[list[Block], list[str]]:
        return [b for b in blocks if not is_boilerplate(_key(b.text))], []

    return run

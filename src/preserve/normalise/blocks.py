"""Text blocks: paragraphs, headings, list items, quotes, code, table rows.

Both extraction candidates (trafilatura's XML and the native scorer's blocks) and whole pages
(for site-level boilerplate) are reduced to the same list of blocks, which is what the
combination in ``body`` compares and what ``render_text``/``render_markdown`` write.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

__all__ = ["Block", "PathBlocks", "html_blocks", "tei_blocks", "render_text",
           "render_markdown", "block_key", "tokens", "shingles"]

_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "aside", "header", "footer", "nav", "ul", "ol",
    "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table",
    "thead", "tbody", "tfoot", "tr", "td", "th", "figure", "figcaption", "form", "fieldset",
    "address", "hr", "br", "body", "html", "center", "details", "summary", "caption", "option",
    "select", "label", "button", "iframe",
})
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title",
                        "meta", "link", "object", "embed", "canvas", "textarea", "select"})
KINDS = {"h1": "h", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h", "li": "li",
         "dt": "li", "dd": "li", "blockquote": "quote", "pre": "pre", "tr": "row",
         "figcaption": "caption", "caption": "caption"}
# Deeper than any real page; deeper trees are read only to this depth (here and by
# the native scorer, which shares these tables).
MAX_DEPTH = 400


def block_path(el: etree._Element, tag: str, path: str) -> str:
    """The path of block element ``el`` (tag ``tag``) under ``path``: its tag, first class
    and role, as the template learner keys blocks."""
    cls = (el.get("class") or "").split()
    role = el.get("role")
    return f"{path}/{tag}" + (f".{cls[0]}" if cls else "") + (f"[{role}]" if role else "")


@dataclass(frozen=True)
class Block:
    kind: str  # p, h, li, quote, pre, row, caption
    text: str
    level: int = 0  # heading level
    path: str = ""  # tag/class path of the block's element (whole-page blocks)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def shingles(text: str, size: int = 4) -> set[tuple[str, ...]]:
    toks = tokens(text)
    if len(toks) < size:
        return {tuple(toks)} if toks else set()
    return set(zip(*(toks[i:] for i in range(size)), strict=False))


def block_key(text: str) -> str:
    """A stable key of a block's text, ignoring case, spacing and punctuation."""
    norm = " ".join(tokens(text.lower()))
    return hashlib.blake2b(norm.encode(), digest_size=8).hexdigest()


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


class _Walker:
    def __init__(self, with_paths: bool) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.kind = "p"
        self.level = 0
        self.path = ""
        self.with_paths = with_paths

    def flush(self) -> None:
        if self.parts:
            text = " ".join("".join(self.parts).split())
            self.parts = []
            if text:
                self.blocks.append(Block(self.kind, text, self.level, self.path))
        self.kind, self.level = "p", 0

    def walk(self, el: etree._Element, depth: int, path: str) -> None:
        tag = el.tag
        if not isinstance(tag, str) or depth > MAX_DEPTH or (tag := tag.lower()) in SKIP_TAGS:
            if el.tail:
                self.parts.append(el.tail)
            return
        block = tag in BLOCK_TAGS
        here = path
        if block:
            if self.with_paths:
                here = block_path(el, tag, path)
            self.flush()
            self.path = here
            self.kind = KINDS.get(tag, "p")
            self.level = int(tag[1]) if self.kind == "h" else 0
        if tag == "br":
            self.parts.append("\n")
        if el.text:
            self.parts.append(el.text)
        for child in el:
            self.walk(child, depth + 1, here)
            if block and _tag(child) in BLOCK_TAGS:
                self.path = here
        if block:
            self.flush()
            self.path = path
        if el.tail:
            self.parts.append(el.tail)


class PathBlocks:
    """A whole page's blocks as site-template learning cuts them (``boilerplate``): the
    text of each with the tag/class path of its block element. Filled by ``walk`` alone
    (``boilerplate.page_blocks``), or along the content scorer's walk of the same tree
    (``native``), so that a page normalise reads is walked once, not twice: the scorer
    calls ``open`` and ``close`` at block elements and adds text to ``parts``, and walks
    here what it skips itself (buttons, frames). ``found`` is complete once ``done``;
    ``broken`` when the scorer met a tag it reads otherwise (not in lower case: no page
    that libxml2's HTML parser gives), and the page must be walked alone."""

    __slots__ = ("found", "parts", "current", "done", "broken")

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []
        self.parts: list[str] = []
        self.current = ""
        self.done = False
        self.broken = False

    def flush(self) -> None:
        parts = self.parts
        if parts:
            text = " ".join("".join(parts).split())
            parts.clear()
            if text:
                self.found.append((text, self.current))

    def open(self, el: etree._Element, tag: str, path: str) -> str:
        """The block element ``el`` (tag ``tag``, lower case) starts under ``path``: the
        text so far is a block; returns the element's own path."""
        here = block_path(el, tag, path)
        self.flush()
        self.current = here
        if tag == "br":
            self.parts.append("\n")
        return here

    def close(self, path: str) -> None:
        """The block element opened under ``path`` ends."""
        self.flush()
        self.current = path

    def walk(self, el: etree._Element, depth: int, path: str) -> None:
        """``el`` at ``depth`` under ``path`` and all it holds, not its tail."""
        tag = el.tag
        if not isinstance(tag, str) or depth > MAX_DEPTH or (tag := tag.lower()) in SKIP_TAGS:
            return
        add = self.parts.append
        block = tag in BLOCK_TAGS
        here = self.open(el, tag, path) if block else path
        if el.text:
            add(el.text)
        for child in el:
            self.walk(child, depth + 1, here)
            if child.tail:
                add(child.tail)
        if block:
            self.close(path)


def html_blocks(root: etree._Element, with_paths: bool = False) -> list[Block]:
    """The text blocks of an lxml HTML element, in document order."""
    walker = _Walker(with_paths)
    walker.walk(root, 0, "")
    walker.flush()
    return walker.blocks


_TEI_KIND = {"p": "p", "head": "h", "item": "li", "quote": "quote", "code": "pre",
             "row": "row", "cell": "row"}


def tei_blocks(root: etree._Element) -> list[Block]:
    """Blocks of trafilatura's XML output (``<main>`` holds p, head, list, quote, table)."""
    main = root.find("main")
    if main is None:
        main = root
    blocks: list[Block] = []

    def visit(el: etree._Element) -> None:
        tag = _tag(el)
        if tag in ("p", "head", "item", "quote", "code", "row"):
            if tag == "row":
                cells = (" ".join("".join(c.itertext()).split()) for c in el)
                text = " | ".join(c for c in cells if c)
            else:
                text = _SPACE.sub(" ", "".join(el.itertext())).strip()
            if text:
                level = 0
                if tag == "head":
                    rend = el.get("rend") or "h2"
                    level = int(rend[1]) if rend[1:].isdigit() else 2
                blocks.append(Block(_TEI_KIND[tag], text, level))
            return
        if main is not el and el.text and el.text.strip():
            blocks.append(Block("p", _SPACE.sub(" ", el.text).strip()))
        for child in el:
            visit(child)
            if child.tail and child.tail.strip() and el is main:
                blocks.append(Block("p", _SPACE.sub(" ", child.tail).strip()))

    visit(main)
    return blocks


def render_text(blocks: Iterable[Block]) -> str:
    return "\n".join(b.text for b in blocks)


def _md_escape(text: str) -> str:
    return re.sub(r"^([#>*+-]|\d+\.)(\s)", r"\\\1\2", text)


def render_markdown(blocks: Iterable[Block]) -> str:
    out: list[str] = []
    previous = ""
    for b in blocks:
        if b.kind == "h":
            line = "#" * max(1, min(b.level or 2, 6)) + " " + b.text
        elif b.kind == "li":
            line = "- " + b.text
        elif b.kind == "quote":
            line = "> " + b.text
        elif b.kind == "pre":
            line = "```\n" + b.text + "\n```"
        elif b.kind == "caption":
            line = "*" + b.text + "*"
        else:
            line = _md_escape(b.text)
        sep = "\n" if b.kind == previous == "li" else "\n\n"
        out.append((sep if out else "") + line)
        previous = b.kind
    return "".join(out) + ("\n" if out else "")

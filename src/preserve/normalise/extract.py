"""One page in, one Article out: decode, parse, read metadata, extract the body, classify.

The steps are also offered apart (``parse_page``, ``read_parts``, ``finish_article``) for
normalise, which parses each page once, learns the site's template from the tree, keeps
the page's parts on disk and finishes the article when the template is known.

``extract_article`` never raises for bad input. A payload that is not HTML, empty, too
large, too deeply nested or undecodable gives ``page_type: other`` and a ``problems``
entry saying why; whatever could still be read is kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from ..web.html import decode_html, parse_html
from .article import Article, Image
from .blocks import Block, PathBlocks, render_markdown, render_text, tokens
from .body import body_titles, extract_body
from .listing import teaser_markdown, teaser_text
from .metadata import BODY_DATE_SOURCES, Metadata, extract_metadata
from .pagetype import PageStructure, is_dated, page_type, read_structure

__all__ = ["extract_article", "MAX_HTML_BYTES", "BlockFilter", "looks_binary", "ParsedPage",
           "ArticleParts", "parse_page", "read_parts", "finish_article"]

# Pages are read up to this size; real article pages are far smaller, and the
# extractors' cost grows with the page.
MAX_HTML_BYTES = 5_000_000
# libxml2's HTML parser stops reading at this depth of nesting.
_PARSER_DEPTH = 255
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b",
                 b"RIFF", b"OggS", b"ID3", b"\x00\x00\x01\x00", b"wOFF", b"wOF2")
_HTMLISH = re.compile(rb"<\s*(?:!doctype|html|head|body|p|div|title|meta|article|h1|span|a)\b",
                      re.I)

# XPath expressions compiled once, not per page.
_CONTENT_ROOTS = etree.XPath("(//*[self::article or self::main or @role='main'])[1]")

BlockFilter = Callable[[Sequence[Block]], tuple[list[Block], list[str]]]


def looks_binary(data: bytes) -> bool:
    """A payload that is certainly not an HTML document."""
    head = data[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 with a BOM: NUL bytes are expected
    return b"\x00" in head or (head.strip() != b"" and _HTMLISH.search(data[:65536]) is None
                                and sum(c < 9 or 13 < c < 32 for c in head) > 8)


def _content_root(doc: etree._Element) -> etree._Element:
    """The article element whose images and links are kept: <article>, <main>, else all."""
    roots: list[etree._Element] = _CONTENT_ROOTS(doc)
    return (roots or [doc])[0]


def _join(base: str | None, ref: str) -> str | None:
    """``ref`` made absolute against ``base``; None when either cannot be parsed as a URL
    (urllib raises ValueError for a bad bracketed host, such as ``https://[x/``)."""
    try:
        joined = urljoin(base, ref) if base else ref
        urlsplit(joined)
    except ValueError:
        return None
    return joined


def _images(root: etree._Element, url: str | None, limit: int = 50) -> tuple[Image, ...]:
    seen: set[str] = set()
    out: list[Image] = []
    for img in root.iter("img"):
        src = (img.get("src") or img.get("data-src") or "").strip()
        if not src or src.startswith("data:"):
            continue
        joined = _join(url, src)
        if joined is None or joined in seen:
            continue
        src = joined
        seen.add(src)
        caption = ""
        fig = next((a for a in img.iterancestors("figure")), None)
        if fig is not None:
            cap = fig.find(".//figcaption")
            if cap is not None:
                caption = " ".join("".join(cap.itertext()).split())
        out.append(Image(src, " ".join((img.get("alt") or "").split()), caption))
        if len(out) >= limit:
            break
    return tuple(out)


def _links(root: etree._Element, url: str | None, limit: int = 500) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    hrefs: set[str] = set()  # pages repeat their links; each is resolved once
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href in hrefs:
            continue
        hrefs.add(href)
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        joined = _join(url, href)
        if joined is None:
            continue
        absolute = urldefrag(joined)[0]
        if urlsplit(absolute).scheme in ("http", "https", ""):
            seen.setdefault(absolute, None)
        if len(seen) >= limit:
            break
    return tuple(seen)


@dataclass(frozen=True)
class ParsedPage:
    """A page decoded and parsed, as extraction reads it."""

    text: str
    encoding: str | None
    problems: tuple[str, ...]
    doc: etree._Element
    # The text is the whole payload decoded, nothing cut and no NUL taken out: the text
    # that site-template learning parses too (normalise.collection).
    whole: bool


@dataclass(frozen=True)
class ArticleParts:
    """What extraction reads from a page before the site's template is known: all but
    the template filter and what depends on the filtered body. Plain data (no tree), so
    normalise can keep it on disk between its passes."""

    url: str | None
    encoding: str | None
    problems: tuple[str, ...]
    meta: Metadata
    blocks: tuple[Block, ...]
    structure: PageStructure
    images: tuple[Image, ...]
    links: tuple[str, ...]


def parse_page(html: bytes | str, url: str | None = None, *, http_charset: str | None = None,
               max_bytes: int = MAX_HTML_BYTES) -> ParsedPage | Article:
    """Decode and parse a page; an Article saying why when it is not one to extract."""
    problems: list[str] = []
    encoding: str | None = None
    whole = True
    if isinstance(html, bytes):
        if len(html) > max_bytes:
            problems.append(f"size: page of {len(html)} bytes read up to {max_bytes}")
            html, whole = html[:max_bytes], False
        if looks_binary(html):
            return Article(url=url, problems=(*problems, "not-html: binary payload"))
        decoded = decode_html(html, http_charset)
        text, encoding = decoded.text, decoded.encoding
        problems.extend(decoded.problems)
    else:
        text = html[:max_bytes]
        if len(html) > max_bytes:
            problems.append(f"size: page of {len(html)} characters read up to {max_bytes}")
            whole = False
    if "\x00" in text:
        text, whole = text.replace("\x00", ""), False
    if not text.strip():
        return Article(url=url, encoding=encoding, problems=(*problems, "empty: no content"))
    try:
        doc, too_deep = parse_html(text)
    except (etree.ParserError, ValueError) as e:
        return Article(url=url, encoding=encoding,
                       problems=(*problems, f"parse: {str(e)[:100] or type(e).__name__}"))
    if too_deep:
        problems.append(f"nesting: elements nested {_PARSER_DEPTH} deep; the parser read "
                        "no further")
    return ParsedPage(text, encoding, tuple(problems), doc, whole)


def read_parts(page: ParsedPage, url: str | None = None, *,
               whole_page: PathBlocks | None = None) -> ArticleParts:
    """Metadata, body blocks, structure, images and links of a parsed page.
    ``whole_page``, when given, is filled with the page's blocks as site-template
    learning cuts them, along the content scorer's walk (``blocks.PathBlocks``)."""
    doc = page.doc
    meta = extract_metadata(doc, url)
    body = extract_body(doc, page.text, url, body_titles(doc), whole_page)
    structure = read_structure(doc, url, meta.canonical_url)
    content = _content_root(doc)
    return ArticleParts(url, page.encoding, (*page.problems, *body.problems), meta,
                        tuple(body.blocks), structure, _images(content, url),
                        _links(content, url))


def finish_article(parts: ArticleParts, block_filter: BlockFilter | None = None) -> Article:
    """The Article of a page's parts, ``block_filter`` removing the site's template."""
    problems = list(parts.problems)
    meta, structure = parts.meta, parts.structure
    blocks = list(parts.blocks)
    if block_filter is not None:
        blocks, notes = block_filter(blocks)
        problems.extend(notes)
    kind = page_type(meta, blocks, structure)
    published = meta.published
    if not is_dated(meta, structure) and meta.sources.get("published") == "time":
        published = None  # a <time> outside the main content: a widget's or a comment's
    if kind == "listing" and meta.sources.get("published") in BODY_DATE_SOURCES:
        published = None  # the date of the first teaser, not of the page
    if kind == "listing" and structure.teasers:
        # A listing's text is its list of teasers (docs/normalise.md, "Listings").
        body_text = teaser_text(structure.teasers)
        body_markdown = teaser_markdown(structure.teasers)
        hashed = body_markdown
    else:
        body_text = render_text(blocks)
        body_markdown = render_markdown(blocks)
        hashed = body_text
    words = len(tokens(body_text))
    digest = hashlib.sha256(" ".join(tokens(hashed.lower())).encode()).hexdigest()
    # page_type gives "article" and "page" only to a body with words.
    return Article(
        url=parts.url,
        canonical_url=meta.canonical_url,
        page_type=kind,
        title=meta.title,
        authors=tuple(meta.authors),
        published=published,
        modified=meta.modified,
        language=meta.language,
        description=meta.description,
        site_name=meta.site_name,
        tags=tuple(meta.tags),
        categories=tuple(meta.categories),
        body_text=body_text,
        body_markdown=body_markdown,
        images=parts.images,
        links=parts.links,
        word_count=words,
        encoding=parts.encoding,
        body_hash=f"sha256:{digest}" if words else None,
        problems=tuple(problems),
    )


def extract_article(
    html: bytes | str,
    url: str | None = None,
    *,
    http_charset: str | None = None,
    block_filter: BlockFilter | None = None,
    max_bytes: int = MAX_HTML_BYTES,
) -> Article:
    """Normalise one HTML page. ``block_filter`` removes site boilerplate from the body
    (see ``boilerplate``); it returns the kept blocks and notes."""
    page = parse_page(html, url, http_charset=http_charset, max_bytes=max_bytes)
    if isinstance(page, Article):
        return page
    return finish_article(read_parts(page, url), block_filter)

"""Read the URL lists a site publishes: robots.txt Sitemap lines, sitemaps and feeds.

Sitemaps may be XML (urlset or sitemapindex), plain text (one URL a line) or an
RSS/Atom feed, any of them gzipped. Parsing streams the XML with entity expansion,
DTD loading and network access off, so a hostile sitemap can neither read local
files (XXE) nor blow up memory (billion laughs); output is capped at the 50,000
entries sitemaps.org allows per file.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from protego import Protego

from ..web.decoding import decode_body
from ..web.media import HTML_TYPES, media_type
from .links import LinkResolver

__all__ = [
    "SitemapEntries",
    "MAX_SITEMAP_URLS",
    "MAX_SITEMAP_BYTES",
    "robots_sitemaps",
    "parse_sitemap",
    "parse_feed",
    "looks_like_sitemap",
    "looks_like_feed",
]

# sitemaps.org: at most 50,000 URLs and 50 MiB uncompressed per sitemap file.
MAX_SITEMAP_URLS = 50_000
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
# Google reads the first 500 KiB of a robots.txt and ignores the rest.
_MAX_ROBOTS_BYTES = 500 * 1024
_SNIFF_BYTES = 4096

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/x-gunzip"})
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
_SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
_FEED_ROOTS = frozenset({"rss", "feed", "rdf"})
# Elements whose subtree is finished with once seen; clearing them keeps memory flat.
_RECORDS = frozenset({"url", "sitemap", "item", "entry"})


@dataclass(frozen=True)
class SitemapEntries:
    """Page URLs and child sitemaps listed by one sitemap, robots.txt or feed."""

    urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


class _Urls:
    """Absolute, de-duplicated, capped URLs in the order listed."""

    __slots__ = ("resolver", "urls", "_seen")

    def __init__(self, resolver: LinkResolver) -> None:
        self.resolver = resolver
        self.urls: list[str] = []
        self._seen: set[str] = set()

    @property
    def full(self) -> bool:
        return len(self.urls) >= MAX_SITEMAP_URLS

    def add(self, raw: str | None) -> bool:
        if raw is None or self.full:
            return False
        url = self.resolver.resolve(raw)
        if url is None or url in self._seen:
            return False
        self._seen.add(url)
        self.urls.append(url)
        return True

    def drop_last(self) -> None:
        self._seen.discard(self.urls.pop())


def robots_sitemaps(robots_txt: bytes, robots_url: str) -> tuple[str, ...]:
    """The Sitemap: URLs of a robots.txt, absolute (relative ones against its URL)."""
    text = robots_txt[:_MAX_ROBOTS_BYTES].decode("utf-8-sig", "replace")
    found = _Urls(LinkResolver(robots_url))
    for value in Protego.parse(text).sitemaps:
        found.add(value)
    return tuple(found.urls)


def parse_sitemap(body: bytes, url: str, content_type: str | None = None) -> SitemapEntries:
    """Entries of an XML sitemap or sitemap index, a text sitemap, or a feed.

    A gzipped body (by magic bytes, a .gz URL or a gzip media type) is inflated up
    to 50 MiB. Relative <loc> values are resolved against ``url``; lines of a text
    sitemap count only when they are absolute http(s) URLs, so a stray text file
    yields nothing rather than junk.
    """
    data = _uncompressed(body, url, content_type)
    head = _skip_bom_and_space(data[:_SNIFF_BYTES])
    resolver = LinkResolver(url)
    if head.startswith(b"<"):
        return _parse_xml(data, resolver)
    return _parse_text(data, resolver)


def parse_feed(body: bytes, url: str) -> SitemapEntries:
    """Entry links of an RSS 2.0, RSS 1.0 or Atom feed.

    RSS items give <link> and a <guid> that is a permalink (the default) and an
    http(s) URL; Atom entries give <link href> with rel="alternate" or no rel.
    """
    return _parse_xml(_uncompressed(body, url, None), LinkResolver(url))


def looks_like_sitemap(url: str, content_type: str | None, body_start: bytes) -> bool:
    """Whether a response is worth parsing as a sitemap, from its first bytes."""
    if media_type(content_type) in HTML_TYPES:
        return False
    head = _sniff(body_start)
    root = _root_name(head)
    if root is not None:
        return root in _SITEMAP_ROOTS
    # Text sitemaps have no marker; trust the name only if the body starts with a URL.
    name = urlsplit(url).path.rpartition("/")[2].lower()
    return "sitemap" in name and head[:8].lower().startswith((b"http://", b"https://"))


def looks_like_feed(url: str, content_type: str | None, body_start: bytes) -> bool:
    """Whether a response is an RSS or Atom feed, by media type or root element."""
    mime = media_type(content_type)
    if mime in _FEED_TYPES:
        return True
    if mime in HTML_TYPES:
        return False
    head = _sniff(body_start)
    root = _root_name(head)
    if root == "rdf":
        # RDF/XML is a feed only when it is RSS 1.0.
        return b"purl.org/rss/1.0" in head
    return root in _FEED_ROOTS


def _uncompressed(body: bytes, url: str, content_type: str | None) -> bytes:
    gzipped = (
        body.startswith(_GZIP_MAGIC)
        or urlsplit(url).path.lower().endswith(".gz")
        or media_type(content_type) in _GZIP_TYPES
    )
    # decode_body hands back a body that is not gzip at all unchanged: a .gz URL
    # whose server already undid the compression.
    return decode_body(body, "gzip", MAX_SITEMAP_BYTES) if gzipped else body


def _sniff(body_start: bytes) -> bytes:
    head = body_start[:_SNIFF_BYTES]
    if head.startswith(_GZIP_MAGIC):
        head = decode_body(head, "gzip", _SNIFF_BYTES)
    return _skip_bom_and_space(head)


def _skip_bom_and_space(data: bytes) -> bytes:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    return data.lstrip()


# The root element's name, after an XML declaration, comments, processing
# instructions and a doctype (whose internal subset may hold ">").
_ROOT = re.compile(
    rb"(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*<(?:[\w.-]+:)?([\w.-]+)",
    re.S | re.I,
)


def _root_name(head: bytes) -> str | None:
    m = _ROOT.match(head)
    return m.group(1).decode("ascii", "replace").lower() if m else None


def _parse_text(data: bytes, resolver: LinkResolver) -> SitemapEntries:
    urls = _Urls(resolver)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    for line in io.BytesIO(data):
        value = line.strip()
        if value[:8].lower().startswith((b"http://", b"https://")):
            urls.add(value.decode("utf-8", "replace"))
            if urls.full:
                break
    return SitemapEntries(urls=tuple(urls.urls))


def _local(tag: object) -> str:
    # Comments, entities and PIs have a function as tag; namespaces vary by version.
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


# An "&" that starts none of XML's predefined or numeric references. Generated
# sitemaps often leave query-string ampersands bare, and libxml2's recovery would
# silently drop "&b" from "?a=1&b=2", giving a different, wrong URL.
# CDATA sections are matched so that they are left alone.
_BARE_AMPERSAND = re.compile(
    rb"<!\[CDATA\[.*?(?:\]\]>|\Z)|&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)", re.S
)


def _escape_ampersand(m: re.Match[bytes]) -> bytes:
    return b"&amp;" if m.group() == b"&" else m.group()


def _escape_bare_ampersands(data: bytes) -> bytes:
    head = data[:_SNIFF_BYTES]
    # Not in UTF-16 (bytes are not characters there), and not when a DOCTYPE declares
    # entities: sitemaps and feeds have none, and those references must stay unexpanded.
    if b"&" not in data or b"\x00" in head or b"<!doctype" in head.lower():
        return data
    return _BARE_AMPERSAND.sub(_escape_ampersand, data)


def _elements(data: bytes) -> Iterator[etree._Element]:
    events = etree.iterparse(
        io.BytesIO(_escape_bare_ampersands(data)),
        events=("end",),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _, el in events:
            yield el
    except etree.XMLSyntaxError:
        # recover=True still gives up on some damage (an empty or non-XML body);
        # what was read before stands.
        return


def _is_permalink(guid: etree._Element, text: str) -> bool:
    # A guid is a permalink unless it says otherwise (RSS 2.0), but many feeds leave
    # the attribute out on opaque ids, so only http(s) URLs count.
    if (guid.get("isPermaLink") or "true").strip().lower() == "false":
        return False
    return text[:8].lower().startswith(("http://", "https://"))


def _parse_xml(data: bytes, resolver: LinkResolver) -> SitemapEntries:
    urls = _Urls(resolver)
    sitemaps = _Urls(resolver)
    # The list and raw text of the last URL taken from element text, to undo it if
    # the body was cut off inside that element.
    last: tuple[_Urls, str] | None = None
    for el in _elements(data):
        name = _local(el.tag)
        if name in _RECORDS:
            el.clear(keep_tail=False)
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
            if urls.full or sitemaps.full:
                break
            continue
        if name not in ("loc", "link", "guid"):
            continue
        parent = el.getparent()
        record = _local(parent.tag) if parent is not None else ""
        text = (el.text or "").strip()
        target: _Urls | None = None
        if name == "loc":
            target = urls if record == "url" else sitemaps if record == "sitemap" else None
        elif record == "item":
            if name == "link" or _is_permalink(el, text):
                target = urls
        elif record == "entry" and name == "link":
            # Atom: the link is in an attribute, which a cut-off cannot leave half-read.
            if (el.get("rel") or "alternate").strip().lower() == "alternate":
                urls.add(el.get("href"))
        if target is not None and target.add(text):
            last = (target, text)
    if last is not None and _text_was_cut(data, last[1]):
        last[0].drop_last()
    return SitemapEntries(urls=tuple(urls.urls), sitemaps=tuple(sitemaps.urls))


def _text_was_cut(data: bytes, text: str) -> bool:
    """Whether ``data`` ends inside an element whose text so far is ``text``.

    libxml2's recovery closes the elements left open at the end of a truncated
    body, so a URL cut in half would otherwise read as a whole one. A complete
    document ends with a tag, never with element text.
    """
    return bool(text) and data.rstrip().endswith(text.encode("utf-8"))

"""Find what a captured HTML or CSS document points at: links to follow, requisites to embed.

One lxml parse per page and one walk over the elements that can carry URLs. Results
are absolute http(s) URLs without fragments, resolved as a browser would (``<base
href>``, whitespace stripping), de-duplicated in document order and capped, so a
hostile page costs a bounded amount of frontier.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ..web.decoding import css_charset, html_charset
from ..web.media import HTML_TYPES, charset_param, media_type

__all__ = [
    "LinkResolver",
    "Outlinks",
    "MAX_LINKS",
    "absolute_url",
    "extract",
    "extract_css",
    "extract_html",
    "srcset_urls",
    "refresh_target",
]

MAX_LINKS = 10_000

_CSS_TYPES = frozenset({"text/css"})
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})


@dataclass(frozen=True)
class Outlinks:
    """What one document refers to, each tuple in document order without duplicates."""

    links: tuple[str, ...] = ()
    embeds: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    refresh: str | None = None
    title: str | None = None
    base: str | None = None


EMPTY = Outlinks()

# WHATWG URL parsing: trim C0 controls and space at both ends, drop tab and newline anywhere.
_TRIM = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_HTTP_PREFIXES = ("http://", "https://")


class LinkResolver:
    """Resolves references against one base URL as a browser would.

    ``resolve`` gives an absolute http(s) URL without fragment, or None for
    fragment-only or empty references (the page itself), other schemes and
    unparseable values. The common shapes ("/path", "page.html", "https://...")
    are joined by string concatenation, which gives urljoin's answer several times
    faster; anything with a dot segment, a scheme-like prefix or a bare query goes
    through urljoin.
    """

    __slots__ = ("base", "_origin", "_directory")

    def __init__(self, base: str) -> None:
        self.base = base
        self._origin: str | None = None
        self._directory: str | None = None
        try:
            parts = urlsplit(base)
        except ValueError:
            return
        if parts.scheme in ("http", "https") and parts.netloc and "/." not in parts.path:
            self._origin = f"{parts.scheme}://{parts.netloc}"
            path = parts.path or "/"
            self._directory = self._origin + path[: path.rfind("/") + 1]

    def resolve(self, raw: str) -> str | None:
        ref = raw.strip(_TRIM)
        if "\t" in ref or "\n" in ref or "\r" in ref:
            ref = _TAB_NEWLINE.sub("", ref)
        if not ref or ref[0] == "#":
            return None
        url = self._fast_join(ref)
        if url is None:
            try:
                url = urljoin(self.base, ref)
            except ValueError:  # e.g. an unbalanced "[" in the host
                return None
        scheme, sep, rest = url.partition("://")
        # Only http(s) with a host: "http:///x" and "http://" alone name nothing to fetch.
        if not sep or scheme.lower() not in ("http", "https") or not rest or rest[0] in "/?#":
            return None
        return url.partition("#")[0]

    def _fast_join(self, ref: str) -> str | None:
        # Brackets (IPv6 hosts) need urlsplit's validation.
        if self._origin is None or "/." in ref or ref[0] == "." or "[" in ref or "]" in ref:
            return None
        if ref[0] == "/":
            return None if ref.startswith("//") else self._origin + ref
        if ref[:8].lower().startswith(_HTTP_PREFIXES):
            return ref
        head = ref.split("/", 1)[0].split("?", 1)[0]
        if ":" in head or ref[0] == "?" or self._directory is None:
            return None
        return self._directory + ref


def absolute_url(raw: str, base: str) -> str | None:
    """``raw`` resolved against ``base``; see LinkResolver.resolve."""
    return LinkResolver(base).resolve(raw)


class _Collector:
    """An ordered, de-duplicated, capped list of absolute URLs."""

    __slots__ = ("resolver", "limit", "urls", "_seen", "_raw")

    def __init__(self, resolver: LinkResolver, limit: int) -> None:
        self.resolver = resolver
        self.limit = limit
        self.urls: list[str] = []
        self._seen: set[str] = set()
        # Pages repeat the same href many times; each distinct value is resolved once.
        self._raw: set[str] = set()

    def add(self, raw: str | None) -> None:
        if raw is None or raw in self._raw or len(self.urls) >= self.limit:
            return
        self._raw.add(raw)
        url = self.resolver.resolve(raw)
        if url is not None and url not in self._seen:
            self._seen.add(url)
            self.urls.append(url)

    def add_all(self, raws: Iterable[str]) -> None:
        for raw in raws:
            self.add(raw)


# CSS is scanned as tokens, leftmost first, so that comments and strings hide what
# looks like a reference inside them. Groups 1-5 are url() and @import targets; 7-8
# are strings, which count only inside image-set(), opened by group 6 and closed by
# the next ")" (group 9).
_CSS_STRING_2 = r'"((?:[^"\\\n]|\\.)*)"'
_CSS_STRING_1 = r"'((?:[^'\\\n]|\\.)*)'"
_CSS_TOKEN = re.compile(
    r"/\*.*?(?:\*/|\Z)"
    rf"|url\(\s*(?:{_CSS_STRING_2}|{_CSS_STRING_1}|((?:[^)\"'\s\\]|\\.)*))\s*\)"
    rf"|@import\s*(?:{_CSS_STRING_2}|{_CSS_STRING_1})"
    r"|(image-set\()"
    rf"|{_CSS_STRING_2}|{_CSS_STRING_1}"
    r"|(\))",
    re.I | re.S,
)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}\s?|.)", re.S)


def _css_unescape(value: str) -> str:
    if "\\" not in value:
        return value

    def one(m: re.Match[str]) -> str:
        text = m.group(1)
        if text[0] in "0123456789abcdefABCDEF":
            code = int(text.strip(), 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return "" if text == "\n" else text

    return _CSS_ESCAPE.sub(one, value)


def _css_refs(css: str) -> Iterator[str]:
    in_image_set = False
    for m in _CSS_TOKEN.finditer(css):
        group = m.lastindex
        if group is None:  # a comment
            continue
        if group <= 5:
            yield _css_unescape(m.group(group))
        elif group == 6:
            in_image_set = True
        elif group <= 8:
            if in_image_set:
                yield _css_unescape(m.group(group))
        else:
            in_image_set = False


def srcset_urls(value: str) -> list[str]:
    """The image URLs of a ``srcset`` value, following the WHATWG parsing algorithm.

    A candidate URL may itself contain commas ("a.jpg?w=1,2 1x"); a comma ends a
    candidate only after its descriptors, outside parentheses, or at the very end
    of the URL.
    """
    if "," not in value:
        # One candidate, the common case: the URL is the first whitespace-separated word.
        return value.split()[:1]
    urls: list[str] = []
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and (value[pos] == "," or value[pos].isspace()):
            pos += 1
        start = pos
        while pos < end and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while pos < end:
                c = value[pos]
                pos += 1
                if c == "(":
                    depth += 1
                elif c == ")" and depth:
                    depth -= 1
                elif c == "," and not depth:
                    break
        if url:
            urls.append(url)
    return urls


_REFRESH = re.compile(r"\s*[0-9.]+\s*(?:[;,]\s*)?(?:url\s*=\s*)?(.*)", re.I | re.S)


def refresh_target(content: str) -> str | None:
    """The URL part of a ``<meta http-equiv=refresh>`` content value, unresolved.

    "5", "0; url=/x", "0;URL='/x'", "0, /x" all parse as browsers parse them
    (HTML "shared declarative refresh steps"); content without a leading time is ignored.
    """
    m = _REFRESH.match(content)
    if m is None:
        return None
    url = m.group(1).strip()
    if url[:1] in ("'", '"'):
        quote, url = url[0], url[1:]
        url = url.partition(quote)[0]
    return url or None


def extract_css(body: bytes, url: str) -> Outlinks:
    """The url() and @import targets of a stylesheet, all as embeds."""
    embeds = _Collector(LinkResolver(url), MAX_LINKS)
    embeds.add_all(_css_refs(body.decode(css_charset(body), "replace")))
    return Outlinks(embeds=tuple(embeds.urls))


# Link relations whose target the page needs to render; everything else (canonical,
# alternate, next, author...) is a page to visit, except relations naming an
# origin or an endpoint rather than a document.
_EMBED_RELS = frozenset(
    {
        "stylesheet",
        "icon",
        "apple-touch-icon",
        "apple-touch-icon-precomposed",
        "mask-icon",
        "fluid-icon",
        "manifest",
        "preload",
        "modulepreload",
        "prefetch",
    }
)
_SKIP_RELS = frozenset({"dns-prefetch", "preconnect", "pingback", "webmention", "edituri"})
_SRC_TAGS = frozenset({"script", "iframe", "frame", "video", "audio", "track", "embed"})
_BACKGROUND_TAGS = frozenset({"body", "table", "td", "th"})
# Per thread: lxml parsers serialise concurrent use, and the crawler parses in workers.
_local = threading.local()


def _parser() -> etree.HTMLParser:
    parser: etree.HTMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        # huge_tree lifts libxml2's nesting limit from 256 to 2048 levels; HTML has no
        # entities to expand, and the body size is bounded by the caller.
        parser = etree.HTMLParser(
            encoding="utf-8",
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            huge_tree=True,
            default_doctype=False,
        )
        _local.parser = parser
    return parser


def _parse_html(body: bytes, encoding: str | None) -> etree._Element | None:
    codec = html_charset(body, encoding)
    if codec != "utf-8" or body.startswith(codecs.BOM_UTF8):
        # Hand libxml2 one known encoding rather than let it guess: its detection
        # ignores the HTTP charset and disagrees with browsers on labels.
        body = body.decode(codec, "replace").encode("utf-8", "replace")
        if body.startswith(codecs.BOM_UTF8):
            body = body[len(codecs.BOM_UTF8) :]
    if not body.strip():
        return None
    try:
        return etree.fromstring(body, _parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _title(el: etree._Element) -> str | None:
    # An <svg><title> is a tooltip, not the document title.
    if next(el.iterancestors("svg"), None) is not None:
        return None
    text = " ".join("".join(el.itertext()).split())
    return text or None


def extract_html(body: bytes, url: str, encoding: str | None = None) -> Outlinks:
    """Links, requisites, feeds, refresh target, title and base of an HTML page.

    ``encoding`` is the charset from the HTTP Content-Type, which wins over ``<meta>``.
    Never raises for malformed input; an unparseable body gives empty Outlinks.
    """
    root = _parse_html(body, encoding)
    if root is None:
        return EMPTY
    # The first <base href> applies to the whole document, links before it included.
    base = url
    base_href: str | None = None
    for el in root.iter("base"):
        href = el.get("href")
        if href is not None:
            base_href = absolute_url(href, url)
            if base_href is not None:
                base = base_href
            break

    resolver = LinkResolver(base)
    links = _Collector(resolver, MAX_LINKS)
    embeds = _Collector(resolver, MAX_LINKS)
    feeds = _Collector(resolver, MAX_LINKS)
    refresh: str | None = None
    title: str | None = None

    # One walk over every element: style="" can sit on any of them, and the order
    # of the walk is the document order of the results.
    for el in root.iter():
        tag = el.tag
        get = el.get
        if tag == "a" or tag == "area":
            links.add(get("href"))
        elif tag == "img" or tag == "source":
            embeds.add(get("src"))
            for attr in ("srcset", "data-srcset"):
                srcset = get(attr)
                if srcset:
                    embeds.add_all(srcset_urls(srcset))
            # Lazy-loading scripts swap these in; an archive without them replays blank.
            embeds.add(get("data-src"))
        elif tag == "link":
            _link(el, links, embeds, feeds)
        elif tag in _SRC_TAGS:
            embeds.add(get("src"))
            if tag == "video":
                embeds.add(get("poster"))
        elif tag == "input":
            if (get("type") or "").strip().lower() == "image":
                embeds.add(get("src"))
        elif tag == "object":
            embeds.add(get("data"))
        elif tag == "meta":
            if refresh is None and (get("http-equiv") or "").strip().lower() == "refresh":
                target = refresh_target(get("content") or "")
                if target is not None:
                    refresh = resolver.resolve(target)
        elif tag == "style":
            if el.text:
                embeds.add_all(_css_refs(el.text))
        elif tag == "title":
            if title is None:
                title = _title(el)
        elif tag == "image":
            # SVG <image> inside HTML, in either spelling.
            embeds.add(get("href") or get("xlink:href"))
        elif tag in _BACKGROUND_TAGS:
            embeds.add(get("background"))
        style = get("style")
        if style and "(" in style:
            embeds.add_all(_css_refs(style))

    return Outlinks(
        links=tuple(links.urls),
        embeds=tuple(embeds.urls),
        feeds=tuple(feeds.urls),
        refresh=refresh,
        title=title,
        base=base_href,
    )


def _link(el: etree._Element, links: _Collector, embeds: _Collector, feeds: _Collector) -> None:
    href = el.get("href")
    rels = set((el.get("rel") or "").lower().split())
    if "alternate" in rels:
        mime = media_type(el.get("type"))
        if mime in _FEED_TYPES:
            feeds.add(href)
            return
    if rels & _EMBED_RELS:
        embeds.add(href)
        srcset = el.get("imagesrcset")
        if srcset:
            embeds.add_all(srcset_urls(srcset))
    elif not rels & _SKIP_RELS:
        links.add(href)


def extract(body: bytes, url: str, content_type: str | None) -> Outlinks:
    """Dispatch on the media type of ``content_type``; other types give empty Outlinks."""
    mime = media_type(content_type)
    if mime in HTML_TYPES:
        return extract_html(body, url, charset_param(content_type))
    if mime in _CSS_TYPES:
        return extract_css(body, url)
    return EMPTY



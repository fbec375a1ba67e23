"""What a captured response leads to: links, requisites, redirects, sitemap and feed entries.

Runs in worker threads. Each URL found carries its hop letter: L link, E embed (page
requisite), R redirect (Location or meta refresh), X discovery of a sitemap or feed,
S a URL listed in a sitemap or feed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..web.decoding import decode_body
from ..web.exchange import Exchange
from ..web.media import HTML_TYPES
from .links import extract
from .profiles import Detection, detect
from .sitemaps import (
    looks_like_feed,
    looks_like_sitemap,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
)

__all__ = ["Discovered", "discover"]

_DECODE_LIMIT = 20_000_000


@dataclass(frozen=True)
class Discovered:
    links: tuple[tuple[str, str], ...]
    is_page: bool = False
    body: bytes | None = None  # the decoded body, when one was read
    title: str | None = None
    generator: Detection | None = None  # the CMS that made the page (capture/profiles.py)


def discover(ex: Exchange, hops: str, *, location: str | None = None,
             detecting: bool = True) -> Discovered | None:
    """What ``ex`` leads to; ``detecting``: look for the CMS that made a page (only
    while the crawl's site profile is still being chosen)."""
    links: list[tuple[str, str]] = []
    if location:
        links.append((location, "R"))
    if ex.entity is None or ex.truncated:
        return Discovered(tuple(links)) if links else None
    body = decode_body(ex.entity, ex.header("content-encoding"), _DECODE_LIMIT)
    if hops.endswith("P"):
        if 200 <= ex.status < 300:
            links.extend((u, "X") for u in robots_sitemaps(body, ex.url))
        return Discovered(tuple(links), body=body)
    if not 200 <= ex.status < 300:
        return Discovered(tuple(links), body=body) if links else None
    mime = ex.mime
    head = body[:4096]
    if hops.endswith("X") and looks_like_sitemap(ex.url, mime, head):
        entries = parse_sitemap(body, ex.url, mime)
        links.extend((u, "X") for u in entries.sitemaps)
        links.extend((u, "S") for u in entries.urls)
        return Discovered(tuple(links), body=body)
    if looks_like_feed(ex.url, mime, head) and mime not in HTML_TYPES:
        entries = parse_feed(body, ex.url)
        links.extend((u, "S") for u in entries.urls)
        return Discovered(tuple(links), body=body)
    out = extract(body, ex.url, ex.header("content-type"))
    links.extend((u, "L") for u in out.links)
    links.extend((u, "E") for u in out.embeds)
    links.extend((u, "X") for u in out.feeds)
    if out.refresh:
        links.append((out.refresh, "R"))
    is_page = mime in HTML_TYPES
    generator = detect(ex.url, ex.header, body, links) if is_page and detecting else None
    return Discovered(tuple(links), is_page=is_page, body=None, title=out.title,
                      generator=generator)

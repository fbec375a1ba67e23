"""Machine-readable discovery files: robots.txt, the sitemap index and its sitemaps, RSS."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from .model import Article
from .text import Identity

__all__ = ["robots_txt", "sitemap_index", "urlset", "gzip_file", "rss"]

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def robots_txt(base: str, crawl_delay: float | None) -> str:
    lines = ["# robots.txt for an archived WordPress site", "User-agent: *",
             "Disallow: /private/", "Disallow: /wp-admin/"]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    lines += ["", "User-agent: BadBot", "Disallow: /", "", f"Sitemap: {base}sitemap.xml", ""]
    return "\n".join(lines)


def sitemap_index(base: str, parts: Sequence[tuple[str, datetime]]) -> str:
    entries = "".join(
        f"<sitemap><loc>{escape(base.rstrip('/') + path)}</loc>"
        f"<lastmod>{modified.isoformat()}</lastmod></sitemap>\n" for path, modified in parts)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_SITEMAP_NS}">\n'
            f"{entries}</sitemapindex>\n")


def urlset(base: str, entries: Sequence[tuple[str, datetime | None]]) -> str:
    rows = []
    for path, modified in entries:
        lastmod = f"<lastmod>{modified.isoformat()}</lastmod>" if modified else ""
        rows.append(f"<url><loc>{escape(base.rstrip('/') + path)}</loc>{lastmod}</url>\n")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SITEMAP_NS}">\n'
            f"{''.join(rows)}</urlset>\n")


def gzip_file(data: bytes) -> bytes:
    # mtime=0 keeps the bytes identical between runs.
    return gzip.compress(data, compresslevel=9, mtime=0)


def rss(base: str, ident: Identity, items: Sequence[Article]) -> str:
    root = base.rstrip("/")
    entries = []
    for a in items:
        summary = next(p for p in a.paragraphs if not p.startswith("## "))
        entries.append(f"""<item>
<title>{escape(a.title)}</title>
<link>{escape(root + a.path)}</link>
<guid isPermaLink="true">{escape(root + a.path)}</guid>
<dc:creator>{escape(a.author)}</dc:creator>
<pubDate>{format_datetime(a.published)}</pubDate>
<description>{escape(summary)}</description>
</item>
""")
    newest = max((a.published for a in items), default=None)
    build = f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>\n" if newest else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{escape(ident.site_name)}</title>
<atom:link href="{escape(root)}/feed.xml" rel="self" type="application/rss+xml"/>
<link>{escape(base)}</link>
<description>News from {escape(ident.name)}, Member of the European Parliament</description>
<language>en-GB</language>
{build}{"".join(entries)}</channel>
</rss>
"""

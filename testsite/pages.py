"""The content of each kind of HTML page on the test site, inside the shared shell.

Each function returns the page's ``<main>`` HTML and any extra ``<head>`` markup; the
links in them define what a crawler can discover (see ``Site.expected_paths``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from urllib.parse import urlsplit

from .assets import UPLOADED_MANIFESTO
from .layout import Shell, long_date, month_name
from .model import Article
from .text import Identity

__all__ = [
    "home", "news_list", "article", "article_head", "about", "contact", "privacy",
    "simple", "calendar", "events", "cp1252_speech", "private_links", "PageBody",
]

PageBody = tuple[str, str]  # (main, head)


def _body(paragraphs: Sequence[str]) -> str:
    out = []
    for text in paragraphs:
        if text.startswith("## "):
            out.append(f"<h2>{escape(text[3:])}</h2>")
        else:
            out.append(f"<p>{escape(text)}</p>")
    return "\n".join(out)


def _excerpt(a: Article) -> str:
    first = next(p for p in a.paragraphs if not p.startswith("## "))
    return first.split(". ")[0].rstrip(".") + "."


def _teaser(a: Article) -> str:
    return f"""<article class="post type-post">
<a class="post-thumbnail" href="{a.path}"><img src="{a.image}" width="80" height="48" alt=""></a>
<h2 class="entry-title"><a href="{a.path}" rel="bookmark">{escape(a.title)}</a></h2>
<div class="entry-meta"><time class="entry-date published" datetime="{a.published.isoformat()}">
{long_date(a.published)}</time></div>
<div class="entry-summary"><p>{escape(_excerpt(a))} <a class="more-link" href="{a.path}">Read
 more<span class="screen-reader-text"> about {escape(a.title)}</span></a></p></div>
</article>"""


def home(shell: Shell, latest: Sequence[Article], peers: Sequence[str]) -> PageBody:
    ident = shell.ident
    peer_links = ""
    if peers:
        items = "".join(f'<li><a href="{escape(p)}">{escape(p)}</a></li>' for p in peers)
        peer_links = f'<section class="colleagues"><h2>Colleagues\' sites</h2><ul>{items}</ul>' \
                     "</section>"
    main = f"""<section class="hero">
<img src="/media/hero-800.jpg" srcset="/media/hero-400.jpg 400w, /media/hero-800.jpg 800w"
 sizes="(max-width: 600px) 400px, 800px" width="800" height="300"
 alt="{escape(ident.name)} speaking in the European Parliament">
<h1>Working for {escape(ident.region)} in Europe</h1>
<p>{escape(ident.first)} represented {escape(ident.region)} in the European Parliament from
 2014 to 2020. This site is kept as a record of that work.
 <a href="/about/#biography">Read {escape(ident.first)}'s biography</a>.</p>
<p><a class="button" href="/go/latest">Read the latest news</a></p>
</section>
<section class="latest-posts"><h2>Latest news</h2>
{"".join(_teaser(a) for a in latest)}
<p><a href="/news/">All news</a></p></section>
{peer_links}"""
    og_image = escape(shell.absolute("/media/hero-800.jpg"))
    head = f"""<style id="hero-inline-css">
.hero {{ background: #12325b url("/static/img/hero-bg.png") no-repeat center / cover; }}
</style>
<meta property="og:type" content="website">
<meta property="og:image" content="{og_image}">
"""
    return main, head


def news_list(items: Sequence[Article], page: int, pages: int) -> PageBody:
    def href(n: int) -> str:
        return "/news/" if n == 1 else f"/news/page/{n}/"

    nav = []
    if page > 1:
        nav.append(f'<a class="prev page-numbers" href="{href(page - 1)}">Newer posts</a>')
    for n in range(1, pages + 1):
        if n == page:
            nav.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
        else:
            nav.append(f'<a class="page-numbers" href="{href(n)}">{n}</a>')
    if page < pages:
        nav.append(f'<a class="next page-numbers" href="{href(page + 1)}">Older posts</a>')
    heading = "News" if page == 1 else f"News &ndash; page {page}"
    main = f"""<header class="page-header"><h1 class="page-title">{heading}</h1></header>
{"".join(_teaser(a) for a in items)}
<nav class="navigation pagination" aria-label="Posts"><div class="nav-links">
{" ".join(nav)}</div></nav>"""
    return main, ""


def article_head(shell: Shell, a: Article) -> str:
    url = shell.absolute(a.path)
    image = shell.absolute(a.image)
    head = [
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{escape(a.title)}">',
        f'<meta property="og:url" content="{escape(url)}">',
        f'<meta property="og:image" content="{escape(image)}">',
        f'<meta property="og:site_name" content="{escape(shell.ident.site_name)}">',
        f'<meta property="article:published_time" content="{a.published.isoformat()}">',
        f'<meta name="author" content="{escape(a.author)}">',
    ]
    if a.modified:
        head.append(f'<meta property="article:modified_time" content="{a.modified.isoformat()}">')
    if a.dublin_core:
        head += [
            '<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/">',
            f'<meta name="DC.title" content="{escape(a.title)}">',
            f'<meta name="DC.creator" content="{escape(a.author)}">',
            f'<meta name="DC.date" content="{a.published:%Y-%m-%d}">',
            '<meta name="DC.language" content="en-GB">',
            f'<meta name="DC.identifier" content="{escape(url)}">',
        ]
    if a.json_ld:
        data = {
            "@context": "https://schema.org", "@type": "NewsArticle",
            "headline": a.title, "datePublished": a.published.isoformat(),
            "dateModified": a.updated.isoformat(), "image": [image],
            "author": {"@type": "Person", "name": a.author},
            "publisher": {"@type": "Organization", "name": shell.ident.site_name,
                          "logo": {"@type": "ImageObject",
                                   "url": shell.absolute("/static/img/logo.png")}},
            "mainEntityOfPage": url,
        }
        text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        head.append(f'<script type="application/ld+json">{text}</script>')
    return "\n".join(head) + "\n"


def article(shell: Shell, a: Article, newer: Article | None, older: Article | None) -> PageBody:
    links = []
    if older:
        links.append(f'<div class="nav-previous"><a href="{older.path}" rel="prev">'
                     f"&larr; {escape(older.title)}</a></div>")
    if newer:
        links.append(f'<div class="nav-next"><a href="{newer.path}" rel="next">'
                     f"{escape(newer.title)} &rarr;</a></div>")
    main = f"""<article class="post type-post status-publish format-standard has-post-thumbnail">
<header class="entry-header"><h1 class="entry-title">{escape(a.title)}</h1>
<div class="entry-meta"><span class="byline">By <span class="author vcard">{escape(a.author)}
</span></span> <span class="posted-on">on <time class="entry-date published"
 datetime="{a.published.isoformat()}">{long_date(a.published)}</time></span></div></header>
<figure class="post-thumbnail"><img src="{a.image}" width="640" height="360"
 alt="{escape(a.title)}"><figcaption>{escape(shell.ident.name)} MEP.</figcaption></figure>
<div class="entry-content">
{_body(a.paragraphs)}
</div>
<footer class="entry-footer"><a href="/news/">Back to all news</a></footer>
</article>
<nav class="navigation post-navigation" aria-label="Posts"><div class="nav-links">
{"".join(links)}</div></nav>"""
    return main, article_head(shell, a)


def about(ident: Identity, speech_path: str) -> PageBody:
    main = f"""<article class="page"><h1 class="entry-title">About {escape(ident.first)}</h1>
<div class="portrait" style="background-image: url('/media/portrait.jpg')"
 role="img" aria-label="Portrait of {escape(ident.name)}"></div>
<h2 id="biography">Biography</h2>
<p>{escape(ident.name)} was elected to the European Parliament for {escape(ident.region)} in
 2014 and re-elected in 2019, serving until the United Kingdom left the European Union on
 31 January 2020, on the Fisheries and the Regional Development committees.</p>
<p>Before entering politics {escape(ident.first)} worked as a marine biologist and a community
 energy adviser, and is now {escape(ident.later_role)}.</p>
<h2>Documents</h2>
<ul>
<li><a href="/media/manifesto.pdf">2019 European election manifesto (PDF, 1 page)</a></li>
<li><a href="{UPLOADED_MANIFESTO}">The same manifesto, as first
 uploaded</a></li>
<li><a href="/missing/">2014 election leaflet</a> (no longer available)</li>
<li><a href="{speech_path}">Speech on the euro and Scotland's exporters (2016)</a></li>
<li><a href="/old-news/">News archive from the old website</a></li>
<li><a href="/moved/">Biography (old address)</a></li>
</ul></article>"""
    return main, ""


def contact(ident: Identity, fault_paths: Sequence[str]) -> PageBody:
    faults = ""
    if fault_paths:
        items = "".join(f'<li><a href="{p}">{escape(p)}</a></li>' for p in fault_paths)
        faults = f'<section class="diagnostics"><h2>Server diagnostics</h2><ul>{items}</ul>' \
                 "</section>"
    main = f"""<article class="page"><h1 class="entry-title">Contact</h1>
<p>The European Parliament office of {escape(ident.name)} closed on 31 January 2020.
 Letters sent to the addresses below are forwarded.</p>
<address>{escape(ident.last)} office<br>12 High Street<br>{escape(ident.region)}</address>
<p>Email: <a href="mailto:office@{escape(ident.last.lower())}.example">office@{
escape(ident.last.lower())}.example</a><br>Telephone: <a href="tel:+441463000000">01463
 000000</a></p>
<form class="wpcf7-form" method="post" action="/contact/send/">
<p><label>Your name <input type="text" name="your-name" required></label></p>
<p><label>Your message <textarea name="your-message" rows="5"></textarea></label></p>
<p><button type="submit">Send</button></p></form>
<p class="staff"><a href="/private/secret/">Staff area</a></p>
{faults}</article>"""
    return main, ""


def privacy(ident: Identity) -> PageBody:
    main = f"""<article class="page"><h1 class="entry-title">Privacy and cookies</h1>
<p>This archived site sets no cookies and collects no personal data. Newsletter subscriptions
 were closed in January 2020 and the list was deleted.</p>
<p>Questions about data held by the former office of {escape(ident.name)} can be sent through
 the <a href="/contact/">contact page</a>.</p></article>"""
    return main, ""


def simple(heading: str, paragraphs: Sequence[str]) -> PageBody:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return f'<article class="page"><h1 class="entry-title">{escape(heading)}</h1>{body}' \
           "</article>", ""


def _shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def calendar(year: int, month: int) -> PageBody:
    """A month that links to the months either side of it, without end: a crawler trap."""
    prev_y, prev_m = _shift(year, month, -1)
    next_y, next_m = _shift(year, month, 1)
    days = "".join(
        f"<li><time datetime=\"{year:04d}-{month:02d}-{day:02d}\">{day}</time></li>"
        for day in range(1, 29))
    main = f"""<article class="page calendar"><h1>Events: {month_name(month)} {year}</h1>
<ol class="calendar-days">{days}</ol>
<p class="calendar-nav"><a href="?month={prev_y:04d}-{prev_m:02d}">&laquo; Previous month</a>
 <a href="?month={next_y:04d}-{next_m:02d}">Next month &raquo;</a>
 <a href="/events/{year:04d}/{month:02d}/">List view</a></p></article>"""
    return main, '<meta name="robots" content="noindex">\n'


def events(year: int, month: int) -> PageBody:
    prev_y, prev_m = _shift(year, month, -1)
    next_y, next_m = _shift(year, month, 1)
    main = f"""<article class="page events"><h1>Events in {month_name(month)} {year}</h1>
<p>No events are planned this month.</p>
<p><a href="/events/{prev_y:04d}/{prev_m:02d}/">Previous month</a>
 <a href="/events/{next_y:04d}/{next_m:02d}/">Next month</a>
 <a href="/calendar/?month={year:04d}-{month:02d}">Calendar view</a></p></article>"""
    return main, ""


def cp1252_speech(ident: Identity) -> PageBody:
    """Characters that differ between windows-1252, latin-1 and UTF-8: € “ ” ‘ ’ – ü é."""
    main = f"""<article class="post"><h1 class="entry-title">Speech: the euro and Scotland’s
 exporters</h1>
<div class="entry-meta">By <span class="author">{escape(ident.name)}</span> on <time
 datetime="2016-05-12T09:00:00+00:00">12 May 2016</time></div>
<div class="entry-content">
<p>“Madam President, our exporters sold €2.4 billion of food and drink to the eurozone
 last year – and every one of those sales depended on rules we agreed together.”</p>
<p>I thank Herr Müller for his report. As the café owners of Portree told me, ‘a stable
 currency next door is good for business’.</p>
<p>Prices quoted in the report range from €0.50 to €1,200 per tonne – a naïve reading
 would miss the seasonal effect.</p></div></article>"""
    return main, ""


def private_links(base: str) -> PageBody:
    """Links to addresses an SSRF guard must refuse: another loopback address, RFC 1918."""
    port = urlsplit(base).port or 80
    main = f"""<article class="page"><h1 class="entry-title">Links to other networks</h1>
<ul><li><a href="http://127.0.0.2:{port}/">Another loopback address</a></li>
<li><a href="http://10.0.0.1/">A private network router</a></li>
<li><img src="http://10.0.0.1/logo.png" alt="router logo"></li></ul></article>"""
    return main, ""

"""The test site's content and routing: every path it serves, as a pure function of its state.

A ``Site`` holds the generated articles (deterministic for a given identity and count)
and answers ``resolve(path, query)`` with a ``Page``; it knows nothing about sockets.
The fault endpoints live in the server, which needs the connection itself.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from . import assets, cms, feeds, pages, text
from .layout import CALENDAR_ENTRY, Shell, document
from .model import Article, Page

__all__ = ["Site", "CP1252_PATH", "FEED_ONLY_PATH", "FEED_ONLY_IMAGE", "HIDDEN_PATH",
           "PRIVATE_PATH", "PER_PAGE", "BROKEN_PAGE", "BROKEN_IMAGE", "BROKEN_ENDPOINT",
           "BROKEN_REDIRECT", "OFFSITE_PETITION", "REPAIRED_CHART", "REPAIRED_LINK"]

PER_PAGE = 10
CP1252_PATH = "/news/2016/05/cp1252/"
FEED_ONLY_PATH = "/news/2020/01/feed-only/"
FEED_ONLY_IMAGE = "/media/2020/01/feed-only.jpg"
HIDDEN_PATH = "/hidden/only-in-sitemap/"
PRIVATE_PATH = "/private/secret/"
# With ``broken`` (opt-in): a page, linked from /contact/, whose image answers 404 and
# whose link leads to an endpoint that answers 500, until ``repair()`` (what a crawl
# misses and a patch crawl fetches later: access/missed.py, access/patch.py); it also
# links to a redirect to another site. Repaired, the endpoint is a page with the site's
# stylesheets and scripts, one new image and a link to a new page.
BROKEN_PAGE = "/campaigns/petition/"
BROKEN_IMAGE = "/media/campaigns/petition.jpg"
BROKEN_ENDPOINT = "/api/petition/signatures"
BROKEN_REDIRECT = "/campaigns/sign"
REPAIRED_CHART = "/media/campaigns/signatures.jpg"  # on the endpoint's page, once repaired
REPAIRED_LINK = "/campaigns/results/"  # linked from the endpoint's page, once repaired
OFFSITE_PETITION = "https://petitions.parliament.example/sign/1204"

_FIRST_POST = datetime(2014, 7, 1, 8, 0, tzinfo=UTC)
_LAST_POST = datetime(2020, 1, 31, 8, 0, tzinfo=UTC)
_ARCHIVED = datetime(2020, 2, 1, 12, 0, tzinfo=UTC)  # Last-Modified of fixed files
_SPEECH_DATE = datetime(2016, 5, 12, 9, 0, tzinfo=UTC)
_HTML = "text/html; charset=utf-8"

_NEWS_PAGE = re.compile(r"/news/page/(\d+)/")
_EVENTS = re.compile(r"/events/(\d{4})/(\d{2})/")
_MONTH = re.compile(r"month=(\d{4})-(\d{2})")

_TEXT_FILES = {
    "/static/site.css": (assets.SITE_CSS, "text/css"),
    "/static/layout.css": (assets.LAYOUT_CSS, "text/css"),
    "/static/site.js": (assets.SITE_JS, "application/javascript"),
}
# What a complete crawl captures besides the articles, their images and the news pages.
_FIXED_PAGES = ("/", "/news/", "/about/", "/contact/", "/privacy/", "/moved/", "/missing/",
                "/old-news/", "/go/latest", CP1252_PATH, FEED_ONLY_PATH, FEED_ONLY_IMAGE,
                HIDDEN_PATH, CALENDAR_ENTRY, "/robots.txt", "/sitemap.xml",
                "/sitemap-pages.xml", "/sitemap-news.xml.gz", "/feed.xml")


class Site:
    """The content of one test site; safe to serve from many threads at once."""

    def __init__(self, *, articles: int = 36, identity: int = 0, base: str = "http://127.0.0.1/",
                 crawl_delay: float | None = None, weight: str = "light",
                 cms: str | None = None, broken: bool = False) -> None:
        if articles < 0:
            raise ValueError("articles must be >= 0")
        if weight not in assets.WEIGHTS:
            raise ValueError(f"weight must be one of {', '.join(assets.WEIGHTS)}")
        if cms not in (None, "wordpress"):
            raise ValueError("cms must be None or 'wordpress'")
        self.cms = cms  # "wordpress": WordPress's own links and endpoints (testsite/cms.py)
        self.weight = weight
        self.index = identity
        self.ident = text.identity(identity)
        self.base = base
        self.crawl_delay = crawl_delay
        self.peers: tuple[str, ...] = ()
        self.fault_paths: tuple[str, ...] = ()  # linked from /contact/ when non-empty
        self.broken = broken  # BROKEN_PAGE is served, and linked from /contact/
        self.repaired = False  # BROKEN_IMAGE and BROKEN_ENDPOINT answer 200
        self._initial = max(articles, 1)
        self._lock = threading.Lock()
        self._slugs: set[str] = set()
        self._next = 0
        self._articles: tuple[Article, ...] = ()
        self._position: dict[str, int] = {}
        self._images: dict[str, Article] = {}
        self._unlisted: dict[str, Article] = {}  # path: an article no page links to any more
        self._moved: dict[str, str] = {}  # path: where it redirects (301) now
        self._publish([self._generate() for _ in range(articles)])

    def _generate(self) -> Article:
        n = self._next
        self._next += 1
        title = text.title(self.ident, self.index, n)
        slug = base_slug = text.slugify(title)
        suffix = 2
        while slug in self._slugs:  # WordPress's rule for a repeated title
            slug, suffix = f"{base_slug}-{suffix}", suffix + 1
        self._slugs.add(slug)
        span = int((_LAST_POST - _FIRST_POST).total_seconds() // 60)
        published = _FIRST_POST + timedelta(minutes=span * n // self._initial)
        author = text.pick((self.ident.name, self.ident.name, self.ident.name, "Press Office",
                            "Callum Reid"), "author", self.index, n)
        return Article(
            number=n, slug=slug, title=title, author=author, published=published,
            paragraphs=tuple(text.paragraphs(self.ident, self.index, n)),
            colour=assets.colour(self.index, n), json_ld=n % 3 == 0, dublin_core=n % 2 == 0,
        )

    @property
    def articles(self) -> tuple[Article, ...]:
        """Current articles, oldest first."""
        return self._articles

    def _publish(self, articles: Sequence[Article]) -> None:
        # Readers may see the old or the new lists for a moment: mutate between crawls.
        self._position = {a.path: i for i, a in enumerate(articles)}
        self._images = {a.image: a for a in articles}
        self._articles = tuple(articles)

    def edit_article(self, number: int, new_text: str) -> Article:
        """Replace an article's text (paragraphs split on blank lines); returns the new one."""
        with self._lock:
            current = list(self._articles)
            i = next(k for k, a in enumerate(current) if a.number == number)
            old = current[i]
            paragraphs = tuple(p.strip() for p in new_text.split("\n\n") if p.strip())
            current[i] = Article(
                number=old.number, slug=old.slug, title=old.title, author=old.author,
                published=old.published, paragraphs=paragraphs or ("",), colour=old.colour,
                json_ld=old.json_ld, dublin_core=old.dublin_core,
                modified=old.updated + timedelta(days=1),
            )
            self._publish(current)
            return current[i]

    def retitle_article(self, number: int, title: str) -> Article:
        """Give an article a new title (its path stays); returns the new one."""
        with self._lock:
            current = list(self._articles)
            i = next(k for k, a in enumerate(current) if a.number == number)
            current[i] = replace(current[i], title=title)
            self._publish(current)
            return current[i]

    def remove_article(self, number: int) -> Article:
        with self._lock:
            removed = next(a for a in self._articles if a.number == number)
            self._publish([a for a in self._articles if a.number != number])
            return removed

    def unlist_article(self, number: int) -> Article:
        """Take an article out of every list, feed, sitemap and neighbour's link, but keep
        serving it at its path (as a page unlinked by mistake, or kept on purpose)."""
        with self._lock:
            article = next(a for a in self._articles if a.number == number)
            self._unlisted[article.path] = article
            self._publish([a for a in self._articles if a.number != number])
            return article

    def move_article(self, number: int, target: str) -> Article:
        """Remove an article; its path answers 301 to ``target`` (a path) from now on."""
        with self._lock:
            article = next(a for a in self._articles if a.number == number)
            self._moved[article.path] = target
            self._publish([a for a in self._articles if a.number != number])
            return article

    def add_article(self) -> Article:
        with self._lock:
            article = self._generate()
            self._publish([*self._articles, article])
            return article

    def _shell(self) -> Shell:
        return Shell(self.ident, self.base, tuple(reversed(self._articles[-5:])),
                     assets.inline_theme(self.ident, self.weight))

    def _html(self, path: str, title: str, body: pages.PageBody, *, status: int = 200,
              gzip: bool = False, chunked: bool = False, modified: datetime | None = None,
              charset: str = "utf-8", body_class: str = "page",
              article: Article | None = None) -> Page:
        main, head = body
        if self.cms == "wordpress":
            head = cms.wordpress_head(self.base, path, article) + head
            if article is not None:
                main += cms.wordpress_comments(article)
        html = document(self._shell(), path=path, title=title, main=main, head=head,
                        charset=charset, body_class=body_class)
        return Page(status, html.encode(charset), f"text/html; charset={charset}",
                    gzip=gzip, chunked=chunked, last_modified=modified)

    def _newest_update(self) -> datetime:
        return max((a.updated for a in self._articles), default=_ARCHIVED)

    def page_count(self) -> int:
        return max(1, -(-len(self._articles) // PER_PAGE))

    def resolve(self, path: str, query: str = "") -> Page:
        """The response for a GET of path?query (the query matters only to the calendar)."""
        if self.cms == "wordpress":
            page = cms.wordpress_resolve(path, query)
            if page is not None:
                return page
        page = self._resolve_fixed(path, query) or self._resolve_content(path)
        return page or self.not_found(path)

    def _resolve_fixed(self, path: str, query: str) -> Page | None:
        ident = self.ident
        if path == "/":
            latest = tuple(reversed(self._articles[-5:]))
            return self._html(path, ident.site_name, pages.home(self._shell(), latest, self.peers),
                              gzip=True, modified=self._newest_update(), body_class="home")
        if path == "/about/":
            return self._html(path, f"About {ident.first}", pages.about(ident, CP1252_PATH),
                              gzip=True, modified=_ARCHIVED)
        if path == "/contact/":
            links = (*self.fault_paths, BROKEN_PAGE) if self.broken else self.fault_paths
            return self._html(path, "Contact", pages.contact(ident, links))
        if self.broken and path in (BROKEN_PAGE, BROKEN_IMAGE, BROKEN_ENDPOINT,
                                    BROKEN_REDIRECT, REPAIRED_CHART, REPAIRED_LINK):
            return self._broken(path)
        if path == "/privacy/":
            return self._html(path, "Privacy and cookies", pages.privacy(ident),
                              modified=_ARCHIVED)
        if path == "/moved/":
            body = pages.simple("This page has moved", ['<a href="/about/">Go to About</a>'])
            head = '<meta http-equiv="refresh" content="0; url=/about/">\n'
            return self._html(path, "Moved", (body[0], head))
        if path == HIDDEN_PATH:
            return self._html(path, "Accessibility statement", pages.simple(
                "Accessibility statement", ["This page is listed only in the sitemap."]))
        if path == PRIVATE_PATH:
            return self._html(path, "Staff area", pages.simple(
                "Staff area", ["robots.txt disallows this page: a polite crawler never sees it."]))
        if path == CP1252_PATH:
            return self._html(path, "Speech: the euro and Scotland\u2019s exporters",
                              pages.cp1252_speech(ident), charset="windows-1252",
                              modified=_SPEECH_DATE, body_class="single")
        if path == "/fault/private-link":
            return self._html(path, "Links to other networks", pages.private_links(self.base))
        if path == FEED_ONLY_PATH:
            article = self._feed_only()
            return self._html(path, article.title, pages.article(self._shell(), article, None,
                                                                 None), body_class="single")
        if path == "/old-news/":
            return _redirect(301, self.base + "news/")
        if path == "/go/latest":
            return _redirect(302, self._articles[-1].path if self._articles else "/news/")
        if path == "/calendar/":
            month = _MONTH.fullmatch(query)
            if month and 1 <= int(month[2]) <= 12:
                year, mon = int(month[1]), int(month[2])
                return self._html(path + "?" + query, f"Events {year}-{mon:02d}",
                                  pages.calendar(year, mon))
            return None
        events = _EVENTS.fullmatch(path)
        if events and 1 <= int(events[2]) <= 12:
            return self._html(path, "Events", pages.events(int(events[1]), int(events[2])))
        return self._resolve_file(path)

    def _resolve_file(self, path: str) -> Page | None:
        if path == "/robots.txt":
            return Page(200, feeds.robots_txt(self.base, self.crawl_delay).encode(),
                        "text/plain; charset=utf-8", last_modified=_ARCHIVED)
        if path == "/sitemap.xml":
            parts = [("/sitemap-pages.xml", _ARCHIVED),
                     ("/sitemap-news.xml.gz", self._newest_update())]
            return Page(200, feeds.sitemap_index(self.base, parts).encode(), "application/xml")
        if path == "/sitemap-pages.xml":
            return Page(200, feeds.urlset(self.base, self._sitemap_pages()).encode(),
                        "application/xml")
        if path == "/sitemap-news.xml.gz":
            entries = [(a.path, a.updated) for a in reversed(self._articles)]
            entries.append((CP1252_PATH, _SPEECH_DATE))
            xml = feeds.urlset(self.base, entries).encode()
            return Page(200, feeds.gzip_file(xml), "application/x-gzip",
                        last_modified=self._newest_update())
        if path == "/feed.xml":
            items = [self._feed_only(), *reversed(self._articles[-PER_PAGE:])]
            return Page(200, feeds.rss(self.base, self.ident, items).encode(),
                        "application/rss+xml; charset=utf-8", last_modified=self._newest_update())
        if path in _TEXT_FILES:
            content, kind = _TEXT_FILES[path]
            return Page(200, content.encode(), kind, gzip=True, last_modified=_ARCHIVED)
        fixed = assets.static_assets(self.ident).get(path)
        if fixed:
            return Page(200, fixed[0], fixed[1], last_modified=_ARCHIVED)
        return None

    def _resolve_content(self, path: str) -> Page | None:
        if path == "/news/":
            return self._news_page(1)
        match = _NEWS_PAGE.fullmatch(path)
        if match:
            n = int(match[1])
            if n == 1:
                return _redirect(301, "/news/")
            return self._news_page(n) if 1 < n <= self.page_count() else None
        i = self._position.get(path)
        ordered = self._articles
        if i is not None and i < len(ordered) and ordered[i].path == path:
            article = ordered[i]
            newer = ordered[i + 1] if i + 1 < len(ordered) else None
            older = ordered[i - 1] if i > 0 else None
            return self._html(path, article.title, pages.article(self._shell(), article, newer,
                                                                 older),
                              modified=article.updated, body_class="single", article=article)
        if path in self._moved:
            return _redirect(301, self._moved[path])
        unlisted = self._unlisted.get(path)
        if unlisted is not None:
            return self._html(path, unlisted.title, pages.article(self._shell(), unlisted, None,
                                                                  None),
                              modified=unlisted.updated, body_class="single",
                              article=unlisted)
        image = self._images.get(path) or next(
            (a for a in self._unlisted.values() if a.image == path), None)
        if path == FEED_ONLY_IMAGE:
            image = self._feed_only()
        if image:
            data = assets.article_image(image.colour, self.ident.site_name, image.slug,
                                        self.weight)
            return Page(200, data, "image/jpeg", last_modified=image.published)
        return None

    def repair(self) -> None:
        """The broken page's image and endpoint answer 200 from now on."""
        self.repaired = True

    def _broken(self, path: str) -> Page | None:
        if path == BROKEN_PAGE:
            return self._html(path, "Sign the petition", pages.simple("Sign the petition", [
                f'<img src="{BROKEN_IMAGE}" alt="Campaigners outside the Parliament">',
                f'<a href="{BROKEN_ENDPOINT}">How many have signed</a>',
                f'<a href="{BROKEN_REDIRECT}">Sign it on the Parliament\'s site</a>']))
        if path == BROKEN_REDIRECT:
            return _redirect(302, OFFSITE_PETITION)
        if not self.repaired:
            if path in (BROKEN_IMAGE, REPAIRED_CHART, REPAIRED_LINK):
                return self.not_found(path)
            return Page(500, b"<!DOCTYPE html><title>Error</title><p>Database error</p>\n",
                        _HTML)
        if path in (BROKEN_IMAGE, REPAIRED_CHART):
            return Page(200, assets.article_image((120, 30, 40), self.ident.site_name,
                                                  path, self.weight), "image/jpeg")
        if path == REPAIRED_LINK:
            return self._html(path, "Results", pages.simple("Results", ["Delivered."]))
        return self._html(path, "Signatures", pages.simple("Signatures", [
            "1,204 people have signed.", f'<img src="{REPAIRED_CHART}" alt="Signatures">',
            f'<a href="{REPAIRED_LINK}">What happened next</a>']))

    def _news_page(self, n: int) -> Page:
        newest_first = self._articles[::-1]
        items = newest_first[(n - 1) * PER_PAGE: n * PER_PAGE]
        path = "/news/" if n == 1 else f"/news/page/{n}/"
        # Page 1 is chunked; later pages are chunked and also gzipped when accepted.
        return self._html(path, "News" if n == 1 else f"News: page {n}",
                          pages.news_list(items, n, self.page_count()), chunked=True,
                          gzip=n > 1, body_class="blog")

    def not_found(self, path: str) -> Page:
        return self._html(path, "Page not found", pages.simple("Page not found", [
            "Sorry, the page you were looking for is not on this archived site.",
            '<a href="/news/">Browse the news</a> or go to the <a href="/">home page</a>.']),
            status=404, body_class="error404")

    def _feed_only(self) -> Article:
        paragraphs = ("This final newsletter was sent by email and published in the feed.",
                      "Thank you to everyone who wrote, visited and campaigned with us.")
        return Article(number=-1, slug="feed-only", title="Farewell from Brussels",
                       author=self.ident.name, published=_LAST_POST + timedelta(hours=4),
                       paragraphs=paragraphs, colour=(18, 50, 91))

    def _sitemap_pages(self) -> list[tuple[str, datetime | None]]:
        entries: list[tuple[str, datetime | None]] = [
            ("/", self._newest_update()), ("/news/", self._newest_update())]
        entries += [(f"/news/page/{n}/", None) for n in range(2, self.page_count() + 1)]
        entries += [("/about/", _ARCHIVED), ("/contact/", _ARCHIVED), ("/privacy/", _ARCHIVED),
                    (HIDDEN_PATH, _ARCHIVED)]
        return entries

    def expected_paths(self) -> set[str]:
        """Every path (with query) a complete polite crawl of this site must capture."""
        paths = set(_FIXED_PAGES) | set(_TEXT_FILES) | set(assets.static_assets(self.ident))
        paths |= {f"/news/page/{n}/" for n in range(2, self.page_count() + 1)}
        paths |= {a.path for a in self._articles} | {a.image for a in self._articles}
        return paths

    @staticmethod
    def is_trap(path: str) -> bool:
        """True for the endless calendar and events pages (the entry page is expected)."""
        return path.startswith("/calendar/") or path.startswith("/events/")


def _redirect(status: int, location: str) -> Page:
    body = (f'<!DOCTYPE html>\n<html><head><title>Moved</title></head><body><p>The document has'
            f' moved <a href="{location}">here</a>.</p></body></html>\n').encode()
    return Page(status, body, _HTML, headers=(("Location", location),))

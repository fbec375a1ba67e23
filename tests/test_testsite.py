"""The bundled test site: its content, framing, faults and the promises of expected_urls()."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests
from PIL import Image
from protego import Protego

import testsite
from testsite import FAULT_PATHS, TestSite, start_sites

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _get(site: TestSite, target: str, headers: dict[str, str] | None = None,
         method: str = "GET", timeout: float = 5.0) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection(site.host, site.port, timeout=timeout)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        response.close()
        return response, body
    finally:
        conn.close()


def _log(site: TestSite, target: str) -> list[bytes]:
    return [entry.raw_response for entry in site.requests if entry.path == target]


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head, body


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    while True:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n"
            return bytes(out)
        out += rest[:size]
        assert rest[size: size + 2] == b"\r\n"
        body = rest[size + 2:]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name):
                self.urls.append(values[name] or "")
        if values.get("srcset"):
            self.urls += [part.split()[0] for part in (values["srcset"] or "").split(",")]
        if values.get("style"):
            self.styles.append(values["style"] or "")
        if tag == "meta" and values.get("http-equiv") == "refresh":
            self.urls.append((values.get("content") or "").split("url=", 1)[1])
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False


def _css_urls(css: str) -> list[str]:
    found = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css)
    return found + re.findall(r"@import\s+['\"]([^'\"]+)['\"]", css)


def _outlinks(url: str, content_type: str, body: bytes) -> set[str]:
    if content_type.startswith("text/css"):
        found = _css_urls(body.decode())
    elif content_type.startswith("text/html"):
        parser = _Links()
        parser.feed(body.decode("cp1252" if "1252" in content_type else "utf-8"))
        found = parser.urls + [u for s in parser.styles for u in _css_urls(s)]
    else:
        return set()
    return {urljoin(url, u).split("#")[0] for u in found}


Crawl = dict[str, tuple[int, str, set[str]]]


@pytest.fixture(scope="module")
def crawl(shared_site: TestSite) -> Crawl:
    """Fetch every expected URL once: url -> (status, content type, in-scope outlinks)."""
    results = {}
    with requests.Session() as session:
        for url in sorted(shared_site.expected_urls()):
            response = session.get(url, allow_redirects=False)
            kind = response.headers.get("Content-Type", "")
            links = {u for u in _outlinks(url, kind, response.content)
                     if u.startswith(shared_site.url)}
            results[url] = (response.status_code, kind, links)
    return results


def test_expected_urls_answer_as_documented(shared_site: TestSite, crawl: Crawl) -> None:
    statuses = {url[len(shared_site.url) - 1:]: status for url, (status, _, _) in crawl.items()}
    assert statuses.pop("/missing/") == 404
    assert statuses.pop("/old-news/") == 301
    assert statuses.pop("/go/latest") == 302
    assert set(statuses.values()) == {200}
    assert set(shared_site.article_urls()) <= set(crawl)


def test_every_link_is_expected_disallowed_or_a_trap(shared_site: TestSite, crawl: Crawl) -> None:
    linked = set().union(*(links for _, _, links in crawl.values()))
    unexplained = {u for u in linked - shared_site.expected_urls()
                   if u not in shared_site.disallowed_urls() and not shared_site.is_trap(u)}
    assert unexplained == set()
    assert shared_site.disallowed_urls() <= linked  # the crawler must see and skip them


def test_hidden_and_feed_only_pages_are_not_linked(shared_site: TestSite, crawl: Crawl) -> None:
    linked = set().union(*(links - {url} for url, (_, _, links) in crawl.items()))
    for path in ("/hidden/only-in-sitemap/", "/news/2020/01/feed-only/"):
        assert shared_site.absolute(path) in shared_site.expected_urls()
        assert shared_site.absolute(path) not in linked


def test_every_html_page_has_the_archive_banner(shared_site: TestSite, crawl: Crawl) -> None:
    html = [url for url, (status, kind, _) in crawl.items()
            if kind.startswith("text/html") and status in (200, 404)]
    assert len(html) > 40
    for url in html[:10] + html[-10:]:
        text = requests.get(url).text
        assert "This site is archived. For Mairi's work as MSP for" in text
        assert 'href="http://www.parliament.example/msps/mairi-campbell"' in text


def test_robots_txt(shared_site: TestSite) -> None:
    response, body = _get(shared_site, "/robots.txt")
    text = body.decode()
    assert response.status == 200
    assert "User-agent: *\n" in text and "Disallow: /private/\n" in text
    assert f"Sitemap: {shared_site.url}sitemap.xml" in text
    assert "Crawl-delay" not in text
    rules = Protego.parse(text)
    assert not rules.can_fetch(shared_site.absolute("/private/secret/"), "preserve")
    assert rules.can_fetch(shared_site.absolute("/news/"), "preserve")


def test_crawl_delay_is_an_option() -> None:
    with TestSite(articles=1, crawl_delay=1.5) as site:
        _, body = _get(site, "/robots.txt")
    assert Protego.parse(body.decode()).crawl_delay("preserve") == 1.5


def test_gzip_only_when_accepted(shared_site: TestSite) -> None:
    response, body = _get(shared_site, "/", {"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Vary") == "Accept-Encoding"
    assert b"This site is archived" in gzip.decompress(body)
    plain, plain_body = _get(shared_site, "/static/site.css")
    assert plain.getheader("Content-Encoding") is None and b"@import" in plain_body
    css, css_body = _get(shared_site, "/static/site.css", {"Accept-Encoding": "gzip;q=0"})
    assert css.getheader("Content-Encoding") is None


def test_chunked_framing_on_the_wire(shared_site: TestSite) -> None:
    response, body = _get(shared_site, "/news/")
    assert response.getheader("Transfer-Encoding") == "chunked"
    head, wire = _split_head(_log(shared_site, "/news/")[-1])
    assert b"\r\nTransfer-Encoding: chunked" in head and b"Content-Length" not in head
    assert wire.startswith(b"400\r\n") and wire.endswith(b"\r\n0\r\n\r\n")
    assert _dechunk(wire) == body


def test_chunked_and_gzipped_news_page(shared_site: TestSite) -> None:
    response, body = _get(shared_site, "/news/page/2/", {"Accept-Encoding": "gzip"})
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Encoding") == "gzip"
    _, wire = _split_head(_log(shared_site, "/news/page/2/")[-1])
    assert gzip.decompress(_dechunk(wire)) == gzip.decompress(body)


def test_raw_request_and_response_are_the_exact_bytes(shared_site: TestSite) -> None:
    request = (b"GET /about/?x=1 HTTP/1.1\r\nHost: example\r\nX-Odd-CASE: yes\r\n"
               b"Connection: close\r\n\r\n")
    with socket.create_connection((shared_site.host, shared_site.port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    entry = next(e for e in shared_site.requests if e.path == "/about/?x=1")
    assert entry.raw_request == request
    assert entry.raw_response == received
    assert entry.complete and entry.status == 200
    assert ("X-Odd-CASE", "yes") in entry.headers
    head, body = _split_head(received)
    assert b"\r\nConnection: close" in head
    assert f"Content-Length: {len(body)}".encode() in head


def test_keep_alive_serves_several_requests_on_one_connection(shared_site: TestSite) -> None:
    conn = http.client.HTTPConnection(shared_site.host, shared_site.port, timeout=5)
    try:
        for target in ("/about/", "/news/", "/robots.txt"):
            conn.request("GET", target)
            with conn.getresponse() as response:
                assert response.status == 200 and response.read()
                assert not response.will_close
    finally:
        conn.close()


def test_head_has_no_body(shared_site: TestSite) -> None:
    response, body = _get(shared_site, "/news/", method="HEAD")
    assert response.status == 200 and body == b""


def test_post_is_refused(shared_site: TestSite) -> None:
    response, _ = _get(shared_site, "/newsletter/subscribe/", method="POST")
    assert response.status == 405 and response.getheader("Allow") == "GET, HEAD"


def test_conditional_get(shared_site: TestSite) -> None:
    first, _ = _get(shared_site, "/about/")
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    assert etag and modified
    again, body = _get(shared_site, "/about/", {"If-None-Match": etag})
    assert again.status == 304 and body == b""
    since, _ = _get(shared_site, "/about/", {"If-Modified-Since": modified})
    assert since.status == 304


def test_cp1252_page(shared_site: TestSite) -> None:
    response, body = _get(shared_site, "/news/2016/05/cp1252/")
    assert response.getheader("Content-Type") == "text/html; charset=windows-1252"
    for raw in (b"\x80", b"\xfc", b"\x93", b"\x94", b"\x92", b"\x96"):  # € ü “ ” ’ –
        assert raw in body
    text = body.decode("cp1252")
    assert "€2.4 billion" in text and "Müller" in text and "“Madam President" in text
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_redirects(shared_site: TestSite) -> None:
    old, _ = _get(shared_site, "/old-news/")
    assert old.status == 301 and old.getheader("Location") == shared_site.absolute("/news/")
    latest, _ = _get(shared_site, "/go/latest")
    assert latest.status == 302
    assert latest.getheader("Location") == shared_site.site.articles[-1].path
    _, moved = _get(shared_site, "/moved/")
    assert b'<meta http-equiv="refresh" content="0; url=/about/">' in moved


def test_missing_page_is_a_404_with_html(shared_site: TestSite) -> None:
    response, body = _get(shared_site, "/missing/")
    assert response.status == 404
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b"Page not found" in body


def test_sitemaps_list_every_page_and_the_hidden_one(shared_site: TestSite) -> None:
    _, index = _get(shared_site, "/sitemap.xml")
    children = [e.text for e in ET.fromstring(index).iter(SM + "loc")]
    assert children == [shared_site.absolute("/sitemap-pages.xml"),
                        shared_site.absolute("/sitemap-news.xml.gz")]
    _, pages = _get(shared_site, "/sitemap-pages.xml")
    response, packed = _get(shared_site, "/sitemap-news.xml.gz", {"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") is None  # a .gz file, not a coding
    assert packed[:2] == b"\x1f\x8b"
    listed = {e.text for doc in (pages, gzip.decompress(packed))
              for e in ET.fromstring(doc).iter(SM + "loc")}
    assert shared_site.absolute("/hidden/only-in-sitemap/") in listed
    assert set(shared_site.article_urls()) <= listed
    assert shared_site.absolute("/news/page/4/") in listed


def test_feed_lists_latest_articles_and_the_feed_only_one(shared_site: TestSite) -> None:
    response, body = _get(shared_site, "/feed.xml")
    assert response.getheader("Content-Type") == "application/rss+xml; charset=utf-8"
    links = [e.text for e in ET.fromstring(body).iter("link")][1:]
    assert links[0] == shared_site.absolute("/news/2020/01/feed-only/")
    assert links[1:] == shared_site.article_urls()[::-1][:10]


def test_calendar_trap_never_ends(shared_site: TestSite) -> None:
    url = shared_site.absolute("/calendar/?month=2026-11")
    seen = set()
    with requests.Session() as session:
        for _ in range(15):
            body = session.get(url).text
            seen.add(url)
            url = urljoin(url, re.search(r'href="([^"]+)">Next month', body)[1])  # type: ignore[index]
    assert len(seen) == 15 and url.endswith("month=2028-02")
    assert all(shared_site.is_trap(u) for u in seen)
    _, events = _get(shared_site, "/events/2026/12/")
    assert b'href="/events/2027/01/"' in events and b'href="/events/2026/11/"' in events


def test_fault_reset_is_a_connection_error(shared_site: TestSite) -> None:
    with pytest.raises(ConnectionError):
        _get(shared_site, "/fault/reset")


def test_fault_truncated_body(shared_site: TestSite) -> None:
    with pytest.raises(http.client.IncompleteRead):
        _get(shared_site, "/fault/truncated")
    with pytest.raises(http.client.IncompleteRead):
        _get(shared_site, "/fault/truncated-chunked")


def test_fault_slow_times_out(shared_site: TestSite) -> None:
    with pytest.raises(TimeoutError):
        _get(shared_site, "/fault/slow", timeout=0.2)


def test_fault_huge_streams_without_recording_the_body() -> None:
    with TestSite(articles=1, huge_size=3_000_000) as site:
        response, body = _get(site, "/fault/huge")
        entry = site.requests[-1]
    assert response.getheader("Content-Length") == "3000000" and len(body) == 3_000_000
    assert not entry.body_recorded and entry.raw_response.endswith(b"\r\n\r\n")


@pytest.mark.parametrize("fault", ["503", "429"])
def test_fault_retry_after_then_success(shared_site: TestSite, fault: str) -> None:
    target = f"/fault/{fault}?test=retry"
    for _ in range(2):
        response, _ = _get(shared_site, target)
        assert response.status == int(fault) and response.getheader("Retry-After") == "1"
    assert _get(shared_site, target)[0].status == 200
    assert _get(shared_site, f"/fault/{fault}?test=other")[0].status == int(fault)


def test_fault_flaky(shared_site: TestSite) -> None:
    assert _get(shared_site, "/fault/flaky?test=flaky")[0].status == 500
    assert _get(shared_site, "/fault/flaky?test=flaky")[0].status == 200


def test_fault_private_links(shared_site: TestSite) -> None:
    _, body = _get(shared_site, "/fault/private-link")
    assert f'href="http://127.0.0.2:{shared_site.port}/"'.encode() in body
    assert b'href="http://10.0.0.1/"' in body


def test_faults_are_linked_only_when_asked(shared_site: TestSite) -> None:
    assert b"/fault/" not in _get(shared_site, "/contact/")[1]
    with TestSite(articles=1, faults_linked=True) as site:
        contact = _get(site, "/contact/")[1]
    for path in FAULT_PATHS:
        assert f'href="{path}"'.encode() in contact
    assert not site.fault_urls() & site.expected_urls()


def test_media_files_are_genuine(shared_site: TestSite) -> None:
    jpegs = {shared_site.absolute(a.image) for a in shared_site.site.articles[:5]}
    digests = set()
    for url in jpegs:
        data = requests.get(url).content
        assert data[:3] == b"\xff\xd8\xff" and data.endswith(b"\xff\xd9")
        digests.add(hashlib.sha256(data).hexdigest())
    assert len(digests) == len(jpegs)
    assert _get(shared_site, "/static/img/logo.png")[1].startswith(b"\x89PNG\r\n\x1a\n")
    pdf = _get(shared_site, "/media/manifesto.pdf")[1]
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split()[0])
    assert pdf[xref:].startswith(b"xref")
    assert _get(shared_site, "/static/fonts/source-sans.woff2")[1][:4] == b"wOF2"


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes every block: a short or corrupt scan raises here
    return image


def _close(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(abs(x - y) <= 3 for x, y in zip(a, b, strict=True))


def test_article_images_decode_as_the_article_colour(shared_site: TestSite) -> None:
    article = shared_site.site.articles[2]
    image = _decoded(_get(shared_site, article.image)[1])
    assert (image.format, image.size, image.mode) == ("JPEG", (64, 36), "RGB")
    assert _close(image.getpixel((0, 0)), article.colour)
    assert _close(image.getpixel((63, 35)), article.colour)


def test_median_weight_pages_weigh_what_the_median_web_page_weighs() -> None:
    with pytest.raises(ValueError, match="weight must be one of light, median"):
        TestSite(weight="heavy")
    with TestSite(articles=3, weight="median") as site:
        articles = site.site.articles
        images = [_get(site, a.image)[1] for a in articles]
        pages = [_get(site, a.path)[1] for a in articles]
    assert len({hashlib.sha256(data).digest() for data in images}) == len(images)
    for article, data in zip(articles, images, strict=True):
        assert 50_000 <= len(data) <= 70_000
        image = _decoded(data)
        assert (image.format, image.size) == ("JPEG", (1024, 768))
        assert _close(image.getpixel((0, 0)), article.colour)  # its own first block
        assert image.getpixel((0, 0)) != image.getpixel((8, 0))  # then a mosaic
    for page in pages:
        assert 15_000 <= len(gzip.compress(page)) <= 21_000
        assert b'<style id="theme-critical-css">' in page


def test_light_weight_pages_inline_nothing(shared_site: TestSite) -> None:
    page = _get(shared_site, shared_site.site.articles[0].path)[1]
    assert b"theme-critical-css" not in page
    assert len(gzip.compress(page)) < 5_000


def _without_origin(body: bytes, site: TestSite) -> bytes:
    if body[:2] == b"\x1f\x8b":  # the gzipped sitemap holds absolute URLs too
        body = gzip.decompress(body)
    for form in (site.url, quote(site.url, safe="")):
        body = body.replace(form.encode(), b"")
    return body


def test_site_is_deterministic() -> None:
    with TestSite(articles=12) as one, TestSite(articles=12) as two:
        assert {u[len(one.url):] for u in one.expected_urls()} == {
            u[len(two.url):] for u in two.expected_urls()}
        with requests.Session() as session:
            for url in sorted(one.expected_urls()):
                a = session.get(url, allow_redirects=False).content
                b = session.get(two.url + url[len(one.url):], allow_redirects=False).content
                assert _without_origin(a, one) == _without_origin(b, two), url


def test_injected_clock_makes_responses_byte_identical() -> None:
    responses = []
    for _ in range(2):
        with TestSite(articles=3, port=0, clock=lambda: 0.0) as site:
            _get(site, "/static/site.css", {"Accept-Encoding": "gzip"})
            responses.append(site.requests[-1].raw_response)
    assert responses[0] == responses[1]
    assert b"\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n" in responses[0]


def test_article_count_scales() -> None:
    with TestSite(articles=600) as site:
        assert len(site.article_urls()) == 600 == len(set(site.article_urls()))
        assert site.absolute("/news/page/60/") in site.expected_urls()
        assert _get(site, "/news/page/60/")[0].status == 200
        assert _get(site, "/news/page/61/")[0].status == 404


def test_latency_delays_every_response() -> None:
    with TestSite(articles=1, latency=0.15) as site:
        started = time.monotonic()
        _get(site, "/robots.txt")
        assert time.monotonic() - started >= 0.15


def test_mutations_for_recrawls(site: TestSite) -> None:
    url = site.edit_article(3, "A corrected statement.\n\nWith a second paragraph.")
    path = url[len(site.url) - 1:]
    assert b"<p>A corrected statement.</p>" in _get(site, path)[1]
    gone = site.remove_article(4)
    assert _get(site, gone[len(site.url) - 1:])[0].status == 404
    assert gone not in site.expected_urls()
    added = site.add_article()
    assert _get(site, "/go/latest")[0].getheader("Location") == added[len(site.url) - 1:]
    assert added in site.expected_urls()


def test_several_hosts_link_to_each_other() -> None:
    with start_sites(3, articles_per_host=2) as group:
        assert len(set(group.urls)) == 3
        for site in group.sites:
            home = requests.get(site.url).text
            assert all(f'href="{other}"' in home for other in group.urls if other != site.url)
        names = {requests.get(url + "about/").text.split("<h1")[1][:60] for url in group.urls}
        assert len(names) == 3  # each host is a different person's site
        assert len(group.expected_urls()) == sum(len(s.expected_urls()) for s in group.sites)


def test_stop_does_not_wait_for_idle_keep_alive_connections() -> None:
    site = TestSite(articles=1).start()
    conn = http.client.HTTPConnection(site.host, site.port, timeout=5)
    try:
        conn.request("GET", "/robots.txt")
        with conn.getresponse() as response:
            response.read()
        assert conn.sock is not None
        stopping = threading.Thread(target=site.stop)
        stopping.start()
        # stop() drops the idle connection itself: the client reads the end of the stream
        # long before the server's 60 s idle timeout would close it (30 s: only a hang guard).
        conn.sock.settimeout(30)
        assert conn.sock.recv(1) == b""
        stopping.join(timeout=30)
        assert not stopping.is_alive()
    finally:
        conn.close()


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "testsite", "serve", "--articles", "3", "--hosts", "2"],
        stdout=subprocess.PIPE, text=True, cwd=Path(testsite.__file__).parent.parent)
    try:
        assert process.stdout is not None
        yield process, process.stdout.readline().strip()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_command_line_serves_until_sigterm(served: tuple[subprocess.Popen[str], str]) -> None:
    process, url = served
    assert urlsplit(url).hostname == "127.0.0.1"
    assert requests.get(url + "robots.txt").status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0

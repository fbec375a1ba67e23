"""pywb replays what the crawler captured, from the collection's WARCs alone.

One crawl of two copies of the test site on two ports (so the second copy of each image,
font and stylesheet is a revisit record), then both are stopped: replay cannot reach them.
pywb runs as a subprocess on 127.0.0.1 in two set-ups: a collection indexed by pywb's
own ``wb-manager add``, and one that uses our ``indexes/index.cdxj`` unchanged.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from helpers_pywb import COLL, WB_MANAGER, _our_index, _start_wayback, _stop
from preserve.capture.crawler import Crawler
from preserve.collection import Collection
from preserve.config import CollectionConfig, CrawlConfig, Description
from testsite import TestSite
from testsite.site import CP1252_PATH

pytestmark = pytest.mark.slow

# The home page is gzip-encoded, /news/ chunked, /news/page/2/ both, and one page is cp1252.
ENCODED_PATHS = ("/", "/news/", "/news/page/2/", CP1252_PATH)


@dataclass(frozen=True)
class Capture:
    """What the test knows about one captured URL: its index entry and original payload."""

    url: str
    timestamp: str
    payload: bytes  # the body the site sent, before any content or transfer coding


@dataclass(frozen=True)
class Crawled:
    collection: Collection
    article: Capture
    title: str
    paragraph: str
    stylesheet: Capture
    image: Capture
    revisit: Capture  # an image whose record is a revisit of the twin site's copy
    encoded: tuple[Capture, ...]


def _index(collection: Collection) -> dict[str, tuple[str, dict[str, str]]]:
    entries: dict[str, tuple[str, dict[str, str]]] = {}
    with collection.index_path.open(encoding="utf-8") as lines:
        for line in lines:
            _key, timestamp, data = line.rstrip("\n").split(" ", 2)
            fields = json.loads(data)
            assert fields["url"] not in entries, f"captured twice: {fields['url']}"
            entries[fields["url"]] = (timestamp, fields)
    return entries


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    root = tmp_path_factory.mktemp("replay")
    with TestSite() as site, TestSite() as twin:
        config = CollectionConfig(Description(title="Replay test"),
                                  CrawlConfig(seeds=(site.url, twin.url), delay=0))
        collection = Collection.create(root / "collection", config)
        Crawler(collection, collection.load_config()).run()
        index = _index(collection)
        sites = {urlsplit(s.url).netloc: s for s in (site, twin)}

        def capture(url: str) -> Capture:
            assert url in index, f"{url} is not in the collection's index"
            timestamp, _fields = index[url]
            parts = urlsplit(url)
            payload = sites[parts.netloc].site.resolve(parts.path, parts.query).body
            return Capture(url, timestamp, payload)

        article = site.site.articles[len(site.site.articles) // 2]
        revisits = sorted(url for url, (_, fields) in index.items()
                          if fields["mime"] == "warc/revisit" and url.endswith(".jpg"))
        assert revisits, "twin sites' identical images were not written as revisits"
        crawled = Crawled(
            collection=collection,
            article=capture(site.absolute(article.path)),
            title=article.title,
            paragraph=next(p for p in article.paragraphs if not p.startswith("## ")),
            stylesheet=capture(site.absolute("/static/site.css")),
            image=capture(site.absolute(article.image)),
            revisit=capture(revisits[0]),
            encoded=tuple(capture(site.absolute(path)) for path in ENCODED_PATHS),
        )
    # Both sites are stopped now: from here on, only the WARCs can answer.
    return crawled


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}"


def _pywb_indexed(root: Path, collection: Collection) -> None:
    _run([str(WB_MANAGER), "init", COLL], root)
    _run([str(WB_MANAGER), "add", COLL, *map(str, collection.closed_warcs())], root)
    assert (root / "collections" / COLL / "indexes" / "index.cdxj").stat().st_size > 0





@dataclass(frozen=True)
class Replay:
    base: str
    session: requests.Session
    log: Path

    def url(self, capture: Capture, modifier: str = "id_") -> str:
        return f"{self.base}/{COLL}/{capture.timestamp}{modifier}/{capture.url}"

    def get(self, url: str) -> requests.Response:
        response = self.session.get(url, timeout=10, allow_redirects=False)
        assert response.status_code == 200, (
            f"GET {url}: {response.status_code}\n{response.text[:2000]}\n"
            f"--- wayback log ---\n{self.log.read_text(errors='replace')[-4000:]}")
        return response


@pytest.fixture(scope="module", params=[_pywb_indexed, _our_index],
                ids=["pywb-index", "our-index"])
def replay(request: pytest.FixtureRequest, crawled: Crawled,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    root = tmp_path_factory.mktemp("pywb")
    request.param(root, crawled.collection)
    with requests.Session() as session:
        session.trust_env = False  # never through a proxy from the environment
        proc, base = _start_wayback(root, session)
        try:
            yield Replay(base, session, root / "wayback.log")
        finally:
            _stop(proc)


def test_article_replays_unchanged(replay: Replay, crawled: Crawled) -> None:
    response = replay.get(replay.url(crawled.article))
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.content == crawled.article.payload
    text = unescape(response.text)
    assert crawled.title in text
    assert crawled.paragraph in text


def test_article_replays_in_frame_with_links_into_the_archive(replay: Replay,
                                                              crawled: Crawled) -> None:
    top = replay.get(replay.url(crawled.article, ""))
    assert json.dumps(crawled.article.url) in top.text  # the frame loads the archived page

    page = replay.get(replay.url(crawled.article, "mp_"))
    text = unescape(page.text)
    assert crawled.title in text
    assert crawled.paragraph in text
    stylesheet = f"/{COLL}/{crawled.article.timestamp}cs_/{crawled.stylesheet.url}"
    image = f"/{COLL}/{crawled.article.timestamp}im_/{crawled.image.url}"
    assert f'href="{stylesheet}"' in page.text
    assert f'src="{image}"' in page.text

    # What a browser showing the page fetches next, at the addresses pywb wrote.
    css = replay.get(replay.base + stylesheet)
    assert css.headers["Content-Type"].startswith("text/css")
    assert "url('img/header-bg.png')" in css.text  # relative, so it resolves in the archive
    background = replay.get(urljoin(css.url, "img/header-bg.png"))
    assert background.headers["Content-Type"] == "image/png"
    img = replay.get(replay.base + image)
    assert img.headers["Content-Type"] == "image/jpeg"
    assert img.content == crawled.image.payload


@pytest.mark.parametrize("name", ["stylesheet", "image", "revisit"])
def test_requisite_replays_unchanged(replay: Replay, crawled: Crawled, name: str) -> None:
    capture: Capture = getattr(crawled, name)
    response = replay.get(replay.url(capture))
    assert response.content == capture.payload


@pytest.mark.parametrize("path", ENCODED_PATHS)
def test_encoded_and_chunked_pages_replay_decoded(replay: Replay, crawled: Crawled,
                                                  path: str) -> None:
    capture = next(c for c in crawled.encoded if urlsplit(c.url).path == path)
    response = replay.get(replay.url(capture))
    assert response.content == capture.payload


def test_our_index_agrees_with_pywbs(crawled: Crawled, tmp_path: Path) -> None:
    """Every record pywb indexes, we index at the same key, time, offset and length.

    Two known differences in form, neither of which matters to replay: pywb's own indexer
    drops the ``sha1:`` label from digests (cdxj-indexer, which we follow, keeps it), and
    writes no ``status`` for revisit records.
    """
    _pywb_indexed(tmp_path, crawled.collection)
    ours = crawled.collection.index_path.read_text(encoding="utf-8").splitlines()
    theirs = (tmp_path / "collections" / COLL / "indexes" / "index.cdxj").read_text(
        encoding="utf-8").splitlines()
    assert [line.split(" ", 2)[:2] for line in ours] == [
        line.split(" ", 2)[:2] for line in theirs]
    for our_line, their_line in zip(ours, theirs, strict=True):
        our_fields = json.loads(our_line.split(" ", 2)[2])
        their_fields = json.loads(their_line.split(" ", 2)[2])
        assert our_fields.pop("digest").removeprefix("sha1:") == their_fields.pop("digest")
        if our_fields["mime"] == "warc/revisit":
            their_fields.setdefault("status", our_fields["status"])
        assert our_fields == their_fields

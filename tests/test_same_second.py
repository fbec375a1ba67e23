"""Two captures of one URL in the same second (a recrawl started straight after the crawl
before it, as on a fast or a loaded machine): wherever one capture of a URL is chosen,
the later one is, and nothing reports a problem that is not there.

The tie is made, not waited for: both crawls run on a clock that stays within one second.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from helpers_crawl import create, jsonl
from helpers_socket import serve_http
from preserve.access.search import list_pages
from preserve.capture.crawler import Crawler
from preserve.collection import Collection
from preserve.verify import verify_collection


class _Page(BaseHTTPRequestHandler):
    title = b""

    def do_GET(self) -> None:
        if self.path != "/":
            self.send_error(404)
            return
        body = b"<html><head><title>" + self.title + b"</title></head><body>x</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _one_second() -> Callable[[], datetime]:
    """A clock a microsecond later at each call, from any thread (itertools.count's next
    is one step under the GIL; a generator's is not, and raises when two threads meet)."""
    start = datetime(2026, 12, 7, 8, 30, 15, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: start + timedelta(microseconds=next(ticks))


@pytest.fixture(scope="module", params=[("Alpha", "Omega"), ("Omega", "Alpha")],
                ids=["a-z", "z-a"])
def recrawled(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Collection, str]:
    """A page crawled twice in one second, its title changed between: (collection, the
    newer title). Both orders of the titles, so that neither sort order of the JSON lines
    can pass for the newer capture."""
    older, newer = request.param
    clock = _one_second()

    class Page(_Page):
        title = older.encode()

    with serve_http(Page) as url:
        coll = create(tmp_path_factory.mktemp("same") / "coll", (url,), delay=0.0, sitemaps=False)
        for title in (older, newer):
            Page.title = title.encode()
            Crawler(coll, coll.load_config(), clock=clock).run()
    return coll, newer


def test_the_pages_list_holds_the_later_capture(recrawled: tuple[Collection, str]) -> None:
    coll, newer = recrawled
    index = coll.index_path.read_text("utf-8").splitlines()
    assert len([line for line in index if " 20261207083015 " in line and '"200"' in line]) == 2
    pages = jsonl(coll.pages_path)[1:]
    assert [p["title"] for p in pages] == [newer]  # one page per URL and second: the later
    assert [p.title for p in list_pages(coll)] == [newer]


def test_verify_finds_nothing_wrong(recrawled: tuple[Collection, str]) -> None:
    coll, _ = recrawled
    report = verify_collection(Collection.open(coll.root))
    assert [f.to_dict() for f in report.findings] == []


def test_verify_accepts_an_older_list_that_kept_the_other_capture(
        recrawled: tuple[Collection, str], tmp_path: Path) -> None:
    """A pages list written before the fix kept the other capture of the tie: not damage.
    A title that neither capture had still is."""
    coll, newer = recrawled
    copy = tmp_path / "coll"
    shutil.copytree(coll.root, copy)
    pages = Collection.open(copy).pages_path
    lines = pages.read_text("utf-8").splitlines(keepends=True)
    older = "Omega" if newer == "Alpha" else "Alpha"
    for title, problems in ((older, []), ("Neither", ["PAGES_ENTRY_MISMATCH"])):
        obj = json.loads(lines[1])
        obj["title"] = title
        pages.write_text(lines[0] + json.dumps(obj) + "\n", encoding="utf-8")
        report = verify_collection(Collection.open(copy))
        assert [f.code for f in report.findings] == problems

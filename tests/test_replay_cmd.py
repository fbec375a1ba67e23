"""``preserve replay``: pywb serves a collection from its own ``warcs/`` and index.

One crawl of the test site, which is then stopped, so only the WARCs can answer. The
command runs as a user runs it, ``python -m preserve replay`` in a subprocess on a free
port of 127.0.0.1, and is stopped by a signal; its pywb subprocess and temporary
directory must be gone afterwards, and no file of the collection touched.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from lxml import html as lxml_html

from helpers_browser import CHROMIUM, CHROMIUM_ARGS
from helpers_crawl import cli, crawl
from preserve.access.links import REPLAY_COLLECTION, replay_url
from preserve.collection import Collection
from testsite import TestSite

STARTUP = 60.0  # pywb's start on a machine shared by many test runs
STOP_WITHIN = 5.0
_MOUNT = ('mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" || exit 97; '
          'shift 2; exec "$@"')


@dataclass(frozen=True)
class Crawled:
    root: Path
    article_url: str
    timestamp: str
    title: str
    paragraph: str
    image_url: str
    image: bytes


def _timestamp(coll: Collection, url: str) -> str:
    for line in coll.index_path.read_text(encoding="utf-8").splitlines():
        _key, timestamp, data = line.split(" ", 2)
        if f'"url": "{url}"' in data:
            return timestamp
    raise AssertionError(f"{url} is not in the index")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    root = tmp_path_factory.mktemp("replay-cmd") / "coll"
    with TestSite(articles=2) as site:
        coll, _summary = crawl(root, (site.url,))
        article = site.site.articles[0]
        url = site.absolute(article.path)
        crawled = Crawled(root, url, _timestamp(coll, url), article.title,
                          next(p for p in article.paragraphs if not p.startswith("## ")),
                          site.absolute(article.image),
                          site.site.resolve(article.image, "").body)
    return crawled  # the site is stopped: only the WARCs answer from here on


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")


@dataclass
class Running:
    proc: subprocess.Popen[str]
    lines: list[str]
    tmpdir: Path

    @property
    def collection_url(self) -> str:
        return re.search(r"at (http://\S+)", self.lines[0]).group(1)  # type: ignore[union-attr]

    @property
    def base(self) -> str:
        return self.collection_url.removesuffix(f"/{REPLAY_COLLECTION}/")

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, float, str]:
        """Send ``signum``; the exit status, the seconds it took and stderr."""
        pywb = _children(self.proc.pid)
        assert pywb, "pywb is not running under preserve replay"
        started = time.monotonic()
        self.proc.send_signal(signum)
        status = self.proc.wait(timeout=30)
        took = time.monotonic() - started
        assert all(_gone(pid) for pid in pywb), f"pywb ({pywb}) still running"
        assert self.proc.stderr is not None
        return status, took, self.proc.stderr.read()


@contextmanager
def running(*args: str | Path, root_view: tuple[Path, Path] | None = None,
            tmp: Path, env: dict[str, str] | None = None,
            ready: str = "press Ctrl-C") -> Iterator[Running]:
    """``preserve replay ARGS`` until it prints where it serves; killed if left running.
    ``root_view``: run it on a read-only bind mount (as root, in its own mount namespace)."""
    tmpdir = tmp / "tmpdir"
    tmpdir.mkdir()
    command = [sys.executable, "-m", "preserve", "replay", *map(str, args)]
    if root_view is not None:
        command = ["unshare", "-m", "sh", "-c", _MOUNT, "sh", *map(str, root_view), *command]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmpdir), **(env or {})})
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + STARTUP
        while not any(ready in line for line in seen):
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"preserve replay did not start within {STARTUP} s: {seen}")
            if line is None:
                assert proc.stderr is not None
                pytest.fail(f"preserve replay exited ({proc.wait()}): {seen} "
                            f"{proc.stderr.read()}")
            seen.append(line)
        yield Running(proc, seen, tmpdir)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False  # never through a proxy from the environment
        yield s


def _get(session: requests.Session, url: str) -> requests.Response:
    response = session.get(url, timeout=10, allow_redirects=False)
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    return response


@pytest.mark.slow
def test_replay_serves_an_article_and_its_image_and_stops_on_sigint(
        crawled: Crawled, session: requests.Session, tmp_path: Path) -> None:
    before = _listing(crawled.root)
    with running(crawled.root, "--port", "0", tmp=tmp_path) as served:
        assert served.collection_url.startswith("http://127.0.0.1:")
        first_page = served.lines[1].split("first page: ", 1)[1].strip()
        assert first_page.startswith(served.base + f"/{REPLAY_COLLECTION}/")
        _get(session, first_page)
        assert [p.name for p in served.tmpdir.iterdir()][0].startswith("preserve-replay-")

        top = _get(session, replay_url(served.base, crawled.timestamp, crawled.article_url))
        assert crawled.article_url in top.text  # pywb's frame, loading the archived page
        page_url = replay_url(served.base, f"{crawled.timestamp}mp_", crawled.article_url)
        page = _get(session, page_url)
        assert page.headers["Content-Type"].startswith("text/html")
        text = unescape(page.text)
        assert crawled.title in text and crawled.paragraph in text

        # The article's <img>, at the address pywb rewrote it to, as a browser follows it.
        sources = lxml_html.fromstring(page.content).xpath("//img/@src")
        image_src = next(s for s in sources if s.endswith(crawled.image_url))
        assert image_src.startswith(f"/{REPLAY_COLLECTION}/{crawled.timestamp}im_/")
        image = _get(session, urljoin(page_url, image_src))
        assert image.headers["Content-Type"] == "image/jpeg"
        assert image.content == crawled.image

        status, took, stderr = served.stop(signal.SIGINT)
    assert status == 0, stderr
    assert took < STOP_WITHIN
    assert stderr == ""
    assert list(served.tmpdir.iterdir()) == []  # pywb's config and log removed
    assert _listing(crawled.root) == before  # nothing in the collection written


@pytest.mark.slow
def test_json_is_one_document_once_serving(crawled: Crawled, session: requests.Session,
                                           tmp_path: Path) -> None:
    with running(crawled.root, "--port", "0", "--json", tmp=tmp_path,
                 ready="collection_url") as served:
        assert len(served.lines) == 1
        doc = json.loads(served.lines[0])
        assert set(doc) == {"collection_url", "first_page", "closed_warcs"}
        assert doc["closed_warcs"] >= 1
        _get(session, doc["first_page"])
        status, _, stderr = served.stop(signal.SIGTERM)
    assert status == 0 and stderr == ""


@pytest.mark.slow
def test_replay_of_a_read_only_collection_with_a_warc_being_written(
        crawled: Crawled, session: requests.Session, tmp_path: Path) -> None:
    """Served from a read-only mount (as root) or a collection without write permission;
    an ``.open`` WARC and a WARC newer than the index are left out, and said so; SIGTERM
    stops it as Ctrl-C does."""
    copy = tmp_path / "coll"
    shutil.copytree(crawled.root, copy)
    warc = Collection(copy).closed_warcs()[0]
    shutil.copy2(warc, warc.with_name("zz-being-written.warc.gz.open"))
    late = warc.with_name("zz-closed-after-indexing.warc.gz")
    shutil.copy2(warc, late)
    index_mtime = Collection(copy).index_path.stat().st_mtime
    os.utime(late, (index_mtime + 10, index_mtime + 10))
    before = _listing(copy)
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("running as root without unshare(1): no read-only collection here")
        view = tmp_path / "view"
        view.mkdir()
        args: tuple[Path, Path] | None = (copy, view)
    else:
        view, args = copy, None
        for p in [copy, *copy.rglob("*")]:
            p.chmod(p.stat().st_mode & 0o555)
    with running(view, "--port", "0", root_view=args, tmp=tmp_path) as served:
        page = _get(session, replay_url(served.base, f"{crawled.timestamp}mp_",
                                        crawled.article_url))
        assert crawled.title in unescape(page.text)
        status, _took, stderr = served.stop(signal.SIGTERM)
    assert status == 0
    assert stderr.count("\n") == 2, stderr
    assert "1 WARC file still being written (.open) is not served" in stderr
    assert "1 WARC file closed after the index was built is not served; run `preserve " \
           "index" in stderr
    assert _listing(copy) == before


@pytest.mark.slow
def test_index_lines_naming_files_outside_warcs_are_not_served(
        crawled: Crawled, session: requests.Session, tmp_path: Path) -> None:
    """A hostile index: the article's line names its WARC by ``../..``, the image's by an
    absolute path, another page's through a symbolic link in warcs/, each a copy outside
    the collection. pywb reads none of them (not found), the rest still replays, and one
    warning names the first line."""
    copy = tmp_path / "coll"
    shutil.copytree(crawled.root, copy)
    coll = Collection(copy)
    lines = coll.index_path.read_text(encoding="utf-8").splitlines()
    outside = tmp_path / "outside.warc.gz"
    hostile = {crawled.article_url: "../../outside.warc.gz", crawled.image_url: str(outside)}
    changed: dict[int, tuple[str, str]] = {}  # line index -> (timestamp, URL)
    kept: list[tuple[str, str]] = []
    for n, line in enumerate(lines):
        key, stamp, data = line.split(" ", 2)
        fields = json.loads(data)
        name = hostile.get(fields["url"])
        if name is None and not kept and fields.get("status") == "200":
            kept.append((stamp, fields["url"]))
            continue
        if name is None and "linked.warc.gz" not in hostile.values() \
                and fields.get("status") == "200":
            name = hostile[fields["url"]] = "linked.warc.gz"
        if name is None:
            continue
        shutil.copy2(coll.warcs / fields["filename"], outside)
        lines[n] = f"{key} {stamp} {json.dumps({**fields, 'filename': name})}"
        changed[n] = (stamp, fields["url"])
    assert len(changed) == 3 and kept
    (coll.warcs / "linked.warc.gz").symlink_to(outside)
    coll.index_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with running(copy, "--port", "0", tmp=tmp_path) as served:
        for stamp, url in changed.values():
            gone = session.get(replay_url(served.base, f"{stamp}id_", url), timeout=10,
                               allow_redirects=False)
            assert gone.status_code == 404, (url, gone.status_code)
        _get(session, replay_url(served.base, f"{kept[0][0]}id_", kept[0][1]))
        status, _took, stderr = served.stop(signal.SIGTERM)
    assert status == 0
    assert re.fullmatch(
        f"preserve: warning: indexes/index.cdxj line {min(changed) + 1} \\(and 2 more\\): "
        "(its filename '(\\.\\./\\.\\./|/).*outside\\.warc\\.gz' is (a path with '\\.\\.'|an "
        "absolute path), not the name of a file in warcs/|warcs/linked\\.warc\\.gz is a "
        "symbolic link to .*outside\\.warc\\.gz); not served \\(.*\\)\n", stderr), stderr


@pytest.mark.slow
def test_open_launches_a_browser_and_a_killed_replay_takes_pywb_with_it(
        crawled: Crawled, tmp_path: Path) -> None:
    """--open hands the first page to the desktop's opener (xdg-open, here a script that
    notes what it was given); SIGKILL, which preserve cannot catch, still ends pywb."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opened = tmp_path / "opened"
    opener = bin_dir / "xdg-open"
    opener.write_text(f'#!/bin/sh\necho "$@" > {opened}.part && mv {opened}.part {opened}\n')
    opener.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    with running(crawled.root, "--port", "0", "--open", tmp=tmp_path, env=env) as served:
        first_page = served.lines[1].split("first page: ", 1)[1].strip()
        deadline = time.monotonic() + 10
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text().strip() == first_page

        pywb = _children(served.proc.pid)
        assert pywb
        served.proc.kill()
        served.proc.wait()
        deadline = time.monotonic() + STOP_WITHIN
        while not all(_gone(pid) for pid in pywb) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in pywb if not _gone(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, "pywb outlived a killed preserve replay"


def test_port_in_use_is_one_line(crawled: Crawled) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("replay", crawled.root, "--port", str(port))
    assert done.returncode == 2
    assert done.stderr == (f"preserve: error: port {port} on 127.0.0.1 is in use; choose "
                           "another with --port (--port 0: any free port)\n")
    assert done.stdout == ""


def test_no_index_says_run_preserve_index(crawled: Crawled, tmp_path: Path) -> None:
    copy = tmp_path / "coll"
    shutil.copytree(crawled.root, copy)
    Collection(copy).index_path.unlink()
    done = cli("replay", copy)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("preserve: error: ")
    assert f"run `preserve index {copy}` first" in done.stderr


def test_no_warc_says_crawl_or_finish(tmp_path: Path) -> None:
    root = tmp_path / "coll"
    assert cli("init", root, "--seed", "http://127.0.0.1:9/").returncode == 0
    done = cli("replay", root)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "no closed WARC in warcs/" in done.stderr and "preserve crawl" in done.stderr

    (root / "warcs" / "coll-0001.warc.gz.open").write_bytes(b"")
    done = cli("replay", root)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "1 still being written: only closed WARCs are served" in done.stderr


def test_pywb_missing_is_one_line(crawled: Crawled) -> None:
    """As in an installation without the ``replay`` extra: pywb cannot be found."""
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys; sys.modules['pywb'] = None; "  # what `import pywb` cannot find
         "from preserve.cli.main import main; "
         f"sys.argv = ['preserve', 'replay', {str(crawled.root)!r}]; main()"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr == ("preserve: error: pywb is not installed: "
                           "pip install 'preserve[replay]'\n")


@pytest.mark.slow
def test_a_replayed_article_renders_in_chromium_with_its_image(crawled: Crawled,
                                                               tmp_path: Path) -> None:
    """pywb's frame in Debian's Chromium (driven by Playwright, never a downloaded
    browser): the article's text is rendered in the replayed frame and its image decoded."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is a test extra: "
                                          "pip install -e '.[test]'")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: scripts/browser/setup.sh installs Debian's "
                    "chromium package (as root)")
    words = " ".join(crawled.paragraph.split()[:8])  # rendered text, so no markup inside
    image_path = crawled.image_url.split("/", 3)[3]
    shot = tmp_path / "replay.png"
    with running(crawled.root, "--port", "0", tmp=tmp_path) as served, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(replay_url(served.base, crawled.timestamp, crawled.article_url),
                      wait_until="load")
            replayed = None
            deadline = time.monotonic() + 30
            while replayed is None and time.monotonic() < deadline:
                replayed = next((f for f in page.frames if "mp_/" in f.url
                                 and f.url.endswith(crawled.article_url)), None)
                if replayed is None:
                    page.wait_for_timeout(100)
            assert replayed is not None, f"no replayed frame in {[f.url for f in page.frames]}"
            replayed.wait_for_load_state("load")
            text = replayed.evaluate("() => document.body.innerText")
            widths = replayed.evaluate(
                "path => [...document.images].filter(i => i.src.endsWith(path))"
                ".map(i => i.complete ? i.naturalWidth : 0)", image_path)
            page.screenshot(path=str(shot))
        finally:
            browser.close()
        status, _took, _stderr = served.stop()
    assert status == 0
    assert crawled.title in text and words in text, f"see {shot}; page errors: {errors}"
    assert widths and all(w > 0 for w in widths), f"the article's image: {widths}; see {shot}"
    assert shot.stat().st_size > 0

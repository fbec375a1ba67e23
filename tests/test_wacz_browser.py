"""A WACZ exported from the test site replays in ReplayWeb.page inside headless Chromium.

This is the player WACZ exists for, and the one check that caught what ``wacz validate``
and pywb did not: with a Zip64 local header on ``indexes/index.cdx.gz`` ReplayWeb.page
listed the pages but answered "Archived Page Not Found" for every one. The browser is
Debian's Chromium driven by Playwright (never a browser Playwright downloads); the viewer
is the pinned ``replaywebpage`` npm package; both come from ``scripts/browser/setup.sh``.
The test site is stopped before replay, so only the WACZ can answer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from helpers_browser import CHROMIUM, CHROMIUM_ARGS, replay_server, viewer_dir
from helpers_crawl import cli, crawl
from helpers_export import SMALL
from testsite import TestSite

if TYPE_CHECKING:
    from playwright.sync_api import Frame, Page

pytestmark = pytest.mark.slow

REPLAY_TIMEOUT = 90.0  # seconds; a replay takes about five here
NOT_FOUND = "Archived Page Not Found"  # ReplayWeb.page's answer when the index has no match
# True once ReplayWeb.page's service worker (scope /replay/) is active; false after 60 s.
SW_ACTIVE = """async () => {
  for (let i = 0; i < 600; i++) {
    const r = await navigator.serviceWorker.getRegistration("/replay/");
    if (r && r.active && r.active.state === "activated") return true;
    await new Promise(done => setTimeout(done, 100));
  }
  return false;
}"""


def _frame_with(page: Page, *texts: str) -> tuple[str, Frame] | None:
    """The first of ``texts`` found in the rendered text of a frame at any depth, and
    that frame.

    ReplayWeb.page nests the replayed page two iframes down, inside shadow roots;
    Playwright lists every frame of the page whatever shadow DOM holds its iframe."""
    from playwright.sync_api import Error

    for frame in page.frames:
        try:
            body = frame.evaluate("() => document.body ? document.body.innerText : ''")
        except Error:  # a frame navigating or gone between the listing and the call
            continue
        for text in texts:
            if text in body:
                return text, frame
    return None


@pytest.mark.timeout(900)  # when Chromium is missing, setup.sh installs it first
def test_an_article_replays_in_replaywebpage(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is a test extra: "
                                          "pip install -e '.[test]'")
    viewer = viewer_dir()
    root = tmp_path / "coll"
    with TestSite(articles=3) as site:
        crawl(root, (site.url,), **SMALL)
        article = site.site.articles[1]
        url = site.absolute(article.path)
        paragraph = next(p for p in article.paragraphs if not p.startswith("## "))
    wacz = tmp_path / "coll.wacz"
    done = cli("export", root, "--format", "wacz", "--output", wacz)
    assert done.returncode == 0, done.stderr
    words = " ".join(paragraph.split()[:8])  # rendered text, so no markup inside
    shot = tmp_path / "replay.png"

    started = time.monotonic()
    with replay_server(viewer, wacz, url) as server, sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=list(CHROMIUM_ARGS), viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url + "/", wait_until="load")
            # The embed reloads its iframe three times, 100 ms apart, until the service
            # worker controls it, then gives up (the iframe shows this server's 404): on a
            # loaded machine activation takes longer. So wait for it, and open the viewer
            # again, as a returning visitor would.
            assert page.evaluate(SW_ACTIVE), "ReplayWeb.page's service worker never activated"
            page.reload(wait_until="load")
            found = None
            while found is None and time.monotonic() - started < REPLAY_TIMEOUT:
                found = _frame_with(page, words, NOT_FOUND)
                if found is None:
                    page.wait_for_timeout(250)
            elapsed = time.monotonic() - started
            images = 0  # shown in the replayed frame: decoded, with a width
            # The text shows before the images have loaded (on a loaded machine, seconds
            # before): wait for one, within the same time limit, from the frame that shows
            # the text (the frame is looked up again: the embed may have replaced it).
            while found is not None and found[0] == words:
                try:
                    images = found[1].evaluate(
                        "() => [...document.images].filter(i => i.complete && "
                        "i.naturalWidth).length")
                except sync_api.Error:  # the frame navigating or gone: look it up again
                    images = 0
                if images or time.monotonic() - started >= REPLAY_TIMEOUT:
                    break
                page.wait_for_timeout(250)
                found = _frame_with(page, words, NOT_FOUND) or found
            frame_url = found[1].url if found is not None else ""
            page.screenshot(path=str(shot))
            print(f"screenshot: {shot}")
            frames = [f.url for f in page.frames]
        finally:
            context.close()
    print(f"replayed in {elapsed:.1f} s")
    assert found is not None, (f"{words!r} not in any frame after {REPLAY_TIMEOUT:.0f} s; "
                               f"frames: {frames}; page errors: {errors}; see {shot}")
    text = found[0]
    assert text == words, f"ReplayWeb.page: {text!r} for {url} (frame {frame_url}); see {shot}"
    assert "mp_/" in frame_url and frame_url.endswith(article.path), frame_url
    assert images >= 1, f"no image of the article replayed; see {shot}"
    assert any(path == "/coll.wacz" for path, _, _ in server.ranges)  # read by ranges
    assert shot.stat().st_size > 0

"""The report renders in headless Chromium: no console error, no request but the file
itself, every chart drawn, a screenshot and a printed PDF saved in the test's directory.

The browser is Debian's Chromium driven by Playwright for Python (never a browser that
Playwright downloads), as in tests/test_wacz_browser.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers_browser import CHROMIUM, CHROMIUM_ARGS
from helpers_crawl import cli
from testsite import TestSite

pytestmark = pytest.mark.slow


@pytest.mark.timeout(300)
def test_the_report_renders_in_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is a test extra: "
                                          "pip install -e '.[test]'")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: scripts/browser/setup.sh installs Debian's "
                    "chromium package (as root)")
    coll = tmp_path / "coll"
    with TestSite(articles=4, broken=True) as site:
        for _ in range(2):
            done = cli("crawl", coll, "--seed", site.url, "--delay", "0", "--retries", "0",
                       "--quiet")
            assert done.returncode in (0, 1), done.stderr  # 1: the broken page's failures
    for args in (("normalise", coll, "--quiet"), ("verify", coll, "--quiet")):
        done = cli(*args)
        assert done.returncode == 0, done.stderr
    report = tmp_path / "report.html"
    done = cli("report", coll, "-o", report)
    assert done.returncode == 0, done.stderr
    shot, pdf = tmp_path / "report.png", tmp_path / "report.pdf"

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            charts = page.evaluate("""() => [...document.querySelectorAll('svg')].map(s => {
                const box = s.getBoundingClientRect();
                return {shapes: s.querySelectorAll('rect, line').length,
                        width: box.width, height: box.height};
            })""")
            sections = page.evaluate(
                "() => [...document.querySelectorAll('section')].map(s => s.id)")
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            page.pdf(path=str(pdf), format="A4", print_background=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == [report.as_uri()]
    assert sections == ["overview", "crawls", "captures", "missed", "changes", "fixity",
                        "articles"]
    # Crawl history (2), statuses, media types, missed, changes, fixity.
    assert len(charts) >= 7
    assert all(c["shapes"] > 0 and c["width"] > 200 and c["height"] > 20 for c in charts), charts
    assert shot.stat().st_size > 10_000
    assert pdf.read_bytes()[:5] == b"%PDF-"

"""The real WordPress of scripts/wordpress/ serves what populate.php made, on 127.0.0.1 only.

The site is the session's: these checks hold before and after test_wordpress_e2e's mutate().
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from helpers_wordpress import WordPress

pytestmark = pytest.mark.slow


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def test_site_serves_what_populate_made(wordpress: WordPress) -> None:
    m = wordpress.manifest
    assert wordpress.url.startswith("http://127.0.0.1:")
    assert len(m["posts"]) == 60 and len(m["pages"]) == 5
    assert sum(a["bio"] for a in m["authors"]) == 2
    post = next(p for p in m["posts"] if len(p["comment_ids"]) >= 2)
    status, html = fetch(post["url"])
    assert status == 200
    assert post["title"] in html and 'class="author-bio' in html
    assert "wp-block-latest-comments" in html  # the default footer widget
    assert 'rel="category tag"' in html
    status, home = fetch(wordpress.url)
    assert status == 200 and m["site_name"] in home and "/page/2/" in home
    assert fetch(wordpress.url + "wp-sitemap.xml")[0] == 200


def test_only_loopback_listens(wordpress: WordPress) -> None:
    """Apache listens on 127.0.0.1 only; MariaDB on its socket only (no TCP port)."""
    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is not installed: cannot list listening sockets")
    pid = (wordpress.run_dir / "apache2.pid").read_text().strip()
    mysqld = (wordpress.run_dir / "mysqld.pid").read_text().strip()
    listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    apache = [line for line in listening.splitlines() if f"pid={pid}," in line]
    assert apache, listening
    assert all(line.split()[3].startswith("127.0.0.1:") for line in apache), apache
    assert not [line for line in listening.splitlines() if f"pid={mysqld}," in line]

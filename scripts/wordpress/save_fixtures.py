"""Save pages of a running real WordPress as fixtures with their expected fields.

    python scripts/wordpress/save_fixtures.py RUN_DIR [OUT_DIR]

RUN_DIR is an instance started by scripts/wordpress/start.sh (before mutate.php). Each
page is written as it was served to OUT_DIR/NAME.html (default fixtures/cms/wordpress/),
beside NAME.expected.json: the URL, the HTTP charset and the fields a correct extractor
gives, taken from what populate.php made (RUN_DIR/manifest.json), never from preserve's
own output. tests/test_cms_fixtures.py compares extract_article with them.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent.parent / "fixtures" / "cms" / "wordpress"


def post_fields(post: dict[str, Any], site_name: str) -> dict[str, Any]:
    return {"page_type": "article", "title": post["title"], "authors": [post["author"]],
            "published_day": post["day"], "tags": sorted(post["tags"]),
            "categories": sorted(post["categories"]), "site_name": site_name}


def pages(m: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(name, URL, what it shows, expected fields) of each fixture."""
    site = m["site_name"]
    posts = m["posts"]

    def first(test: Any) -> dict[str, Any]:
        found: dict[str, Any] = next(p for p in posts if test(p))
        return found

    listing = {"page_type": "listing", "published_day": None, "site_name": site}
    chosen = [
        ("post-comments", first(lambda p: p["author_has_bio"] and len(p["comment_ids"]) == 2),
         "post with 2 comments; author with a bio (author-bio box)"),
        ("post-image", first(lambda p: p["author_has_bio"] and p["image"]),
         "post with a featured and an inline image, no comments"),
        ("post-nobio", first(lambda p: not p["author_has_bio"] and not p["comment_ids"]),
         "post by the author without a bio (\"By ...\" byline)"),
        ("post-nobio-comments",
         first(lambda p: not p["author_has_bio"] and len(p["comment_ids"]) == 3),
         "post by the author without a bio, with 3 comments, one a threaded reply"),
    ]
    out = [(name, p["url"], what, post_fields(p, site)) for name, p, what in chosen]
    about = m["pages"][0]
    out.append(("page-about", about["url"], "static page",
                {"page_type": "page", "title": about["title"], "tags": [], "categories": [],
                 "site_name": site}))
    out.append(("home", m["home"], "home page: the latest 8 posts", listing))
    out.append(("category", m["categories"][1]["url"], "category archive", listing))
    out.append(("tag", next(t["url"] for t in m["tags"] if t["name"] == "Ferries"),
                "tag archive", listing))
    out.append(("author", m["authors"][2]["url"], "author archive (author without a bio)",
                listing))
    out.append(("date-month", m["months"][1], "monthly archive", listing))
    return out


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    run_dir = Path(argv[0])
    out = Path(argv[1]) if len(argv) == 2 else OUT
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    for name, url, what, fields in pages(manifest):
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
            header = Message()
            header["Content-Type"] = response.headers.get("Content-Type", "")
        spec = {"about": what, "url": url, "http_charset": header.get_param("charset"),
                "fields": fields}
        (out / f"{name}.html").write_bytes(body)
        (out / f"{name}.expected.json").write_text(
            json.dumps(spec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

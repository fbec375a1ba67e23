"""WordPress's own URLs on the test site, when it is made with ``cms="wordpress"``.

What WordPress 6.1 with Twenty Twenty-One adds to every page, and serves: the generator
meta, the REST API and oEmbed links (and their JSON and XML answers, an oEmbed answer
with a new random ``data-secret`` each time, as WordPress does), the RSD and Windows
Live Writer links, per-post comment feeds, ``?replytocom=`` reply links (a full copy of
the post), the login link, and the theme's stylesheet and the embed script under
``wp-content`` and ``wp-includes`` (requisites that replay needs). Off by default, so
the site's other tests see none of it.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import parse_qs, quote

from .model import Article, Page

__all__ = ["WP_REQUISITES", "COMMENTS_PER_POST", "wordpress_head", "wordpress_comments",
           "wordpress_resolve", "wordpress_noise_paths"]

THEME_CSS = "/wp-content/themes/twentytwentyone/style.css?ver=1.7"
EMBED_JS = "/wp-includes/js/wp-embed.min.js?ver=6.1.1"
WP_REQUISITES = (THEME_CSS, EMBED_JS)
COMMENTS_PER_POST = 2
_JSON = "application/json; charset=UTF-8"


def wordpress_head(base: str, path: str, article: Article | None) -> str:
    """The lines WordPress's wp_head() adds to a page's <head>."""
    url = base.rstrip("/") + path
    lines = [
        '<meta name="generator" content="WordPress 6.1.1">',
        f'<link rel="stylesheet" id="twenty-twenty-one-style-css" href="{THEME_CSS}" '
        'media="all">',
        f'<script src="{EMBED_JS}" id="wp-embed-js"></script>',
        '<link rel="https://api.w.org/" href="/wp-json/">',
        '<link rel="EditURI" type="application/rsd+xml" title="RSD" href="/xmlrpc.php?rsd">',
        '<link rel="wlwmanifest" type="application/wlwmanifest+xml" '
        'href="/wp-includes/wlwmanifest.xml">',
        '<link rel="alternate" type="application/rss+xml" title="Comments Feed" '
        'href="/comments/feed/">',
    ]
    if article is not None:
        encoded = quote(url, safe="")
        lines += [
            f'<link rel="alternate" type="application/rss+xml" title="Post Comments Feed" '
            f'href="{path}feed/">',
            f'<link rel="alternate" type="application/json" '
            f'href="/wp-json/wp/v2/posts/{article.number + 1}">',
            f'<link rel="alternate" type="application/json+oembed" '
            f'href="/wp-json/oembed/1.0/embed?url={encoded}">',
            f'<link rel="alternate" type="text/xml+oembed" '
            f'href="/wp-json/oembed/1.0/embed?url={encoded}&amp;format=xml">',
        ]
    return "\n".join(lines) + "\n"


def wordpress_comments(article: Article) -> str:
    """The comment list of a post, each with its no-JavaScript Reply link, and the meta
    widget's login link."""
    items = []
    for k in range(COMMENTS_PER_POST):
        cid = (article.number + 1) * 10 + k
        items.append(
            f'<li id="comment-{cid}" class="comment"><article class="comment-body">'
            f"<p>Thank you for this post ({k + 1}).</p>"
            f'<a rel="nofollow" class="comment-reply-link" href="?replytocom={cid}#respond">'
            "Reply</a></article></li>")
    return (f'<div id="comments" class="comments-area"><ol class="comment-list">'
            f'{"".join(items)}</ol></div>'
            '<p class="meta"><a href="/wp-login.php">Log in</a></p>\n')


def wordpress_noise_paths(article: Article) -> set[str]:
    """The noise URLs (path and query, as canonicalised) one post's page links to."""
    return {f"{article.path}feed/", f"/wp-json/wp/v2/posts/{article.number + 1}"} | {
        f"{article.path}?replytocom={(article.number + 1) * 10 + k}"
        for k in range(COMMENTS_PER_POST)}


def wordpress_resolve(path: str, query: str) -> Page | None:
    """WordPress's own files and endpoints (None for the site's pages)."""
    if path.startswith("/wp-json/oembed/"):
        params = parse_qs(query)
        url = params.get("url", [""])[0]
        secret = secrets.token_hex(5)  # WordPress: wp_generate_password(10, false)
        html = (f'<blockquote class="wp-embedded-content" data-secret="{secret}">'
                f'<a href="{url}">post</a></blockquote>')
        if params.get("format") == ["xml"]:
            body = f"<?xml version=\"1.0\"?><oembed><html>{html}</html></oembed>"
            return Page(200, body.encode(), "text/xml; charset=UTF-8")
        answer = {"version": "1.0", "type": "rich", "html": html}
        return Page(200, json.dumps(answer).encode(), _JSON)
    if path.startswith("/wp-json/"):
        return Page(200, b'{"id":1,"routes":{}}', _JSON)
    if path == "/xmlrpc.php":
        return Page(200, b'<?xml version="1.0"?><rsd version="1.0"/>', "text/xml")
    if path == "/wp-includes/wlwmanifest.xml":
        return Page(200, b'<?xml version="1.0"?><manifest/>', "application/xml")
    if path == "/wp-login.php":
        return Page(200, b"<!DOCTYPE html><title>Log In</title><form></form>",
                    "text/html; charset=UTF-8")
    if path == "/comments/feed/" or (path.endswith("/feed/") and path.startswith("/news/")):
        return Page(200, b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
                    "application/rss+xml; charset=UTF-8")
    if path == THEME_CSS.partition("?")[0]:
        return Page(200, b"body{font-family:serif}", "text/css")
    if path == EMBED_JS.partition("?")[0]:
        return Page(200, b"/*! wp-embed */", "application/javascript")
    return None

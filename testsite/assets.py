"""The test site's page requisites: stylesheets, script, fonts, images, icon and PDF.

The stylesheets reference further files the way real themes do: an ``@import`` with a
relative URL, a background image and a web font in ``url()``, so a crawler that fetches
only what HTML links to will miss some of them.
"""

from __future__ import annotations

import base64
import functools

from . import media
from .text import Identity, number

__all__ = ["SITE_CSS", "LAYOUT_CSS", "SITE_JS", "UPLOADED_MANIFESTO", "static_assets",
           "article_image", "WEIGHTS", "inline_theme"]

# Page weights the site can serve. "light" keeps pages and images small, so tests crawl
# fast; "median" weighs what the median web page weighs (HTTP Archive Web Almanac 2024,
# page weight chapter, median desktop page: 18 KB of HTML transferred, 1,054 KB of images
# over 18 requests, about 58 KB an image), for measurements where bytes matter.
WEIGHTS = ("light", "median")
_INLINE_FONT_BYTES = 13_500  # with the page itself, about 18 KB of HTML after gzip

UPLOADED_MANIFESTO = "/wp-content/uploads/2019/05/manifesto.pdf"

SITE_CSS = """@charset "utf-8";
/* Theme: Brussels Lite 1.4 (child theme for an archived MEP site) */
@import url("layout.css");

@font-face {
  font-family: "Source Sans";
  font-style: normal;
  font-weight: 400;
  font-display: swap;
  src: url(fonts/source-sans.woff2) format("woff2");
}

body {
  margin: 0;
  font: 16px/1.6 "Source Sans", Helvetica, Arial, sans-serif;
  color: #1d1d1b;
  background: #f4f4f0 url('img/header-bg.png') repeat-x top left;
}

a { color: #12325b; }
.archive-banner { background: #ffd200; padding: .5em 1em; text-align: center; }
.site-header { display: flex; justify-content: space-between; padding: 1em 2em; }
.main-navigation ul { list-style: none; display: flex; gap: 1.5em; }
.current-menu-item a { font-weight: bold; }
.site-content { display: grid; grid-template-columns: 3fr 1fr; gap: 2em; padding: 0 2em; }
.post-thumbnail img { max-width: 100%; height: auto; }
.screen-reader-text { position: absolute; left: -9999px; }
.site-footer { border-top: 1px solid #ccc; padding: 1em 2em; font-size: .9em; }
"""

LAYOUT_CSS = """/* Layout helpers imported by site.css */
.widget { margin-bottom: 2em; }
.widget ul { padding-left: 0; list-style: none; }
.widget ul li { background: url(/static/img/bullet.png) no-repeat 0 .5em; padding-left: 14px; }
.portrait { width: 200px; height: 240px; background-size: cover; }
.pagination .current { font-weight: bold; }
@media print {
  .widget-area, .main-navigation, .archive-banner { display: none; }
}
"""

SITE_JS = """/* Theme script: mobile menu toggle and external-link marking. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector(".main-navigation");
    if (nav) {
      nav.classList.add("js-enabled");
    }
    document.querySelectorAll("a[href^='http']").forEach(function (link) {
      if (link.hostname !== window.location.hostname) {
        link.setAttribute("rel", "noopener");
      }
    });
  });
}());
"""

_NAVY = (18, 50, 91)
_YELLOW = (255, 210, 0)


@functools.cache
def static_assets(ident: Identity) -> dict[str, tuple[bytes, str]]:
    """Path -> (bytes, content type) of every fixed binary file on the site."""
    logo = media.png(64, 64, _NAVY, _YELLOW)
    lines = [f"{ident.name} for {ident.region}", "", "1. Jobs in every community.",
             "2. A fair deal for fishing and farming.", "3. Clean energy from our coasts.",
             "4. Stay close to Europe."]
    manifesto = media.pdf(f"{ident.name}: European manifesto 2019", lines)
    return {
        "/favicon.ico": (media.ico(media.png(16, 16, _NAVY, _YELLOW), 16), "image/x-icon"),
        "/static/img/logo.png": (logo, "image/png"),
        "/static/img/apple-touch-icon.png": (media.png(60, 60, _YELLOW, _NAVY), "image/png"),
        "/static/img/header-bg.png": (media.png(4, 120, _NAVY, (40, 80, 130)), "image/png"),
        "/static/img/hero-bg.png": (media.png(32, 12, (10, 30, 60), _NAVY), "image/png"),
        "/static/img/bullet.png": (media.png(8, 8, _YELLOW, _YELLOW), "image/png"),
        "/static/fonts/source-sans.woff2": (media.woff2("Source Sans"), "font/woff2"),
        "/media/hero-400.jpg": (media.jpeg(400, 150, _NAVY, "hero 400w"), "image/jpeg"),
        "/media/hero-800.jpg": (media.jpeg(800, 300, _NAVY, "hero 800w"), "image/jpeg"),
        "/media/portrait.jpg": (media.jpeg(200, 240, (150, 110, 90), ident.name), "image/jpeg"),
        "/media/manifesto.pdf": (manifesto, "application/pdf"),
        # The same file again where the old WordPress site kept its uploads: one payload at
        # two URLs, which a crawl stores once and then as a revisit record.
        UPLOADED_MANIFESTO: (manifesto, "application/pdf"),
    }


def colour(site: int, index: int) -> tuple[int, int, int]:
    n = number("colour", site, index)
    return (n & 0xFF, (n >> 8) & 0xFF, (n >> 16) & 0xFF)


@functools.lru_cache(maxsize=2048)
def article_image(rgb: tuple[int, int, int], site_name: str, slug: str,
                  weight: str = "light") -> bytes:
    comment = f"{site_name}: {slug}"
    if weight == "median":
        # 1024x768 of random blocks: about 60 KB, as incompressible as a photograph.
        return media.mosaic_jpeg(1024, 768, rgb, seed=site_name, comment=comment)
    return media.jpeg(64, 36, rgb, comment)


@functools.lru_cache(maxsize=16)
def inline_theme(ident: Identity, weight: str) -> str:
    """What the theme inlines into every page's head: nothing, or critical CSS with a font.

    Many WordPress themes inline their critical CSS and a subset web font as a data: URI;
    at the "median" weight that is what brings each page to the median HTML weight.
    """
    if weight != "median":
        return ""
    font = media.woff2(ident.site_name) + media.noise(_INLINE_FONT_BYTES, ident.site_name)
    data = base64.b64encode(font).decode("ascii")
    return ('<style id="theme-critical-css">@font-face{font-family:"Source Sans Subset";'
            f'font-display:swap;src:url(data:font/woff2;base64,{data}) format("woff2")}}'
            'body{font-family:"Source Sans Subset",sans-serif}</style>\n')

"""Media types: the HTML types, a Content-Type's media type and charset, and what a page is.

One definition of each, shared by capture (what to parse for links), store (the pages
list, the change report) and normalise (which captures are articles).
"""

from __future__ import annotations

__all__ = ["HTML_TYPES", "media_type", "charset_param", "is_html", "is_page"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type value, lower-cased, without parameters ('' if none)."""
    return (content_type or "").partition(";")[0].strip().lower()


def charset_param(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, unquoted, if it has one."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def is_html(content_type: str | None) -> bool:
    """Whether a Content-Type value (with or without parameters) names an HTML type."""
    return media_type(content_type) in HTML_TYPES


def is_page(url: str | None, status: int | str | None, content_type: str | None) -> bool:
    """Whether a capture is a page: an HTML 200 response to an http(s) URL.

    Redirects, errors and partial or empty responses (204, 206) are captures, not pages,
    in the pages list, the change report and normalisation alike; a robots.txt served as
    text/html is not a page either."""
    if str(status) != "200" or not url or not is_html(content_type):
        return False
    lower = url.lower()
    if not lower.startswith(("http://", "https://")):
        return False
    path = lower.split("?", 1)[0].split("#", 1)[0]
    return not path.endswith("/robots.txt")

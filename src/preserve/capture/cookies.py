"""The cookie jar of a crawl's HTTP sessions, capped as browsers cap it.

A server setting new cookies on every page would otherwise make every later request
carry all of them (issue #13: 60 new 4 KB cookies a page).
"""

from __future__ import annotations

import http.cookiejar
from typing import Any

import requests

__all__ = ["BoundedJar", "MAX_COOKIE_BYTES", "MAX_COOKIES_PER_HOST"]

# Browsers' limits: RFC 6265 section 6.1 asks for at least 4096 bytes a cookie and 50
# a domain; Chrome keeps 180 a domain. Past them a server cannot make the requests, and
# the jar, grow.
MAX_COOKIE_BYTES = 4096
MAX_COOKIES_PER_HOST = 180


class _CookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """The default policy, less cookies whose name and value exceed 4096 bytes."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        size = len(cookie.name.encode("utf-8", "replace")) + len(
            (cookie.value or "").encode("utf-8", "replace"))
        if size > MAX_COOKIE_BYTES:
            return False
        return bool(super().set_ok(cookie, request))


class BoundedJar(requests.cookies.RequestsCookieJar):
    """A cookie jar that keeps at most MAX_COOKIES_PER_HOST per domain, evicting the
    cookie set longest ago, as browsers do."""

    def __init__(self) -> None:
        super().__init__(policy=_CookiePolicy())
        self._order: dict[str, dict[tuple[str, str, str], None]] = {}

    def set_cookie(self, cookie: http.cookiejar.Cookie, *args: Any, **kwargs: Any) -> None:
        super().set_cookie(cookie, *args, **kwargs)
        order = self._order.setdefault(cookie.domain.lstrip(".").lower(), {})
        key = (cookie.domain, cookie.path, cookie.name)
        order.pop(key, None)
        order[key] = None  # newest last
        while len(order) > MAX_COOKIES_PER_HOST:
            oldest = next(iter(order))
            try:
                self.clear(*oldest)
            except KeyError:
                order.pop(oldest, None)

    def clear(self, domain: str | None = None, path: str | None = None,
              name: str | None = None) -> None:
        try:
            super().clear(domain, path, name)  # also how expired cookies are removed
        finally:
            self._forget(domain, path, name)

    def _forget(self, domain: str | None, path: str | None, name: str | None) -> None:
        if domain is None:
            self._order.clear()
            return
        order = self._order.get(domain.lstrip(".").lower(), {})
        for key in [k for k in order if k[0] == domain and path in (None, k[1])
                    and name in (None, k[2])]:
            del order[key]

"""URL identity for the crawler: canonical form, SURT key, host keys and crawler-trap guards.

``canonicalize`` decides when two links name the same resource (the seen set of the
frontier); ``surt_key`` is the sort key of the CDXJ index, computed exactly as pywb and
cdxj-indexer compute it, so our index and theirs agree line for line.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

__all__ = [
    "canonicalize",
    "surt_key",
    "host_of",
    "host_key",
    "registered_domain",
    "TrapLimits",
    "trap_reason",
    "is_http_url",
    "strip_session_ids",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset(b"0123456789ABCDEFabcdef")
# Bytes a browser percent-encodes (WHATWG URL standard): C0 controls, space, DEL and
# non-ASCII everywhere, plus a few printable characters per component.
_PATH_ENCODE = frozenset(b' "<>`{}')
_QUERY_ENCODE = frozenset(b" \"<>'")
_USERINFO_ENCODE = frozenset(b' "<>`{}/;=@[\\]^|')
_REG_NAME = re.compile(r"[a-z0-9\-._~!$&'()*+,;=]+")
_IPV6 = re.compile(r"[0-9a-f:.]+(%25[A-Za-z0-9\-._~]+)?")
# As browsers do (WHATWG URL parsing): C0 controls and spaces around a URL are stripped,
# tabs and newlines inside it are dropped.
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
# Session ids that servers write into URLs, so that one page has a new URL on every
# visit (a trap of unbounded size). The names of the frameworks that put them there are
# dropped whatever their value; generic names only with an opaque token as value, as
# Heritrix's StripSessionIDs rule does, so that ``?sid=3`` (a section id) stays.
_SESSION_NAMES = frozenset({"jsessionid", "phpsessid", "cfid", "cftoken", "oscsid", "zenid",
                            "cfsid"})
_SESSION_PREFIXES = ("aspsessionid",)
_GENERIC_SESSION_NAMES = frozenset({"sid", "sessionid", "session_id", "sessid", "sess_id"})
_OPAQUE_TOKEN = re.compile(r"[0-9A-Za-z_\-]{16,}")
_SESSION_HINT = re.compile(r"sess|sid|cfid|cftoken|zenid", re.I)


def is_http_url(url: str) -> bool:
    """True if ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)
    except ValueError:
        return False


@functools.lru_cache(maxsize=4096)
def canonicalize(url: str) -> str:
    """The canonical form of an http(s) URL, used to decide whether it was already seen.

    Scheme and host are lower-cased, an internationalised host becomes punycode, a default
    port and the fragment are dropped, dot-segments are resolved (RFC 3986 5.2.4), an empty
    path becomes ``/`` and an empty query is dropped. Percent-encoding is normalised
    (upper-case hex, unreserved characters decoded); spaces, controls and non-ASCII
    characters in the path and query are percent-encoded as UTF-8. Query parameters keep
    their order: sorting them could name a different resource. Session ids are dropped
    (``strip_session_ids``), so a site that writes a new one into every link does not
    become a new URL on every visit.

    Raises ValueError for a URL that is not http(s), has no host, or has an invalid host
    or port. Results are cached (a site's navigation repeats the same links on every page).
    """
    text = url.strip(_C0_AND_SPACE).translate(_TAB_NEWLINE)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url!r}")
    netloc = _normalise_netloc(parts, scheme, url)
    path = _normalise_component(parts.path.replace("\\", "/"), _PATH_ENCODE)
    query = _normalise_component(parts.query, _QUERY_ENCODE)
    path, query = strip_session_ids(path, query)
    path = _remove_dot_segments(path)
    return f"{scheme}://{netloc}{path or '/'}{'?' + query if query else ''}"


def _is_session_param(name: str, value: str) -> bool:
    name = name.lower()
    if name in _SESSION_NAMES or name.startswith(_SESSION_PREFIXES):
        return bool(value)
    return name in _GENERIC_SESSION_NAMES and _OPAQUE_TOKEN.fullmatch(value) is not None


def strip_session_ids(path: str, query: str) -> tuple[str, str]:
    """``path`` without ``;jsessionid=...``-style parameters, ``query`` without session ids.

    Dropped whatever their value: ``jsessionid`` (Java servlets), ``phpsessid`` (PHP),
    ``aspsessionid*`` (classic ASP), ``cfid``, ``cftoken`` and ``cfsid`` (ColdFusion),
    ``oscsid`` (osCommerce), ``zenid`` (Zen Cart). Dropped only when the value is an opaque
    token (16 or more letters, digits, ``_`` or ``-``): ``sid``, ``sessionid``,
    ``session_id``, ``sessid``, ``sess_id``. Names are matched without regard to case;
    everything else keeps its order and spelling.
    """
    if _SESSION_HINT.search(path):
        segments = []
        for segment in path.split("/"):
            if ";" in segment:
                head, *params = segment.split(";")
                kept = [p for p in params if not _is_session_param(*_name_value(p))]
                segment = ";".join([head, *kept])
            segments.append(segment)
        path = "/".join(segments)
    if _SESSION_HINT.search(query):
        query = "&".join(p for p in query.split("&") if not _is_session_param(*_name_value(p)))
        if not query.strip("&"):
            query = ""
    return path, query


def _name_value(param: str) -> tuple[str, str]:
    name, _, value = param.partition("=")
    return name, value


def _normalise_netloc(parts: SplitResult, scheme: str, url: str) -> str:
    host = _normalise_host(parts, url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"invalid port in URL: {url!r}") from None
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = f"{_normalise_component(userinfo, _USERINFO_ENCODE)}@" if at else ""
    netloc += host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return netloc


def _normalise_host(parts: SplitResult, url: str) -> str:
    """Lower-case, punycode host; IPv6 literals keep their brackets."""
    raw = parts.hostname
    if not raw:
        raise ValueError(f"URL has no host: {url!r}")
    if "[" in parts.netloc.rpartition("@")[2]:
        if not _IPV6.fullmatch(raw):
            raise ValueError(f"invalid IPv6 host in URL: {url!r}")
        return f"[{raw}]"
    host = _percent_decode(raw) if "%" in raw else raw
    if not host.isascii():
        try:
            host = ".".join(
                label.encode("idna").decode("ascii") if not label.isascii() else label
                for label in host.split(".")
            ).lower()
        except UnicodeError:
            raise ValueError(f"invalid internationalised host in URL: {url!r}") from None
    host = host.lower()
    if not _REG_NAME.fullmatch(host):
        raise ValueError(f"invalid host in URL: {url!r}")
    return host


def _percent_decode(text: str) -> str:
    raw = text.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and _is_hex_pair(raw, i + 1):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", errors="replace")


def _is_hex_pair(raw: bytes, i: int) -> bool:
    return i + 1 < len(raw) and raw[i] in _HEX and raw[i + 1] in _HEX


def _normalise_component(text: str, encode: frozenset[int]) -> str:
    """Normalise percent-encoding and encode what must be encoded, in one pass over bytes."""
    if _clean(text, encode):
        return text
    raw = text.encode("utf-8")
    out: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        b = raw[i]
        if b == 0x25:  # "%"
            if _is_hex_pair(raw, i + 1):
                value = int(raw[i + 1 : i + 3], 16)
                out.append(chr(value) if value in _UNRESERVED else f"%{value:02X}")
                i += 3
                continue
            out.append("%25")
        elif b < 0x21 or b >= 0x7F or b in encode:
            out.append(f"%{b:02X}")
        else:
            out.append(chr(b))
        i += 1
    return "".join(out)


def _clean(text: str, encode: frozenset[int]) -> bool:
    """True if ``text`` has no percent sign and nothing to encode (the common case)."""
    return _needs_work(encode).search(text) is None


@functools.cache
def _needs_work(encode: frozenset[int]) -> re.Pattern[str]:
    """Matches any character `_normalise_component` would change: a ``%``, a control, a
    space, DEL, non-ASCII, or a character of ``encode``."""
    special = "".join(re.escape(chr(b)) for b in sorted(encode | {0x25}))
    return re.compile(f"[^\\x21-\\x7e]|[{special}]")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, written over segments rather than the string buffer."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                output.append("")
        elif seg == "..":
            if len(output) > 1 or (output and output[0] != ""):
                output.pop()
            if last:
                output.append("")
        else:
            output.append(seg)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def surt_key(url: str) -> str:
    """The SURT sort key of ``url`` as cdxj-indexer and pywb write it in a CDXJ index.

    This is ``surt.surt(url)`` with the package defaults (IA canonicaliser, no scheme,
    ``www.`` dropped, query arguments sorted), falling back to the URL itself when the
    surt package cannot parse it, exactly as cdxj-indexer does.
    """
    # Imported here, not at the top: surt imports tldextract and with it requests (about
    # 60 ms), which every command importing this module would pay, SURT keys or not.
    import surt

    try:
        key: str = surt.surt(url)
    except Exception:  # cdxj-indexer falls back to the raw URL on any failure; so do we.
        return url
    return key


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without port (punycode if internationalised); "" if none."""
    try:
        parts = urlsplit(url.strip())
        return _normalise_host(parts, url).strip("[]")
    except ValueError:
        try:
            return (urlsplit(url.strip()).hostname or "").lower()
        except ValueError:
            return ""


def host_key(url: str) -> str:
    """``host:port`` of ``url``, the identity per-host politeness is keyed on.

    The scheme's default port is made explicit, so ``http://a/`` and ``http://a:80/`` share
    a key while ``https://a/`` (port 443) does not. Raises ValueError for a URL that is
    not http(s) or has no host.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = _normalise_host(parts, url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"invalid port in URL: {url!r}") from None
    return f"{host}:{port if port is not None else _DEFAULT_PORTS[scheme]}"


def registered_domain(host: str) -> str:
    """Best-effort registered domain of ``host``: the host without a leading ``www.``.

    Without a public suffix list the real registrable domain cannot be known:
    ``blog.example.com`` stays ``blog.example.com`` (so a domain-scoped crawl seeded there
    covers ``*.blog.example.com`` but not ``example.com``), and ``www.example.co.uk``
    becomes ``example.co.uk``, which is right, only because the ``www.`` label is dropped.
    """
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") and len(host) > 4 else host


@dataclass(frozen=True)
class TrapLimits:
    """Limits beyond which a URL is taken for a crawler trap and not fetched."""

    max_url_length: int = 2048
    max_path_depth: int = 32
    max_repeated_segments: int = 3


def trap_reason(url: str, limits: TrapLimits) -> str | None:
    """Why ``url`` looks like a crawler trap, or None if it looks fine.

    Reasons: ``url-too-long``; ``path-too-deep`` (more non-empty path segments than
    ``max_path_depth``); ``repeated-segment`` (one path segment occurring more than
    ``max_repeated_segments`` times, as in ``/a/b/a/b/a/b/a/b/`` or ``/x/x/x/x``, the
    signature of relative links that keep adding to the path).
    """
    if len(url) > limits.max_url_length:
        return "url-too-long"
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    segments = [s for s in path.split("/") if s]
    if len(segments) > limits.max_path_depth:
        return "path-too-deep"
    if segments and max(Counter(segments).values()) > limits.max_repeated_segments:
        return "repeated-segment"
    return None

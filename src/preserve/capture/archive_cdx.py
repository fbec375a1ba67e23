"""Talking to a remote web archive: polite raw HTTP, and the list of its captures.

``ArchiveHttp`` asks an archive for one URL at a time, no faster than a rate per kind of
request (listing: the CDX API or a TimeMap; playback: the mementos), never following a
redirect and never decoding a body; a 429 without ``Memento-Datetime`` is the archive
asking us to slow down, answered with a pause. ``list_captures`` finds which listing the
archive speaks (a Wayback CDX server with resume keys, pywb's CDX lines, or a Memento
TimeMap) and yields each capture as a ``Capture``.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode, urlsplit

from ..errors import PreserveError

__all__ = [
    "ArchiveError",
    "ArchiveHttp",
    "ArchiveResponse",
    "Capture",
    "ListingProblem",
    "list_captures",
    "memento_url",
    "parse_timemap",
    "RATE_LIMITED",
]

RATE_LIMITED = 429
_WAYBACK_FIELDS = "urlkey,timestamp,original,mimetype,statuscode,digest,length"
_PAGE = 1000
_TIMESTAMP = re.compile(r"\d{4,14}")


class ArchiveError(PreserveError):
    """An archive that cannot be reached or answers nothing usable (url: what was asked)."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


@dataclass(frozen=True)
class ArchiveResponse:
    """One answer of the archive, its body read raw (transfer coding removed, content
    coding kept), its headers in the order they came."""

    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)


@dataclass(frozen=True)
class Capture:
    """One capture the archive lists: the original URL, its 14-digit timestamp and what
    the listing says of it (empty strings where it says nothing); ``line`` is the listing's
    own line, kept in the metadata record; ``memento`` the URL it is fetched from."""

    original: str
    timestamp: str
    memento: str
    mime: str = ""
    status: str = ""
    digest: str = ""
    line: str = ""

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Capture:
        return cls(**{f.name: str(data.get(f.name, "")) for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class ListingProblem:
    """A line of a listing that could not be used, and why."""

    source: str
    line: str
    reason: str


@dataclass
class ArchiveHttp:
    """Raw GETs to an archive, paced per kind ("listing", "playback") in requests per
    minute, pausing ``pause_429`` seconds (then asking again, up to ``retries`` times) when
    the archive answers 429 on its own behalf."""

    listing_rate: float = 30.0
    playback_rate: float = 600.0
    pause_429: float = 60.0
    retries: int = 3
    timeout: float = 60.0
    user_agent: str = "preserve import-archive"
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    on_pause: Callable[[str, float], None] | None = None
    _last: dict[str, float] = field(default_factory=dict)

    def get(self, url: str, kind: str = "playback") -> ArchiveResponse:
        """The archive's answer to ``url``; ArchiveError when it cannot be reached, or
        keeps answering 429 after ``retries`` pauses."""
        for attempt in range(self.retries + 1):
            self._pace(kind)
            response = self._get_once(url)
            if response.status != RATE_LIMITED or response.header("Memento-Datetime"):
                return response
            if attempt < self.retries:
                pause = max(self.pause_429, _retry_after(response.header("Retry-After")))
                if self.on_pause is not None:
                    self.on_pause(url, pause)
                self.sleep(pause)
        raise ArchiveError(f"the archive kept answering 429 (too many requests) after "
                           f"{self.retries} pauses of {self.pause_429:g} s", url)

    def _pace(self, kind: str) -> None:
        rate = self.listing_rate if kind == "listing" else self.playback_rate
        if rate <= 0:
            return
        interval = 60.0 / rate
        last = self._last.get(kind)
        if last is not None:
            wait = last + interval - self.monotonic()
            if wait > 0:
                self.sleep(wait)
        self._last[kind] = self.monotonic()

    def _get_once(self, url: str) -> ArchiveResponse:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ArchiveError("not an http(s) URL", url)
        conn_class = (http.client.HTTPSConnection if parts.scheme == "https"
                      else http.client.HTTPConnection)
        conn = conn_class(parts.hostname, parts.port, timeout=self.timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            conn.putrequest("GET", target, skip_accept_encoding=True)
            # gzip asked for, so that a body stored compressed comes back as stored
            for name, value in (("Accept-Encoding", "gzip"), ("User-Agent", self.user_agent),
                                ("Accept", "*/*")):
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()  # http.client removes the chunking, never the gzip
            return ArchiveResponse(url, resp.status, resp.reason, list(resp.getheaders()),
                                   body)
        except (OSError, http.client.HTTPException) as e:
            raise ArchiveError(f"the archive cannot be reached ({e.__class__.__name__}: "
                               f"{e})", url) from e
        finally:
            conn.close()


def _retry_after(value: str | None) -> float:
    """Seconds a Retry-After of delta-seconds asks for (0 if absent or a date: the pause
    configured is long enough for the archives that send dates)."""
    try:
        return min(max(0.0, float(value)), 3600.0) if value else 0.0
    except ValueError:
        return 0.0


def memento_url(playback: str, timestamp: str, original: str) -> str:
    """The raw (``id_``) memento URL of a capture under the archive's playback prefix."""
    return f"{playback.rstrip('/')}/{timestamp}id_/{original}"


def _wayback_query(base: str, url: str, match: str, since: str | None, until: str | None,
                   resume: str | None) -> str:
    params = [("url", url), ("matchType", match), ("output", "json"), ("fl", _WAYBACK_FIELDS),
              ("showResumeKey", "true"), ("limit", str(_PAGE))]
    if since:
        params.append(("from", since))
    if until:
        params.append(("to", until))
    if resume:
        params.append(("resumeKey", resume))
    return f"{base.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def _pywb_query(base: str, url: str, match: str, since: str | None, until: str | None) -> str:
    params = [("url", url), ("matchType", match), ("output", "json")]
    if since:
        params.append(("from", since))
    if until:
        params.append(("to", until))
    return f"{base.rstrip('/')}/cdx?{urlencode(params)}"


def _json_rows(text: str) -> list[object] | None:
    try:
        rows = json.loads(text)
    except ValueError:
        return None
    return rows if isinstance(rows, list) else None


def _wayback(http: ArchiveHttp, base: str, url: str, match: str, since: str | None,
             until: str | None, problems: list[ListingProblem],
             first: ArchiveResponse) -> Iterator[Capture]:
    """The captures of a Wayback CDX server, page after page by resume key."""
    playback = base.rstrip("/") + "/web"
    response: ArchiveResponse | None = first
    while response is not None:
        rows = _json_rows(response.body.decode("utf-8", "replace")) or []
        header: list[str] | None = None
        resume = None
        after_blank = False
        for row in rows:
            if header is None and isinstance(row, list) and "timestamp" in row:
                header = [str(h) for h in row]
                continue
            if row == []:
                after_blank = True
                continue
            if after_blank and isinstance(row, list) and len(row) == 1:
                resume = str(row[0])
                continue
            line = json.dumps(row)
            if header is None or not isinstance(row, list) or len(row) != len(header):
                problems.append(ListingProblem(response.url, line, "not a CDX row of the "
                                               "fields asked for"))
                continue
            fields = dict(zip(header, (str(v) for v in row), strict=True))
            capture = _capture(playback, fields.get("original", ""),
                               fields.get("timestamp", ""), fields.get("mimetype", ""),
                               fields.get("statuscode", ""), fields.get("digest", ""), line)
            if capture is None:
                problems.append(ListingProblem(response.url, line, "no URL or no timestamp"))
            else:
                yield capture
        response = None
        if resume:
            response = http.get(_wayback_query(base, url, match, since, until, resume),
                                "listing")
            if response.status != 200:
                raise ArchiveError(f"the CDX server answered {response.status} for the next "
                                   "page", response.url)


def _pywb(base: str, body: str, source: str,
          problems: list[ListingProblem]) -> Iterator[Capture]:
    """The captures of pywb's CDX API: one JSON object per line."""
    for line in body.splitlines():
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            problems.append(ListingProblem(source, line, "not a JSON object"))
            continue
        capture = _capture(base, str(fields.get("url", "")), str(fields.get("timestamp", "")),
                           str(fields.get("mime", "")), str(fields.get("status", "")),
                           str(fields.get("digest", "")), line)
        if capture is None:
            problems.append(ListingProblem(source, line, "no URL or no timestamp"))
        else:
            yield capture


def _capture(playback: str, original: str, timestamp: str, mime: str, status: str,
             digest: str, line: str) -> Capture | None:
    if not original.startswith(("http://", "https://")) or not _TIMESTAMP.fullmatch(timestamp):
        return None
    return Capture(original, timestamp, memento_url(playback, timestamp, original), mime,
                   status, digest, line)


_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,<]+(?:=(?:"[^"]*"|[^;,<]*))?)*)\s*,?')
_PARAM = re.compile(r';\s*([^=;\s]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))')
_MEMENTO_PATH = re.compile(r"^(.*?)/(\d{4,14})(?:[a-z]{2}_)?/(https?:.*)$")


def parse_timemap(text: str, source: str,
                  problems: list[ListingProblem]) -> list[Capture]:
    """The mementos of a TimeMap in application/link-format (RFC 7089), each turned into
    its raw (``id_``) URL."""
    captures = []
    for match in _LINK.finditer(text):
        target, params = match[1], match[2]
        values = {m[1].lower(): m[2] if m[2] is not None else m[3]
                  for m in _PARAM.finditer(params)}
        if "memento" not in values.get("rel", "").split():
            continue
        path = _MEMENTO_PATH.match(target)
        if path is None:
            problems.append(ListingProblem(source, match[0], "a memento URL without a "
                                           "timestamp and the original URL"))
            continue
        stamp = path[2]
        datetime_value = values.get("datetime")
        if datetime_value:
            try:
                stamp = parsedate_to_datetime(datetime_value).strftime("%Y%m%d%H%M%S")
            except (TypeError, ValueError):
                pass
        captures.append(Capture(path[3], stamp, memento_url(path[1], path[2], path[3]),
                                line=match[0].strip().rstrip(",")))
    return captures


def _timemap_urls(base: str, url: str) -> list[str]:
    base = base.rstrip("/")
    return [f"{base}/timemap/link/{url}", f"{base}/web/timemap/link/{url}"]


def list_captures(http: ArchiveHttp, base: str, url: str, match: str,
                  since: str | None, until: str | None,
                  problems: list[ListingProblem]) -> tuple[str, Iterator[Capture]]:
    """(which listing answered: "wayback-cdx", "pywb-cdx" or "timemap", its captures).

    Tried in turn: a Wayback CDX server at ``{base}/cdx/search/cdx``, pywb's CDX API at
    ``{base}/cdx``, then a TimeMap at ``{base}/timemap/link/{url}`` or
    ``{base}/web/timemap/link/{url}`` (only for an exact URL: a TimeMap lists one URL).
    ArchiveError when none answers. Lines that cannot be used go to ``problems``.
    """
    tried = []
    first = http.get(_wayback_query(base, url, match, since, until, None), "listing")
    if first.status == 200 and _json_rows(first.body.decode("utf-8", "replace")) is not None:
        return "wayback-cdx", _wayback(http, base, url, match, since, until, problems, first)
    tried.append(f"{first.url} ({first.status})")
    query = _pywb_query(base, url, match, since, until)
    answer = http.get(query, "listing")
    if answer.status == 200 and not answer.body.lstrip().startswith((b"<", b"[")):
        return "pywb-cdx", _pywb(base, answer.body.decode("utf-8", "replace"), query, problems)
    tried.append(f"{answer.url} ({answer.status})")
    for timemap in _timemap_urls(base, quote(url, safe=":/?=&%#@+,;~")):
        answer = http.get(timemap, "listing")
        if answer.status == 200:
            return "timemap", iter(parse_timemap(answer.body.decode("utf-8", "replace"),
                                                 timemap, problems))
        tried.append(f"{timemap} ({answer.status})")
    raise ArchiveError("no CDX API nor TimeMap answered: " + "; ".join(tried), base)

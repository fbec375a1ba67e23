"""Dates as pages write them, to ISO 8601: ISO forms, RFC 2822, "18 November 2019",
"November 18, 2019", compact "20191118", and dates in URL paths."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

__all__ = ["parse_date", "url_date"]

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?Z?$")
_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|-|$)")
_URL_DATE_COMPACT = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})(?:/|-|_|$)")
_MIN_YEAR, _MAX_YEAR = 1990, 2100


def _valid(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return _MIN_YEAR <= y <= _MAX_YEAR


def _zone(z: str | None) -> str:
    if not z:
        return ""
    if z == "Z":
        return "Z"
    z = z.replace(":", "")
    return f"{z[:3]}:{z[3:]}"


def _iso(value: str) -> str | None:
    m = _ISO.search(value)
    if m is None:
        return None
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if not _valid(y, mo, d):
        return None
    day = f"{y:04d}-{mo:02d}-{d:02d}"
    if m[4] is None:
        return day
    hh, mm, ss = int(m[4]), int(m[5]), int(m[6] or 0)
    if hh > 23 or mm > 59 or ss > 60:
        return day
    return f"{day}T{hh:02d}:{mm:02d}:{ss:02d}{_zone(m[7])}"


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:3].lower())


def parse_date(value: str | None) -> str | None:
    """ISO 8601 (a date, or date and time with the zone given) or None if not a date."""
    if not value:
        return None
    value = value.strip()[:100]
    iso = _iso(value)
    if iso is not None:
        return iso
    m = _COMPACT.match(value)
    if m and _valid(int(m[1]), int(m[2]), int(m[3])):
        return f"{m[1]}-{m[2]}-{m[3]}"
    if re.match(r"^[A-Za-z]{3},", value):
        try:
            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            dt = None
        if isinstance(dt, datetime) and _MIN_YEAR <= dt.year <= _MAX_YEAR:
            return dt.isoformat().replace("+00:00", "Z")
    for pattern, order in ((_DMY, "dmy"), (_MDY, "mdy")):
        m = pattern.search(value)
        if m is None:
            continue
        d, mon, y = (m[1], m[2], m[3]) if order == "dmy" else (m[2], m[1], m[3])
        month = _month(mon)
        if month and _valid(int(y), month, int(d)):
            return f"{int(y):04d}-{month:02d}-{int(d):02d}"
    return None


def url_date(url: str | None) -> str | None:
    """A publication date written in a URL path (/2019/11/18/, /20191118-)."""
    if not url:
        return None
    for pattern in (_URL_DATE, _URL_DATE_COMPACT):
        m = pattern.search(url)
        if m and _valid(int(m[1]), int(m[2]), int(m[3])):
            return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    return None

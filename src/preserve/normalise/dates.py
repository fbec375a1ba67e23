"""Dates as pages write them, to ISO 8601: ISO forms, RFC 2822, compact "20191118",
dates in URL paths, and dates written out in the EU's 24 languages: "18 November 2019",
"November 18, 2019", "5. Dezember 2024", "5 de diciembre de 2024", "5 grudnia 2024",
"2024. december 5.", "5 Δεκεμβρίου 2024", "05.12.2024", "2024/12/05".

A numeric date with slashes or dashes is read day first ("5/12/2024" is 5 December), as
in every EU language, except on a page in US English, where it is read month first; on a
page in English of no given region it is read only when one number is above 12 (either
reading would be a guess otherwise).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from .months import month_number

__all__ = ["parse_date", "url_date"]

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?Z?$")
_WORD = r"([^\W\d_]{3,16})\.?"
# Day, month name, year: "5. Dezember 2024", "1er décembre 2024", "5 de diciembre de 2024",
# Maltese "5 ta' Diċembru 2024".
_DMY = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er|º|ª|°)?\.?\s*(?:de\s+|of\s+|ta'\s*)?"
                  + _WORD + r",?\s*(?:de\s+|del\s+)?(\d{4})(?!\d)", re.I)
# Month name, day, year: "December 5th, 2024".
_MDY = re.compile(r"(?<!\w)" + _WORD + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)", re.I)
# Year, month name, day: Hungarian "2024. december 5.", Lithuanian "2024 m. gruodžio 5 d.".
_YMD = re.compile(r"(?<!\d)(\d{4})\.?\s+(?:m\.\s*)?" + _WORD + r"\s+(\d{1,2})(?!\d)", re.I)
# Latvian "2024. gada 5. decembrī".
_YDM = re.compile(r"(?<!\d)(\d{4})\.\s*gada\s+(\d{1,2})\.\s*" + _WORD, re.I)
_IRISH = re.compile(r"\b(me[aá]n|deireadh)\s+(f[oó]mhair)", re.I)
# Numbers only: "05.12.2024" (day first wherever dots are used), "5/12/2024", "2024/12/05".
_NUM_DOTS = re.compile(r"(?<![\d.])(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?!\d)")
_NUM_SLASH = re.compile(r"(?<![\d/.-])(\d{1,2})([/-])(\d{1,2})\2(\d{4})(?!\d)")
_NUM_YMD = re.compile(r"(?<![\d.])(\d{4})([/.])\s?(\d{1,2})\2\s?(\d{1,2})(?![\d/])")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|-|$)")
_URL_DATE_COMPACT = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})(?:/|-|_|$)")
# Day first, as European CMSs write a day into a slug: /29-10-2021, /08112021-.
_URL_DAY_FIRST = re.compile(r"/(\d{1,2})[-.](\d{1,2})[-.]((?:19|20)\d{2})(?:/|-|_|\.|$)")
_URL_DAY_FIRST_COMPACT = re.compile(r"/(\d{2})(\d{2})((?:19|20)\d{2})(?:/|-|_|$)")
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


def _day(y: int, m: int | None, d: int) -> str | None:
    if m is None or not _valid(y, m, d):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _slash_order(a: int, b: int, language: str | None) -> tuple[int, int] | None:
    """(month, day) of "a/b/yyyy": day first unless a page in US English says otherwise;
    on a page in English of no region, or of no language, only when one is above 12."""
    if a > 12 >= b:
        return b, a
    if b > 12 >= a:
        return a, b
    lang = (language or "").lower().replace("_", "-")
    if lang.startswith("en-us"):
        return a, b
    if not lang or lang == "en":
        return None
    return b, a


def _written(value: str, language: str | None) -> str | None:
    """The first date written out in ``value`` (month names or numbers), by position."""
    found: list[tuple[int, str]] = []

    def named(pattern: re.Pattern[str], y: int, w: int, d: int) -> None:
        for m in pattern.finditer(value):
            iso = _day(int(m[y]), month_number(m[w], language), int(m[d]))
            if iso:
                found.append((m.start(), iso))
                return

    if any(c.isalpha() for c in value):
        value = _IRISH.sub(r"\1\2", value)
        named(_DMY, 3, 2, 1)
        named(_MDY, 3, 1, 2)
        named(_YMD, 1, 2, 3)
        named(_YDM, 1, 3, 2)
    for m in _NUM_DOTS.finditer(value):
        iso = _day(int(m[3]), int(m[2]), int(m[1]))
        if iso:
            found.append((m.start(), iso))
            break
    for m in _NUM_SLASH.finditer(value):
        order = _slash_order(int(m[1]), int(m[3]), language)
        iso = _day(int(m[4]), order[0], order[1]) if order else None
        if iso:
            found.append((m.start(), iso))
            break
    for m in _NUM_YMD.finditer(value):
        iso = _day(int(m[1]), int(m[3]), int(m[4]))
        if iso:
            found.append((m.start(), iso))
            break
    return min(found)[1] if found else None


def parse_date(value: str | None, language: str | None = None) -> str | None:
    """ISO 8601 (a date, or date and time with the zone given) or None if not a date.
    ``language``, the page's language tag, settles month names that differ between
    languages and the order of "5/12/2024"."""
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
    return _written(value, language)


def url_date(url: str | None) -> str | None:
    """A publication date written in a URL path: year first (/2019/11/18/, /20191118-),
    else day first (/18-11-2019, /18112019-)."""
    if not url:
        return None
    for pattern in (_URL_DATE, _URL_DATE_COMPACT):
        m = pattern.search(url)
        if m and _valid(int(m[1]), int(m[2]), int(m[3])):
            return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    for pattern in (_URL_DAY_FIRST, _URL_DAY_FIRST_COMPACT):
        m = pattern.search(url)
        if m and _valid(int(m[3]), int(m[2]), int(m[1])):
            return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    return None

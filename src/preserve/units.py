"""Sizes, durations, budgets and times: parsed as people write them (500MB, 2h, 2hrs) and
formatted as people read them (6.4 MB, 2h, 2026-12-06T19:31:20Z), each in one place.

preserve.toml (config.py) and the command line's parameter types (cli/params.py) both
parse here, so a value means the same wherever it is given; every command's text output
formats here, so a time or a size looks the same whichever command printed it. JSON
output keeps exact values (bytes, seconds, the stored timestamps).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import NamedTuple

from .errors import ConfigError

__all__ = ["Budget", "parse_size", "parse_duration", "parse_budget", "format_size",
           "format_duration", "format_time", "format_rate", "plural"]

_SIZE_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "k": 10**3, "kb": 10**3,
               "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9, "t": 10**12, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_TIME_UNITS = {"": 1,
               **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
               **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
               **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
               **dict.fromkeys(("d", "day", "days"), 86400),
               **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 86400)}
_NUMBER_AND_UNIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")
_DURATION = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[a-zA-Z]*\s*)+")
_SIZE_NAMES = ("B", "KB", "MB", "GB", "TB")


class Budget(NamedTuple):
    """How much one run may do: a time in seconds or a size in bytes; exactly one is set."""

    seconds: float | None = None
    bytes: int | None = None


def parse_size(text: str | int) -> int:
    """'1GB', '500 MB', '10MiB' or a plain number of bytes."""
    if isinstance(text, int):
        return text
    m = _NUMBER_AND_UNIT.fullmatch(text)
    if not m or m.group(2).lower() not in _SIZE_UNITS:
        raise ConfigError(f"{text!r} is not a size (examples: 500MB, 1GB, 1048576)")
    try:
        return int(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])
    except OverflowError:  # more digits than a float holds
        raise ConfigError(f"{text!r} is too large a size") from None


def _duration_parts(text: str) -> list[tuple[float, str]] | None:
    """'1h 30m' as [(1, 'h'), (30, 'm')]; None unless every part has a known unit (a
    bare number only alone: '90' is seconds, '1h 30' is a mistake)."""
    if not _DURATION.fullmatch(text):
        return None
    parts = [(float(n), u.lower()) for n, u in
             re.findall(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)", text)]
    if any(u not in _TIME_UNITS for _, u in parts) or (len(parts) > 1 and
                                                         any(not u for _, u in parts)):
        return None
    return parts


def parse_duration(text: str | float) -> float:
    """'90', '90s', '30m', '2h', '2hrs', '1h30m', '1 day' in seconds."""
    if isinstance(text, int | float):
        return float(text)
    parts = _duration_parts(text)
    if parts is None:
        raise ConfigError(f"{text!r} is not a duration (examples: 90s, 30m, 2h, 1d)")
    return sum(n * _TIME_UNITS[u] for n, u in parts)


def parse_budget(text: str) -> Budget:
    """'2h', '90m' or '2hrs' (a time), '500GB' or '10GiB' (a size); the unit is required,
    since a bare number could be either."""
    unit = text.strip().lstrip("0123456789. ").lower()
    if not unit:
        raise ConfigError(f"{text!r}: give a unit, e.g. 2h or 500GB")
    if _duration_parts(text) is not None:
        return Budget(seconds=parse_duration(text))
    m = _NUMBER_AND_UNIT.fullmatch(text)
    if m and m.group(2).lower() in _SIZE_UNITS:
        return Budget(bytes=parse_size(text))
    raise ConfigError(f"{text!r} is not a size or duration (examples: 2h, 90m, 500GB, 10GiB)")


def format_size(n: float) -> str:
    """Bytes as people read them, in powers of 1000: '512 B', '6.4 MB', '1.2 GB'."""
    value = float(n)
    for unit in _SIZE_NAMES:
        if abs(value) < 1000 or unit == _SIZE_NAMES[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def format_rate(n: float, seconds: float) -> str:
    """Bytes over seconds as '6.4 MB/s' ('0 B/s' for no time at all)."""
    return f"{format_size(n / seconds if seconds > 0 else 0)}/s"


def format_duration(seconds: float) -> str:
    """Seconds as people read them, at most two units: '0s', '<0.1s', '0.4s', '12s',
    '2m 5s', '2h', '1h 30m', '3d 4h'. Under ten seconds, to a tenth ('2s' for 1.98):
    a time above 0 that rounds to none is '<0.1s', never '0.0s'."""
    if 0 < seconds < 0.05:
        return "<0.1s"
    tenths = round(float(seconds), 1)
    if tenths < 10:
        return f"{tenths:.0f}s" if tenths.is_integer() else f"{tenths:.1f}s"
    whole = round(seconds)
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for i, (unit, size) in enumerate(units):
        if whole >= size:
            text = f"{whole // size}{unit}"
            if i + 1 < len(units):  # the next unit down, if any of it (1h 30m; 1h, not 1h 1s)
                smaller, small = units[i + 1]
                if (whole % size) // small:
                    text += f" {(whole % size) // small}{smaller}"
            return text
    return "0s"


def format_time(value: str | datetime | None) -> str:
    """A moment in UTC to the second: '2026-12-06T19:31:20Z'; '-' for none. Takes an ISO
    8601 string (with Z, an offset, or none, taken as UTC) or a datetime; a string that
    is not a time is returned as it is."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        try:
            return format_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 file', '2 files', '0 files'; ``many`` for the irregular ('1 entry', '2 entries')."""
    return f"{n} {word if n == 1 else (many or word + 's')}"

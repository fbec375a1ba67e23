"""Sizes, durations and budgets as people write them (500MB, 2h), parsed in one place.

preserve.toml (config.py) and the command line's parameter types (cli/params.py) both
read them here, so a value means the same wherever it is given.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import ConfigError

__all__ = ["Budget", "parse_size", "parse_duration", "parse_budget"]

_SIZE_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6,
               "g": 10**9, "gb": 10**9, "t": 10**12, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_TIME_UNITS = {"": 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_NUMBER_AND_UNIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


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


def parse_duration(text: str | float) -> float:
    """'90', '90s', '30m', '2h', '1d' in seconds."""
    if isinstance(text, int | float):
        return float(text)
    m = _NUMBER_AND_UNIT.fullmatch(text)
    if not m or m.group(2).lower() not in _TIME_UNITS:
        raise ConfigError(f"{text!r} is not a duration (examples: 90s, 30m, 2h)")
    return float(m.group(1)) * _TIME_UNITS[m.group(2).lower()]


def parse_budget(text: str) -> Budget:
    """'2h' or '90m' (a time), '500GB' or '10GiB' (a size); the unit is required, since a
    bare number could be either."""
    unit = text.strip().lstrip("0123456789. ").lower()
    if not unit:
        raise ConfigError(f"{text!r}: give a unit, e.g. 2h or 500GB")
    if unit in _TIME_UNITS:
        return Budget(seconds=parse_duration(text))
    return Budget(bytes=parse_size(text))

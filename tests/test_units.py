"""Sizes, durations and budgets: one parser, so preserve.toml and the options agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest

from preserve.cli.params import Duration, Size, SizeOrDuration
from preserve.config import load_config
from preserve.errors import ConfigError
from preserve.units import (
    Budget,
    format_duration,
    format_size,
    format_time,
    parse_budget,
    parse_duration,
    parse_size,
    plural,
)


@pytest.mark.parametrize(("text", "size"), [
    ("1048576", 1048576), ("500MB", 500 * 10**6), (" 1.5 kb ", 1500), ("1GB", 10**9),
    ("10MiB", 10 * 2**20), ("2 TiB", 2 * 2**40), (42, 42),
])
def test_sizes(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90.0), ("90s", 90.0), ("30m", 1800.0), ("2 min", 120.0), ("1.5h", 5400.0),
    ("1d", 86400.0), (7, 7.0), ("2hrs", 7200.0), ("2 hours", 7200.0), ("1 hr", 3600.0),
    ("30 mins", 1800.0), ("45 sec", 45.0), ("1h30m", 5400.0), ("1h 30m", 5400.0),
    ("2 days", 172800.0), ("1w", 604800.0),
])
def test_durations(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "budget"), [
    ("2h", Budget(seconds=7200.0)), ("90m", Budget(seconds=5400.0)),
    ("500GB", Budget(bytes=500 * 10**9)), ("10GiB", Budget(bytes=10 * 2**30)),
    ("0s", Budget(seconds=0.0)), ("0B", Budget(bytes=0)), ("2hrs", Budget(seconds=7200.0)),
    ("1h30m", Budget(seconds=5400.0)), ("2 hours", Budget(seconds=7200.0)),
])
def test_budgets_are_a_time_or_a_size(text: str, budget: Budget) -> None:
    assert parse_budget(text) == budget


@pytest.mark.parametrize(("parse", "text", "words"), [
    (parse_size, "5XB", "is not a size"),
    (parse_size, "-1MB", "is not a size"),
    (parse_duration, "5y", "is not a duration"),
    (parse_duration, "2 fortnights", "is not a duration"),
    (parse_duration, "1h 30", "is not a duration"),
    (parse_budget, "5", "give a unit"),
    (parse_budget, "5q", "is not a size or duration"),
    (parse_budget, "2hrx", "is not a size or duration"),
])
def test_bad_values_are_config_errors(parse: Callable[[str], object], text: str,
                                     words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse(text)


@pytest.mark.parametrize(("param", "text"), [
    (Size(), "5XB"), (Duration(), "5y"), (SizeOrDuration(), "5"), (SizeOrDuration(), "5q"),
])
def test_an_option_fails_with_the_parsers_message(param: click.ParamType, text: str) -> None:
    parsers: dict[str, Callable[[str], object]] = {"SIZE": parse_size,
                                                   "DURATION": parse_duration}
    parse = parsers.get(param.name, parse_budget)
    with pytest.raises(ConfigError) as expected:
        parse(text)
    with pytest.raises(click.BadParameter) as got:
        param.convert(text, None, None)
    assert got.value.message == str(expected.value)


def test_options_and_preserve_toml_read_the_same_values(tmp_path: Path) -> None:
    toml = tmp_path / "preserve.toml"
    toml.write_text("[crawl]\nseeds = ['http://127.0.0.1/']\nmax-bytes = '5GB'\n"
                    "max-time = '2h'\n\n[[schedule]]\ncron = '@daily'\naction = 'verify'\n"
                    "budget = '500GB'\n", encoding="utf-8")
    config = load_config(toml)
    assert config.crawl.max_bytes == Size().convert("5GB", None, None)
    assert config.crawl.max_time == Duration().convert("2h", None, None)
    assert config.schedules[0].budget_bytes == SizeOrDuration().convert("500GB", None, None).bytes


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 B"), (999, "999 B"), (1000, "1.0 KB"), (6_400_000, "6.4 MB"), (9706306, "9.7 MB"),
    (1.5e12, "1.5 TB"), (2e15, "2000.0 TB"),
])
def test_sizes_are_formatted_for_people(n: float, text: str) -> None:
    assert format_size(n) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (0.42, "0.4s"), (3, "3s"), (12, "12s"), (125, "2m 5s"), (7200, "2h"),
    (0.004, "<0.1s"), (0.049, "<0.1s"), (1.98, "2s"), (9.97, "10s"),
    (5400, "1h 30m"),
    (86400 + 3 * 3600 + 59, "1d 3h"), (3600 + 1, "1h"),
])
def test_durations_are_formatted_for_people(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("text", ["2h", "59m", "1h 30m", "12s", "2m 5s", "1d 3h"])
def test_a_formatted_duration_reads_back(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize("value", [
    "2026-12-06T19:31:20.897037+00:00", "2026-12-06T19:31:20", "2026-12-06T19:31:20.287411Z",
    "2026-12-06T19:31:20Z", "2026-12-06T20:31:20+01:00",
    datetime(2026, 12, 6, 19, 31, 20, 5, tzinfo=UTC), datetime(2026, 12, 6, 19, 31, 20),
])
def test_every_time_is_formatted_one_way(value: str | datetime) -> None:
    assert format_time(value) == "2026-12-06T19:31:20Z"


def test_plurals() -> None:
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"

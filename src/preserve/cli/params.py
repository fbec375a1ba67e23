"""click parameter types shared by the commands: sizes, durations and budgets, parsed by
preserve.units exactly as preserve.toml's values are."""

from __future__ import annotations

from typing import Any

import click

from ..errors import PreserveError
from ..units import Budget, parse_budget, parse_duration, parse_size

__all__ = ["Size", "Duration", "SizeOrDuration", "CrawlNumber"]


class Size(click.ParamType):  # type: ignore[type-arg]
    """A number of bytes: 5GB, 500MB, 10MiB or a plain number."""

    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return parse_size(value)
        except PreserveError as e:
            self.fail(str(e), param, ctx)


class Duration(click.ParamType):  # type: ignore[type-arg]
    """A number of seconds: 90, 90s, 30m, 2h, 1d."""

    name = "DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            return parse_duration(value)
        except PreserveError as e:
            self.fail(str(e), param, ctx)


class SizeOrDuration(click.ParamType):  # type: ignore[type-arg]
    """A duration (2h, 90m, 1d) or a size (500GB, 10GiB)."""

    name = "DURATION|SIZE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Budget:
        try:
            return parse_budget(str(value).strip())
        except PreserveError as e:
            self.fail(str(e), param, ctx)


class CrawlNumber(click.ParamType):  # type: ignore[type-arg]
    """A crawl of the collection by its number: 1, 01 and 0001 are the same crawl."""

    name = "CRAWL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not text.isdigit() or int(text) == 0:
            self.fail(f"{value!r} is not a crawl number (as `preserve crawls` lists them: "
                      "1 or 0001)", param, ctx)
        return f"{int(text):04d}"

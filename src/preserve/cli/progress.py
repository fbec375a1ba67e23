"""Progress for the long commands (crawl, index, normalise, verify, export): on a terminal,
a live display with done/total where known, rate, elapsed time and ETA; elsewhere (a pipe,
cron, ``--quiet``, ``--json`` for the bars) nothing but, for a crawl, a plain line every
few seconds on stderr. Stdout is never touched: it carries the result."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import click

from ..units import format_duration, format_size

if TYPE_CHECKING:
    from rich.table import Table

    from ..capture.summary import CrawlSummary, Progress

__all__ = ["make_reporter", "Bar"]

_PLAIN_INTERVAL = 10.0


def _on_terminal() -> bool:
    return sys.stderr.isatty()


class _Reporter:
    """Crawl progress off a terminal: a plain line on stderr every few seconds."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.last: Progress | None = None
        self._last_line = 0.0

    def update(self, p: Progress) -> None:
        self.last = p
        if self.quiet:
            return
        now = time.monotonic()
        if now - self._last_line >= _PLAIN_INTERVAL:
            self._last_line = now
            click.echo(_line(p), err=True)

    def note(self, text: str) -> None:
        if not self.quiet:
            click.echo(f"preserve: {text}", err=True)

    def summary(self, s: CrawlSummary) -> None:
        from .render import crawl_summary

        click.echo("\n".join(crawl_summary(s)))

    def __enter__(self) -> _Reporter:
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None


def _rate(p: Progress) -> float:
    return p.captured / p.elapsed if p.elapsed > 0 else 0.0


def _eta(p: Progress) -> str:
    """The time the URLs queued now take at the rate so far: a floor, since pages not yet
    fetched will add links."""
    rate = _rate(p)
    if not p.queued and not p.in_flight:
        return "0s"
    if rate <= 0:
        return "?"
    return f"at least {format_duration((p.queued + p.in_flight) / rate)}"


def _line(p: Progress) -> str:
    return (f"crawl {p.crawl}: {p.captured} captured of {p.captured + p.queued + p.in_flight} "
            f"known, {p.in_flight} fetching, {format_size(p.bytes)}, {_rate(p):.1f} URL/s, "
            f"{p.failures} failed, elapsed {format_duration(p.elapsed)}, ETA {_eta(p)}")


class _LiveReporter(_Reporter):
    """A live table on a terminal, refreshed a few times a second."""

    def __init__(self) -> None:
        # rich is imported only for a terminal: a quiet or piped crawl starts faster.
        from rich.console import Console
        from rich.live import Live

        super().__init__(quiet=False)
        self.err = Console(stderr=True)
        self._live = Live(self._table(None), console=self.err, refresh_per_second=4,
                          transient=True)

    def _table(self, p: Progress | None) -> Table:
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        if p is None:
            table.add_row("crawl", "starting")
            return table
        known = p.captured + p.queued + p.in_flight
        table.add_row("crawl", p.crawl)
        table.add_row("captured", f"{p.captured} of {known} known  ({_rate(p):.1f} URL/s)")
        waiting = ("between requests (the per-host delay)" if p.queued and not p.in_flight
                   else f"{p.in_flight} fetching")
        table.add_row("queued", f"{p.queued}  ({waiting})")
        table.add_row("bytes", format_size(p.bytes))
        table.add_row("errors", str(p.failures))
        table.add_row("elapsed", format_duration(p.elapsed))
        table.add_row("ETA", _eta(p))
        table.add_row("last", p.last_url[:100])
        return table

    def update(self, p: Progress) -> None:
        self.last = p
        self._live.update(self._table(p))

    def note(self, text: str) -> None:
        self.err.print(f"preserve: {text}", markup=False, highlight=False)

    def __enter__(self) -> _Reporter:
        self._live.start()
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._live.stop()


def make_reporter(*, quiet: bool) -> _Reporter:
    if not quiet and _on_terminal():
        return _LiveReporter()
    return _Reporter(quiet)


class Bar:
    """One progress bar on stderr, on a terminal only (else every call does nothing):
    the label, done/total (bytes or a count), rate, elapsed time and ETA.

    Use as a context manager; ``update(done, total)`` takes the figures so far (a total
    of None while unknown) and ``note`` changes the text after the label."""

    def __init__(self, label: str, *, unit: Literal["bytes", "items"] = "bytes",
                 quiet: bool = False) -> None:
        self.label = label
        self.unit = unit
        self.active = not quiet and _on_terminal()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Bar:
        if not self.active:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        counts: list[Any] = ([DownloadColumn(binary_units=False), TransferSpeedColumn()]
                             if self.unit == "bytes" else
                             [MofNCompleteColumn(),
                              TextColumn("{task.fields[rate]}")])
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), *counts,
            TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), TextColumn("{task.fields[note]}"),
            console=Console(stderr=True), transient=False, refresh_per_second=4)
        self._task = self._bar.add_task(self.label, total=None, note="", rate="")
        self._bar.start()
        return self

    def update(self, done: int, total: int | None = None, note: str | None = None) -> None:
        if self._bar is None:
            return
        fields: dict[str, Any] = {} if note is None else {"note": note}
        if self.unit == "items":
            elapsed = self._bar.tasks[0].elapsed or 0.0
            fields["rate"] = f"{done / elapsed:.1f}/s" if elapsed > 0 else ""
        self._bar.update(self._task, completed=done, total=total, **fields)

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            if t is None:  # the final figures stay on screen: how much, how fast, how long
                task = self._bar.tasks[0]
                self._bar.update(self._task, total=task.completed or task.total)
            self._bar.stop()

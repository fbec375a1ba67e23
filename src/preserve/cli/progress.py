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
        waiting = ("waiting out the per-host delay" if p.queued and not p.in_flight
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
    the label, done/total (bytes or a count), rate, elapsed time and ETA, in the same
    units and forms as the rest of the output (preserve.units).

    Use as a context manager; ``update(done, total)`` takes the figures so far (a total
    of None while unknown) and ``note`` a few words after them. The bar appears with the
    first figures, so it never shows an unknown total that was about to be known; its
    last state stays on screen: how much, how fast, how long. With ``finish``, a command
    that succeeded has done its whole total (a library may not report its last step)."""

    def __init__(self, label: str, *, unit: Literal["bytes", "items"] = "bytes",
                 noun: str = "", finish: bool = False, quiet: bool = False) -> None:
        self.label = label
        self.finish = finish
        self.unit = unit
        self.noun = f" {noun}" if noun else ""
        self.active = not quiet and _on_terminal()
        self._bar: Any = None
        self._task: Any = None
        self._started = time.monotonic()
        self._done = 0
        self._total: int | None = None
        self._note = ""

    def __enter__(self) -> Bar:
        self._started = time.monotonic()
        return self

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                             TextColumn("{task.fields[figures]}"),
                             console=Console(stderr=True), transient=False,
                             refresh_per_second=4)
        self._task = self._bar.add_task(self.label, total=self._total, completed=self._done,
                                        figures=self.figures())
        self._bar.start()

    def _amount(self, n: float) -> str:
        return format_size(n) if self.unit == "bytes" else str(int(n))

    def figures(self, now: float | None = None) -> str:
        """'1.2 MB of 6.4 MB, 3.1 MB/s, elapsed 2s, ETA 2s' (or, for a count, '3 of 8,
        1.5/s, ...'); ETA '?' while the total or the rate is unknown."""
        elapsed = (time.monotonic() if now is None else now) - self._started
        rate = self._done / elapsed if elapsed > 0 else 0.0
        total = "?" if self._total is None else self._amount(self._total)
        if self._total is not None and self._done >= self._total:
            eta = "0s"
        elif self._total is None or rate <= 0:
            eta = "?"
        else:
            eta = format_duration((self._total - self._done) / rate)
        speed = (f"{format_size(rate)}/s" if self.unit == "bytes" else f"{rate:.1f}/s")
        note = f"  {self._note}" if self._note else ""
        return (f"{self._amount(self._done)} of {total}{self.noun}, {speed}, "
                f"elapsed {format_duration(elapsed)}, ETA {eta}{note}")

    def update(self, done: int, total: int | None = None, note: str | None = None) -> None:
        if not self.active:
            return
        self._done, self._total = done, total
        if note is not None:
            self._note = note
        if self._bar is None:
            self._start()
            return
        self._bar.update(self._task, completed=done, total=total, figures=self.figures())

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is None:
            return
        if t is None and self._total is None:  # done: what was done was all there was
            self._total = self._done
        elif t is None and self.finish and self._total is not None:
            self._done = self._total  # the command read everything; the last step untold
        self._bar.update(self._task, completed=self._done, total=self._total,
                         figures=self.figures())
        self._bar.stop()

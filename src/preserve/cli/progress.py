"""Crawl progress and summaries: a rich live display on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.table import Table

    from ..capture.summary import CrawlSummary, Progress

__all__ = ["make_reporter", "render_status", "render_crawls", "byte_progress"]

_PLAIN_INTERVAL = 10.0


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class _Reporter:
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
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(s.statuses.items())) or "none"
        lines = [
            f"crawl {s.crawl} {s.status}" + (f" ({s.stop_reason})" if s.stop_reason not in
                                            ("", "finished") else ""),
            f"  captured     {s.captured} URLs ({s.revisits} revisits), {s.page_captures} of "
            f"them pages; {s.pages} pages in the collection",
            f"  downloaded   {_human(s.bytes)}; WARCs {_human(s.crawl_warc_bytes)} written "
            f"by this crawl, {_human(s.warc_bytes)} in the collection",
            f"  statuses     {statuses}",
            f"  failed       {s.failures}",
            f"  not fetched  {s.out_of_scope} out of scope, {s.robots_blocked} robots.txt, "
            f"{s.traps} traps, {s.blocked_addresses} private addresses",
            f"  duration     {s.duration:.1f}s",
        ]
        if s.failed_urls:
            lines.append("  failed URLs  " + "\n               ".join(s.failed_urls[:10]))
        if s.status == "interrupted":
            lines.append("  run `preserve crawl` on this collection again to resume")
        click.echo("\n".join(lines))

    def __enter__(self) -> _Reporter:
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None


def _line(p: Progress) -> str:
    rate = p.captured / p.elapsed if p.elapsed > 0 else 0.0
    return (f"crawl {p.crawl}: {p.captured} captured, {p.queued} queued, {p.in_flight} in flight, "
            f"{_human(p.bytes)}, {rate:.1f} URL/s, {p.failures} failed")


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
        rate = p.captured / p.elapsed if p.elapsed > 0 else 0.0
        table.add_row("crawl", p.crawl)
        table.add_row("captured", f"{p.captured}  ({rate:.1f}/s)")
        table.add_row("queued", f"{p.queued}  ({p.in_flight} in flight)")
        table.add_row("bytes", _human(p.bytes))
        table.add_row("errors", str(p.failures))
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
    if not quiet and sys.stderr.isatty():
        return _LiveReporter()
    return _Reporter(quiet)


def render_status(info: dict[str, Any]) -> None:
    desc = info["description"]
    click.echo(f"collection  {info['path']}")
    if desc.get("title"):
        click.echo(f"title       {desc['title']}")
    click.echo(f"seeds       {' '.join(info['seeds'])}")
    click.echo(f"WARCs       {info['warcs']['closed']} closed ({_human(info['warcs']['bytes'])}),"
               f" {info['warcs']['open']} open")
    click.echo(f"index       {info['index']['records']} records, {info['pages']} pages")
    click.echo(f"fixity      {info['fixity']['entries']} files in the manifest"
               + (f", {len(info['fixity']['missing'])} closed WARCs missing from it"
                  if info['fixity']['missing'] else ""))
    u = info.get("unfinished")
    for c in info["crawls"]:
        s = c.get("summary") or {}
        if u and c["id"] == u["id"]:  # its figures, fresh, are on the line below
            s = {}
        click.echo(f"crawl {c['id']}  {c['status']:<14} started {c['started']}"
                   + (f"  {s.get('captured', 0)} captured, {s.get('failures', 0)} failed"
                      if s else ""))
    if u:
        figures = f"{u['captured']} captured, {u['queued']} queued"
        if u["running"]:
            pid = f" (process {u['pid']})" if u["pid"] else ""
            click.echo(f"running     crawl {u['id']}{pid}: {figures}, {u['in_flight']} in "
                       f"flight; Ctrl-C or `kill {u['pid'] or 'PID'}` stops it, resumably")
        else:
            click.echo(f"unfinished  crawl {u['id']}: {figures}; "
                       f"run `preserve crawl {info['path']}` to resume")
    elif info.get("locked_by") is not None:
        pid = f"process {info['locked_by']}" if info["locked_by"] else "another process"
        click.echo(f"in use      by {pid} (`preserve index` or `verify`); wait for it")


def render_crawls(crawls: list[dict[str, Any]]) -> None:
    if not crawls:
        click.echo("no crawls yet")
        return
    click.echo(f"{'crawl':<6} {'status':<14} {'started':<20} {'captured':>9} {'revisits':>9} "
               f"{'failed':>7} {'stored':>10}  note")
    for c in crawls:
        note = " ".join(x for x in ("FINAL" if c["final"] else "", c["label"] or "") if x)
        click.echo(f"{c['id']:<6} {c['status']:<14} {c['started'][:19]:<20} "
                   f"{c['captured']:>9} {c['revisits']:>9} {c['failures']:>7} "
                   f"{_human(c['warc_bytes']):>10}  {note}")


def byte_progress(label: str, quiet: bool) -> tuple[Any, Callable[[int, int], None] | None]:
    """A started rich progress bar with bytes/s on a terminal, and its update callback
    (bytes done, bytes in all); (None, None) when quiet or not on a terminal. The caller
    stops the bar."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(label, BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task(label, total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update

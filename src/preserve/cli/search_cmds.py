"""``preserve search`` and ``preserve pages``: thin commands over preserve.access.search."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..access.search import Hit, PageCaptures, SearchResult

__all__ = ["search", "pages"]


def _replay_base(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise click.BadParameter(f"{value!r} is not an http:// or https:// URL "
                                 "(e.g. http://127.0.0.1:8080)")
    return value


_REPLAY_BASE = click.option(
    "--replay-base", metavar="URL", callback=_replay_base,
    help="Scheme, host and port of the replay server the links point to "
         "[default: http://127.0.0.1:8080, where `preserve replay` serves].")


def _when(timestamp: str) -> str:
    from ..units import format_time

    try:
        return format_time(datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC))
    except ValueError:
        return timestamp


def _hit_head(n: int, hit: Hit) -> str:
    from ..units import format_time

    about = []
    if hit.published:
        about.append(hit.published[:10])
    if hit.authors:
        about.append(", ".join(hit.authors))
    extra = f" ({'; '.join(about)})" if about else ""
    return (f"{n}. {hit.title or '(no title)'}{extra}\n   {hit.url}\n"
            f"   captured {format_time(hit.capture_time)}, replay: {hit.replay_url}")


def _plain(result: SearchResult) -> None:
    from ..access.search import marked

    for n, hit in enumerate(result.hits, 1):
        click.echo(_hit_head(n, hit))
        if hit.snippet:
            click.echo(f"   {marked(hit.snippet)}")
        click.echo()


def _terminal(result: SearchResult) -> None:
    from rich.console import Console
    from rich.text import Text

    from ..normalise.searchindex import MARK_CLOSE, MARK_OPEN

    console = Console(highlight=False)
    for n, hit in enumerate(result.hits, 1):
        head = Text(_hit_head(n, hit))
        head.stylize("bold", 0, len(head.plain.split("\n", 1)[0]))
        console.print(head)
        if hit.snippet:
            line = Text("   ")
            for i, part in enumerate(hit.snippet.split(MARK_OPEN)):
                match, _, rest = part.partition(MARK_CLOSE) if i else ("", "", part)
                line.append(match, style="bold yellow")
                line.append(rest)
            console.print(line)
        console.print()


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True,
              help="Show at most this many hits, best first.")
@click.option("--all-captures", is_flag=True,
              help="Search every capture of each page, not only its latest.")
@_REPLAY_BASE
@click.option("--json", "as_json", is_flag=True, help="Print the hits as one JSON object.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print nothing; errors only (the query is still checked and run).")
def search(collection: Path, query: tuple[str, ...], limit: int, all_captures: bool,
           replay_base: str | None, as_json: bool, quiet: bool) -> None:
    """Search the normalised pages of COLLECTION for QUERY.

    \b
    QUERY: words (a page must hold them all), "quoted phrases", word* (a
    prefix), OR, NOT or -word (leave out), parentheses, and title:, author:,
    body:, date: or url: before a word or phrase. Accents need not be typed:
    Dusseldorf finds Düsseldorf. Quote a phrase for the shell too:
    preserve search COLL '"climate change" policy'.
    Pages whose title matches come first, then the others, each group by bm25
    relevance; only the latest capture of each URL unless --all-captures. Each
    hit shows a snippet with the matches marked, and a replay link at its
    capture time. The index is built by `preserve normalise` (docs/search.md).
    Exit status: 0 done (with or without hits); 2 no such collection, no
    search index yet, or a query that is not one.
    """
    from ..access.search import search as run_search
    from ..collection import Collection

    text = " ".join(query)
    result = run_search(Collection.open(collection), text, limit=limit,
                        all_captures=all_captures, replay_base=replay_base)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    if quiet:
        return
    if result.total == 0:
        click.echo(f"no page matches {text!r}")
        return
    shown = len(result.hits)
    of = f"{shown} of {result.total}" if shown < result.total else f"{result.total}"
    noun = "capture" if all_captures else "page"
    click.echo(f"{of} {noun}{'s' if result.total != 1 else ''} matching {text!r}\n")
    if sys.stdout.isatty():
        _terminal(result)
    else:
        _plain(result)


def _page_lines(page: PageCaptures) -> list[str]:
    lines = [page.url, f"  title: {page.title}" if page.title else "  (no title)"]
    for c in page.captures:
        status = "revisit" if c.revisit else str(c.status or "-")
        kind = "" if c.page else "  (not a page)"
        lines.append(f"  {_when(c.timestamp)}  {status:<7}  {c.mime or '-'}{kind}")
    return lines


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@_REPLAY_BASE
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array, one object per page, one a line as they are read.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print nothing; errors only (the index and pages list are still read).")
def pages(collection: Path, replay_base: str | None, as_json: bool, quiet: bool) -> None:
    """List every captured page of COLLECTION with all its capture times.

    \b
    The pages are those of pages/pages.jsonl (HTML captured with status 200),
    in the order of the index (by SURT key: host, then path); under each, every
    capture of its URL in indexes/index.cdxj, oldest first, with its status and
    media type, revisits (unchanged since an earlier capture) marked. Streams:
    the first lines come before the whole index is read.
    Exit status: 0 done; 2 no such collection, or no index or pages list
    (`preserve index` rebuilds them).
    """
    from ..access.search import list_pages
    from ..collection import Collection
    from ..units import plural

    count = captures = 0
    for page in list_pages(Collection.open(collection), replay_base=replay_base):
        if as_json:  # a JSON array, still written one page at a time
            click.echo(("[" if not count else ",") + json.dumps(page.to_dict(),
                                                                ensure_ascii=False))
        elif not quiet:
            click.echo("\n".join(_page_lines(page)))
        count += 1
        captures += len(page.captures)
    if as_json:
        click.echo("]" if count else "[]")
    elif not quiet:
        click.echo(f"{plural(count, 'page')}, {plural(captures, 'capture')}")

"""``preserve status``, ``crawls``, ``diff`` and ``index``: thin commands over preserve.store
that show or rebuild what a collection holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .params import CrawlNumber

__all__ = ["status", "crawls", "diff", "index"]


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; errors only.")
def status(collection: Path, as_json: bool, quiet: bool) -> None:
    """Show what is in COLLECTION: description, WARCs, crawls, unfinished work.

    \b
    An unfinished crawl is shown as running (with its process id) while a process holds
    the collection, else as resumable: how many URLs it captured (robots.txt included,
    as the crawl summary counts) and how many are still queued. A damaged crawl-state
    database is one line saying how to set it aside.
    Exit status: 0; 2 no such collection, or its preserve.toml or state is unreadable."""
    from ..collection import Collection
    from ..store.inventory import collection_status

    info = collection_status(Collection.open(collection))
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    if quiet:
        return
    from .render import status_lines

    click.echo("\n".join(status_lines(info)))


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; errors only.")
def crawls(collection: Path, as_json: bool, quiet: bool) -> None:
    """List the numbered crawls of COLLECTION: when, outcome, what each stored."""
    from ..collection import Collection
    from ..store.inventory import list_crawls

    found = list_crawls(Collection.open(collection))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if quiet:
        return
    from .render import crawls_lines

    click.echo("\n".join(crawls_lines(found)))


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--from", "before", type=CrawlNumber(),
              help="The earlier crawl, by number (1 or 0001) [default: the one before --to].")
@click.option("--to", "after", type=CrawlNumber(),
              help="The later crawl, by number [default: the last finished one].")
@click.option("--all", "show_all", is_flag=True, help="List unchanged pages too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every page).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; errors only.")
def diff(collection: Path, before: str | None, after: str | None, show_all: bool,
         as_json: bool, quiet: bool) -> None:
    """Pages new, changed, unchanged, gone, moved and unlinked between two crawls of
    COLLECTION.

    Pages are compared by their own content (main or the article, the post's title
    included), not by the site's template (menus, widgets, footer).

    \b
    gone (404), gone (410)   the later crawl asked for the page again and got this:
                             the proof of deletion (--json: its status and record)
    moved (301)              it redirects now; the target follows the URL
    unlinked (still there)   nothing links to it any more, but it is still served
    gone (not captured)      no capture in the later crawl (past recheck-limit, out
                             of scope, robots.txt, a failed fetch)
    unchanged (template)     only the template around its content changed

    Exit status 0; 2 if there are not two crawls to compare.
    """
    from ..collection import Collection
    from ..diff import diff_crawls

    result = diff_crawls(Collection.open(collection), before, after)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    if quiet:
        return
    from .render import diff_lines

    click.echo("\n".join(diff_lines(result, show_all)))


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def index(collection: Path, quiet: bool, as_json: bool) -> None:
    """Rebuild indexes/index.cdxj and pages/pages.jsonl from the collection's WARCs."""
    from ..collection import Collection
    from ..store.indexer import build_indexes
    from .progress import Bar
    from .render import index_line

    coll = Collection.open(collection)
    with coll.lock():
        total = sum(p.stat().st_size for p in coll.closed_warcs())
        with Bar("index", finish=True, quiet=quiet or as_json) as bar:
            result = build_indexes(coll, on_progress=lambda n: bar.update(n, total))
    if as_json:
        click.echo(json.dumps({"warcs": result.warcs, "records": result.records,
                               "pages": result.pages, "warc_bytes": result.warc_bytes,
                               "anomalies": len(result.anomalies)}, indent=2))
    elif not quiet:
        click.echo(index_line(result.records, result.pages, result.warcs))

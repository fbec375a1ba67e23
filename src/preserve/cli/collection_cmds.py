"""``preserve status``, ``crawls``, ``diff`` and ``index``: thin commands over preserve.store
that show or rebuild what a collection holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["status", "crawls", "diff", "index"]


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(collection: Path, as_json: bool) -> None:
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
    from .progress import render_status

    render_status(info)


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def crawls(collection: Path, as_json: bool) -> None:
    """List the numbered crawls of COLLECTION: when, outcome, what each stored."""
    from ..collection import Collection
    from ..store.inventory import list_crawls

    found = list_crawls(Collection.open(collection))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    from .progress import render_crawls

    render_crawls(found)


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--from", "before", metavar="CRAWL",
              help="The earlier crawl [default: the one before --to].")
@click.option("--to", "after", metavar="CRAWL",
              help="The later crawl [default: the last finished one].")
@click.option("--all", "show_all", is_flag=True, help="List unchanged pages too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every page).")
def diff(collection: Path, before: str | None, after: str | None, show_all: bool,
         as_json: bool) -> None:
    """Pages new, changed, unchanged and gone between two crawls of COLLECTION.

    \b
    Gone: the later crawl got a 404 or 410, a redirect, another error, or did not
    reach the page at all. Exit status 0; 2 if there are not two crawls to compare.
    """
    from ..collection import Collection
    from ..store.changes import diff_crawls

    result = diff_crawls(Collection.open(collection), before, after)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    click.echo(result.one_line())
    for change in result.changes:
        if change.change != "unchanged" or show_all:
            why = f"  ({change.reason})" if change.reason else ""
            click.echo(f"{change.change:<10} {change.url}{why}")


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
def index(collection: Path) -> None:
    """Rebuild indexes/index.cdxj and pages/pages.jsonl from the collection's WARCs."""
    from ..collection import Collection
    from ..store.indexer import build_indexes

    coll = Collection.open(collection)
    with coll.lock():
        result = build_indexes(coll)
    click.echo(f"indexed {result.records} records, {result.pages} pages "
               f"from {result.warcs} WARC file(s)")

"""``preserve normalise`` and ``preserve extract``: thin commands over preserve.normalise."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

__all__ = ["normalise", "extract"]

_FORMATS = ("json", "text", "markdown")
_READ_LIMIT = 60_000_000


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def normalise(collection: Path, quiet: bool, as_json: bool) -> None:
    """Extract every HTML page of COLLECTION to normalised/articles.jsonl.

    Reads the closed WARCs not normalised before (response records, revisits
    resolved to their original), never the live web; see docs/normalise.md.

    \b
    Exit status: 0 done; 1 normalised/ cannot be written; 2 no such collection,
    an unreadable normalised/state.sqlite3, or a WARC that cannot be read.
    """
    from ..collection import Collection
    from ..normalise.collection import normalise_collection

    coll = Collection.open(collection)
    last = [""]

    def progress(warc: str, pages: int) -> None:
        if not quiet and warc != last[0]:
            last[0] = warc
            click.echo(f"normalising: {warc}", err=True)

    with coll.lock():
        summary = normalise_collection(coll, on_progress=progress)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    elif not quiet:
        click.echo(f"normalised {summary.pages} pages from {summary.warcs} new WARC file(s) "
                   f"({summary.skipped_warcs} done before): {summary.articles} articles, "
                   f"{summary.listings} listings, {summary.other} other, "
                   f"{summary.duplicates} duplicates; {summary.total_lines} lines in "
                   f"{summary.output}")


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("--url", metavar="URL", help="The page's URL (resolves links, dates in it).")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="json",
              show_default=True, help="JSON article, body text, or body as Markdown.")
def extract(file: Path, url: str | None, fmt: str) -> None:
    """Extract the article of one HTML FILE ("-" for stdin).

    \b
    Exit status: 0 done (a page that is not HTML gives page_type "other" and a
    problem); 2 the file cannot be read.
    """
    from ..errors import UnreadableInput
    from ..normalise import extract_article

    try:
        if str(file) == "-":
            data = sys.stdin.buffer.read(_READ_LIMIT)
        else:
            with file.open("rb") as f:
                data = f.read(_READ_LIMIT)
    except OSError as e:
        raise UnreadableInput(file, e.strerror or str(e)) from None
    article = extract_article(data, url)
    if fmt == "json":
        click.echo(json.dumps(article.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "text":
        click.echo(article.body_text)
    else:
        click.echo(article.body_markdown, nl=False)

"""``preserve normalise`` and ``preserve extract``: thin commands over preserve.normalise."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .progress import Bar

if TYPE_CHECKING:
    from ..collection import Collection

__all__ = ["normalise", "extract"]

_FORMATS = ("json", "text", "markdown")
_READ_LIMIT = 60_000_000


class _Steps:
    """normalise reads each new WARC twice, first to learn each site's boilerplate, then
    to extract: the bar counts those readings and says the pages extracted so far."""

    def __init__(self, bar: Bar, warcs: int | None) -> None:
        self.bar, self.total = bar, None if warcs is None else 2 * warcs
        self.done = self.pages = self.made = 0
        self.current = ""

    def progress(self, step: str, made: int) -> None:
        if step != self.current:
            self.done += bool(self.current)
            self.current, self.made = step, 0
        self.pages += made - self.made
        self.made = made
        name = step.removeprefix("learning ")
        phase = "1 of 2 (site boilerplate)" if name != step else "2 of 2 (extracting)"
        self.bar.update(self.done, self.total, f"pass {phase}: {name}, {self.pages} pages")


def _warcs_to_do(coll: Collection) -> int | None:
    """How many closed WARCs normalise has not read yet; None if its state is unreadable
    (normalise_collection then says so)."""
    import sqlite3

    from ..normalise.state import NormaliseState

    if not coll.normalise_state_path.exists():
        return len(coll.closed_warcs())
    try:
        state = NormaliseState(coll.normalise_state_path)
        try:
            done = state.done_warcs()
        finally:
            state.close()
    except sqlite3.DatabaseError:
        return None
    return sum(1 for p in coll.closed_warcs() if p.name not in done)


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def normalise(collection: Path, quiet: bool, as_json: bool) -> None:
    """Extract every HTML page of COLLECTION to normalised/articles.jsonl.

    Reads the closed WARCs not normalised before (response records, revisits
    resolved to their original), never the live web; see docs/normalise.md.

    \b
    Exit status: 0 done; 1 normalised/ cannot be written; 2 no such collection,
    an unreadable normalised/state.sqlite3, a WARC that cannot be read, or a
    library normalise needs (trafilatura, lxml_html_clean) that cannot be imported.
    """
    from ..collection import Collection
    from ..normalise.collection import normalise_collection

    coll = Collection.open(collection)
    with coll.lock():
        todo = _warcs_to_do(coll)
        with Bar("normalise", unit="items", noun="WARC readings", finish=True,
                 quiet=quiet or as_json) as bar:
            steps = _Steps(bar, todo)
            summary = normalise_collection(coll, on_progress=steps.progress)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    elif not quiet:
        from .render import normalise_line

        click.echo(normalise_line(summary))


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("--url", metavar="URL", help="The page's URL (resolves links, dates in it).")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="json",
              show_default=True, help="JSON article, body text, or title and body as Markdown.")
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON (the default; "
              "the same as --format json).")
@click.option("--quiet", "-q", is_flag=True,
              help="Print nothing: the exit status says whether the file could be read.")
def extract(file: Path, url: str | None, fmt: str, as_json: bool, quiet: bool) -> None:
    """Extract the article of one HTML FILE ("-" for stdin).

    \b
    Exit status: 0 done (a page that is not HTML gives page_type "other" and a
    problem); 2 the file cannot be read, or a library extraction needs
    (trafilatura, lxml_html_clean) cannot be imported.
    """
    from ..errors import UnreadableInput
    from ..normalise import extract_article
    from ..normalise.components import check_components

    if as_json and fmt != "json":
        raise click.UsageError(f"--json and --format {fmt} ask for two formats; give one")
    try:
        if str(file) == "-":
            data = sys.stdin.buffer.read(_READ_LIMIT)
        else:
            with file.open("rb") as f:
                data = f.read(_READ_LIMIT)
    except OSError as e:
        raise UnreadableInput(file, e.strerror or str(e)) from None
    check_components()
    article = extract_article(data, url)
    if quiet:
        return
    if fmt == "json":
        click.echo(json.dumps(article.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "text":
        click.echo(article.body_text)
    else:
        click.echo(_markdown(article.title, article.body_markdown), nl=False)


def _markdown(title: str | None, body: str) -> str:
    """The body as Markdown under the title as its heading (unless it starts with one)."""
    if not title or body.lstrip().startswith("# "):
        return body
    heading = " ".join(title.split())
    return f"# {heading}\n\n{body}" if body else f"# {heading}\n"

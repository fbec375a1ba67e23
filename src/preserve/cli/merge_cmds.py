"""``preserve merge``: a thin command over preserve.export.merge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..units import format_size, plural
from .progress import Bar

__all__ = ["merge"]


@click.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
def merge(dest: Path, sources: tuple[Path, ...], as_json: bool, quiet: bool) -> None:
    """Merge the closed WARCs of the SOURCES collections into DEST.

    DEST is created (with the first source's preserve.toml) or, if it is a
    collection, added to. Every WARC is checked against its source's fixity
    manifest while it is copied; a file DEST already holds (same SHA-256) is
    not copied again, and a name DEST holds with other content gets part of
    the file's SHA-256 added. DEST gets a manifest line and a `file closed`
    event per WARC, one index and one pages list rebuilt from all its WARCs,
    and a `collection merged` event. Run `preserve normalise DEST` afterwards
    for normalised output. See docs/merge.md.

    \b
    Exit status: 0 merged (or nothing new); 1 a source's file does not match
    its fixity record (DEST is left as it was); 2 bad usage or input (DEST
    is a source, a path that is not a collection, a collection in use by a
    crawl).
    """
    from ..export.merge import merge_collections
    with Bar("merge", finish=True, quiet=quiet or as_json) as bar:
        result = merge_collections(dest, list(sources), on_progress=bar.update)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    elif not quiet:
        click.echo(merge_line(result.to_dict()))


def merge_line(r: dict[str, Any]) -> str:
    """What a merge did, in one line (through units, as render.py's lines are)."""
    if not r["files"]:
        return (f"{r['dest']}: nothing new to merge ({plural(r['duplicates'], 'WARC file')} "
                "already there); DEST unchanged")
    extra = [f"{plural(r['duplicates'], 'duplicate')} skipped"] if r["duplicates"] else []
    if r["renamed"]:
        extra.append(f"{r['renamed']} renamed")
    if r["open_skipped"]:
        extra.append(f"{plural(r['open_skipped'], 'open file')} left out")
    more = f"; {', '.join(extra)}" if extra else ""
    return (f"merged {plural(r['files'], 'WARC file')} ({format_size(r['bytes'])}, checked "
            f"against the fixity manifests) from {plural(len(r['sources']), 'collection')} "
            f"into {r['dest']}{more}; indexed {plural(r['records'], 'record')}, "
            f"{plural(r['pages'], 'page')}; run `preserve normalise` for normalised output")

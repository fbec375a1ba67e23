"""``preserve export``: a thin command over preserve.export."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .progress import byte_progress

__all__ = ["export"]


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--format", "fmt", required=True, metavar="bagit|wacz|ocfl",
              help="BagIt 1.0 bag, WACZ 1.1.1 file or OCFL 1.1 object.")
@click.option("--output", "-o", type=click.Path(path_type=Path), metavar="DEST",
              help="Where to write the package (outside the collection).")
@click.option("--include", "include", multiple=True, type=click.Choice(["normalised"]),
              help="Also package normalised/articles.jsonl.")
@click.option("--force", is_flag=True, help="Replace an existing DEST.")
@click.option("--zip", "serialise", flag_value="zip", default=None,
              help="BagIt: write the bag as one ZIP file.")
@click.option("--tar", "serialise", flag_value="tar",
              help="BagIt: write the bag as one tar file.")
@click.option("--ocfl-root", type=click.Path(path_type=Path), metavar="DIR",
              help="OCFL: put the object in this storage root (0004 hashed n-tuple "
                   "layout), created if missing; instead of --output.")
@click.option("--source-organization", metavar="TEXT",
              help="BagIt Source-Organization (default: the publisher, else creator).")
@click.option("--contact-name", metavar="TEXT",
              help="BagIt Contact-Name (default: from [crawl] operator).")
@click.option("--contact-email", metavar="TEXT",
              help="BagIt Contact-Email (default: from [crawl] operator).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def export(collection: Path, fmt: str, output: Path | None, include: tuple[str, ...],
           force: bool, serialise: str | None, ocfl_root: Path | None,
           source_organization: str | None, contact_name: str | None,
           contact_email: str | None, as_json: bool, quiet: bool) -> None:
    """Package COLLECTION for deposit as BagIt, WACZ or OCFL.

    Every WARC is checked against the fixity manifest while it is copied; the
    package is built beside DEST and renamed into place when complete. Exporting
    again to an OCFL object adds a version with only the new content. See
    docs/export.md.

    \b
    Exit status: 0 exported; 1 a file does not match its fixity record (nothing
    is written); 2 bad usage or input (unknown format, DEST inside the
    collection or not writable, DEST exists without --force).
    """
    from ..collection import Collection
    from ..export import ExportOptions, export_collection

    options = ExportOptions(
        format=fmt,  # type: ignore[arg-type]  # checked by validate()
        output=output, include_normalised="normalised" in include, force=force,
        serialise=serialise,  # type: ignore[arg-type]
        ocfl_root=ocfl_root, source_organization=source_organization,
        contact_name=contact_name, contact_email=contact_email).validate()
    coll = Collection.open(collection)
    bar, update = byte_progress("export", quiet or as_json)
    try:
        with coll.lock(read_only_ok=True):  # export only reads the collection
            result = export_collection(coll, options, on_progress=update)
    finally:
        if bar is not None:
            bar.stop()
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    elif result.format == "ocfl" and result.version is None:
        click.echo(f"{result.path}: unchanged since the last export; no new version")
    else:
        version = f", version {result.version}" if result.version else ""
        click.echo(f"exported {result.files} files ({result.bytes} bytes read, "
                   f"{result.checked} checked against the fixity manifest) "
                   f"as {result.format} to {result.path}{version}")

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
@click.option("--zip", "as_zip", is_flag=True,
              help="BagIt: write the bag as one ZIP file (DEST named .zip).")
@click.option("--tar", "as_tar", is_flag=True,
              help="BagIt: write the bag as one tar file (DEST named .tar).")
@click.option("--ocfl-root", type=click.Path(path_type=Path), metavar="DIR",
              help="OCFL: put the object in this storage root (0004 hashed n-tuple "
                   "layout), created if missing; instead of --output.")
@click.option("--source-organization", metavar="TEXT",
              help="BagIt Source-Organization (default: the publisher, else creator).")
@click.option("--contact-name", metavar="TEXT",
              help="BagIt Contact-Name (default: from [crawl] operator).")
@click.option("--contact-email", metavar="TEXT",
              help="BagIt Contact-Email (default: from [crawl] operator).")
@click.option("--user-address", metavar="URI",
              help="OCFL: the version's user address, a mailto: or a URL (default: "
                   "mailto: the contact email, else a URL in [crawl] operator).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def export(collection: Path, fmt: str, output: Path | None, include: tuple[str, ...],
           force: bool, as_zip: bool, as_tar: bool, ocfl_root: Path | None,
           source_organization: str | None, contact_name: str | None,
           contact_email: str | None, user_address: str | None, as_json: bool,
           quiet: bool) -> None:
    """Package COLLECTION for deposit as BagIt, WACZ or OCFL.

    Every WARC is checked against the fixity manifest while it is copied; the
    package is built beside DEST and renamed into place when complete. Exporting
    again to an OCFL object adds a version with only the new content. Only
    regular files inside the collection are read, never through a link. A
    `package exported` event is appended to the collection's log; a read-only
    collection is exported all the same, with a warning that the event could
    not be recorded. See docs/export.md.

    \b
    Exit status: 0 exported; 1 a file does not match its fixity record (nothing
    is written); 2 bad usage or input (unknown format, --zip with --tar, DEST
    named for another container, DEST inside the collection or not writable,
    DEST exists without --force, a collection file that is a link or a special
    file).
    """
    from ..collection import Collection
    from ..errors import ExportError
    from ..export import ExportOptions, export_collection, export_lock

    if as_zip and as_tar:
        raise ExportError("give either --zip or --tar, not both")
    serialise = "zip" if as_zip else "tar" if as_tar else None
    options = ExportOptions(
        format=fmt,  # type: ignore[arg-type]  # checked by validate()
        output=output, include_normalised="normalised" in include, force=force,
        serialise=serialise,  # type: ignore[arg-type]
        ocfl_root=ocfl_root, source_organization=source_organization,
        contact_name=contact_name, contact_email=contact_email,
        user_address=user_address).validate()
    coll = Collection.open(collection)
    bar, update = byte_progress("export", quiet or as_json)
    try:
        with export_lock(coll):
            result = export_collection(coll, options, on_progress=update)
    finally:
        if bar is not None:
            bar.stop()
    if result.event_error is not None:
        click.echo(f"preserve: warning: the export is complete, but it is not recorded in "
                   f"the collection's event log: {result.event_error}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    elif result.format == "ocfl" and result.version is None:
        click.echo(f"{result.path}: unchanged since the last export; no new version")
    else:
        version = f", version {result.version}" if result.version else ""
        click.echo(f"exported {result.files} files ({result.bytes} bytes read, "
                   f"{result.checked} checked against the fixity manifest) "
                   f"as {result.format} to {result.path}{version}")

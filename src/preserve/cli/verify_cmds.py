"""``preserve verify`` and ``preserve audit``: thin commands over preserve.verify.

Exit status: 0 all good; 1 problems found (or, for audit, files failed, never verified
or overdue); 2 usage error or unreadable input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import ExitStatus
from ..units import Budget, plural
from .params import Duration, SizeOrDuration
from .progress import Bar
from .render import audit_lines, verify_lines

__all__ = ["verify", "audit"]


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...",
                type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Files read at once, in worker processes [default: CPUs, at most 8].")
@click.option("--budget", type=SizeOrDuration(),
              help="Rolling audit of one collection or package: check the files (a "
                   "storage root's objects) least recently verified first and stop "
                   "within this time (2h) or size (500GB). A zero budget (0s, 0B) "
                   "reads no WARC: only the small files are checked.")
@click.option("--fixity-only", is_flag=True,
              help="Only whole-file digests: no WARC records, index or pages.")
@click.option("--accept-config", is_flag=True,
              help="preserve.toml was edited on purpose: take its digest as the new "
                   "baseline.")
@click.option("--record", is_flag=True,
              help="Start a package's own event log (NAME.events.jsonl beside it) if it "
                   "has none; one `fixity check` event per file is appended to it. "
                   "A collection always records; --budget on a package implies it.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress, and no report unless there are problems.")
def verify(paths: tuple[Path, ...], as_json: bool, jobs: int | None,
           budget: Budget | None, fixity_only: bool, accept_config: bool,
           record: bool, quiet: bool) -> None:
    """Check fixity and integrity of collections, WARC files and packages.

    PATH is a collection directory (every file against the manifest and the event
    log, every WARC record, the index and the pages; one `fixity check` event per
    file is appended to its events.jsonl), WARC files (any WARC), or a package: a
    BagIt bag (directory, .zip, .tar, .tar.gz), an OCFL object or storage root, or a
    WACZ file, each checked by its own specification, every digest included (a
    package's `fixity check` events go to NAME.events.jsonl beside it, if it exists:
    see --record).

    \b
    Exit status: 0 no problems; 1 problems found; 2 bad usage or unreadable input.
    """
    from ..collection import CONFIG_NAME, Collection
    from ..verify import Report, VerifyOptions, default_jobs, verify_collection, verify_files
    from ..verify.packages import package_kind, verify_package

    packages = [p for p in paths if package_kind(p) is not None]
    workers = jobs or default_jobs()
    colls = [p for p in paths if p.is_dir() and p not in packages]
    files = [p for p in paths if not p.is_dir() and p not in packages]
    if budget is not None and (files or len(colls) + len(packages) != 1):
        raise click.UsageError("--budget applies to one collection directory or one "
                               "package")
    for c in colls:
        if not (c / CONFIG_NAME).is_file():
            raise click.UsageError(f"{c} is a directory but not a collection "
                                   f"(no {CONFIG_NAME}): give a collection directory "
                                   "or WARC files")
    options = VerifyOptions(
        jobs=workers,
        budget_seconds=budget.seconds if budget is not None else None,
        budget_bytes=budget.bytes if budget is not None else None,
        fixity_only=fixity_only, accept_config=accept_config)
    if budget is not None and not (budget.seconds or budget.bytes) and colls:
        click.echo("--budget is zero: no WARC file read; only preserve.toml, the "
                   "manifests, events.jsonl and the index's form and order are checked",
                   err=True)
    reports: list[Report] = []
    with Bar("verify", finish=budget is None, quiet=quiet or as_json) as bar:
        for c in colls:
            reports.append(verify_collection(Collection.open(c), options,
                                             on_progress=bar.update))
        for p in packages:
            reports.append(verify_package(p, options, on_progress=bar.update,
                                          record=record))
        if files:
            reports.append(verify_files(files, jobs=workers, fixity_only=fixity_only,
                                        on_progress=bar.update))
    report = Report()
    for r in reports:
        report.findings += r.findings
        report.files += r.files
        report.skipped += r.skipped
        report.bytes_read += r.bytes_read
        report.seconds += r.seconds
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    elif not (quiet and report.ok):
        click.echo("\n".join(verify_lines(report)))
    if not report.ok:
        sys.exit(ExitStatus.PROBLEMS)


@click.command()
@click.argument("collection", metavar="COLLECTION|PACKAGE", type=click.Path(path_type=Path))
@click.option("--premis", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE.xml", help="Also write the event log as PREMIS 3 XML.")
@click.option("--max-age", type=Duration(), default="365d", show_default=True,
              help="A file last verified longer ago than this is overdue.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print only the files that need attention (failed, never verified, "
                   "overdue, gone).")
def audit(collection: Path, premis: Path | None, max_age: float, as_json: bool,
          quiet: bool) -> None:
    """Show when each file of COLLECTION was last verified, and with what outcome.

    For a package (a bag, an OCFL object or storage root, a WACZ file) the events are
    read from its own log beside it, NAME.events.jsonl (see `verify --record`).

    \b
    Exit status: 0 every file passed its last check in time; 1 some file failed,
    was never verified or is overdue; 2 bad usage.
    """
    from ..collection import Collection
    from ..store.events import EventLog
    from ..verify import audit_collection, history, write_premis
    from ..verify.packages import audit_package, events_path, package_kind

    if package_kind(collection) is not None:
        log = events_path(collection)
        entries = audit_package(collection, max_age=max_age)
    else:
        coll = Collection.open(collection)
        log = coll.events_path
        entries = audit_collection(coll, max_age=max_age)
    if premis is not None:
        events = list(EventLog(log).read())
        objects = {p: h.last_pass_data for p, h in history(events).items()}
        for e in entries:
            objects.setdefault(e.path, {})
        count = write_premis(premis, events, objects)
        if not (as_json or quiet):
            click.echo(f"wrote {plural(count, 'event')} as PREMIS 3 XML to {premis}",
                       err=True)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2))
    elif quiet:  # the files that need attention, without the counts line
        for line in audit_lines([e for e in entries if e.status != "ok"])[:-1]:
            click.echo(line)
    else:
        click.echo("\n".join(audit_lines(entries)))
    if any(e.status in ("failed", "never", "overdue") for e in entries):
        sys.exit(ExitStatus.PROBLEMS)

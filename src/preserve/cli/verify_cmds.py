"""``preserve verify`` and ``preserve audit``: thin commands over preserve.verify.

Exit status: 0 all good; 1 problems found (or, for audit, files failed, never verified
or overdue); 2 usage error or unreadable input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import ExitStatus
from ..units import Budget, parse_duration
from .params import SizeOrDuration
from .progress import byte_progress

__all__ = ["verify", "audit"]


def _summary(report: Any) -> None:
    for f in report.findings:
        where = f"{f.file}" + (f" @{f.offset}" if f.offset is not None else "")
        line = f"{f.severity:<7} {f.code:<24} {where}: {f.message}"
        if f.expected is not None or f.found is not None:
            line += f" (expected {f.expected}, found {f.found})"
        click.echo(line)
    files = len(report.files)
    mb = report.bytes_read / 1e6
    rate = mb / report.seconds if report.seconds > 0 else 0.0
    status = "OK" if report.ok else "PROBLEMS FOUND"
    click.echo(f"{status}: {files} file(s), {mb:.1f} MB in {report.seconds:.1f}s "
               f"({rate:.0f} MB/s); {len(report.errors)} error(s), "
               f"{len(report.findings) - len(report.errors)} warning(s)"
               + (f"; {len(report.skipped)} file(s) left for a later run (budget)"
                  if report.skipped else ""))


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...",
                type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Files read at once, in worker processes [default: CPUs, at most 8].")
@click.option("--budget", type=SizeOrDuration(),
              help="Rolling audit: check the files least recently verified first and "
                   "stop within this time (2h) or size (500GB). A zero budget (0s, 0B) "
                   "reads no WARC: only the small files are checked.")
@click.option("--fixity-only", is_flag=True,
              help="Only whole-file digests: no WARC records, index or pages.")
@click.option("--accept-config", is_flag=True,
              help="preserve.toml was edited on purpose: take its digest as the new "
                   "baseline.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def verify(paths: tuple[Path, ...], as_json: bool, jobs: int | None,
           budget: Budget | None, fixity_only: bool, accept_config: bool,
           quiet: bool) -> None:
    """Check fixity and integrity of collections or WARC files.

    PATH is a collection directory (every file against the manifest and the event
    log, every WARC record, the index and the pages; one `fixity check` event per
    file is appended to its events.jsonl) or WARC files (any WARC).

    \b
    Exit status: 0 no problems; 1 problems found; 2 bad usage or unreadable input.
    """
    from ..collection import CONFIG_NAME, Collection
    from ..verify import Report, VerifyOptions, default_jobs, verify_collection, verify_files

    workers = jobs or default_jobs()
    colls = [p for p in paths if p.is_dir()]
    files = [p for p in paths if not p.is_dir()]
    if budget is not None and (files or len(colls) != 1):
        raise click.UsageError("--budget applies to one collection directory")
    for c in colls:
        if not (c / CONFIG_NAME).is_file():
            raise click.UsageError(f"{c} is a directory but not a collection "
                                   f"(no {CONFIG_NAME})")
    options = VerifyOptions(
        jobs=workers,
        budget_seconds=budget.seconds if budget is not None else None,
        budget_bytes=budget.bytes if budget is not None else None,
        fixity_only=fixity_only, accept_config=accept_config)
    if budget is not None and not (budget.seconds or budget.bytes):
        click.echo("--budget is zero: no WARC file read; only preserve.toml, the "
                   "manifests, events.jsonl and the index's form and order are checked",
                   err=True)
    bar, update = byte_progress("verify", quiet or as_json)
    reports: list[Report] = []
    try:
        for c in colls:
            reports.append(verify_collection(Collection.open(c), options, on_progress=update))
        if files:
            reports.append(verify_files(files, jobs=workers, fixity_only=fixity_only,
                                        on_progress=update))
    finally:
        if bar is not None:
            bar.stop()
    report = Report()
    for r in reports:
        report.findings += r.findings
        report.files += r.files
        report.skipped += r.skipped
        report.bytes_read += r.bytes_read
        report.seconds += r.seconds
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _summary(report)
    if not report.ok:
        sys.exit(ExitStatus.PROBLEMS)


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--premis", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE.xml", help="Also write the event log as PREMIS 3 XML.")
@click.option("--max-age", default="365d", show_default=True, metavar="DURATION",
              help="A file last verified longer ago than this is overdue.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def audit(collection: Path, premis: Path | None, max_age: str, as_json: bool) -> None:
    """Show when each file of COLLECTION was last verified, and with what outcome.

    \b
    Exit status: 0 every file passed its last check in time; 1 some file failed,
    was never verified or is overdue; 2 bad usage.
    """
    from ..collection import Collection
    from ..store.events import EventLog
    from ..verify import audit_collection, history, write_premis

    coll = Collection.open(collection)
    entries = audit_collection(coll, max_age=parse_duration(max_age))
    if premis is not None:
        events = list(EventLog(coll.events_path).read())
        objects = {p: h.last_pass_data for p, h in history(events).items()}
        for e in entries:
            objects.setdefault(e.path, {})
        count = write_premis(premis, events, objects)
        if not as_json:
            click.echo(f"wrote {count} events as PREMIS 3 XML to {premis}", err=True)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2))
    else:
        for e in entries:
            click.echo(f"{e.status:<8} {e.last_check or '-':<28} {e.path}"
                       + (f"  ({e.detail})" if e.status not in ("ok",) else ""))
        counts: dict[str, int] = {}
        for e in entries:
            counts[e.status] = counts.get(e.status, 0) + 1
        click.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if any(e.status in ("failed", "never", "overdue") for e in entries):
        sys.exit(ExitStatus.PROBLEMS)

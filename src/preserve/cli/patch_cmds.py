"""``preserve patch``: a thin command over preserve.access.patch."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ExitStatus
from ..units import plural
from .signals import on_stop_signals

if TYPE_CHECKING:
    from ..access.patch import PatchResult, PatchTarget

__all__ = ["patch"]


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="List what would be fetched again; fetch nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
def patch(collection: Path, dry_run: bool, as_json: bool, quiet: bool) -> None:
    """Fetch again, as a new crawl of COLLECTION, what earlier crawls missed.

    What is fetched: the missing page requisites and the failed URLs (fetch errors,
    4xx and 5xx answers) that no crawl has captured since, each checked against the
    scope in preserve.toml as it is now; never robots-blocked or out-of-scope URLs.
    robots.txt is fetched again and obeyed, with the collection's delay. The patch is
    a numbered crawl of kind "patch" (`preserve crawls`), stored like any crawl; it
    follows the requisites and redirects of what it fetches, not links. Interrupted,
    it resumes with `preserve patch` again (docs/patch.md).

    \b
    Exit status: 0 finished (a URL that answers 404 again is listed as still
    missed), or nothing to patch; 1 fetches failed again (errors, 5xx), or the
    patch stopped (resumable); 2 bad input (no such collection, the collection in
    use, an unfinished crawl to finish first).
    """
    from ..access.patch import patch_collection
    from ..collection import Collection
    from .progress import make_reporter

    coll = Collection.open(collection)
    reporter = make_reporter(quiet=quiet or as_json or dry_run)
    stop = threading.Event()

    def started(crawl_id: str, resumed: bool) -> None:
        if resumed:
            reporter.note(f"resuming the unfinished patch crawl {crawl_id} of {collection}")

    def stopping() -> None:
        reporter.note("stopping: finishing in-flight fetches (resume with `preserve patch`)")
        stop.set()

    with on_stop_signals(stopping), reporter:
        result = patch_collection(coll, dry_run=dry_run, on_progress=reporter.update,
                                  on_start=started, stop=stop)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    elif not quiet:
        if result.summary is not None:
            reporter.summary(result.summary)
        click.echo("\n".join(_lines(result, collection)))
    summary = result.summary
    if summary is not None and (summary.status in ("interrupted", "storage-error")
                                or summary.failures):
        if summary.status == "storage-error":
            click.echo(f"preserve: error: {summary.stop_reason} (the patch stopped; run "
                       "`preserve patch` again to resume)", err=True)
        sys.exit(ExitStatus.PROBLEMS)


def _target_line(t: PatchTarget) -> str:
    m = t.missed
    kind = "requisite" if t.group == "requisites" else "failed"
    return f"  {kind:<9} {m.reason:<16} {m.url}"


def _lines(result: PatchResult, collection: Path) -> list[str]:
    targets, skipped = result.patch.targets, result.patch.skipped
    lines = []
    if result.nothing_to_patch and result.summary is None:
        lines.append(f"nothing to patch: {collection} has no missing requisites or failed "
                     "URLs that the scope allows")
    elif result.dry_run:
        lines.append(f"would fetch {plural(len(targets), 'URL')} again:")
        lines += [_target_line(t) for t in targets]
    else:
        lines.append(f"patch crawl {result.summary.crawl if result.summary else '?'}: "
                     f"{result.patched} of {plural(len(targets), 'URL')} captured now")
        if result.still_missed:
            lines.append("still missed (`preserve patch` asks again):")
            lines += [_target_line(t) for t in result.still_missed]
    if skipped:
        lines.append(f"not fetched, the scope now leaves them out: {len(skipped)}")
        lines += [f"  {t.skipped:<26} {t.missed.url}" for t in skipped]
    return lines

"""``preserve import-archive``: a thin command over preserve.capture.archive."""

from __future__ import annotations

import json
import math
import re
import sys
import threading
from pathlib import Path
from typing import Any

import click

from ..errors import ExitStatus, SeedError
from .signals import on_stop_signals

__all__ = ["import_archive"]

_STAMP = re.compile(r"\d{4}(?:\d{2}){0,5}")


class Rate(click.ParamType):  # type: ignore[type-arg]
    """``N/min`` (or a bare N): requests per minute."""

    name = "N/min"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip().lower().removesuffix("/min")
        try:
            rate = float(text)
        except ValueError:
            rate = 0.0
        if not (math.isfinite(rate) and rate > 0):
            self.fail(f"{value!r} is not a rate: give requests per minute, as 30/min", param,
                      ctx)
        return rate


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):  # NaN passes FloatRange's bounds
        raise click.BadParameter(f"{value!r} is not a number of seconds")
    return value


def _stamp(value: str | None, name: str) -> str | None:
    if value is not None and not _STAMP.fullmatch(value):
        raise click.BadParameter(f"{value!r}: give YYYY, YYYYMM, YYYYMMDD ... up to "
                                 "YYYYMMDDhhmmss", param_hint=f"'{name}'")
    return value


def _seed(url: str) -> str:
    from ..web.urls import canonicalize

    try:
        return canonicalize(url if "://" in url else f"http://{url}/")
    except ValueError as e:
        raise SeedError(url, f"not an http(s) URL ({e})") from e


@click.command("import-archive")
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--url", required=True, metavar="URL",
              help="The URL (or, with --match, the prefix, host or domain) to import.")
@click.option("--archive", default="https://web.archive.org", show_default=True,
              metavar="BASE", help="The archive: a Wayback server's root, or a pywb "
              "collection's URL (http://host:port/COLL).")
@click.option("--match", type=click.Choice(["exact", "prefix", "host", "domain"]),
              default="exact", show_default=True, help="Which captures the URL selects.")
@click.option("--from", "since", metavar="YYYY[MMDD...]", help="Captures from this time on.")
@click.option("--to", "until", metavar="YYYY[MMDD...]", help="Captures up to this time.")
@click.option("--latest/--all-captures", default=True, show_default=True,
              help="The latest capture of each URL, or every capture.")
@click.option("--rate", type=Rate(), default="600/min", show_default=True,
              help="Playback requests per minute (the Internet Archive allows about 600).")
@click.option("--listing-rate", type=Rate(), default="30/min", show_default=True,
              help="CDX or TimeMap requests per minute (the Internet Archive allows about 30).")
@click.option("--pause-429", type=click.FloatRange(min=0, max=86400), default=60.0,
              show_default=True, metavar="SECONDS", callback=_finite,
              help="The pause when the archive answers 429 (too many requests).")
@click.option("--title", metavar="TEXT", help="The title of a collection created now.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
def import_archive(collection: Path, url: str, archive: str, match: str, since: str | None,
                   until: str | None, latest: bool, rate: float, listing_rate: float,
                   pause_429: float, title: str | None, as_json: bool, quiet: bool) -> None:
    """Import into COLLECTION the captures of URL held by a web archive.

    Lists the captures (a Wayback CDX server with resume keys, pywb's CDX API, or a
    Memento TimeMap), fetches each in raw (id_) mode without following redirects,
    and stores it as the site sent it: dated by Memento-Datetime, the original
    headers rebuilt, marked with WARC-Source-URI and WARC-Creation-Date, with a
    metadata record of the archive's own headers and CDX line; no request record is
    invented. A payload the collection already holds is stored as a revisit. The
    import is a crawl of kind "import" (`preserve crawls`); interrupted, it resumes
    with the same command. The collection is created if it does not exist.
    See docs/import.md.

    \b
    Exit status: 0 imported; 1 something was skipped (the archive unreachable, a
    malformed CDX line, a capture the archive cannot serve), or the import stopped
    (resumable); 2 bad input (options, collection path, an unfinished crawl).
    """
    from ..capture.archive import ImportOptions
    from ..capture.archive import import_archive as run_import
    from ..collection import Collection
    from ..config import CollectionConfig, CrawlConfig, Description
    from .progress import make_reporter

    options = ImportOptions(url=url, archive=archive.rstrip("/"), match=match,
                            since=_stamp(since, "--from"), until=_stamp(until, "--to"),
                            latest=latest, rate=rate, listing_rate=listing_rate,
                            pause_429=pause_429)
    coll = Collection(collection)
    coll.check_path()
    if not coll.exists():
        seed = _seed(url)  # never resolved: the site may be long gone
        Collection.create(collection, CollectionConfig(
            Description(title=title or seed), CrawlConfig(seeds=(seed,))))
    coll = Collection.open(collection)
    reporter = make_reporter(quiet=quiet or as_json)
    stop = threading.Event()

    def started(crawl_id: str, resumed: bool) -> None:
        if resumed:
            reporter.note(f"resuming the unfinished import {crawl_id} of {collection}")

    def stopping() -> None:
        reporter.note("stopping (resume with the same `preserve import-archive`)")
        stop.set()

    with on_stop_signals(stopping), reporter:
        summary, listing = run_import(coll, options, on_progress=reporter.update,
                                      on_start=started, stop=stop)
    if as_json:
        click.echo(json.dumps(summary.to_dict() | {"listing": listing}, indent=2))
    elif not quiet:
        reporter.summary(summary)
    if summary.failures:
        click.echo(f"preserve: warning: {summary.failures} skipped (see "
                   f"{coll.crawl_log_path(summary.crawl)})", err=True)
    if summary.status == "storage-error":
        click.echo(f"preserve: error: {summary.stop_reason} (the import stopped; run it "
                   "again to resume)", err=True)
    if summary.status in ("interrupted", "storage-error") or summary.failures:
        sys.exit(ExitStatus.PROBLEMS)

"""``preserve init`` and ``preserve crawl``: thin commands over preserve.capture."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..config import (
    DUBLIN_CORE_FIELDS,
    PROFILE_SETTINGS,
    CollectionConfig,
    CrawlConfig,
    Description,
)
from ..errors import ConfigError, ExitStatus, PreserveError, SeedError
from ..units import plural
from .params import Duration, Size
from .signals import on_stop_signals

if TYPE_CHECKING:
    from ..capture.summary import CrawlSummary
    from ..collection import Collection
    from ..diff import CrawlDiff

__all__ = ["init", "crawl"]


def _dc_option(values: tuple[str, ...]) -> dict[str, str]:
    """The --dc FIELD=VALUE options as Dublin Core fields; a bad one is a usage error."""
    result: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in DUBLIN_CORE_FIELDS:
            raise click.BadParameter(
                f"{item!r}: use FIELD=VALUE with a Dublin Core field "
                f"({', '.join(DUBLIN_CORE_FIELDS)})", param_hint="--dc"
            )
        result[key] = value
    return result


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--seed", "seeds", multiple=True, required=True, metavar="URL",
              help="Start URL (repeatable).")
@click.option("--title", help="Title of the collection (Dublin Core title).")
@click.option("--dc", "dc", multiple=True, metavar="FIELD=VALUE",
              help="Another Dublin Core field, e.g. --dc creator='Parliament Library'.")
@click.option("--json", "as_json", is_flag=True, help="Print what was created as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; errors only.")
def init(collection: Path, seeds: tuple[str, ...], title: str | None,
         dc: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """Create a collection with its seeds and description in preserve.toml.

    preserve.toml then shows every setting: those given set, the others commented
    out with their default and what they do (docs/collection.md).
    """
    from ..capture.session import check_seed
    from ..collection import Collection

    desc = _dc_option(dc)
    if title:
        desc["title"] = title
    checked = tuple(check_seed(s) for s in seeds)
    config = CollectionConfig(Description(**desc), CrawlConfig(seeds=checked))
    Collection.create(collection, config)
    if as_json:
        click.echo(json.dumps({"collection": str(collection), "seeds": list(checked),
                               "description": desc}, indent=2))
    elif not quiet:
        click.echo(f"created collection {collection} with {plural(len(checked), 'seed')}")


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--seed", "seeds", multiple=True, metavar="URL",
              help="Start URL (repeatable); creates the collection if it does not exist.")
@click.option("--title", help="Title, when the collection is created by this command "
              "(an existing collection keeps its own, with a warning).")
@click.option("--scope", type=click.Choice(["host", "domain", "prefix"]),
              help="What to follow: the seeds' hosts (default), their domains, or URL prefixes.")
@click.option("--include", multiple=True, metavar="REGEX", help="Also follow URLs matching.")
@click.option("--exclude", multiple=True, metavar="REGEX", help="Never fetch URLs matching.")
@click.option("--profile", type=click.Choice(PROFILE_SETTINGS), metavar="NAME",
              help="Leave out the known noise of a CMS (REST and oEmbed endpoints, reply "
              "and share copies, login pages; docs/profiles.md): wordpress, drupal, "
              "nationbuilder, none, or auto [default], the CMS detected in the first pages.")
@click.option("--max-depth", type=click.IntRange(min=0),
              help="Link hops from a seed [default: 20, as Heritrix; stops calendar traps].")
@click.option("--max-pages", type=click.IntRange(min=0),
              help="Stop after this many pages (HTML documents) are captured.")
@click.option("--max-urls", type=click.IntRange(min=0),
              help="Stop after this many captures of any kind (pages, images, robots.txt, ...).")
@click.option("--max-bytes", type=Size(), help="Stop after this many bytes (e.g. 5GB).")
@click.option("--max-time", type=Duration(), help="Stop after this long (e.g. 2h).")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests to a host "
              "[default: 1.0; robots.txt Crawl-delay wins if longer].")
@click.option("--concurrency", type=click.IntRange(min=1), help="Fetches at once, all hosts "
              "[default: 4]; one at a time per host.")
@click.option("--ignore-robots", is_flag=True, default=None,
              help="Do not obey robots.txt (recorded in warcinfo and events).")
@click.option("--user-agent", help="User-Agent header [default: preserve/VERSION (+URL)].")
@click.option("--digest", type=click.Choice(["sha1", "sha256"]),
              help="WARC digest algorithm [default: sha1, base32].")
@click.option("--warc-size", type=Size(), help="Rotate WARC files at this size [default: 1GB].")
@click.option("--timeout", type=click.FloatRange(min=0.1), help="Network timeout in seconds.")
@click.option("--max-fetch-time", type=Duration(),
              help="Wall-clock cap on one fetch: connect, headers and body [default: 120s]; "
              "a body still arriving then is stored cut short (WARC-Truncated: time).")
@click.option("--tls-verify", type=click.Choice(["strict", "record"]),
              help="A certificate that fails verification: refuse the site (strict, the "
              "default) or capture it and record the failure (record).")
@click.option("--ca-bundle", metavar="FILE",
              help="PEM file of the CA certificates to trust [default: $REQUESTS_CA_BUNDLE, "
              "else $SSL_CERT_FILE, else certifi's bundle].")
@click.option("--retries", type=click.IntRange(min=0),
              help="Retries of a failed fetch, with exponential back-off [default: 3].")
@click.option("--frontier", metavar="URL",
              help="redis://HOST:PORT/DB: share the crawl with other workers through this "
              "Redis (docs/distributed.md); each worker crawls into its own collection.")
@click.option("--worker-id", metavar="ID", help="This worker's name in a distributed crawl, "
              "in its WARC file names [default: HOST-PID].")
@click.option("--stop", "stop_all", is_flag=True, help="Ask every worker of the distributed "
              "crawl at --frontier to finish its fetches in flight and stop; then exit.")
@click.option("--final", is_flag=True,
              help="Mark this crawl as the final capture of the site (warcinfo, events, "
              "`preserve crawls`).")
@click.option("--label", metavar="TEXT",
              help='A label for this crawl, e.g. "final crawl before dissolution".')
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def crawl(collection: Path, seeds: tuple[str, ...], title: str | None, quiet: bool,
          as_json: bool, final: bool, label: str | None, stop_all: bool,
          **options: Any) -> None:
    """Crawl into COLLECTION; run again on an unfinished crawl to resume it.

    On a finished collection this is a recrawl: at its end it also requests the
    previous crawl's pages that nothing links to any more (up to recheck-limit in
    preserve.toml), so `preserve diff` can show a deleted page's 404.

    \b
    Exit status: 0 finished; 1 finished with failed URLs, or stopped (resumable);
    2 bad input (seed, options, preserve.toml, collection path).
    """
    from ..capture.crawler import Crawler
    from ..capture.session import open_for_crawl
    from ..capture.tls import check_ca_bundle
    from ..collection import Collection
    from .progress import make_reporter

    if stop_all:
        _stop_workers(collection, options.get("frontier"), quiet)
        return
    overrides = {k: (tuple(v) if isinstance(v, tuple) else v) for k, v in options.items()}
    overrides["seeds"] = seeds
    # The variables requests and OpenSSL honour, read here at the edge.
    bundle: str | None = options.get("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE") \
        or os.environ.get("SSL_CERT_FILE")
    if bundle:
        bundle = os.path.abspath(os.path.expanduser(bundle))
        check_ca_bundle(bundle)  # before a collection is created
    overrides["ca_bundle"] = bundle
    existed = Collection(collection).exists()
    coll, config, _ = open_for_crawl(collection, overrides, {"title": title} if title else None)
    if config.crawl.ca_bundle and config.crawl.ca_bundle != bundle:  # from preserve.toml
        check_ca_bundle(config.crawl.ca_bundle)
    if title is not None and existed and title != config.description.title:
        click.echo(f"preserve: warning: --title is used only when crawl creates the "
                   f"collection; {collection} keeps its title {config.description.title!r} "
                   "(set [collection] title in its preserve.toml to change it)", err=True)
    reporter = make_reporter(quiet=quiet)

    def started(crawl_id: str, resumed: bool) -> None:
        if resumed:  # said only once the lock is ours: a refused crawl resumes nothing
            reporter.note(f"resuming the unfinished crawl {crawl_id} of {collection}")

    crawler = Crawler(coll, config, on_progress=reporter.update, on_start=started,
                      final=final, label=label)

    def stop() -> None:
        reporter.note("stopping: finishing in-flight fetches (resume with `preserve crawl`)")
        crawler.stop()

    with on_stop_signals(stop), reporter:
        summary = crawler.run()
    # A worker of a distributed crawl may finish having captured nothing: others did.
    if summary.captured == 0 and summary.status == "finished" and not config.crawl.frontier:
        why = _first_failure(coll.crawl_log_path(summary.crawl))
        raise SeedError(config.crawl.seeds[0],
                        f"unreachable: nothing could be fetched ({why}see {coll.logs}/)")
    changes = _recrawl_changes(coll, summary) if summary.finished else None
    if as_json:
        data = summary.to_dict()
        if changes is not None:
            data["changes"] = changes.counts() | {"from": changes.before}
        click.echo(json.dumps(data, indent=2))
    elif not quiet:
        reporter.summary(summary)
        if changes is not None:
            click.echo(f"  {changes.one_line()} (`preserve diff` lists them)")
    if summary.status == "storage-error":  # an error, so said even with --quiet
        click.echo(f"preserve: error: {summary.stop_reason} (the crawl stopped; "
                   "run `preserve crawl` again to resume)", err=True)
    if summary.status in ("interrupted", "storage-error") or summary.failures:
        sys.exit(ExitStatus.PROBLEMS)


def _stop_workers(collection: Path, frontier: str | None, quiet: bool) -> None:
    """``--stop``: ask the workers of the crawl in the Redis at ``frontier`` to stop."""
    from ..collection import Collection
    from ..store.crawlstate_redis import RedisCrawlState

    if frontier is None and Collection(collection).exists():
        frontier = Collection.open(collection).load_config().crawl.frontier or None
    if frontier is None:
        raise ConfigError("--stop needs --frontier redis://HOST:PORT/DB (or frontier in "
                          "the collection's preserve.toml)")
    CrawlConfig().merged(frontier=frontier)  # a malformed URL is refused in one line
    state = RedisCrawlState(frontier)
    try:
        crawl_id = state.request_stop()
    finally:
        state.close()
    if crawl_id is None:
        raise ConfigError(f"no unfinished crawl at {frontier}: nothing to stop")
    if not quiet:
        click.echo(f"asked the workers of crawl {crawl_id} at {frontier} to stop; each "
                   "finishes its fetches in flight (run them again to resume)")


def _first_failure(log: Path) -> str:
    """The error of the first failed fetch in a crawl log, and what to do about a TLS one."""
    try:
        with open(log, encoding="utf-8") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                error = entry.get("error") if isinstance(entry, dict) else None
                if isinstance(error, str) and entry.get("outcome") == "failed":
                    if error.startswith("tls: certificate verify failed"):
                        error += "; --tls-verify=record captures it and records the failure"
                    return f"{error}; "
    except OSError:
        pass
    return ""


def _recrawl_changes(coll: Collection, summary: CrawlSummary) -> CrawlDiff | None:
    """The change report of a recrawl against the crawl before it, or None for a first."""
    from ..diff import diff_crawls

    try:
        return diff_crawls(coll, after=summary.crawl)
    except PreserveError:
        return None  # the first crawl of the collection: nothing to compare with

"""``preserve report``: a thin command over preserve.access.report (the data) and
report_html (the page); ``--text`` renders the same summary here, ``--json`` the data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from ..units import format_size, format_time, plural
from .params import CrawlNumber

__all__ = ["report", "report_lines", "default_output"]

TEXT_LIMIT = 10  # missed URLs listed per kind in --text


class ReplayBase(click.ParamType):  # type: ignore[type-arg]
    """The replay server's http(s) scheme, host and port."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        try:
            parts = urlsplit(text)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok:
            self.fail(f"{value!r} is not an http(s) URL of a replay server "
                      "(example: http://127.0.0.1:8080)", param, ctx)
        return text.rstrip("/")


def default_output(name: str) -> Path:
    """Where the report goes without ``-o``: the current directory, named after the
    collection, so it is outside the collection (``preserve verify`` would call a file
    inside it FILE_UNLISTED)."""
    return Path(f"{name}-report.html")


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE.html",
              help="Where to write the report [default: ./NAME-report.html, NAME the "
                   "collection's directory name].")
@click.option("--crawl", "crawl_id", type=CrawlNumber(),
              help="The crawl to report on, by number [default: the last finished one "
                   "that is not a patch crawl].")
@click.option("--text", "as_text", is_flag=True,
              help="Print the summary in the terminal instead of writing the HTML file.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report's data as JSON instead (every list in full).")
@click.option("--replay-base", type=ReplayBase(), metavar="URL",
              help="Where `preserve replay` serves the collection, for the report's links "
                   "[default: http://127.0.0.1:8080].")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def report(collection: Path, output: Path | None, crawl_id: str | None, as_text: bool,
           as_json: bool, replay_base: str | None, quiet: bool) -> None:
    """Write a quality report of COLLECTION as one self-contained HTML file.

    The report shows the collection's description and crawl history; what the crawl
    captured (HTTP statuses, media types, bytes per host); what it missed (page
    requisites not captured, failed URLs, robots.txt, out of scope); what changed
    since the crawl before (as `preserve diff`); when each file was last verified (as
    `preserve audit`); and the normalised articles, each linked to its capture in
    `preserve replay`. The file needs nothing else: no network, no script.

    \b
    Without -o the report is written to the current directory as NAME-report.html,
    outside the collection. With --text or --json it is printed instead (and also
    written if -o is given). The collection is only read.
    Exit status: 0; 2 no such collection or crawl, or FILE cannot be written.
    """
    from ..access.report import build_report
    from ..collection import Collection

    if as_text and as_json:
        raise click.UsageError("--text and --json print different things; choose one")
    from .progress import Bar

    coll = Collection.open(collection)
    # On a terminal: a bar of the report's passes, the one under way named after it.
    with Bar("report", unit="items", noun="steps", finish=True,
             quiet=quiet or as_json) as bar:
        result = build_report(coll, crawl_id=crawl_id, replay_base=replay_base,
                              on_step=lambda done, total, name: bar.update(done, total, name))
    if output is not None or not (as_text or as_json):
        path = output if output is not None else default_output(coll.name)
        _write(result, path, coll.root, quiet or as_text or as_json)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    elif as_text and not quiet:
        click.echo("\n".join(report_lines(result.to_dict())))


def _write(result: Any, path: Path, root: Path, quiet: bool) -> None:
    from ..access.report_html import write_html
    from ..atomic import atomic_write
    from ..collection import Collection
    from ..errors import ConfigError

    if path.is_dir():
        raise ConfigError(f"{path} is a directory; give the report a file name with -o")
    try:
        with atomic_write(path, "w", encoding="utf-8") as f:
            write_html(result, f)
    except OSError as e:
        raise ConfigError(f"cannot write the report to {path} ({e.strerror or e}); "
                          "choose another place with -o") from e
    inside = _inside(path, root)
    if inside is not None and not Collection.is_working(inside):
        click.echo(f"preserve: note: {path} is inside the collection, so `preserve verify` "
                   "will report it as FILE_UNLISTED; keep reports outside it", err=True)
    if not quiet:
        click.echo(f"wrote the report to {path} ({format_size(path.stat().st_size)})")


def _inside(path: Path, root: Path) -> str | None:
    """``path`` relative to the collection's root, or None when it is outside."""
    try:
        return Path(os.path.realpath(path)).relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return None


def report_lines(data: dict[str, Any]) -> list[str]:
    """The report's summary for a terminal, from its ``--json`` data."""
    desc = data["description"]
    cap = data["captures"]
    crawl = data["crawl"]
    lines = [f"report      {desc.get('title') or data['name']} ({data['path']})"]
    if desc.get("description"):
        lines.append(f"            {desc['description']}")
    lines.append(f"crawls      {len(data['crawls'])}; this report: "
                 + (f"crawl {crawl}" if crawl else "the whole collection"))
    for c in data["crawls"]:
        kind = "patch " if c.get("kind") == "patch" else "crawl "
        lines.append(f"  {kind}{c['id']}  {format_time(c['started']):<20} {c['status']:<14} "
                     f"{plural(c['pages'], 'page'):>12}  {format_size(c['warc_bytes']):>9}")
    lines.append(f"captured    {plural(cap['records'], 'capture')}, "
                 f"{plural(cap['pages'], 'page')}, {plural(cap['revisits'], 'revisit')}, "
                 f"{format_size(cap['bytes'])}; {plural(data['collection_pages'], 'page')} "
                 "in the collection")
    if cap["statuses"]:
        lines.append("  statuses  " + ", ".join(f"{s}: {n}" for s, n in cap["statuses"].items()))
    if cap["mimes"]:
        lines.append("  types     " + ", ".join(f"{m}: {n}" for m, n in cap["mimes"].items()))
    for h in cap["hosts"][:5]:
        lines.append(f"  host      {h['host']}  {plural(h['records'], 'capture')}, "
                     f"{format_size(h['bytes'])}")
    lines += _missed_lines(data.get("missed"))
    ch = data["changes"]
    if ch["before"] and not ch["note"]:
        c = ch["counts"]
        lines.append(f"changes     from crawl {ch['before']}: " + ", ".join(
            f"{c[k]} {k}" for k in ("new", "changed", "unchanged", "gone", "moved", "unlinked")))
    else:
        lines.append(f"changes     {ch['note']}")
    fx = data["fixity"]
    lines.append("fixity      " + (", ".join(f"{n} {s}" for s, n in fx["counts"].items())
                                   or fx["note"] or "no files")
                 + (f"; last check {format_time(fx['last_check'])}" if fx["last_check"]
                    else "; never verified"))
    for f in fx["files"]:
        if f["status"] != "ok":
            lines.append(f"  {f['status']:<8}  {f['path']}")
    arts = data["articles"]
    lines.append("articles    " + ("not normalised (run `preserve normalise`)" if arts is None
                                   else f"{plural(len(arts), 'article')}, "
                                        f"{plural(data['other_pages'], 'other page')}"))
    lines += [f"note        {n}" for n in data["notes"]]
    return lines


def _missed_lines(missed: dict[str, Any] | None) -> list[str]:
    if missed is None:
        return ["missed      nothing yet (no crawl)"]
    counts = missed.get("counts") or {}
    words = {"requisites": ("requisite not captured", "requisites not captured"),
             "failed": ("failed", "failed"), "robots": ("blocked by robots.txt",) * 2,
             "out_of_scope": ("out of scope",) * 2,
             "redirects_out_of_scope": ("redirect out of scope", "redirects out of scope")}
    lines = ["missed      " + ", ".join(
        f"{n} {words.get(k, (k, k))[n != 1]}" for k, n in counts.items())]
    for kind in ("requisites", "failed"):
        items = missed.get(kind) or []
        for m in items[:TEXT_LIMIT]:
            via = f" (from {m['referrer']})" if m.get("referrer") else ""
            lines.append(f"  {kind[:-1] if kind == 'requisites' else kind:<9} "
                         f"{m['reason']:<10} {m['url']}{via}")
        if len(items) > TEXT_LIMIT:
            lines.append(f"  and {len(items) - TEXT_LIMIT} more {kind} (--json lists them all)")
    return lines

"""The text every command prints for a person: one style, from one module.

Times go through units.format_time (UTC, seconds, Z), sizes through format_size (6.4 MB),
durations through format_duration (2h), counts through plural ("1 file", "2 files").
``--json`` output does not come here: it keeps the exact values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..units import format_duration, format_rate, format_size, format_time, plural

if TYPE_CHECKING:
    from ..capture.summary import CrawlSummary
    from ..diff import CrawlDiff
    from ..export.run import ExportResult
    from ..normalise.collection import NormaliseSummary
    from ..verify import Report
    from ..verify.audit import AuditEntry

__all__ = ["crawl_summary", "status_lines", "crawls_lines", "diff_lines", "verify_lines",
           "audit_lines", "export_line", "normalise_line", "index_line", "schedule_lines"]


def crawl_summary(s: CrawlSummary) -> list[str]:
    """The summary after a crawl: what was captured, stored, refused and how long it took."""
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(s.statuses.items())) or "none"
    said = s.stop_reason not in ("", "finished", s.status)
    lines = [
        f"crawl {s.crawl} {s.status}" + (f" ({s.stop_reason})" if said else ""),
        f"  captured     {plural(s.captured, 'URL')} ({plural(s.revisits, 'revisit')}), "
        f"{s.page_captures} of them {'page' if s.page_captures == 1 else 'pages'}; "
        f"{plural(s.pages, 'page')} in the collection",
        f"  downloaded   {format_size(s.bytes)}; WARCs {format_size(s.crawl_warc_bytes)} "
        f"written by this crawl, {format_size(s.warc_bytes)} in the collection",
        f"  statuses     {statuses}",
        f"  failed       {s.failures}",
        f"  not fetched  {s.out_of_scope} out of scope, {s.robots_blocked} robots.txt, "
        f"{plural(s.traps, 'trap')}, "
        f"{plural(s.blocked_addresses, 'private address', 'private addresses')}",
        f"  duration     {format_duration(s.duration)}",
    ]
    if s.rechecked or s.recheck_skipped:
        lines.insert(-1, f"  rechecked    {plural(s.rechecked, 'page')} of the previous crawl "
                     f"that nothing links to any more requested again, "
                     f"{s.recheck_skipped} skipped")
    if s.profile_line():
        lines.insert(-1, f"  profile      {s.profile_line().removeprefix('profile ')}")
    elif s.profile == "none" and s.profile_evidence:
        lines.insert(-1, f"  profile      none ({s.profile_evidence})")
    if s.failed_urls:
        lines.append("  failed URLs  " + "\n               ".join(s.failed_urls[:10]))
    if s.status == "interrupted":
        lines.append("  run `preserve crawl` on this collection again to resume")
    return lines


def status_lines(info: dict[str, Any]) -> list[str]:
    desc = info["description"]
    warcs, fixity = info["warcs"], info["fixity"]
    lines = [f"collection  {info['path']}"]
    if desc.get("title"):
        lines.append(f"title       {desc['title']}")
    lines += [
        f"seeds       {' '.join(info['seeds'])}",
        f"WARCs       {warcs['closed']} closed ({format_size(warcs['bytes'])}), "
        f"{warcs['open']} open",
        f"index       {plural(info['index']['records'], 'record')}, "
        f"{plural(info['pages'], 'page')}",
        f"fixity      {plural(fixity['entries'], 'file')} in the manifest"
        + (f", {len(fixity['missing'])} closed WARC"
           f"{'' if len(fixity['missing']) == 1 else 's'} missing from it"
           if fixity["missing"] else ""),
    ]
    u = info.get("unfinished")
    for c in info["crawls"]:
        s = c.get("summary") or {}
        if u and c["id"] == u["id"]:  # its figures, fresh, are on the line below
            s = {}
        lines.append(f"crawl {c['id']}  {c['status']:<14} started {format_time(c['started'])}"
                     + (f"  {s.get('captured', 0)} captured, {s.get('failures', 0)} failed"
                        if s else "") + _profile_note(s)
                     + {"patch": "; a patch crawl",
                        "import": "; an import from a web archive"}.get(c.get("kind"), ""))
    if u:
        figures = f"{u['captured']} captured, {u['queued']} queued"
        if u["running"]:
            pid = f" (process {u['pid']})" if u["pid"] else ""
            lines.append(f"running     crawl {u['id']}{pid}: {figures}, {u['in_flight']} in "
                         f"flight; Ctrl-C or `kill {u['pid'] or 'PID'}` stops it, resumably")
        elif u.get("record"):
            lines.append(f"unfinished  crawl {u['id']}: {u['captured']} captured here; run "
                         "elsewhere and kept as a record: resume it where it ran (a worker of "
                         "a distributed crawl: with the same --frontier and --worker-id)")
        else:
            kind = next((str(c.get("kind")) for c in info["crawls"] if c["id"] == u["id"]), "")
            command = {"patch": "patch", "import": "import-archive"}.get(kind, "crawl")
            again = " again (same options)" if kind == "import" else ""
            lines.append(f"unfinished  crawl {u['id']}: {figures}; "
                         f"run `preserve {command} {info['path']}`{again} to resume")
    elif info.get("locked_by") is not None:
        pid = f"process {info['locked_by']}" if info["locked_by"] else "another process"
        lines.append(f"in use      by {pid} (`preserve index` or `verify`); wait for it")
    return lines


def _profile_note(s: dict[str, Any]) -> str:
    """``; profile wordpress excluded 219`` for a crawl's saved summary, or ""."""
    name = s.get("profile")
    excluded = s.get("profile_excluded")
    if not isinstance(name, str) or name in ("", "none") or not isinstance(excluded, dict):
        return ""
    total = sum(v for v in excluded.values() if isinstance(v, int))
    return f"; profile {name} excluded {total}"


def crawls_lines(crawls: list[dict[str, Any]]) -> list[str]:
    if not crawls:
        return ["no crawls yet"]
    lines = [f"{'crawl':<6} {'status':<14} {'started':<20} {'captured':>9} {'revisits':>9} "
             f"{'failed':>7} {'stored':>10}  note"]
    for c in crawls:
        note = " ".join(x for x in ("FINAL" if c["final"] else "",
                                    c.get("kind") if c.get("kind") in ("patch", "import")
                                    else "",
                                    c["label"] or "") if x)
        lines.append(f"{c['id']:<6} {c['status']:<14} {format_time(c['started']):<20} "
                     f"{c['captured']:>9} {c['revisits']:>9} {c['failures']:>7} "
                     f"{format_size(c['warc_bytes']):>10}  {note}".rstrip())
    return lines


def diff_lines(result: CrawlDiff, show_all: bool) -> list[str]:
    """The one-line counts, then the pages grouped by kind of change (new, changed, gone,
    moved, unlinked, then unchanged with --all), each group in URL order: the change with
    its reason (``gone (404)``), the URL, and where a moved page went."""
    kinds = ("new", "changed", "gone", "moved", "unlinked") + (
        ("unchanged",) if show_all else ())
    shown = [c for kind in kinds
             for c in sorted((c for c in result.changes if c.change == kind),
                             key=lambda c: c.url)]
    width = max([10, *(len(c.label) for c in shown)])
    lines = [result.one_line()]
    for change in shown:
        target = f" -> {change.location}" if change.location else ""
        lines.append(f"{change.label:<{width}} {change.url}{target}")
    return lines


def verify_lines(report: Report) -> list[str]:
    lines = []
    for f in report.findings:
        where = f"{f.file}" + (f" @{f.offset}" if f.offset is not None else "")
        line = f"{f.severity:<7} {f.code:<24} {where}: {f.message}"
        if f.expected is not None or f.found is not None:
            line += f" (expected {f.expected}, found {f.found})"
        lines.append(line)
    warnings = len(report.findings) - len(report.errors)
    status = "OK" if report.ok else "PROBLEMS FOUND"
    lines.append(
        f"{status}: {plural(len(report.files), 'file')}, {format_size(report.bytes_read)} "
        f"in {format_duration(report.seconds)} "
        f"({format_rate(report.bytes_read, report.seconds)}); "
        f"{plural(len(report.errors), 'error')}, {plural(warnings, 'warning')}"
        + (f"; {plural(len(report.skipped), 'file')} left for a later run (budget)"
           if report.skipped else ""))
    return lines


def audit_lines(entries: list[AuditEntry]) -> list[str]:
    lines = [f"{e.status:<8} {format_time(e.last_check):<20} {e.path}"
             + (f"  ({e.detail})" if e.status != "ok" else "") for e in entries]
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.status] = counts.get(e.status, 0) + 1
    lines.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no files")
    return lines


def export_line(result: ExportResult) -> str:
    if result.format == "ocfl" and result.version is None:
        return f"{result.path}: unchanged since the last export; no new version"
    version = f", version {result.version}" if result.version else ""
    return (f"exported {plural(result.files, 'file')} ({format_size(result.bytes)} read, "
            f"{result.checked} checked against the fixity manifest) "
            f"as {result.format} to {result.path}{version}")


def normalise_line(summary: NormaliseSummary) -> str:
    return (f"normalised {plural(summary.pages, 'page')} from "
            f"{plural(summary.warcs, 'new WARC file', 'new WARC files')} "
            f"({summary.skipped_warcs} done before): {plural(summary.articles, 'article')}, "
            f"{plural(summary.static_pages, 'static page')}, "
            f"{plural(summary.listings, 'listing')}, {summary.other} other, "
            f"{plural(summary.duplicates, 'duplicate')}; "
            f"{plural(summary.total_lines, 'line')} in {summary.output}")


def index_line(records: int, pages: int, warcs: int) -> str:
    return (f"indexed {plural(records, 'record')}, {plural(pages, 'page')} "
            f"from {plural(warcs, 'WARC file')}")


def schedule_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in rows:
        last = (f"{format_time(r['last_run'])} {r['last_outcome']}" if r["last_run"]
                else "never run")
        nxt = (f"due now (for {format_time(r['next_run'])})" if r["due"]
               else format_time(r["next_run"]))
        lines.append(f"{r['collection']}  {r['schedule']!r}  [{r['cron']}] {r['what']}; "
                     f"last: {last}; next: {nxt}")
    return lines

"""The report as one self-contained HTML file: styles inline, charts as inline SVG
(report_charts.py), no script, no font, no image and no request of any kind (a
Content-Security-Policy of ``default-src 'none'`` says so to the browser too). The only
links leaving the file are those into replay (access/links.py); a URL that was not
captured is shown as text, never as a link. Every text from the collection is escaped.

``write_html`` streams the page to a file object section by section; long lists are cut
at a limit, with "and N more" (``--json`` has them all).
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import IO

from ..units import format_size, format_time, plural
from .links import replay_url
from .missed import MissedURL
from .report import Report
from .report_charts import PALETTE, bars, columns, status_colour

__all__ = ["write_html", "render_html", "MISSED_LIMIT", "CHANGES_LIMIT", "ARTICLES_LIMIT",
           "FIXITY_LIMIT", "MISSED_KINDS"]

MISSED_LIMIT = 50  # URLs listed per kind (requisites, failed)
MISSED_OTHER_LIMIT = 20  # ... robots.txt and redirects out of scope
HOSTS_LIMIT = 15  # out of scope: hosts listed, with their counts
CHANGES_LIMIT = 200
ARTICLES_LIMIT = 2000
FIXITY_LIMIT = 200

# The lists of what was missed (access/missed.py), in the order shown, with their titles.
MISSED_KINDS = (
    ("requisites", "Page requisites not captured",
     "images, stylesheets, scripts and frames that captured pages use"),
    ("failed", "Failed URLs", "the fetch failed or the server answered with an error"),
    ("robots", "Blocked by robots.txt", "the site asked crawlers not to fetch them"),
    ("out_of_scope", "Out of scope", "linked from captured pages, outside the crawl's scope"),
    ("redirects_out_of_scope", "Redirects out of scope",
     "captured URLs that redirect outside the scope; the target was not fetched"),
)
_CHANGE_ORDER = ("new", "changed", "gone", "moved", "unlinked")
_CHANGE_COLOUR = {"new": PALETTE[2], "changed": PALETTE[1], "unchanged": "#8a8f98",
                  "gone": PALETTE[5], "moved": PALETTE[0], "unlinked": PALETTE[3]}
_FIXITY_COLOUR = {"ok": PALETTE[2], "failed": PALETTE[5], "never": PALETTE[1],
                  "overdue": PALETTE[6], "gone": "#8a8f98"}

_CSS = """
:root{--ink:#1d2330;--muted:#5b6472;--line:#dde1e7;--bg:#f6f7f9;--card:#fff;--accent:#0072B2}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:var(--ink);background:var(--bg)}
header{background:#14213d;color:#fff;padding:28px 32px 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:650}
header p{margin:2px 0;color:#cfd6e4}
header .kicker{text-transform:uppercase;letter-spacing:.08em;font-size:12px;color:#9fb3d9}
nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;position:sticky;top:0}
nav a{color:var(--accent);text-decoration:none;margin-right:18px;font-size:14px}
main{max-width:1100px;margin:0 auto;padding:20px 24px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:18px 22px;margin:18px 0;break-inside:avoid-page}
h2{margin:0 0 4px;font-size:20px}
h3{margin:18px 0 6px;font-size:16px}
p.lead{margin:0 0 12px;color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;
margin:0 0 4px}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:#fbfcfd}
.card b{display:block;font-size:24px;font-weight:650}
.card span{color:var(--muted);font-size:13px}
.card.warn b{color:#b34700}.card.bad b{color:#c0392b}.card.good b{color:#007a58}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:800px){.grid2{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:13px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.url{word-break:break-all}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
a{color:var(--accent)}
.more{color:var(--muted);font-style:italic;margin:6px 0 0}
.note{color:var(--muted)}
.pill{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;color:#fff;
white-space:nowrap}
dl.desc{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 12px}
dl.desc dt{color:var(--muted)}dl.desc dd{margin:0}
svg.chart{display:block;max-width:100%;height:auto}
svg .lbl,svg .val,svg .axis{font:12px system-ui,sans-serif;fill:#333}
svg .axis{fill:#666;font-size:11px}
svg .grid{stroke:#e6e9ee;stroke-width:1}
footer{color:var(--muted);font-size:13px;text-align:center;padding:0 0 30px}
@media print{body{background:#fff;font-size:12px}nav{display:none}
header{background:#fff;color:#000;border-bottom:2px solid #000;padding:0 0 10px}
header p,header .kicker{color:#333}section{border:none;padding:0;margin:14px 0}
a{color:#000;text-decoration:none}.pill{color:#000;border:1px solid #999}}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _link(href: str, text: str) -> str:
    return f'<a href="{_e(href)}" rel="noopener noreferrer">{_e(text)}</a>'


def _card(value: str, label: str, tone: str = "") -> str:
    return f'<div class="card {tone}"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def _more(shown: int, total: int, what: str) -> str:
    if total <= shown:
        return ""
    return (f'<p class="more">and {_n(total - shown)} more {_e(what)} '
            "(<code>preserve report --json</code> lists them all)</p>")


def render_html(report: Report) -> str:
    return "".join(_parts(report))


def write_html(report: Report, out: IO[str]) -> None:
    """The report, written to ``out`` a section at a time."""
    for part in _parts(report):
        out.write(part)


def _parts(r: Report) -> Iterator[str]:
    title = r.description.get("title") or r.name
    yield ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
           f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           f'<meta name="generator" content="preserve {_e(r.version)}">'
           f"<title>{_e(title)}: collection report</title><style>{_CSS}</style></head>"
           "<body>\n")
    yield _header(r, title)
    yield ('<nav><a href="#overview">Overview</a><a href="#crawls">Crawls</a>'
           '<a href="#captures">What was captured</a><a href="#missed">What was missed</a>'
           '<a href="#changes">Changes</a><a href="#fixity">Fixity</a>'
           '<a href="#articles">Articles</a></nav>\n<main>\n')
    yield _overview(r)
    yield _crawls(r)
    yield _captures(r)
    yield _missed(r)
    yield _changes(r)
    yield _fixity(r)
    yield from _articles(r)
    yield (f"</main><footer>Generated {_e(format_time(r.generated))} by preserve "
           f"{_e(r.version)} from <code>{_e(r.path)}</code>. Replay links open "
           f"<code>{_e(r.replay_base)}</code>: start it with "
           f"<code>preserve replay {_e(r.path)}</code>.</footer>\n</body></html>\n")


def _header(r: Report, title: str) -> str:
    which = (f"crawl {r.crawl}" if r.crawl else "the whole collection")
    lines = [f'<header><div class="kicker">Collection report · {_e(which)}</div>',
             f"<h1>{_e(title)}</h1>"]
    if r.description.get("description"):
        lines.append(f"<p>{_e(r.description['description'])}</p>")
    lines.append(f"<p>Generated {_e(format_time(r.generated))}</p></header>\n")
    return "".join(lines)


def _missed_total(r: Report) -> int | None:
    """Page requisites not captured and failed URLs: what a patch crawl fetches."""
    if r.missed is None:
        return None
    return len(r.missed.requisites) + len(r.missed.failed)


def _overview(r: Report) -> str:
    c = r.captures
    fixity_bad = sum(r.fixity.counts.get(k, 0) for k in ("failed", "never", "overdue"))
    missed = _missed_total(r)
    cards = [
        _card(_n(r.collection_pages), "pages in the collection"),
        _card(_n(c.records), f"captures in {'crawl ' + r.crawl if r.crawl else 'all crawls'}"),
        _card(format_size(c.bytes), "in captured records (compressed)"),
        _card(_n(len(r.crawls)), "crawls"),
    ]
    if missed is not None:
        cards.append(_card(_n(missed), "requisites missing or URLs failed",
                           "warn" if missed else "good"))
    if r.changes.before:
        cards.append(_card(_n(sum(r.changes.counts.get(k, 0) for k in _CHANGE_ORDER)),
                           f"pages changed since crawl {r.changes.before}"))
    cards.append(_card("all verified" if not fixity_bad and r.fixity.files else
                       plural(fixity_bad, "file") if fixity_bad else "no files",
                       "fixity: " + ("need attention" if fixity_bad else "last checks passed"),
                       "bad" if r.fixity.counts.get("failed") else
                       "warn" if fixity_bad else "good"))
    if r.articles is not None:
        cards.append(_card(_n(len(r.articles)), "articles"))
    desc = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in r.description.items()
                   if k not in ("title", "description"))
    seeds = "".join(f"<code>{_e(s)}</code> " for s in r.seeds)
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in r.notes)
    return (f'<section id="overview"><h2>Overview</h2>'
            f'<div class="cards">{"".join(cards)}</div>'
            f'<h3>Description</h3><dl class="desc">{desc}<dt>seeds</dt><dd>{seeds}</dd>'
            f"<dt>location</dt><dd><code>{_e(r.path)}</code></dd></dl>{notes}</section>\n")


def _crawls(r: Report) -> str:
    if not r.crawls:
        return ('<section id="crawls"><h2>Crawls</h2><p class="lead">No crawl recorded in '
                "this collection.</p></section>\n")
    when = "crawl"
    notes = [format_time(c.started) + (", a patch crawl" if c.kind == "patch" else "")
             for c in r.crawls]
    pages = [(f"{c.id}\n{c.started[:10]}", float(c.pages), note)
             for c, note in zip(r.crawls, notes, strict=True)]
    stored = [(f"{c.id}\n{c.started[:10]}", float(c.warc_bytes), note)
              for c, note in zip(r.crawls, notes, strict=True)]
    rows = "".join(
        f"<tr><td>{_e(c.id)}</td><td>{_e(format_time(c.started))}</td>"
        f"<td>{'patch · ' if c.kind == 'patch' else ''}{_e(c.status)}"
        f"{' · FINAL' if c.final else ''}"
        f"{' · ' + _e(c.label) if c.label else ''}</td>"
        f'<td class="n">{_n(c.pages)}</td><td class="n">{_n(c.captured)}</td>'
        f'<td class="n">{_n(c.revisits)}</td><td class="n">{_n(c.failures)}</td>'
        f'<td class="n">{_e(format_size(c.warc_bytes))}</td></tr>'
        for c in reversed(r.crawls))
    return ('<section id="crawls"><h2>Crawls</h2><p class="lead">Pages captured and '
            "the size of the WARC files each wrote, oldest first.</p>"
            '<div class="grid2"><div><h3>Pages per crawl</h3>'
            f'{columns(pages, "pages captured per crawl", caption=when)}</div>'
            f'<div><h3>WARC files per crawl</h3>'
            + columns(stored, "size of the WARC files per crawl", format_size, PALETTE[1],
                      caption=when) +
            "</div></div><table><thead><tr><th>crawl</th><th>started</th><th>status</th>"
            '<th class="n">pages</th><th class="n">captures</th><th class="n">revisits</th>'
            '<th class="n">failed</th><th class="n">WARC files</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></section>\n")


def _captures(r: Report) -> str:
    c = r.captures
    which = f"crawl {r.crawl}" if r.crawl else "the collection"
    if not c.records:
        return (f'<section id="captures"><h2>What was captured</h2><p class="lead">Nothing '
                f"of {_e(which)} is in the index.</p></section>\n")
    statuses = bars([(s, float(n), status_colour(s)) for s, n in c.statuses.items()],
                    "captures by HTTP status", label_width=60, width=480)
    mimes = bars([(m, float(n), PALETTE[i % len(PALETTE)] if m != "other" else "#8a8f98")
                  for i, (m, n) in enumerate(c.mimes.items())], "captures by media type",
                 label_width=170, width=480)
    hosts = [*c.hosts, *([c.other_hosts] if c.other_hosts else [])]
    host_rows = "".join(
        f'<tr><td class="url">{_e(h.host)}</td><td class="n">{_n(h.records)}</td>'
        f'<td class="n">{_e(format_size(h.bytes))}</td>'
        f'<td class="n">{100 * h.bytes / (c.bytes or 1):.1f}%</td></tr>' for h in hosts)
    return (f'<section id="captures"><h2>What was captured</h2><p class="lead">'
            f"{_n(c.records)} captures of {_e(which)}: {_n(c.pages)} pages, "
            f"{_n(c.revisits)} revisits (unchanged since an earlier capture, stored once), "
            f"{_e(format_size(c.bytes))} of captured records (compressed) in the WARC files, "
            "request and metadata records not counted.</p>"
            f'<div class="grid2"><div><h3>HTTP status</h3>{statuses}</div>'
            f"<div><h3>Media type</h3>{mimes}</div></div>"
            '<h3>Bytes per host</h3><table><thead><tr><th>host</th><th class="n">captures'
            '</th><th class="n">stored</th><th class="n">share</th></tr></thead>'
            f"<tbody>{host_rows}</tbody></table></section>\n")


def _url_rows(items: list[MissedURL], limit: int) -> str:
    rows: list[str] = []
    for item in items[:limit]:
        reason, error = item.reason, item.error
        why = " · ".join(str(x) for x in (reason, error if error != reason else None)
                         if x not in (None, ""))
        via = item.referrer
        rows.append(f'<tr><td class="url"><code>{_e(item.url)}</code>'
                    + (f'<br><span class="note">from <code>{_e(via)}</code></span>'
                       if via else "")
                    + f"</td><td>{_e(why)}</td></tr>")
    return "".join(rows)


def _missed(r: Report) -> str:
    head = '<section id="missed"><h2>What was missed</h2>'
    if r.missed is None:
        return head + '<p class="lead">No crawl yet.</p></section>\n'
    reasons = r.missed.reasons()
    counts = r.missed.counts()
    total = sum(counts.values())
    parts = [head, f'<p class="lead">{_e(plural(total, "URL"))} referenced or requested '
             f"by crawl {_e(r.crawl or '')} but not captured. URLs not captured are shown "
             "as text, not links.</p>"]
    chart = [(title, float(counts.get(kind, 0)), PALETTE[i % len(PALETTE)])
             for i, (kind, title, _) in enumerate(MISSED_KINDS)]
    parts.append(bars(chart, "URLs missed, by kind", label_width=220))
    for kind, title, what in MISSED_KINDS:
        items = r.missed.group(kind)
        if not items:
            continue
        by_reason = ", ".join(f"{k}: {_n(v)}" for k, v in reasons.get(kind, {}).items())
        parts.append(f"<h3>{_e(title)} ({_n(len(items))})</h3><p class=\"note\">{_e(what)}"
                     f"{'; ' + _e(by_reason) if by_reason else ''}</p>")
        if kind == "out_of_scope":
            parts.append(_by_host(items))
            continue
        limit = MISSED_LIMIT if kind in ("requisites", "failed") else MISSED_OTHER_LIMIT
        parts.append("<table><thead><tr><th>URL</th><th>why</th></tr></thead><tbody>"
                     f"{_url_rows(items, limit)}</tbody></table>"
                     f"{_more(min(len(items), limit), len(items), 'URLs')}")
    parts.append("</section>\n")
    return "".join(parts)


def _by_host(items: list[MissedURL]) -> str:
    """URLs left out of scope, counted by host (mostly other sites: share buttons, embeds)."""
    hosts: dict[str, int] = {}
    for item in items:
        url = item.url
        host = url.split("//", 1)[-1].split("/", 1)[0].lower() or "-"
        hosts[host] = hosts.get(host, 0) + 1
    ranked = sorted(hosts.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = "".join(f'<tr><td class="url"><code>{_e(h)}</code></td><td class="n">{_n(n)}</td>'
                   "</tr>" for h, n in ranked[:HOSTS_LIMIT])
    more = _more(min(len(ranked), HOSTS_LIMIT), len(ranked), "hosts")
    return ('<table><thead><tr><th>host</th><th class="n">URLs</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>{more}")


def _changes(r: Report) -> str:
    ch = r.changes
    head = '<section id="changes"><h2>What changed since the previous crawl</h2>'
    if ch.before is None or ch.note:
        return head + f'<p class="lead">{_e(ch.note or "No earlier crawl.")}</p></section>\n'
    chart = bars([(k, float(ch.counts.get(k, 0)), _CHANGE_COLOUR[k])
                  for k in (*_CHANGE_ORDER, "unchanged")],
                 f"pages by change from crawl {ch.before} to {ch.after}", label_width=110)
    rows = []
    for page in ch.pages[:CHANGES_LIMIT]:
        kind = str(page.get("change", ""))
        reason = f" ({page['reason']})" if page.get("reason") else ""
        url = str(page.get("url", ""))
        ts = page.get("after") if kind in ("new", "changed", "unlinked") else page.get("before")
        cell = (_link(_replay(r, str(ts), url), url) if isinstance(ts, str) and ts
                else f"<code>{_e(url)}</code>")
        target = (f'<br><span class="note">now at <code>{_e(page["location"])}</code></span>'
                  if page.get("location") else "")
        rows.append(f'<tr><td><span class="pill" style="background:'
                    f'{_CHANGE_COLOUR.get(kind, "#8a8f98")}">{_e(kind)}</span>{_e(reason)}'
                    f'</td><td class="url">{cell}{target}</td></tr>')
    table = ("<table><thead><tr><th>change</th><th>page (its capture in replay)</th></tr>"
             f"</thead><tbody>{''.join(rows)}</tbody></table>" if rows
             else '<p class="note">Every page is unchanged.</p>')
    return (head + f'<p class="lead">From crawl {_e(ch.before)} to crawl {_e(ch.after)}, '
            "pages compared by their own content, not the site's template (as "
            "<code>preserve diff</code>).</p>"
            f"{chart}{table}{_more(min(len(ch.pages), CHANGES_LIMIT), len(ch.pages), 'pages')}"
            "</section>\n")


def _replay(r: Report, timestamp: str, url: str) -> str:
    return replay_url(r.replay_base, timestamp, url)


def _fixity(r: Report) -> str:
    f = r.fixity
    head = '<section id="fixity"><h2>Fixity</h2>'
    if not f.files:
        why = f"Not known: {f.note}" if f.note else "No file to verify."
        return head + f'<p class="lead">{_e(why)}</p></section>\n'
    chart = bars([(k, float(n), _FIXITY_COLOUR.get(k, "#8a8f98")) for k, n in f.counts.items()],
                 "files by the outcome of their last fixity check", label_width=90)
    order = {"failed": 0, "never": 1, "overdue": 2, "gone": 3, "ok": 4}
    files = sorted(f.files, key=lambda x: (order.get(x.status, 5), x.path))
    rows = "".join(
        f'<tr><td class="url"><code>{_e(x.path)}</code></td><td><span class="pill" '
        f'style="background:{_FIXITY_COLOUR.get(x.status, "#8a8f98")}">{_e(x.status)}</span>'
        f"</td><td>{_e(format_time(x.last_check))}</td><td>{_e(x.detail)}</td></tr>"
        for x in files[:FIXITY_LIMIT])
    last = (f"The last check was at {_e(format_time(f.last_check))}." if f.last_check
            else "No file has been verified yet: run <code>preserve verify</code>.")
    return (head + f'<p class="lead">When each file was last verified and the outcome (as '
            f"<code>preserve audit</code>). {last}</p>{chart}"
            "<table><thead><tr><th>file</th><th>status</th><th>last checked</th>"
            f"<th>detail</th></tr></thead><tbody>{rows}</tbody></table>"
            f"{_more(min(len(files), FIXITY_LIMIT), len(files), 'files')}</section>\n")


def _articles(r: Report) -> Iterator[str]:
    head = '<section id="articles"><h2>Articles</h2>'
    if r.articles is None:
        yield (head + '<p class="lead">The collection has not been normalised: run '
               "<code>preserve normalise</code> to list its articles.</p></section>\n")
        return
    yield (head + f'<p class="lead">{_e(plural(len(r.articles), "article"))} (the latest '
           f"capture of each), newest first; {_e(plural(r.other_pages, 'other page'))} "
           "(listings, static pages) not listed. Each title opens its capture in replay."
           "</p><table><thead><tr><th>title</th><th>published</th><th>author</th>"
           "<th>captured</th></tr></thead><tbody>")
    for a in r.articles[:ARTICLES_LIMIT]:
        yield (f"<tr><td>{_link(a.replay, a.title)}<br><span class=\"note\"><code>"
               f"{_e(a.url)}</code></span></td><td>{_e((a.published or '')[:10])}</td>"
               f"<td>{_e(', '.join(a.authors))}</td><td>{_e(_ts(a.timestamp))}</td></tr>")
    yield ("</tbody></table>" + _more(min(len(r.articles), ARTICLES_LIMIT), len(r.articles),
                                       "articles") + "</section>\n")


def _ts(ts: str) -> str:
    return f"{ts[:4]}-{ts[4:6]}-{ts[6:8]} {ts[8:10]}:{ts[10:12]}"

"""Report benchmark (issue 17): time and peak memory of ``preserve report`` on a
20,000-page collection, and on one a tenth of its size to show how memory grows.

Each collection is built once (deterministically, in a work directory, and reused) by
preserve's own WARC writer (store/warc.py) with its dedup, as a crawl writes it: two
numbered crawls in the crawl registry, the second a recrawl. Crawl 1 captures N pages
(about 6 KB of HTML each, over 20 hosts) and an image for every fifth page; 1% of the
images answer 404 (requisites missed) and 0.5% of the pages 500 (failed). Crawl 2
captures the same URLs again: 90% of the pages and every image unchanged (revisits), 8%
changed, 1% gone (404), and 1% new pages. Each crawl's log has a line per URL and two
out-of-scope share links per page. The indexes are built by ``build_indexes``;
``normalised/articles.jsonl`` is written directly (one article line per page capture,
as normalise writes them, with a 1.5 KB body), since normalising 40,000 pages would take
most of an hour here and the report only reads the file; then ``preserve verify`` runs
once, so the event log holds real fixity checks.

Each round runs ``preserve report COLL -o FILE -q`` as a child process and takes its
wall time, CPU time and max RSS from wait4; the figures are the medians of the rounds.
They replace the Report section of docs/benchmarks.md (between its markers). Run from
the repository::

    .venv/bin/python bench/report.py [--pages 2000,20000] [--rounds 3] [--workdir DIR]
    .venv/bin/python bench/report.py --quick      # 500 and 2,000 pages; prints only
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from harness import log, machine, measure, median, publish  # noqa: E402

from preserve import __version__  # noqa: E402
from preserve.collection import Collection  # noqa: E402
from preserve.config import CollectionConfig, CrawlConfig, Description  # noqa: E402
from preserve.store.crawllog import CrawlLog  # noqa: E402
from preserve.store.fixity import FixityManifest  # noqa: E402
from preserve.store.indexer import build_indexes  # noqa: E402
from preserve.store.pages import page_id  # noqa: E402
from preserve.store.state import CrawlRegistry, StateDB  # noqa: E402
from preserve.store.warc import ClosedWarc, Original, WarcWriter  # noqa: E402
from preserve.web.exchange import Exchange, ResponseBlock  # noqa: E402

START = "<!-- bench:report:start -->"
END = "<!-- bench:report:end -->"
HOSTS = 20
WORDS = ("parliament committee vote budget region farmers fisheries transport energy "
         "climate citizens petition rights report plenary amendment council member "
         "strategy funding research digital market health water rural jobs youth").split()
CRAWL_TIMES = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
AUTHORS = ("Mairi Campbell", "Callum Reid", "Ailsa Brodie", "Ewan Fraser")


class BenchError(Exception):
    pass


class _Digests:
    """The writer's dedup index, in memory (a crawl keeps it in SQLite)."""

    def __init__(self) -> None:
        self.seen: dict[str, Original] = {}

    def lookup(self, payload_digest: str) -> Original | None:
        return self.seen.get(payload_digest)

    def add(self, payload_digest: str, original: Original) -> None:
        self.seen.setdefault(payload_digest, original)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _page(host: str, n: int, version: int) -> tuple[bytes, str, str, str]:
    """(HTML, title, author, published) of page ``n``; ``version`` 1 is changed."""
    rng = random.Random(n)
    title = _text(rng, 6).capitalize()
    author = AUTHORS[n % len(AUTHORS)]
    published = (datetime(2020, 1, 1) + timedelta(days=n % 2000)).date().isoformat()
    paragraphs = [_text(rng, 80) for _ in range(8)]
    if version:
        paragraphs[0] = "Updated: " + _text(random.Random(n + 7 * version), 80)
    nav = "".join(f'<li><a href="/section/{k}/">{WORDS[k]}</a></li>' for k in range(12))
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    image = f'<img src="/media/{n}.jpg" alt="">' if n % 5 == 0 else ""
    share = (f'<a href="https://share.example/?u=http://{host}/news/{n}/">share</a>'
             f'<a href="https://social.example/post?u=http://{host}/news/{n}/">post</a>')
    html = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"</head><body><nav><ul>{nav}</ul></nav><main><article><h1>{title}</h1>"
            f"<p class=byline>By {author}, {published}</p>{image}{body}</article></main>"
            f"<footer>{share}</footer></body></html>")
    return html.encode(), title, author, published


def _exchange(url: str, when: datetime, status: int, ctype: str, body: bytes) -> Exchange:
    reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    block = ResponseBlock()
    block.write(head)
    block.mark_headers_end()
    block.write(body)
    host = url.split("/")[2]
    request = f"GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    return Exchange(url, "GET", when, request, block, status, reason,
                    [("Content-Type", ctype), ("Content-Length", str(len(body)))],
                    ip="127.0.0.1")


class _Crawl:
    """Writes one crawl's WARCs, log and registry entries."""

    def __init__(self, coll: Collection, registry: CrawlRegistry, digests: _Digests,
                 index: int) -> None:
        self.coll, self.registry, self.when = coll, registry, CRAWL_TIMES[index]
        self.crawl = registry.start(self.when.isoformat().replace("+00:00", "Z"), {}).id
        self.closed: list[ClosedWarc] = []
        self.writer = WarcWriter(coll.warcs, f"{coll.name}-{self.crawl}",
                                 warcinfo=[("software", f"preserve/{__version__} bench")],
                                 max_size=100_000_000, dedup=digests,
                                 on_close=self.closed.append, clock=lambda: self.when)
        self.log = CrawlLog(coll.crawl_log_path(self.crawl))
        self.tally = {"captured": 0, "revisits": 0, "page_captures": 0, "failures": 0,
                      "bytes": 0}
        self.articles: list[dict[str, Any]] = []
        self.seconds = 0

    def capture(self, url: str, status: int, ctype: str, body: bytes, hops: str,
                via: str | None) -> str:
        self.seconds += 1
        when = self.when + timedelta(seconds=self.seconds)
        ex = _exchange(url, when, status, ctype, body)
        self.writer.begin()
        response, _ = self.writer.write_exchange(ex)
        ex.close()
        revisit = response.record_type == "revisit"
        self.tally["captured"] += 1
        self.tally["revisits"] += revisit
        self.tally["bytes"] += len(body)
        if status == 200 and ctype.startswith("text/html"):
            self.tally["page_captures"] += 1
        self.tally["failures"] += status >= 400
        self.log.write(time=when.isoformat().replace("+00:00", "Z"), url=url, status=status,
                       bytes=len(body), mime=ctype.split(";")[0], via=via, hops=hops,
                       outcome="revisit" if revisit else "captured")
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def out_of_scope(self, url: str, via: str) -> None:
        self.log.write(time=self.when.isoformat().replace("+00:00", "Z"), url=url,
                       via=via, hops="LL", outcome="out-of-scope", error="out-of-scope")

    def finish(self) -> None:
        self.writer.close()
        self.log.close()
        manifest = FixityManifest(self.coll.manifest_path)
        for c in self.closed:
            self.registry.checkpoint(self.crawl, c.path.name, c.size)
            self.registry.mark_closed(c.path.name)
            manifest.add(Collection.warc_rel(c.path.name), c.sha256)
        finished = (self.when + timedelta(seconds=self.seconds)).isoformat()
        self.registry.finish(self.crawl, finished.replace("+00:00", "Z"), "finished",
                             {**self.tally, "crawl": self.crawl})


def _article(url: str, title: str, author: str, published: str, when: str,
             rng: random.Random) -> dict[str, Any]:
    return {"id": page_id(url, when), "url": url, "page_type": "article",
            "title": title, "authors": [author], "published": published,
            "site_name": url.split("/")[2], "language": "en",
            "body_text": _text(rng, 220), "word_count": 220,
            "provenance": {"capture_time": when}}


def build(root: Path, pages: int) -> Collection:
    """The collection of ``pages`` pages (twice crawled), built once and reused."""
    done = root.parent / f".{root.name}.complete"
    if done.exists():
        return Collection(root)
    if root.exists():
        shutil.rmtree(root)
    coll = Collection.create(root, CollectionConfig(
        Description(title=f"Report benchmark: {pages:,} pages",
                    description="A synthetic collection written by bench/report.py."),
        CrawlConfig(seeds=tuple(f"http://site{h:02d}.bench.example/" for h in range(HOSTS)))))
    db = StateDB(coll.state_db)
    digests = _Digests()
    articles = []
    rng = random.Random(5)
    try:
        registry = CrawlRegistry(db)
        for index in (0, 1):
            crawl = _Crawl(coll, registry, digests, index)
            count = pages if index == 0 else pages + pages // 100
            for n in range(count):
                host = f"site{n % HOSTS:02d}.bench.example"
                url = f"http://{host}/news/{n}/"
                if index == 0 and n >= pages:
                    continue
                if index == 1 and n % 100 == 1:  # gone
                    crawl.capture(url, 404, "text/html; charset=utf-8", b"gone", "C", None)
                    continue
                failing = index == 0 and n % 200 == 3
                version = 1 if index == 1 and n % 100 in (2, 3, 4, 5, 6, 7, 8, 9) else 0
                html, title, author, published = _page(host, n, version)
                if failing:
                    crawl.capture(url, 500, "text/html; charset=utf-8", b"error", "L",
                                  f"http://{host}/")
                    continue
                when = crawl.capture(url, 200, "text/html; charset=utf-8", html, "L",
                                     f"http://{host}/")
                articles.append(_article(url, title, author, published, when, rng))
                if n % 5 == 0:
                    image = f"http://{host}/media/{n}.jpg"
                    if n % 500 == 0:
                        crawl.capture(image, 404, "text/html", b"no such image", "LE", url)
                    else:
                        data = random.Random(n).randbytes(20_000)
                        crawl.capture(image, 200, "image/jpeg", data, "LE", url)
                crawl.out_of_scope(f"https://share.example/?u={url}", url)
                crawl.out_of_scope(f"https://social.example/post?u={url}", url)
            crawl.finish()
    finally:
        db.close()
    log(f"  {coll.root.name}: WARCs written; indexing")
    build_indexes(coll)
    coll.normalised.mkdir(exist_ok=True)
    with open(coll.articles_path, "w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps(a) + "\n")
    log(f"  {coll.root.name}: verifying")
    subprocess.run([sys.executable, "-m", "preserve", "verify", str(root), "--quiet"],
                   check=False, stdout=subprocess.DEVNULL)
    done.write_text(str(pages))
    return coll


def run(coll: Collection, pages: int, rounds: int, work: Path) -> dict[str, Any]:
    out = work / "run" / f"report-{pages}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "preserve", "report", str(coll.root), "-o", str(out), "-q"]
    runs = []
    for i in range(rounds):
        r = measure(command, out.parent)
        if r.status != 0:
            raise BenchError(f"preserve report exited {r.status}: "
                             + (work / "err.txt").read_text()[-500:])
        log(f"  round {i + 1}: {r.wall:.2f} s wall, {r.cpu:.2f} s CPU, "
            f"{r.max_rss_kb / 1024:.1f} MB")
        runs.append(r)
    data = json.loads(subprocess.run(
        [sys.executable, "-m", "preserve", "report", str(coll.root), "--json"],
        capture_output=True, text=True, check=True).stdout)
    warc_bytes = sum(p.stat().st_size for p in coll.closed_warcs())
    return {"urls": pages, "pages": data["collection_pages"], "records": sum(
                1 for _ in open(coll.index_path, "rb")),
            "warc_bytes": warc_bytes, "articles": len(data["articles"]),
            "missed": sum(data["missed"]["counts"].values()),
            "changed": sum(v for k, v in data["changes"]["counts"].items()
                           if k != "unchanged"),
            "html_bytes": out.stat().st_size,
            "wall": median([r.wall for r in runs]), "cpu": median([r.cpu for r in runs]),
            "rss_mb": median([r.max_rss_kb / 1024 for r in runs]),
            "walls": [r.wall for r in runs]}


def render(results: list[dict[str, Any]], rounds: int, startup: dict[str, float]) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        "Written by `bench/report.py`; edit the script, not this text.",
        "",
        f"- **Date:** {now}; {rounds} round(s) of each report; medians.",
        f"- **Machine:** {machine()}; shared and noisy.",
        f"- **Versions:** preserve {__version__}, Python {sys.version.split()[0]}.",
        "- **Collections:** written by preserve's WARC writer (store/warc.py), as a crawl "
        "writes them: two crawls of N pages over 20 hosts (about 6 KB of HTML each, an "
        "image for every fifth page), the second a recrawl (90% of the pages unchanged, "
        "8% changed, 1% gone, 1% new: revisits, a diff to compute); 1% of the images "
        "404 and 0.5% of the pages 500; two out-of-scope links per page in each crawl "
        "log; indexes by `build_indexes`, articles.jsonl written directly, the event log "
        "by a real `preserve verify`.",
        "- **Method:** `python -m preserve report COLL -o FILE -q` in a child process of "
        "a script that built nothing itself (the collections are built by another); "
        "wall time, CPU time (user+sys) and max RSS from `wait4`, interpreter start-up "
        f"included (`python -m preserve --version` alone: {startup['cpu']:.2f} s CPU, "
        f"{startup['rss_mb']:.1f} MB).",
        "",
        "| pages (URLs) | page captures (pages.jsonl) | index records | WARC bytes "
        "| articles listed | URLs missed | pages changed | HTML written | wall s | CPU s "
        "| max RSS MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['urls']:,} | {r['pages']:,} | {r['records']:,} "
            f"| {r['warc_bytes'] / 1e6:.0f} MB "
            f"| {r['articles']:,} | {r['missed']:,} | {r['changed']:,} "
            f"| {r['html_bytes'] / 1e3:.0f} KB | {r['wall']:.2f} | {r['cpu']:.2f} "
            f"| {r['rss_mb']:.1f} |")
    small, large = results[0], results[-1]
    if len(results) > 1:
        lines += [
            "",
            f"- From {small['urls']:,} to {large['urls']:,} pages "
            f"({large['urls'] / small['urls']:.1f}x): time {large['wall'] / small['wall']:.1f}x,"
            f" max RSS {large['rss_mb'] / small['rss_mb']:.2f}x. What memory holds grows "
            "with the missed URLs (two out-of-scope links per page), the changed pages "
            "and one short row per article; the WARCs are never read but for the changed "
            "pages' records, and the index, logs and articles.jsonl are streamed.",
        ]
    lines += ["- Every round's wall time: " + "; ".join(
        f"{r['urls']:,} pages: " + ", ".join(f"{w:.2f} s" for w in r["walls"])
        for r in results) + ".", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="time and memory of preserve report")
    p.add_argument("--pages", default="2000,20000",
                   help="collection sizes in pages, smallest first [default: 2000,20000]")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--workdir", type=Path, help="keep the collections here and reuse them")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--quick", action="store_true",
                   help="500 and 2,000 pages, one round; prints the section, writes nothing")
    p.add_argument("--build-only", type=int, metavar="PAGES", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.build_only:  # in a child, so that the timed runs fork from a small parent
        build(args.workdir / f"coll-{args.build_only}", args.build_only)
        return 0
    if args.quick:
        args.pages, args.rounds = "500,2000", 1
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "run").mkdir(exist_ok=True)
    up = measure([sys.executable, "-m", "preserve", "--version"], work / "run")
    startup = {"cpu": up.cpu, "rss_mb": up.max_rss_kb / 1024}
    results = []
    for size in (int(s) for s in args.pages.split(",")):
        log(f"building the collection of {size:,} pages")
        # Linux counts the parent's pages at fork in a child's max RSS: the collection
        # is built in a process of its own, not in the one that starts the timed runs.
        subprocess.run([sys.executable, __file__, "--workdir", str(work),
                        "--build-only", str(size)], check=True)
        coll = Collection(work / f"coll-{size}")
        log(f"reporting on {size:,} pages")
        results.append(run(coll, size, args.rounds, work))
    publish(render(results, args.rounds, startup), quick=args.quick, out=args.out,
            start=START, end=END, heading="Report")
    if not args.workdir:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench/report.py: {e}", file=sys.stderr)
        sys.exit(2)

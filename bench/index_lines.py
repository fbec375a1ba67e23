"""The index written while crawling (issue 19): what the end of a crawl costs, before and
after.

A crawl and a recrawl of the test site (served by its own process, ``--weight median``)
are made once with ``preserve crawl``. Then, for each, in this process and timed as CPU
of this thread, in rotating rounds:

- before: the end of the crawl as it was, ``build_indexes`` reading every closed WARC of
  the collection (after the recrawl, both crawls' WARCs);
- after: what the writer now does per record as it writes (``record_from_bytes`` and
  ``record_facts`` on the records of that crawl, in memory, as WarcWriter computes
  them), plus the merge at the end (``build_indexes(..., reuse_lines=True)``, which
  reads the index lines and no WARC).

The whole crawl's CPU per URL (from wait4) is given for scale. Medians; the figures
replace the "Index while crawling" section of docs/benchmarks.md. Run from the
repository::

    .venv/bin/python bench/index_lines.py [--articles 300] [--repeat 5] [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from crawl import serve, site_command  # noqa: E402
from harness import log, machine, measure, median, publish  # noqa: E402

from preserve.collection import Collection  # noqa: E402
from preserve.store.cdxj import is_indexed  # noqa: E402
from preserve.store.indexer import build_indexes, record_facts  # noqa: E402
from preserve.store.reader import read_records, record_from_bytes  # noqa: E402

START = "<!-- bench:index-lines:start -->"
END = "<!-- bench:index-lines:end -->"

Record = tuple[Path, int, int, bytes, bytes]


def records_of(coll: Collection, names: set[str]) -> list[Record]:
    """The indexed records of the WARCs ``names``, uncompressed: (path, offset, length,
    header block, block), as the writer has them in hand."""
    out = []
    for path in coll.closed_warcs():
        if path.name not in names:
            continue
        offsets = []
        with read_records(path) as reader:
            for record in reader:
                if is_indexed(record.rec_type, record.header("Content-Type")):
                    offsets.append((record.offset, record.length))
        data = path.read_bytes()
        for offset, length in offsets:
            raw = zlib.decompressobj(31).decompress(data[offset:offset + length])
            head, _, rest = raw.partition(b"\r\n\r\n")
            out.append((path, offset, length, head + b"\r\n\r\n", rest[:-4]))
    return out


def write_side(records: list[Record]) -> float:
    t0 = time.thread_time()
    for path, offset, length, head, block in records:
        record_facts(path, record_from_bytes(path, offset, length, head, [block]), path.name)
    return time.thread_time() - t0


def end_of_crawl(coll: Collection, reuse: bool) -> float:
    t0 = time.thread_time()
    build_indexes(coll, reuse_lines=reuse)
    return time.thread_time() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="the end of a crawl, with and without index lines")
    p.add_argument("--articles", type=int, default=300)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--quick", action="store_true", help="60 articles, 2 rounds; prints only")
    args = p.parse_args(argv)
    if args.quick:
        args.articles, args.repeat = 60, 2
    work = Path(tempfile.mkdtemp(prefix="bench-index-lines-"))
    python = sys.executable
    coll_dir = work / "coll"
    cwd = work / "run"  # measure() writes out.txt beside it, in work
    cwd.mkdir()
    crawls = []
    try:
        site = [*site_command(python, args.articles, 1, 0), "--weight", "median"]
        with serve(site, 1, work) as urls:
            for n in range(2):
                before = {p.name for p in coll_dir.glob("warcs/*.warc.gz")}
                seed = ["--seed", urls[0]] if n == 0 else []
                run = measure([python, "-m", "preserve", "crawl", str(coll_dir), *seed,
                               "--delay", "0", "--json", "--quiet"], cwd)
                if run.status != 0:
                    raise SystemExit(f"preserve crawl exited {run.status}")
                summary = json.loads((work / "out.txt").read_text())
                coll = Collection(coll_dir)
                names = {p.name for p in coll.closed_warcs()} - before
                crawls.append((summary["captured"], run.cpu, names))
                log(f"crawl {n + 1}: {summary['captured']} URLs, {run.cpu:.2f} s CPU")
        coll = Collection(coll_dir)
        index = coll.index_path.read_bytes(), coll.pages_path.read_bytes()
        rows = []
        for n, (urls_n, crawl_cpu, names) in enumerate(crawls):
            # The collection as it was at the end of crawl n: its WARCs and the earlier ones.
            keep = set().union(*(c[2] for c in crawls[: n + 1]))
            view = work / f"view{n}"
            shutil.copytree(coll_dir, view, ignore=lambda d, files, keep=keep: [
                f for f in files if f.endswith(".warc.gz") and f not in keep])
            vcoll = Collection(view)
            records = records_of(vcoll, names)
            old, new = [], []
            for r in range(args.repeat):
                for reuse in ((False, True) if r % 2 == 0 else (True, False)):
                    if reuse:
                        new.append(write_side(records) + end_of_crawl(vcoll, True))
                    else:
                        old.append(end_of_crawl(vcoll, False))
            rows.append((n, urls_n, crawl_cpu, len(keep), median(old), median(new)))
        assert (coll.index_path.read_bytes(), coll.pages_path.read_bytes()) == index
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/index_lines.py`. Machine: "
        f"{machine()}; Python {platform.python_version()}. The test site, "
        f"{args.articles} articles, `--weight median` (about 18 KB of HTML and 60 KB "
        f"images a page), crawled and then recrawled with `--delay 0`. Medians of "
        f"{args.repeat} rounds; CPU of the thread doing the work, in ms per captured URL.",
        "",
        "| crawl | URLs | whole crawl, CPU ms/URL | WARCs at its end | before: read every "
        "WARC | after: index lines as written + merge | after/before |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, urls_n, crawl_cpu, warcs, old, new in rows:
        lines.append(f"| {'first' if n == 0 else 'recrawl'} | {urls_n} | "
                     f"{crawl_cpu / urls_n * 1000:.2f} | {warcs} | {old / urls_n * 1000:.3f} | "
                     f"{new / urls_n * 1000:.3f} | {new / old:.2f} |")
    lines.append("")
    publish("\n".join(lines), quick=args.quick, out=args.out, start=START, end=END,
            heading="Index while crawling")
    return 0


if __name__ == "__main__":
    sys.exit(main())

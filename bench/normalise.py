"""Normalise benchmark (issue 3): memory and speed of ``preserve normalise`` on collections
of growing size.

Memory must stay flat whatever the collection's size: records are streamed and what is
remembered lives in SQLite. The script builds two collections (once, deterministically,
in a work directory and reused), a small and a large one (several GB), and runs
``preserve normalise`` on each, in a child process, measuring wall time, CPU time and
max RSS with wait4. Each collection holds copies of the 92 pages of the extraction
evaluation set (``../shared/extraction-eval/``: real pages of real sites, 184 KB each on
average), each copy under its own host and with its own payload digest, so every page is
extracted again (and found a duplicate of the first copy by its body hash), and as many
binary payloads of 50 KB to 2 MB (images, as in a real crawl, where they dominate the
bytes), which normalise must stream past. The figures replace the Normalise section of
docs/benchmarks.md (between its markers). Run from the repository::

    .venv/bin/python bench/normalise.py [--sizes 0.5GB,3GB] [--workdir DIR] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from harness import log, machine, measure, publish  # noqa: E402
from verify import _id, _record  # noqa: E402

from eval.dataset import EvalPage, default_root, load_pages  # noqa: E402
from preserve import __version__  # noqa: E402
from preserve.collection import Collection  # noqa: E402
from preserve.config import CollectionConfig, CrawlConfig, Description, parse_size  # noqa: E402
from preserve.store.records import warc_fields  # noqa: E402

START = "<!-- bench:normalise:start -->"
END = "<!-- bench:normalise:end -->"
FILE_SIZE = 500_000_000
# Peak memory may grow by at most this factor from the small collection to the large.
FLAT = 1.25


class BenchError(Exception):
    pass


def build(root: Path, total: int, pages: list[EvalPage]) -> tuple[Collection, int]:
    """A collection of ``total`` bytes of WARCs; returns it and its number of HTML pages."""
    done = root.parent / f".{root.name}.complete"
    if done.exists():
        return Collection(root), int(done.read_text())
    if root.exists():
        shutil.rmtree(root)
    coll = Collection.create(root, CollectionConfig(Description(title="normalise benchmark"),
                                                    CrawlConfig()))
    rng = random.Random(3)
    written = serial = html = copy = 0
    while written < total:
        name = f"bench-{serial:05d}.warc.gz"
        path = coll.warcs / name
        with open(path, "wb") as f:
            info = warc_fields([("software", "bench/normalise.py"),
                                ("format", "WARC File Format 1.1")])
            _record(f, [("WARC-Type", "warcinfo"), ("WARC-Record-ID", _id(rng)),
                        ("WARC-Date", "2026-12-01T00:00:00.000000Z"),
                        ("WARC-Filename", name)], info, None, payload=False)
            while f.tell() < FILE_SIZE and written + f.tell() < total:
                host = f"site{copy:04d}.bench.example"
                for i, page in enumerate(pages):
                    marker = f"<!-- copy {copy} -->".encode()  # a payload of its own
                    _response(f, rng, f"http://{host}/{i}", page.html + marker,
                              "text/html; charset=utf-8")
                    _response(f, rng, f"http://{host}/img/{i}.jpg",
                              rng.randbytes(rng.randint(50_000, 2_000_000)), "image/jpeg")
                    html += 1
                copy += 1
            size = f.tell()
        written += size
        serial += 1
        log(f"built {name}: {size / 1e6:.0f} MB ({written / 1e6:.0f} MB in all)")
    done.write_text(str(html))
    return coll, html


def _response(f: object, rng: random.Random, url: str, body: bytes, ctype: str) -> None:
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    _record(f, [("WARC-Type", "response"), ("WARC-Record-ID", _id(rng)),
                ("WARC-Date", "2026-12-01T00:00:00.000000Z"), ("WARC-Target-URI", url)],
            head + body, len(head))


def run(coll: Collection) -> dict[str, float]:
    out = coll.root / "normalised"
    if out.exists():
        shutil.rmtree(out)  # from scratch every time
    r = measure([sys.executable, "-m", "preserve", "normalise", "--quiet", "--json", "."],
                coll.root)
    if r.status != 0:
        err = (coll.root.parent / "err.txt").read_text(errors="replace").strip()
        raise BenchError(f"preserve normalise exited {r.status}: {err[-300:]}")
    summary = json.loads((coll.root.parent / "out.txt").read_text())
    size = sum(p.stat().st_size for p in coll.closed_warcs())
    return {"bytes": size, "pages": summary["pages"], "wall": r.wall, "cpu": r.cpu,
            "rss_mb": r.max_rss_kb / 1024, "duplicates": summary["duplicates"],
            "articles": summary["articles"]}


def render(results: list[dict[str, float]], eval_pages: int) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "", "Written by `bench/normalise.py`; edit the script, not this text.", "",
        f"- **Date:** {date}; one run per collection, from scratch.",
        f"- **Machine:** {machine()}; shared and noisy.",
        f"- **Versions:** preserve {__version__}, Python {sys.version.split()[0]}.",
        f"- **Collections:** copies of the {eval_pages} pages of `../shared/extraction-eval/` "
        "(real pages, 184 KB on average), each copy under its own host and with a payload "
        "of its own, so every page is extracted, and as many binary payloads of 50 KB to "
        "2 MB (images) that normalise streams past; gzip per record.",
        "- **Method:** `preserve normalise --quiet .` in a child process; wall time, CPU "
        "time (user+sys) and max RSS from `wait4`. Pages/s is HTML pages over wall time, "
        "both passes included (learning the site template, then extracting). Linux counts "
        "the script's own pages at spawn in a child's max RSS, so it is an upper bound.",
        "",
        "```sh",
        ".venv/bin/python bench/normalise.py",
        "```",
        "",
        "| WARCs | HTML pages | articles | duplicates | wall s | CPU s | pages/s | max RSS MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(f"| {r['bytes'] / 1e9:.2f} GB | {r['pages']:,} | {r['articles']:,} "
                     f"| {r['duplicates']:,} | {r['wall']:.1f} | {r['cpu']:.1f} "
                     f"| {r['pages'] / r['wall']:.1f} | {r['rss_mb']:.1f} |")
    small, large = results[0], results[-1]
    growth = large["rss_mb"] / small["rss_mb"]
    lines += [
        "",
        f"- **Memory:** from {small['bytes'] / 1e9:.2f} GB to {large['bytes'] / 1e9:.2f} GB "
        f"({large['bytes'] / small['bytes']:.1f}x the bytes, "
        f"{large['pages'] / small['pages']:.1f}x the pages), max RSS grows {growth:.2f}x "
        f"(flat: at most {FLAT}x; **{'met' if growth <= FLAT else 'missed'}**).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="memory and speed of preserve normalise")
    p.add_argument("--sizes", default="0.5GB,3GB",
                   help="collection sizes, smallest first [default: 0.5GB,3GB]")
    p.add_argument("--workdir", type=Path, help="keep the collections here and reuse them")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--quick", action="store_true",
                   help="collections of 40 and 120 MB; prints the section, writes nothing")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes = "40MB,120MB"
    eval_root = default_root()
    if not eval_root.is_dir():
        raise BenchError(f"the evaluation set is not at {eval_root}")
    pages = list(load_pages(eval_root))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-normalise-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes.split(","):
        total = parse_size(size)
        coll, _ = build(work / f"coll-{total}", total, pages)
        log(f"normalising {coll.root.name}")
        results.append(run(coll))
        r = results[-1]
        log(f"  {r['pages']} pages, {r['wall']:.1f} s, {r['rss_mb']:.1f} MB max RSS")
    section = render(results, len(pages))
    publish(section, quick=args.quick, out=args.out, start=START, end=END,
            heading="Normalise")
    if not args.workdir:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench/normalise.py: {e}", file=sys.stderr)
        sys.exit(2)

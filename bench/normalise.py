"""Normalise benchmark (issues 3 and 19): memory and speed of ``preserve normalise`` on
collections of growing size, and its rate against ``extract_article`` alone on the same
pages (issue 19's target: at least 90% of it).

Memory must stay flat whatever the collection's size: records are streamed and what is
remembered lives in SQLite. The script builds two collections (once, deterministically,
in a work directory and reused), a small and a large one (several GB), and runs
``preserve normalise`` on each, in a child process, measuring wall time, CPU time and
max RSS with wait4. The collections are indexed (``build_indexes``), as a crawl leaves
them, so normalise finds the pages through the index.

Speed is measured on the smallest collection in paired rounds (default 3), the
contenders taking turns in a rotating order so a slow spell of this shared machine falls
on all: this tree's ``preserve normalise``; with ``--before REV``, the same command of
revision REV (its ``src/``, exported with ``git archive``, first on the path); and
``extract_article`` alone over the same pages (a child reads them, untimed, and times
the calls; it also reports the CPU of its own start, the interpreter and extraction's
imports, so the comparison can be made like for like: normalise's figure counts its
start-up). Every child keeps its compiled modules, as an installed preserve does. The
figures are medians over the rounds, and the ratio to extraction is the median of each
round's ratio. Each collection holds copies of the 92 pages of the extraction
evaluation set (``../shared/extraction-eval/``: real pages of real sites, 184 KB each on
average), each copy under its own host and with its own payload digest, so every page is
extracted again (and found a duplicate of the first copy by its body hash), and as many
binary payloads of 50 KB to 2 MB (images, as in a real crawl, where they dominate the
bytes), which normalise must stream past. The figures replace the Normalise section of
docs/benchmarks.md (between its markers). Run from the repository::

    .venv/bin/python bench/normalise.py [--sizes 0.5GB,3GB] [--rounds 3] [--before REV]
        [--workdir DIR] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from harness import log, machine, measure, median, publish  # noqa: E402
from verify import _id, _record  # noqa: E402

from eval.dataset import EvalPage, default_root, load_pages  # noqa: E402
from preserve import __version__  # noqa: E402
from preserve.collection import Collection  # noqa: E402
from preserve.config import CollectionConfig, CrawlConfig, Description, parse_size  # noqa: E402
from preserve.store.indexer import build_indexes  # noqa: E402
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
        coll = Collection(root)
        if not coll.index_path.is_file():
            build_indexes(coll)  # a collection built before normalise read the index
        return coll, int(done.read_text())
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
    build_indexes(coll)
    done.write_text(str(html))
    return coll, html


def _response(f: object, rng: random.Random, url: str, body: bytes, ctype: str) -> None:
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    _record(f, [("WARC-Type", "response"), ("WARC-Record-ID", _id(rng)),
                ("WARC-Date", "2026-12-01T00:00:00.000000Z"), ("WARC-Target-URI", url)],
            head + body, len(head))


def run(coll: Collection, src: Path | None = None) -> dict[str, float]:
    """``preserve normalise`` from scratch, of this tree or of the ``src`` given."""
    out = coll.root / "normalised"
    if out.exists():
        shutil.rmtree(out)  # from scratch every time
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(src or ROOT / "src")
    try:
        r = measure([sys.executable, "-m", "preserve", "normalise", "--quiet", "--json", "."],
                    coll.root)
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    if r.status != 0:
        err = (coll.root.parent / "err.txt").read_text(errors="replace").strip()
        raise BenchError(f"preserve normalise exited {r.status}: {err[-300:]}")
    summary = json.loads((coll.root.parent / "out.txt").read_text())
    size = sum(p.stat().st_size for p in coll.closed_warcs())
    return {"bytes": size, "pages": summary["pages"], "wall": r.wall, "cpu": r.cpu,
            "rss_mb": r.max_rss_kb / 1024, "duplicates": summary["duplicates"],
            "articles": summary["articles"]}


# The extraction child: run with ``python -c`` so that what it counts as its start (the
# interpreter and extraction's imports, up to the first process_time) is extraction's
# own, not this script's. It reads each page as normalise reads it (untimed), then
# prints the pages, the seconds spent in the calls (wall and CPU) and its start's CPU.
EXTRACT_CHILD = """
import time
from preserve.normalise.extract import extract_article
from preserve.web.html import http_charset
start = time.process_time()
import json, sys
from pathlib import Path
from preserve.collection import Collection
from preserve.normalise.records import iter_captures
pages, wall, cpu = 0, 0.0, 0.0
for path in Collection(Path(sys.argv[1])).closed_warcs():
    for cap in iter_captures(path):
        if cap.is_revisit:
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        extract_article(cap.payload, cap.url, http_charset=http_charset(cap.content_type))
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        pages += 1
print(json.dumps({"pages": pages, "wall": wall, "cpu": cpu, "start": start}))
"""


def cache_bytecode(work: Path) -> None:
    """Let every child keep its compiled modules (in ``work``, not the checkout), as an
    installed preserve does: compiling the sources on every run would be timed too."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")


def run_extract(coll: Collection) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", EXTRACT_CHILD, str(coll.root)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    if proc.returncode != 0:
        raise BenchError(f"the extraction child exited {proc.returncode}: "
                         f"{proc.stderr.strip()[-300:]}")
    out: dict[str, float] = json.loads(proc.stdout)
    return out


def export_src(rev: str, into: Path) -> Path:
    """The ``src/`` of revision ``rev``, exported into ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        raise BenchError(f"git archive {rev}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def speed(coll: Collection, rounds: int, before: Path | None) -> dict[str, list[dict[str, float]]]:
    """Paired rounds on ``coll``: each contender once a round, in a rotating order."""
    names = ["after", "extract"] + (["before"] if before else [])
    runs: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    log("  warming up (each contender once, untimed: the compiled modules are kept)")
    run_extract(coll)
    run(coll)
    if before:
        run(coll, before)
    for i in range(rounds):
        for name in names[i % len(names):] + names[:i % len(names)]:
            if name == "extract":
                r = run_extract(coll)
            else:
                r = run(coll, before if name == "before" else None)
            runs[name].append(r)
            log(f"  round {i + 1} {name}: {r['pages']} pages, {r['wall']:.1f} s wall")
    return runs


def render_speed(runs: dict[str, list[dict[str, float]]], before: str | None) -> list[str]:
    label = {"after": "`preserve normalise` (this tree)",
             "before": f"`preserve normalise` at {before}",
             "extract": "`extract_article` alone (time in the calls only)",
             "started": "`extract_article` alone, with its start-up (interpreter, imports)"}
    # Extraction with its own start-up counted, as normalise's figure counts its own.
    runs = {**runs, "started": [{**r, "cpu": r["cpu"] + r["start"]} for r in runs["extract"]]}
    lines = ["| run | pages | wall s | CPU s | pages/CPU s | of extraction's rate |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    rates = {n: [r["pages"] / r["cpu"] for r in rs] for n, rs in runs.items()}
    for name in ("extract", "started", "before", "after"):
        if name not in runs:
            continue
        rs = runs[name]
        share = median([a / b for a, b in zip(rates[name], rates["extract"], strict=True)])
        lines.append(f"| {label[name]} | {int(rs[0]['pages']):,} "
                     f"| {median([r['wall'] for r in rs]):.2f} "
                     f"| {median([r['cpu'] for r in rs]):.2f} "
                     f"| {median(rates[name]):.1f} | {share:.0%} |")
    after = median([a / b for a, b in zip(rates["after"], rates["extract"], strict=True)])
    alike = median([a / b for a, b in zip(rates["after"], rates["started"], strict=True)])
    lines += ["", f"- **Target** (issue 19): normalise at least 90% of extraction's rate: "
              f"{after:.0%}, **{'met' if after >= 0.9 else 'missed'}**.",
              f"- **Like for like** (both with their start-up counted): normalise at {alike:.0%} "
              "of the rate of extraction with its start-up (the wall time of extraction's row "
              "is still that of the calls only)."]
    if "before" in runs:
        gain = median([a / b for a, b in zip(rates["after"], rates["before"], strict=True)])
        lines.append(f"- **Before and after:** this tree normalises {gain:.2f}x as many "
                     "pages a second as the revision before (median of the rounds' ratios).")
    return lines


def render(results: list[dict[str, float]], eval_pages: int,
           runs: dict[str, list[dict[str, float]]], rounds: int, before: str | None) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "", "Written by `bench/normalise.py`; edit the script, not this text.", "",
        f"- **Date:** {date}.",
        f"- **Machine:** {machine()}; shared and noisy.",
        f"- **Versions:** preserve {__version__}, Python {sys.version.split()[0]}.",
        f"- **Collections:** copies of the {eval_pages} pages of `../shared/extraction-eval/` "
        "(real pages, 184 KB on average), each copy under its own host and with a payload "
        "of its own, so every page is extracted, and as many binary payloads of 50 KB to "
        "2 MB (images) that normalise skips; gzip per record; indexed (`indexes/index.cdxj`) "
        "as a crawl leaves a collection.",
        "- **Method:** `preserve normalise --quiet .` in a child process, from scratch; wall "
        "time, CPU time (user+sys) and max RSS from `wait4`. Pages/s is HTML pages over "
        "wall time, everything included (start-up, reading, learning the site template, "
        "extracting, writing). Linux counts the script's own pages at spawn in a child's "
        "max RSS, so it is an upper bound.",
        f"- **Speed:** on the {results[0]['bytes'] / 1e9:.2f} GB collection, {rounds} paired "
        "rounds in a rotating order, medians; `extract_article` alone is timed over the same "
        "pages in a child that reads them first (its times count only the calls). Rates are "
        "pages per CPU second: on this shared machine wall time mostly measures the other "
        "jobs. Normalise's count everything, its start-up (imports) included; the second "
        "extraction row adds the extraction child's own start (the interpreter and "
        "extraction's imports) to its calls, for a like-for-like figure. Each contender runs "
        "once untimed first, and every child keeps its compiled modules (as an installed "
        "preserve does).",
        "",
        "```sh",
        ".venv/bin/python bench/normalise.py" + (f" --before {before}" if before else ""),
        "```",
        "",
        *render_speed(runs, before),
        "",
        "| WARCs | HTML pages | articles | duplicates | wall s | CPU s | pages/s | pages/CPU s "
        "| extraction, pages/CPU s | of extraction's rate | max RSS MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        rate, alone = r["pages"] / r["cpu"], r["pages"] / r["extract_cpu"]
        lines.append(f"| {r['bytes'] / 1e9:.2f} GB | {r['pages']:,} | {r['articles']:,} "
                     f"| {r['duplicates']:,} | {r['wall']:.1f} | {r['cpu']:.1f} "
                     f"| {r['pages'] / r['wall']:.1f} | {rate:.1f} | {alone:.1f} "
                     f"| {rate / alone:.0%} | {r['rss_mb']:.1f} |")
    small, large = results[0], results[-1]
    growth = large["rss_mb"] / small["rss_mb"]
    # What a page more costs, and what is paid once a run (start-up, writing, the
    # search index's end), from the two collections' CPU: normalise's against extraction's.
    pages = large["pages"] - small["pages"]
    each = (large["cpu"] - small["cpu"]) / pages
    each_alone = (large["extract_cpu"] - small["extract_cpu"]) / pages
    once = small["cpu"] - small["pages"] * each
    large_share = large["pages"] / large["cpu"] / (large["pages"] / large["extract_cpu"])
    lines += [
        "",
        f"- **Rate on each collection** (pages per CPU second of the same run against "
        "extraction's calls on the same pages; one run each, the smallest collection's is "
        f"the median round above): on the {large['bytes'] / 1e9:.2f} GB collection "
        f"normalise runs at {large_share:.0%} of extraction's rate (target 90%: "
        f"**{'met' if large_share >= 0.9 else 'missed'}** there). A page more costs "
        f"normalise {each * 1000:.1f} ms of CPU and extraction {each_alone * 1000:.1f} ms "
        f"({each_alone / each:.0%}); " + (
            f"about {once:.1f} s of normalise's CPU is paid once a run whatever its size "
            "(start-up, writing the outputs, the search index), which weighs on a small "
            "collection." if once >= 0 else
            "what is paid once a run (start-up, writing the outputs, the search index) is "
            f"within this run's noise (the two collections' CPU gives {once:.1f} s)."),
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
    p.add_argument("--rounds", type=int, default=3, help="paired speed rounds [default: 3]")
    p.add_argument("--before", metavar="REV",
                   help="also time preserve normalise of git revision REV")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes = "40MB,120MB"
    eval_root = default_root()
    if not eval_root.is_dir():
        raise BenchError(f"the evaluation set is not at {eval_root}")
    pages = list(load_pages(eval_root))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-normalise-"))
    work.mkdir(parents=True, exist_ok=True)
    cache_bytecode(work)
    results = []
    runs: dict[str, list[dict[str, float]]] = {}
    before = export_src(args.before, Path(tempfile.mkdtemp(prefix="bench-before-"))
                        ) if args.before else None
    for n, size in enumerate(args.sizes.split(",")):
        total = parse_size(size)
        coll, _ = build(work / f"coll-{total}", total, pages)
        if n == 0:
            log(f"speed rounds on {coll.root.name}")
            runs = speed(coll, args.rounds, before)
            ordered = sorted(runs["after"], key=lambda r: r["cpu"])
            extract = sorted(r["cpu"] for r in runs["extract"])
            # the median run, beside extraction's median
            results.append({**ordered[len(ordered) // 2],
                            "extract_cpu": extract[len(extract) // 2]})
            continue
        log(f"normalising {coll.root.name}")
        results.append({**run(coll), "extract_cpu": run_extract(coll)["cpu"]})
        r = results[-1]
        log(f"  {r['pages']} pages, {r['wall']:.1f} s, {r['rss_mb']:.1f} MB max RSS")
    section = render(results, len(pages), runs, args.rounds, args.before)
    publish(section, quick=args.quick, out=args.out, start=START, end=END,
            heading="Normalise")
    if not args.workdir:
        shutil.rmtree(work)
    if before:
        shutil.rmtree(before.parent)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench/normalise.py: {e}", file=sys.stderr)
        sys.exit(2)

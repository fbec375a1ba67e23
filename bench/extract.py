"""Extraction benchmark (issue 3): pages per second on one core over the evaluation set,
preserve side by side with trafilatura (default and fast) and readability-lxml, with each
one's F1 measured in the same run.

The process is pinned to one CPU. Each extractor reads every page of
``../shared/extraction-eval/`` once as a warm-up (imports, caches); then ``--repeat``
rounds time one pass of each extractor, the order rotating each round, so a slow spell
of the shared machine falls on all alike. The figure is pages divided by the median
pass's CPU time (user+sys of this process); the speed ratios are medians of the paired
(same-round) ratios. F1, precision and recall are the benchmark's metric (eval/score.py). The
figures replace the Extraction section of docs/benchmarks.md (between its markers),
leaving the other sections alone::

    .venv/bin/python bench/extract.py [--repeat N] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import write_section  # noqa: E402

from eval.dataset import EvalPage, default_root, load_pages  # noqa: E402
from eval.extractors import EXTRACTORS  # noqa: E402
from eval.score import aggregate, page_score  # noqa: E402

START = "<!-- bench:extract:start -->"
END = "<!-- bench:extract:end -->"
DOC_HEAD = "# Benchmarks\n"
NAMES = ("preserve", "trafilatura", "trafilatura-precision", "trafilatura-fast",
         "readability-lxml")
TARGET_PAGES_PER_S = 100.0


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def score(name: str, pages: list[EvalPage]) -> dict[str, float]:
    """F1 of one extractor (this run also warms it up)."""
    run = EXTRACTORS[name]
    outputs = [run(p.html, p.url) for p in pages]
    result = aggregate(page_score(p.truth, out) for p, out in zip(pages, outputs, strict=True))
    return {"f1": result.f1, "precision": result.precision, "recall": result.recall}


def one_pass(name: str, pages: list[EvalPage]) -> float:
    """CPU seconds of one extractor over all pages."""
    run = EXTRACTORS[name]
    start = cpu_seconds()
    for p in pages:
        run(p.html, p.url)
    return cpu_seconds() - start


def measure(names: list[str], pages: list[EvalPage], repeat: int) -> dict[str, dict[str, float]]:
    """Scores, then ``repeat`` rounds of one timed pass per extractor, the order rotating
    each round, so a slow spell of the shared machine falls on every extractor alike;
    medians, and per round the other extractors' time over preserve's (paired ratios)."""
    results = {name: score(name, pages) for name in names}
    passes: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeat):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            passes[name].append(one_pass(name, pages))
    for name in names:
        cpu = statistics.median(passes[name])
        results[name].update(cpu=cpu, pages_per_s=len(pages) / cpu if cpu else float("inf"))
        if "preserve" in passes and name != "preserve":
            results[name]["ratio"] = statistics.median(
                other / ours for other, ours in zip(passes[name], passes["preserve"],
                                                    strict=True))
    return results


def versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for package in ("preserve", "trafilatura", "readability-lxml", "lxml"):
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    return ", ".join(found)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def unsure_pages(pages: list[EvalPage]) -> int:
    """How many evaluation pages the content scorer leaves to trafilatura as well."""
    from preserve.normalise.native import native_body
    from preserve.web.html import decode_html, parse_html

    return sum(not native_body(parse_html(decode_html(p.html).text)[0]).confident
               for p in pages)


def section(results: dict[str, dict[str, float]], pages: int, repeat: int,
            unsure: int) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START, "",
        "Written by `bench/extract.py`; edit the script, not this text.", "",
        f"- **Date:** {date}; {repeat} rounds of one timed pass per extractor after a "
        "warm-up, the order rotating each round; medians.",
        f"- **Machine:** pinned to 1 of {os.cpu_count()} CPUs, {cpu_model()}, "
        f"{platform.system()} {platform.release()}; shared and noisy.",
        f"- **Versions:** {versions()}.",
        f"- **Pages:** the {pages} pages of `../shared/extraction-eval/` (development half of "
        "the article-extraction benchmark), already in memory as bytes; the time is CPU "
        "time (user+sys) of the extracting process, decoding included.",
        "- **preserve** is `preserve.extract_article` with everything it does (decoding, "
        "metadata, body, images, links, page type): it parses the page once and runs its "
        "own content scorer on that tree; only where the scorer is unsure "
        f"({unsure} of {pages} pages here) does trafilatura (precision mode) read "
        "the page too, and the two are combined (docs/normalise.md).",
        "",
        "```sh",
        f".venv/bin/python bench/extract.py --repeat {repeat}",
        "```",
        "",
        "| extractor | F1 | precision | recall | pages/s (one core) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['f1']:.4f} | {r['precision']:.4f} | {r['recall']:.4f} "
                     f"| {r['pages_per_s']:.1f} |")
    ours = results.get("preserve")
    if ours is not None:
        met = "met" if ours["pages_per_s"] >= TARGET_PAGES_PER_S else "not met"
        lines += ["", f"Target of issue 3: ≥ {TARGET_PAGES_PER_S:.0f} pages/s at the F1 above: "
                  f"**{met}** ({ours['pages_per_s']:.1f} pages/s)."]
        for peer in ("trafilatura", "trafilatura-fast"):
            if peer in results:
                lines.append(f"- preserve against {peer}: **{results[peer]['ratio']:.2f}x** "
                             "as fast (median over the rounds of its time over preserve's "
                             f"in the same round), F1 {ours['f1'] - results[peer]['f1']:+.4f}.")
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, metavar="N")
    parser.add_argument("--only", default="", help="comma-separated extractor names")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print the section instead of writing it")
    args = parser.parse_args(argv)
    root = default_root()
    if not (root / "ground-truth.json").is_file():
        print(f"bench/extract.py: evaluation set not found at {root}", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pages = list(load_pages(root))
    names = [n for n in args.only.split(",") if n] or list(NAMES)
    started = time.monotonic()
    results = measure(names, pages, args.repeat)
    for name, r in results.items():
        print(f"{name:<24} F1 {r['f1']:.4f}  {r['pages_per_s']:6.1f} pages/s", file=sys.stderr)
    print(f"({time.monotonic() - started:.0f}s)", file=sys.stderr)
    text = section(results, len(pages), args.repeat, unsure_pages(pages))
    if args.print_only:
        print(text)
    else:
        write_section(args.out, START, END, "Extraction", text, new=DOC_HEAD)
    return 0


if __name__ == "__main__":
    sys.exit(main())

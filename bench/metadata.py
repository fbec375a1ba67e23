"""Metadata benchmark (issue 15): title, date and author accuracy and pooled body F1 of
preserve and trafilatura on ``../shared/metadata-eval/`` in one run, with the metric of
that set's README (eval/metadata.py). The figures replace the Metadata section of
docs/benchmarks.md (between its markers), leaving the other sections alone::

    .venv/bin/python bench/metadata.py [--print] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import write_section  # noqa: E402

from eval.metadata import EXTRACTORS, Figures, baseline, default_root, evaluate, load_pages  # noqa: E402

START = "<!-- bench:metadata:start -->"
END = "<!-- bench:metadata:end -->"
DOC_HEAD = "# Benchmarks\n"
CALLS = {
    "preserve": "`extract_article(html, url=url)`",
    "trafilatura": "`bare_extraction(html, url=url, with_metadata=True)`",
}


def versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for package in ("preserve", "trafilatura", "htmldate", "lxml"):
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    return ", ".join(found)


def section(results: dict[str, tuple[Figures, float]]) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    floors = baseline()
    some = next(iter(results.values()))[0]
    lines = [
        START, "",
        "Written by `bench/metadata.py`; edit the script, not this text.", "",
        f"- **Date:** {date}; one run of each extractor over the same pages.",
        f"- **Versions:** {versions()}.",
        f"- **Pages:** the {some.pages} pages of `../shared/metadata-eval/` (development half "
        "of trafilatura's own evaluation corpus, gold written by its maintainers); title, "
        f"date and author over the {some.gold_pages} with metadata gold, body F1 pooled over "
        "the `with`/`without` snippets of all of them, exactly as that set's README defines "
        "them (eval/metadata.py).",
        "",
        "```sh",
        ".venv/bin/python bench/metadata.py      # or: python -m eval.metadata --worst date",
        "```",
        "",
        "| extractor | call | title | date | author | body F1 | CPU s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, (f, cpu) in results.items():
        lines.append(f"| {name} | {CALLS[name]} | {f.title:.3f} | {f.date:.3f} | "
                     f"{f.author:.3f} | {f.body:.4f} | {cpu:.1f} |")
    lines.append(f"| floors (eval/metadata_baseline.json) | | {floors['title']:.3f} | "
                 f"{floors['date']:.3f} | {floors['author']:.3f} | {floors['body']:.4f} | |")
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print the section instead of writing it")
    args = parser.parse_args(argv)
    root = default_root()
    if not (root / "ground-truth.json").is_file():
        print(f"metadata evaluation set not found at {root}", file=sys.stderr)
        return 2
    pages = list(load_pages(root))
    results: dict[str, tuple[Figures, float]] = {}
    for name in EXTRACTORS:
        start = time.process_time()
        figures, _ = evaluate(name, pages)
        results[name] = (figures, time.process_time() - start)
    text = section(results)
    if args.print_only:
        print(text)
    else:
        write_section(args.out, START, END, "Metadata", text, new=DOC_HEAD)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The metadata gate: title, date and author accuracy and pooled body F1 on
``../shared/metadata-eval/`` (trafilatura's own evaluation corpus, development half),
preserve beside trafilatura in the same run, with the metric of that set's README.

    .venv/bin/python -m eval.metadata                  # both extractors, the table
    .venv/bin/python -m eval.metadata preserve         # only ours
    .venv/bin/python -m eval.metadata --worst date     # and our misses on that field

Exit status 1 when one of preserve's figures is below its floor in
eval/metadata_baseline.json, 2 when the set is not found.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MetaPage", "Prediction", "Figures", "FIELDS", "EXTRACTORS", "default_root",
           "load_pages", "norm", "matches", "score", "evaluate", "baseline"]

REPO = Path(__file__).resolve().parent.parent
BASELINE = Path(__file__).with_name("metadata_baseline.json")
FIELDS = ("title", "date", "author", "body")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class MetaPage:
    id: str
    url: str
    html: bytes
    with_: tuple[str, ...]
    without: tuple[str, ...]
    has_gold: bool  # the 441 pages with title, author and date gold
    title: str = ""
    authors: tuple[str, ...] = ()  # the gold split on ";" (two pages give a list)
    date: str | None = None  # None where the page has no date ("" or null in the gold)


@dataclass(frozen=True)
class Prediction:
    title: str | None
    date: str | None
    authors: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Figures:
    title: float
    date: float
    author: float
    body: float  # pooled F1
    gold_pages: int
    pages: int

    def get(self, name: str) -> float:
        return float(getattr(self, name))


def default_root() -> Path:
    """``$PRESERVE_METADATA_EVAL_DIR`` if set (eval tooling only), else
    ../shared/metadata-eval beside the repository."""
    env = os.environ.get("PRESERVE_METADATA_EVAL_DIR")
    return Path(env) if env else REPO.parent / "shared" / "metadata-eval"


def load_pages(root: Path | None = None) -> Iterator[MetaPage]:
    root = root or default_root()
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        entry = truth[key]
        with gzip.open(root / "html" / f"{key}.html.gz", "rb") as f:
            html = f.read()
        has_gold = "title" in entry or "author" in entry or "date" in entry
        author = entry.get("author") or ""
        authors = author if isinstance(author, list) else author.split(";")
        yield MetaPage(key, entry.get("url", ""), html, tuple(entry.get("with", [])),
                       tuple(entry.get("without", [])), has_gold,
                       entry.get("title") or "", tuple(authors), entry.get("date") or None)


def norm(s: str | None) -> str:
    """Whitespace runs collapsed to one space, stripped; no case folding."""
    return _SPACE.sub(" ", s or "").strip()


def _names(names: Iterable[str]) -> list[str]:
    return sorted(n for n in (norm(x) for x in names) if n)


def matches(page: MetaPage, pred: Prediction) -> dict[str, bool]:
    """Which of title, date and author ``pred`` gets right (a page with gold only)."""
    gold_date = page.date
    date_ok = (pred.date is None if gold_date is None
               else pred.date is not None and pred.date[:10] == gold_date[:10])
    return {
        "title": norm(pred.title) == norm(page.title),
        "date": date_ok,
        "author": _names(pred.authors) == _names(page.authors),
    }


def body_counts(page: MetaPage, body: str) -> tuple[int, int, int]:
    """(tp, fn, fp) of one page: ``with`` snippets found and missed, ``without`` found."""
    tp = sum(s in body for s in page.with_)
    fp = sum(s in body for s in page.without)
    return tp, len(page.with_) - tp, fp


def score(pairs: Iterable[tuple[MetaPage, Prediction]]) -> Figures:
    right = dict.fromkeys(("title", "date", "author"), 0)
    gold = pages = tp = fn = fp = 0
    for page, pred in pairs:
        pages += 1
        t, n, p = body_counts(page, pred.body)
        tp, fn, fp = tp + t, fn + n, fp + p
        if page.has_gold:
            gold += 1
            for name, ok in matches(page, pred).items():
                right[name] += ok
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    share = {k: v / gold if gold else 0.0 for k, v in right.items()}
    return Figures(share["title"], share["date"], share["author"], f1, gold, pages)


def preserve_predict(html: bytes, url: str) -> Prediction:
    from preserve import extract_article

    a = extract_article(html, url=url)
    return Prediction(a.title, a.published, a.authors, a.body_text)


def trafilatura_predict(html: bytes, url: str) -> Prediction:
    from trafilatura import bare_extraction

    doc = bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return Prediction(None, None, (), "")
    author = getattr(doc, "author", None) or ""
    return Prediction(getattr(doc, "title", None), getattr(doc, "date", None),
                      tuple(author.split(";")), getattr(doc, "text", None) or "")


EXTRACTORS: dict[str, Callable[[bytes, str], Prediction]] = {
    "preserve": preserve_predict,
    "trafilatura": trafilatura_predict,
}


def evaluate(name: str, pages: list[MetaPage]) -> tuple[Figures, list[Prediction]]:
    run = EXTRACTORS[name]
    preds = [run(p.html, p.url) for p in pages]
    return score(zip(pages, preds, strict=True)), preds


def baseline() -> dict[str, float]:
    """Preserve's floors per field (eval/metadata_baseline.json)."""
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    return {k: float(data["floors"][k]) for k in FIELDS}


def _misses(field: str, pages: list[MetaPage], preds: list[Prediction]) -> Iterator[str]:
    for page, pred in zip(pages, preds, strict=True):
        if field == "body":
            tp, fn, fp = body_counts(page, pred.body)
            if fn or fp:
                yield f"    {page.id} missed {fn}, boilerplate {fp}  {page.url}"
        elif page.has_gold and not matches(page, pred)[field]:
            got = {"title": pred.title, "date": pred.date, "author": list(pred.authors)}[field]
            want = {"title": page.title, "date": page.date, "author": list(page.authors)}[field]
            yield f"    {page.id} got {got!r} want {want!r}  {page.url}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *EXTRACTORS], default=[])
    parser.add_argument("--worst", choices=FIELDS, action="append", default=[],
                        help="list preserve's misses on this field (repeatable)")
    args = parser.parse_args(argv)
    root = default_root()
    if not (root / "ground-truth.json").is_file():
        print(f"metadata evaluation set not found at {root} "
              "(set PRESERVE_METADATA_EVAL_DIR)", file=sys.stderr)
        return 2
    pages = list(load_pages(root))
    floors = baseline()
    print(f"{'extractor':<14} {'title':>6} {'date':>6} {'author':>6} {'body F1':>8}  pages")
    ours: Figures | None = None
    for name in args.names or list(EXTRACTORS):
        figures, preds = evaluate(name, pages)
        print(f"{name:<14} {figures.title:6.3f} {figures.date:6.3f} {figures.author:6.3f} "
              f"{figures.body:8.4f}  {figures.gold_pages}/{figures.pages}", flush=True)
        if name == "preserve":
            ours = figures
            for field in args.worst:
                print(f"  preserve's misses on {field}:")
                for line in _misses(field, pages, preds):
                    print(line)
    print(f"{'floors':<14} {floors['title']:6.3f} {floors['date']:6.3f} "
          f"{floors['author']:6.3f} {floors['body']:8.4f}  (eval/metadata_baseline.json)")
    if ours is not None and any(ours.get(k) < floors[k] for k in FIELDS):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

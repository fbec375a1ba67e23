"""Score extractors on the shared evaluation set, side by side, in one run.

    .venv/bin/python -m eval.run                 # all extractors
    .venv/bin/python -m eval.run preserve        # only ours
    .venv/bin/python -m eval.run --worst 10      # and our ten worst pages

Prints F1, precision, recall and exact-match accuracy (the metric of
../shared/extraction-eval/README.md) and the floor pinned in eval/baseline.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .dataset import default_root, load_pages
from .extractors import EXTRACTORS
from .score import PageScore, Score, aggregate, page_score

BASELINE = Path(__file__).with_name("baseline.json")


def floor() -> float:
    return float(json.loads(BASELINE.read_text(encoding="utf-8"))["f1_floor"])


def evaluate(name: str, root: Path | None = None) -> tuple[Score, list[tuple[str, PageScore]]]:
    run = EXTRACTORS[name]
    per_page = [(p.id, page_score(p.truth, run(p.html, p.url))) for p in load_pages(root)]
    return aggregate(s for _, s in per_page), per_page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *EXTRACTORS], default=[])
    parser.add_argument("--worst", type=int, default=0, help="list our N worst pages")
    args = parser.parse_args(argv)
    root = default_root()
    if not (root / "ground-truth.json").is_file():
        print(f"evaluation set not found at {root}", file=sys.stderr)
        return 2
    names = args.names or list(EXTRACTORS)
    print(f"{'extractor':<24} {'F1':>6} {'prec':>6} {'recall':>6} {'exact':>6}  pages", flush=True)
    ours: Score | None = None
    for name in names:
        score, per_page = evaluate(name, root)
        print(f"{name:<24} {score.f1:6.4f} {score.precision:6.4f} {score.recall:6.4f} "
              f"{score.accuracy:6.3f}  {score.pages}", flush=True)
        if name == "preserve":
            ours = score
            for page_id, s in sorted(per_page, key=lambda x: x[1].tp)[: args.worst]:
                print(f"    {page_id[:12]} P={s.precision or 0:.3f} R={s.recall or 0:.3f}")
    print(f"floor (eval/baseline.json): {floor():.4f}")
    return 1 if ours is not None and ours.f1 < floor() else 0


if __name__ == "__main__":
    sys.exit(main())

"""The shared evaluation pages: ``../shared/extraction-eval/`` beside the repository."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EvalPage", "default_root", "load_pages"]

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class EvalPage:
    id: str
    url: str
    html: bytes
    truth: str


def default_root() -> Path:
    """``$PRESERVE_EVAL_DIR`` if set (eval tooling only), else ../shared/extraction-eval."""
    env = os.environ.get("PRESERVE_EVAL_DIR")
    return Path(env) if env else REPO.parent / "shared" / "extraction-eval"


def load_pages(root: Path | None = None) -> Iterator[EvalPage]:
    root = root or default_root()
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth):
        path = root / "html" / f"{page_id}.html.gz"
        with gzip.open(path, "rb") as f:
            html = f.read()
        entry = truth[page_id]
        yield EvalPage(page_id, entry.get("url", ""), html, entry.get("articleBody", ""))

"""The article-extraction benchmark's metric, exactly as ../shared/extraction-eval/README.md
defines it: 4-token shingles, per-page tp/fp/fn normalised to weigh 1, precision and
recall averaged over pages, F1 the harmonic mean of those averages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["tokens", "shingles", "PageScore", "page_score", "Score", "aggregate"]

_TOKEN = re.compile(r"\w+")
_SHINGLE = 4


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def shingles(text: str) -> Counter[tuple[str, ...]]:
    toks = tokens(text)
    if not toks:
        return Counter()
    if len(toks) < _SHINGLE:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i : i + _SHINGLE]) for i in range(len(toks) - _SHINGLE + 1))


@dataclass(frozen=True)
class PageScore:
    tp: float
    fp: float
    fn: float
    exact: bool

    @property
    def precision(self) -> float | None:
        """None when the page does not count towards averaged precision (tp+fp == 0)."""
        if self.tp + self.fp == 0:
            return None
        return _ratio(self.tp, self.tp + self.fp, self.fp, self.fn)

    @property
    def recall(self) -> float | None:
        if self.tp + self.fn == 0:
            return None
        return _ratio(self.tp, self.tp + self.fn, self.fp, self.fn)


def _ratio(num: float, den: float, fp: float, fn: float) -> float:
    if fp == 0 and fn == 0:
        return 1.0
    return num / den if den > 0 else 0.0


def page_score(truth: str, prediction: str) -> PageScore:
    t, p = shingles(truth), shingles(prediction)
    tp = float(sum(min(n, p[s]) for s, n in t.items()))
    fp = float(sum(max(0, n - t[s]) for s, n in p.items()))
    fn = float(sum(max(0, n - p[s]) for s, n in t.items()))
    total = tp + fp + fn
    if total > 0:
        tp, fp, fn = tp / total, fp / total, fn / total
    return PageScore(tp, fp, fn, tokens(truth) == tokens(prediction))


@dataclass(frozen=True)
class Score:
    f1: float
    precision: float
    recall: float
    accuracy: float
    pages: int


def aggregate(scores: Iterable[PageScore]) -> Score:
    items = list(scores)
    precisions = [p for s in items if (p := s.precision) is not None]
    recalls = [r for s in items if (r := s.recall) is not None]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(s.exact for s in items) / len(items) if items else 0.0
    return Score(f1, precision, recall, accuracy, len(items))

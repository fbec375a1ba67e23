"""Diff: what changed on a site between two crawls of a collection (``preserve diff``).

It reads what ``store/`` keeps (the index, the crawl registry, the crawl logs, the records)
and compares pages by the content normalise takes as theirs (normalise/content.py), so it
sits beside the stages, above ``store/`` and ``normalise/``.
"""

from .compare import CHANGE_KINDS, CrawlDiff, PageChange, diff_crawls

__all__ = ["CHANGE_KINDS", "CrawlDiff", "PageChange", "diff_crawls"]

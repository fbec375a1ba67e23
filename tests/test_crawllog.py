"""The crawl log's held lines: a turn of the crawl loop appends its lines in one write."""

from __future__ import annotations

from pathlib import Path

import pytest

from preserve.store.crawllog import CrawlLog, entries


def _urls(path: Path) -> list[str]:
    return [e["url"] for e in entries(path)]


def test_held_lines_are_appended_when_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "crawl-0001.jsonl"
    with CrawlLog(path) as log:
        log.write(url="http://a/1")
        with log.held():
            log.write(url="http://a/2")
            log.write(url="http://a/3", outcome="out-of-scope")
            assert _urls(path) == ["http://a/1"]
        assert _urls(path) == ["http://a/1", "http://a/2", "http://a/3"]
        assert log.size == path.stat().st_size
        with pytest.raises(RuntimeError), log.held():
            log.write(url="http://a/4")
            raise RuntimeError("a failed turn")
        assert _urls(path)[-1] == "http://a/4"  # an attempt is logged; recovery cuts it
    with CrawlLog(path) as again:  # appends, and knows where the log ends
        assert again.size == path.stat().st_size

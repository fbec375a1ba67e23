"""preserve's own files, damaged on disk, cost a line of figures, never a crash or a hang:
the crawl log a resumed crawl recounts, the articles a new normalise run keeps, and an
index put back as a FIFO under `preserve status` (found after the fuzzing of #13)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from preserve.capture.summary import CrawlSummary
from preserve.collection import Collection
from preserve.config import CollectionConfig, CrawlConfig, Description
from preserve.normalise.collection import _earlier_lines
from preserve.store.inventory import collection_status

GOOD = b'{"outcome": "captured", "url": "http://a.example/", "status": 200, "bytes": 10}\n'
DAMAGED = [
    b"[" * 100_000 + b"\n",  # nested past the recursion limit
    b'{"outcome": "captured", "bytes": "\xff\xfe"}\n',  # not UTF-8
    b'["outcome", "captured"]\n',  # JSON, not an object
    b'{"outcome": "captured", "bytes": "lots"}\n',  # a field of the wrong type
    b'{"outcome": "captured", "url": 7, "status": [200], "bytes": 1e999}\n',
]


def test_a_damaged_crawl_log_is_recounted_without_its_damaged_lines(tmp_path: Path) -> None:
    log = tmp_path / "crawl-0001.jsonl"
    log.write_bytes(GOOD + b"".join(DAMAGED) + GOOD)
    summary = CrawlSummary.from_log("0001", log)
    assert summary.captured >= 2 and summary.bytes >= 20


def test_damaged_earlier_articles_are_dropped_not_a_crash(tmp_path: Path) -> None:
    articles = tmp_path / "articles.jsonl"
    keep = b'{"id": "a", "provenance": {"warc_file": "x.warc.gz"}}\n'
    redo = b'{"id": "b", "provenance": {"warc_file": "y.warc.gz"}}\n'
    odd = b'{"id": "c", "provenance": "not an object"}\n'
    articles.write_bytes(keep + b"".join(DAMAGED[:3]) + redo + odd)  # not JSON objects
    kept = list(_earlier_lines(articles, {"y.warc.gz"}))
    assert kept == [keep.decode(), odd.decode()]


def test_status_does_not_block_on_a_fifo_in_the_index_s_place(tmp_path: Path) -> None:
    coll = Collection.create(tmp_path / "coll", CollectionConfig(
        Description(title="t"), CrawlConfig(seeds=("http://127.0.0.1:9/",))))
    coll.index_path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(coll.index_path)
    result: list[dict[str, object]] = []
    worker = threading.Thread(target=lambda: result.append(collection_status(coll)),
                              daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "status blocked on a FIFO"
    assert result[0]["index"] == {"records": 0}

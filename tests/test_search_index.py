"""The search index writer (normalise/searchindex.py) on articles.jsonl lines shaped by
the Article class itself: incremental, idempotent, rebuilt when damaged, and usable or
rebuilt after a SIGKILL in the middle of an update."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from preserve.access.search import search
from preserve.collection import Collection
from preserve.errors import CollectionError
from preserve.normalise.article import Article, Provenance
from preserve.normalise.searchindex import NewPages, docs_row, update_search_index

WORDS = ("parliament council vote regional budget harbour railway fisheries energy "
         "climate border trade farming schools Düsseldorf Αθήνα Москва").split()


def article(warc: str, n: int, *, words: int = 60, extra: str = "") -> str:
    url = f"https://example.org/news/{n}/"
    body = " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(words))
    a = Article(url=url, id=f"{warc[:4]}{n:012d}", page_type="article",
                title=f"Report number {n}", authors=("Jane Doe",), published="2024-01-02",
                language="en", body_text=f"{body} {extra}".strip(),
                provenance=Provenance(warc, n * 1000, 900, f"<urn:uuid:{n}>",
                                      f"2026-12-0{1 + (warc > 'b')}T10:00:{n % 60:02d}Z",
                                      None))
    return json.dumps(a.to_dict(), ensure_ascii=False) + "\n"


def write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture
def coll(tmp_path: Path) -> Collection:
    return Collection(tmp_path / "coll")


def test_updates_add_and_remove_by_warc_file_and_repeat_as_no_change(
        coll: Collection) -> None:
    a = [article("a.warc.gz", n) for n in range(100)]
    write(coll.articles_path, a)
    first = update_search_index(coll.search_index_path, coll.articles_path, {"a.warc.gz"})
    assert (first.added, first.removed, first.rebuilt, first.pages) == (100, 0, True, 100)
    b = [article("b.warc.gz", n, extra="zeppelinwort") for n in range(100, 150)]
    write(coll.articles_path, a + b)
    done = {"a.warc.gz", "b.warc.gz"}
    second = update_search_index(coll.search_index_path, coll.articles_path, done)
    assert (second.added, second.removed, second.rebuilt, second.pages) == (50, 0, False, 150)
    again = update_search_index(coll.search_index_path, coll.articles_path, done)
    assert (again.added, again.removed, again.pages) == (0, 0, 150)
    assert search(coll, "zeppelinwort", limit=100).total == 50
    # normalise no longer counts a.warc.gz as done (its state was removed): taken out.
    write(coll.articles_path, b)
    third = update_search_index(coll.search_index_path, coll.articles_path, {"b.warc.gz"})
    assert (third.added, third.removed, third.pages) == (0, 100, 50)
    assert search(coll, "report").total == 50


def _docs(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT * FROM docs ORDER BY rowid").fetchall()


def test_the_pages_normalise_hands_over_are_indexed_as_read_from_the_file(
        tmp_path: Path) -> None:
    # Normalise gives the index the rows of the pages it has just written (b.warc.gz),
    # the others are read from articles.jsonl; in both orders of build, and in a rebuild
    # of a damaged index, the index is the one made from the file alone.
    a = [article("a.warc.gz", n) for n in range(30)]
    b = [article("b.warc.gz", n) for n in range(30, 50)]
    given = [docs_row(json.loads(line)) for line in b]
    new = NewPages(frozenset({"b.warc.gz"}), lambda: (r for r in given if r))
    done = {"a.warc.gz", "b.warc.gz"}
    for damage in (None, b"not a database" * 100):
        indexes = []
        for name, pages in (("file", None), ("given", new)):
            coll = Collection(tmp_path / name)
            write(coll.articles_path, a + b)
            if damage:
                coll.search_index_path.write_bytes(damage)
            result = update_search_index(coll.search_index_path, coll.articles_path, done,
                                         pages)
            assert (result.added, result.pages) == (50, 50)
            indexes.append(_docs(coll.search_index_path))
            coll.search_index_path.unlink()
        assert indexes[0] == indexes[1]


def test_a_warc_with_no_pages_is_done_too(coll: Collection) -> None:
    write(coll.articles_path, [article("a.warc.gz", 1)])
    done = {"a.warc.gz", "images-only.warc.gz"}
    update_search_index(coll.search_index_path, coll.articles_path, done)
    again = update_search_index(coll.search_index_path, coll.articles_path, done)
    assert (again.added, again.removed, again.pages) == (0, 0, 1)


@pytest.mark.parametrize("damage", [b"not a database at all" * 100, b""])
def test_a_damaged_index_is_built_again(coll: Collection, damage: bytes) -> None:
    write(coll.articles_path, [article("a.warc.gz", n) for n in range(20)])
    coll.search_index_path.write_bytes(damage)
    with pytest.raises(CollectionError, match="run `preserve normalise`"):
        search(coll, "report")
    result = update_search_index(coll.search_index_path, coll.articles_path, {"a.warc.gz"})
    assert (result.rebuilt, result.pages) == (True, 20)
    assert search(coll, "report").total == 20


def test_damaged_lines_of_articles_jsonl_are_skipped(coll: Collection) -> None:
    lines = [article("a.warc.gz", 1), "{not json\n", "[1, 2]\n", '{"id": 5}\n',
             article("a.warc.gz", 2)]
    write(coll.articles_path, lines)
    result = update_search_index(coll.search_index_path, coll.articles_path, {"a.warc.gz"})
    assert result.pages == 2


_BUILD = """
import sys
from pathlib import Path
from preserve.normalise.searchindex import NewPages, docs_row, update_search_index
root = Path(sys.argv[1])
update_search_index(root / "normalised/search.sqlite3", root / "normalised/articles.jsonl",
                    {"a.warc.gz"})
"""


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.5, 1.0, 1.6])
def test_a_kill_in_the_middle_leaves_a_usable_index_or_a_rebuild(
        coll: Collection, after: float) -> None:
    n = 4000
    write(coll.articles_path, [article("a.warc.gz", i, words=300) for i in range(n)])
    proc = subprocess.Popen([sys.executable, "-c", _BUILD, str(coll.root)],
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # What a search sees now: the index as it was before the update (here: empty, or
    # not there yet), or one line saying to run normalise. Never half an update.
    try:
        seen = search(coll, "report").total
    except CollectionError as e:
        assert "run `preserve normalise`" in str(e)
    else:
        assert seen in (0, n)
    result = update_search_index(coll.search_index_path, coll.articles_path, {"a.warc.gz"})
    assert result.pages == n
    assert search(coll, "report").total == n

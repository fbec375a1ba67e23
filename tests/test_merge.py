"""``preserve merge``: two crawls of two copies of the test site combined into one collection.

Each source is a real crawl (of a site on its own port, as two workers or two machines
would make); the merged collection must pass ``preserve verify``, hold every index line
of both sources, equal ``preserve index``'s rebuild, and replay in pywb. A damaged source
file leaves DEST as it was, and a second merge changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from helpers_crawl import cli, crawl, create
from helpers_pywb import COLL, _our_index, _start_wayback, _stop
from preserve.collection import Collection
from testsite import TestSite

pytestmark = pytest.mark.slow  # two crawls, then several commands in subprocesses


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sources")
    with TestSite(articles=2) as one, TestSite(articles=2) as two:
        crawl(root / "one", (one.url,), warc_size=20_000)
        crawl(root / "two", (two.url,), warc_size=20_000)
    return root / "one", root / "two"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _tree(root: Path) -> dict[str, str]:
    """Every file outside the working data, by relative path, with its SHA-256."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not Collection.is_working(rel):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _merge(*args: Path | str) -> tuple[int, str, str]:
    done = cli("merge", *args)
    return done.returncode, done.stdout, done.stderr


def test_merge_verifies_indexes_everything_and_is_idempotent(
        sources: tuple[Path, Path], tmp_path: Path) -> None:
    one, two = sources
    dest = tmp_path / "merged"
    status, out, err = _merge(dest, one, two)
    assert status == 0, err
    assert out.startswith("merged ") and "from 2 collections" in out

    verified = cli("verify", dest)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # Every index line and page of both sources, once: nothing clashed, so nothing renamed.
    coll = Collection(dest)
    index = _lines(coll.index_path)
    assert index == sorted(set(_lines(Collection(one).index_path))
                           | set(_lines(Collection(two).index_path)))
    pages = _lines(coll.pages_path)
    assert set(pages[1:]) == (set(_lines(Collection(one).pages_path)[1:])
                              | set(_lines(Collection(two).pages_path)[1:]))
    names = {p.name for p in coll.closed_warcs()}
    assert names == {p.name for src in sources for p in Collection(src).closed_warcs()}

    events = [json.loads(line) for line in _lines(coll.events_path)]
    closed = [e for e in events if e["eventType"] == "file closed"]
    assert len(closed) == len(names)
    assert {e["data"]["source"] for e in closed} == {str(one), str(two)}
    assert [e["data"]["files"] for e in events
            if e["eventType"] == "collection merged"] == [len(names)]

    # The sources' crawls, both numbered 0001 there, are two crawls of DEST, each with
    # its WARCs: crawls, report and diff read them.
    crawls = _crawls(dest)
    assert [(c["id"], c["status"]) for c in crawls] == [("0001", "finished"),
                                                        ("0002", "finished")]
    for row, src in zip(crawls, sources, strict=True):
        assert set(row["warcs"]) == {p.name for p in Collection(src).closed_warcs()}
        report = cli("report", dest, "--crawl", row["id"], "--json")
        assert report.returncode == 0, report.stderr
        assert json.loads(report.stdout)["captures"]["records"] == len(
            _lines(Collection(src).index_path))
    diff = cli("diff", dest, "--json")
    assert diff.returncode == 0, diff.stderr
    changes = json.loads(diff.stdout)
    assert (changes["from"], changes["to"]) == ("0001", "0002")
    assert changes["counts"]["new"] == len(_lines(Collection(two).pages_path)) - 1

    before = _tree(dest)
    rebuilt = cli("index", dest)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _tree(dest) == before, "the merged index differs from `preserve index`'s"

    # Twice: nothing copied, nothing appended, not even an event.
    status, out, err = _merge(dest, one, two)
    assert status == 0, err
    assert "nothing new" in out
    assert _tree(dest) == before
    assert _crawls(dest) == crawls


def _crawls(coll: Path) -> list[dict[str, Any]]:
    listed = cli("crawls", coll, "--json")
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def test_name_clash_renamed_and_duplicates_once(sources: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    """A WARC named like one of DEST's but with other bytes is renamed by its digest; the
    same file given by two sources is copied once."""
    one, two = sources
    clash = shutil.copytree(two, tmp_path / "clash")
    theirs = sorted((clash / "warcs").glob("*.warc.gz"))[0]
    ours = sorted((one / "warcs").glob("*.warc.gz"))[0].name
    theirs.rename(clash / "warcs" / ours)
    manifest = clash / Collection.MANIFEST_REL
    manifest.write_text(manifest.read_text().replace(theirs.name, ours))
    twin = shutil.copytree(one, tmp_path / "twin")

    dest = tmp_path / "merged"
    status, out, err = _merge(dest, one, twin, clash, "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["renamed"] == 1
    assert result["duplicates"] == len(Collection(one).closed_warcs())
    sha = hashlib.sha256((clash / "warcs" / ours).read_bytes()).hexdigest()
    renamed = ours.removesuffix(".warc.gz") + f"-{sha[:12]}.warc.gz"
    assert (dest / "warcs" / renamed).is_file()
    verified = cli("verify", dest)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_source_without_warcs_adds_nothing(sources: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    """A worker that got no work has no WARC, so no fixity manifest: nothing to merge."""
    idle = create(tmp_path / "idle", ("http://127.0.0.1:9/",)).root
    status, out, err = _merge(tmp_path / "merged", sources[0], idle, "--json")
    assert status == 0, err
    assert json.loads(out)["files"] == len(Collection(sources[0]).closed_warcs())


def test_damaged_source_leaves_dest_as_it_was(sources: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    one, two = sources
    damaged = shutil.copytree(two, tmp_path / "damaged")
    warc = sorted((damaged / "warcs").glob("*.warc.gz"))[-1]
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0xFF
    warc.write_bytes(bytes(data))

    new = tmp_path / "new"
    status, out, err = _merge(new, one, damaged)
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("preserve: error: ")
    assert warc.name in err and "nothing was merged" in err
    assert not new.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["damaged"]  # no staging left

    existing = tmp_path / "existing"
    assert _merge(existing, one)[0] == 0
    before = _tree(existing)
    status, _, err = _merge(existing, damaged)
    assert status == 1, err
    assert _tree(existing) == before
    assert not (existing / "state" / "merge").exists()


@contextlib.contextmanager
def _crawl_lock(root: Path) -> Iterator[None]:
    with Collection(root).lock():
        yield


def test_refusals(sources: tuple[Path, Path], tmp_path: Path) -> None:
    one, two = sources
    status, _, err = _merge(one, two, one)
    assert status == 2 and "is both DEST and a source" in err and err.count("\n") == 1

    locked = shutil.copytree(two, tmp_path / "locked")
    with _crawl_lock(locked):  # as a running crawl holds it
        status, _, err = _merge(tmp_path / "dest", one, locked)
    assert status == 2 and "in use" in err and err.count("\n") == 1
    assert not (tmp_path / "dest").exists()


def test_pywb_replays_a_page_of_each_source(sources: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    dest = tmp_path / "merged"
    assert _merge(dest, *sources)[0] == 0
    root = tmp_path / "pywb"
    root.mkdir()
    _our_index(root, Collection(dest))
    with requests.Session() as session:
        proc, base = _start_wayback(root, session)
        try:
            for src in sources:
                page = json.loads(_lines(Collection(src).pages_path)[1])
                ts = "".join(c for c in page["ts"] if c.isdigit())[:14]
                url = f"{base}/{COLL}/{ts}id_/{page['url']}"  # id_: the page as captured
                with session.get(url, timeout=20) as replayed:
                    assert replayed.status_code == 200, url
                    assert page["title"] and page["title"] in replayed.text
        finally:
            _stop(proc)


def _cut_last_lines(path: Path, n: int) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-n]))


def test_a_merge_killed_after_a_move_is_completed(sources: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    """A WARC moved into DEST whose manifest line and event were never written (the
    merge was killed there) is recognised by its digest and completed, not copied again."""
    one, two = sources
    dest = tmp_path / "merged"
    assert _merge(dest, one, two)[0] == 0
    _cut_last_lines(dest / Collection.MANIFEST_REL, 1)
    _cut_last_lines(dest / Collection.EVENTS_REL, 2)  # its `file closed`, `collection merged`
    warcs = sorted(p.name for p in Collection(dest).closed_warcs())

    status, out, err = _merge(dest, one, two, "--json")
    assert status == 0, err
    assert json.loads(out)["files"] == 1
    assert sorted(p.name for p in Collection(dest).closed_warcs()) == warcs
    assert sorted(n for c in _crawls(dest) for n in c["warcs"]) == warcs
    verified = cli("verify", dest)
    assert verified.returncode == 0, verified.stdout + verified.stderr

"""Normalise's output in the fixity story (issue #14): derived, checked, and verify and
audit agreeing on it.

`preserve normalise` writes normalised/articles.jsonl and sites.jsonl (derived: their
SHA-256 goes in its `articles normalised` event) and normalised/state.sqlite3 (working
data, like state/). Before, verify failed for ever with FILE_UNLISTED for all three while
audit said every file was ok.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_crawl import cli, crawl, jsonl
from preserve.collection import Collection
from testsite import TestSite

pytestmark = pytest.mark.slow  # crawls and normalises the test site


@pytest.fixture(scope="module")
def normalised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("normalised") / "coll"
    with TestSite(articles=3) as site:
        crawl(root, (site.url,), max_depth=2)
    result = cli("normalise", root)
    assert result.returncode == 0, result.stderr
    yield root


@pytest.fixture
def coll(normalised: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "coll"
    shutil.copytree(normalised, copy)
    return copy


def verify_codes(root: Path) -> tuple[int, dict[str, set[str]]]:
    result = cli("verify", "--json", root)
    codes: dict[str, set[str]] = {}
    for f in json.loads(result.stdout)["findings"]:
        codes.setdefault(f["file"], set()).add(f["code"])
    return result.returncode, codes


def test_crawl_normalise_verify_audit_all_pass(coll: Path) -> None:
    c = Collection(coll)
    assert c.articles_path.is_file() and c.sites_path.is_file()
    assert c.normalise_state_path.is_file()
    event = [e for e in jsonl(c.events_path) if e["eventType"] == "articles normalised"][-1]
    assert set(event["data"]["sha256"]) == {Collection.ARTICLES_REL, Collection.SITES_REL}
    audit = cli("audit", coll)
    assert audit.returncode == 1 and "never" in audit.stdout  # not verified yet
    for _ in range(2):  # and again: verify passes every time, not only once
        status, codes = verify_codes(coll)
        assert (status, codes) == (0, {})
        audit = cli("audit", "--json", coll)
        assert audit.returncode == 0, audit.stdout
        entries = {e["path"]: e["status"] for e in json.loads(audit.stdout)}
        assert entries[Collection.ARTICLES_REL] == entries[Collection.SITES_REL] == "ok"
        assert Collection.NORMALISE_STATE_REL not in entries  # working data


def test_a_changed_article_line_is_caught(coll: Path) -> None:
    path = Collection(coll).articles_path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    article = json.loads(lines[0])
    article["title"] = "Forged"
    lines[0] = json.dumps(article, ensure_ascii=False) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    status, codes = verify_codes(coll)
    assert (status, codes) == (1, {Collection.ARTICLES_REL: {"NORMALISED_CHANGED"}})
    assert cli("audit", coll).returncode == 1  # audit agrees


def test_a_broken_sites_line_is_caught(coll: Path) -> None:
    path = Collection(coll).sites_path
    with open(path, "ab") as f:
        f.write(b"{not json\n")
    status, codes = verify_codes(coll)
    assert status == 1
    assert codes == {Collection.SITES_REL: {"NORMALISED_MALFORMED", "NORMALISED_CHANGED"}}


def test_a_stray_file_in_normalised_is_unlisted_and_audit_agrees(coll: Path) -> None:
    (coll / "normalised" / "notes.txt").write_text("hello\n")
    status, codes = verify_codes(coll)
    assert (status, codes) == (1, {"normalised/notes.txt": {"FILE_UNLISTED"}})
    audit = cli("audit", "--json", coll)
    assert audit.returncode == 1
    entries = {e["path"]: e["status"] for e in json.loads(audit.stdout)}
    assert entries["normalised/notes.txt"] == "failed"

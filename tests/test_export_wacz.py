"""WACZ export: py-wacz's validator accepts it and pywb replays an article from it.

The test site is stopped before replay, so only the WACZ can answer.
"""

from __future__ import annotations

import gzip
import json
import struct
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
import requests

from helpers_crawl import cli, crawl, tool
from helpers_export import SMALL
from helpers_pywb import COLL, WB_MANAGER, _start_wayback, _stop
from preserve.collection import Collection
from testsite import TestSite


@dataclass(frozen=True)
class Crawled:
    root: Path
    url: str
    title: str
    paragraph: str
    payload: bytes


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    root = tmp_path_factory.mktemp("wacz") / "coll"
    with TestSite(articles=3) as site:
        crawl(root, (site.url,), **SMALL)
        article = site.site.articles[1]
        payload = site.site.resolve(article.path, "").body
        return Crawled(root, site.absolute(article.path), article.title,
                       next(p for p in article.paragraphs if not p.startswith("## ")),
                       payload)


@pytest.fixture(scope="module")
def wacz(crawled: Crawled, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("out") / "coll.wacz"
    result = cli("export", crawled.root, "--format", "wacz", "--output", dest)
    assert result.returncode == 0, result.stderr
    return dest


@pytest.mark.slow
def test_wacz_validates(wacz: Path) -> None:
    done = tool("wacz", "validate", "-f", wacz)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation succeeded" in done.stdout


def test_wacz_layout_and_datapackage(wacz: Path, crawled: Crawled) -> None:
    coll = Collection(crawled.root)
    with zipfile.ZipFile(wacz) as z:
        infos = {i.filename: i for i in z.infolist()}
        warcs = {f"archive/{p.name}" for p in coll.closed_warcs()}
        assert set(infos) == {*warcs, "indexes/index.cdx.gz", "indexes/index.idx",
                              "pages/pages.jsonl", "datapackage.json", "datapackage-digest.json"}
        for name in warcs:  # stored, so that a reader can seek to a record's offset
            assert infos[name].compress_type == zipfile.ZIP_STORED
            assert z.read(name) == (coll.warcs / name.removeprefix("archive/")).read_bytes()
        package = json.loads(z.read("datapackage.json"))
        digest = json.loads(z.read("datapackage-digest.json"))
    assert package["wacz_version"] == "1.1.1"
    assert package["title"] == "Test crawl"
    assert package["software"].startswith("preserve ")
    assert package["created"].endswith("Z")
    manifest = dict(reversed(line.split("  ", 1)) for line in
                    (crawled.root / "fixity" / "manifest-sha256.txt").read_text().splitlines())
    for resource in package["resources"]:
        assert resource["bytes"] == infos[resource["path"]].file_size
        if resource["path"].startswith("archive/"):
            rel = "warcs/" + resource["path"].removeprefix("archive/")
            assert resource["hash"] == f"sha256:{manifest[rel]}"
    assert digest["path"] == "datapackage.json" and digest["hash"].startswith("sha256:")


def test_the_zipnum_index_is_the_collections_index(wacz: Path, crawled: Crawled) -> None:
    with zipfile.ZipFile(wacz) as z:
        cdx = z.read("indexes/index.cdx.gz")
        idx = z.read("indexes/index.idx").decode().splitlines()
    assert gzip.decompress(cdx) == (crawled.root / "indexes" / "index.cdxj").read_bytes()
    assert json.loads(idx[0].split(" ", 2)[2]) == {"format": "cdxj-gzip-1.0",
                                                   "filename": "index.cdx.gz"}
    end = 0
    for line in idx[1:]:  # each block: the key and time of its first line, offset, length
        key, ts, data = line.split(" ", 2)
        block = json.loads(data)
        assert block["offset"] == end
        member = gzip.decompress(cdx[block["offset"]:block["offset"] + block["length"]])
        assert member.decode().split(" ", 2)[:2] == [key, ts]
        end += block["length"]
    assert end == len(cdx)


def _zip64_local_headers(path: Path) -> list[str]:
    """The entries whose local file header carries a Zip64 extra field (id 0x0001)."""
    found = []
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        for info in z.infolist():
            f.seek(info.header_offset)
            head = f.read(30)
            assert head[:4] == b"PK\x03\x04"
            name_len, extra_len = struct.unpack("<HH", head[26:30])
            f.seek(name_len, 1)
            extra = f.read(extra_len)
            while len(extra) >= 4:
                kind, size = struct.unpack("<HH", extra[:4])
                if kind == 0x0001:
                    found.append(info.filename)
                extra = extra[4 + size:]
    return found


def test_no_entry_of_a_small_wacz_has_zip64_headers(wacz: Path) -> None:
    """ReplayWeb.page's ZIP reader does not follow Zip64 local headers: with them on
    indexes/index.cdx.gz it finds no index and every page is "Archived Page Not Found"
    (py-wacz writes none). Zip64 only where an entry's size needs it."""
    assert _zip64_local_headers(wacz) == []


@pytest.mark.slow
def test_a_damaged_wacz_fails_validation(wacz: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.wacz"
    with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(damaged, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                at = data.index(b'"title": "') + 10
                data = data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1:]  # case of a letter
            out.writestr(info, data)
    done = tool("wacz", "validate", "-f", damaged)
    assert done.returncode != 0
    assert "Validation failed" in done.stdout
    assert "'pages.jsonl': [{'type': 'hash-count'" in done.stdout  # frictionless names it


@pytest.fixture(scope="module")
def wayback(wacz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pywb")
    for args in (["init", COLL], ["add", "--unpack-wacz", COLL, str(wacz)]):
        done = subprocess.run([str(WB_MANAGER), *args], cwd=root, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stdout + done.stderr
    with requests.Session() as session:
        session.trust_env = False
        proc, base = _start_wayback(root, session)
        try:
            yield base
        finally:
            _stop(proc)


@pytest.mark.slow
def test_pywb_replays_an_article_from_the_wacz(wayback: str, crawled: Crawled) -> None:
    index = (crawled.root / "indexes" / "index.cdxj").read_text().splitlines()
    timestamp = next(line.split(" ")[1] for line in index
                     if json.loads(line.split(" ", 2)[2])["url"] == crawled.url)
    with requests.Session() as session:
        session.trust_env = False
        raw = session.get(f"{wayback}/{COLL}/{timestamp}id_/{crawled.url}", timeout=20)
        assert raw.status_code == 200, raw.text[:500]
        assert raw.content == crawled.payload
        framed = session.get(f"{wayback}/{COLL}/{timestamp}mp_/{crawled.url}", timeout=20)
        assert framed.status_code == 200
        text = unescape(framed.text)
        assert crawled.title in text and crawled.paragraph in text

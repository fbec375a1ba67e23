"""Make this directory's WARCs and expected outputs (tests/test_normalise_single_pass.py).

The WARCs: a crawl of the test site (8 articles, WARCs of 60 kB, its images included) and
one WARC built from the extraction fixtures (fixtures/normalise/) with an image, a
repeated payload and a revisit. The expected outputs (``expected/``) were written by
``preserve normalise`` as it was before it read pages through the index (two passes,
each page parsed twice): the test holds today's code to the same bytes. Run from the
repository only to make a new corpus (the WARCs change, so must the expected files)::

    python tests/data/normalise_single_pass/generate.py [--outputs-only]
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "tests")]

from helpers_crawl import crawl  # noqa: E402
from preserve.collection import Collection  # noqa: E402
from preserve.config import CollectionConfig, CrawlConfig, Description  # noqa: E402
from preserve.normalise.collection import normalise_collection  # noqa: E402
from preserve.store.indexer import build_indexes  # noqa: E402
from testsite import TestSite  # noqa: E402

FIXTURES = ROOT / "fixtures" / "normalise"
WARCS = HERE / "warcs"
EXPECTED = HERE / "expected"


def _write(writer: WARCWriter, rng: random.Random, url: str, date: str, body: bytes,
           ctype: str, rec_type: str = "response",
           extra: dict[str, str] | None = None) -> None:
    http = StatusAndHeaders("200 OK", [("Content-Type", ctype),
                                       ("Content-Length", str(len(body)))],
                            protocol="HTTP/1.1")
    headers = {"WARC-Record-ID": f"<urn:uuid:{rng.getrandbits(128):032x}>",
               "WARC-Date": date, **(extra or {})}
    record = writer.create_warc_record(url, rec_type, payload=io.BytesIO(body),
                                       length=len(body), http_headers=http,
                                       warc_headers_dict=headers)
    writer.write_record(record)


def fixture_warc(path: Path) -> None:
    """The fixture pages as captures: each page under its own URL, an image (incompressible,
    so inflating it would show in the count), one page captured again at a new URL (a
    payload seen before) and a revisit of another."""
    rng = random.Random(19)
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i, page in enumerate(sorted(FIXTURES.glob("*.html"))):
            spec = json.loads((FIXTURES / f"{page.stem}.expected.json").read_text("utf-8"))
            charset = spec.get("http_charset")
            ctype = "text/html" + (f"; charset={charset}" if charset else "")
            _write(writer, rng, spec["url"], f"2026-12-01T00:00:{i:02d}Z", page.read_bytes(),
                   ctype)
            if i == 0:
                image = bytes(rng.getrandbits(8) for _ in range(200_000))
                _write(writer, rng, "https://fixtures.example/logo.png",
                       "2026-12-01T00:01:00Z", image, "image/png")
        listing = (FIXTURES / "listing.html").read_bytes()
        _write(writer, rng, "https://fixtures.example/listing-again/", "2026-12-01T00:02:00Z",
               listing, "text/html; charset=utf-8")
        digest = "sha1:" + base64.b32encode(hashlib.sha1(listing).digest()).decode()
        _write(writer, rng, "https://fixtures.example/listing-again/", "2026-12-02T00:00:00Z",
               b"", "text/html; charset=utf-8", rec_type="revisit",
               extra={"WARC-Payload-Digest": digest,
                      "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/"
                                      "identical-payload-digest",
                      "WARC-Refers-To-Target-URI": "https://fixtures.example/listing-again/",
                      "WARC-Refers-To-Date": "2026-12-01T00:02:00Z"})


def make_warcs() -> None:
    if WARCS.exists():
        shutil.rmtree(WARCS)
    WARCS.mkdir()
    with tempfile.TemporaryDirectory() as tmp, TestSite(articles=8) as site:
        coll, _ = crawl(Path(tmp) / "c", (site.url,), warc_size=60_000)
        for p in coll.closed_warcs():
            shutil.copy(p, WARCS / p.name)
    fixture_warc(WARCS / "fixtures-00000.warc.gz")


def collection(root: Path) -> Collection:
    """A collection holding this directory's WARCs, indexed."""
    coll = Collection.create(root, CollectionConfig(Description(title="single pass"),
                                                    CrawlConfig()))
    for p in sorted(WARCS.glob("*.warc.gz")):
        shutil.copy(p, coll.warcs / p.name)
    build_indexes(coll)
    return coll


def search_rows(path: Path) -> list[str]:
    """The search index's pages, one JSON line each, in rowid order."""
    db = sqlite3.connect(path)
    try:
        cur = db.execute("SELECT * FROM docs ORDER BY rowid")
        names = [d[0] for d in cur.description]
        return [json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n"
                for row in cur]
    finally:
        db.close()


def outputs(coll: Collection) -> dict[str, str]:
    """What normalise wrote, by expected file name."""
    return {"articles.jsonl": coll.articles_path.read_text("utf-8"),
            "sites.jsonl": coll.sites_path.read_text("utf-8"),
            "search.jsonl": "".join(search_rows(coll.search_index_path))}


def main() -> None:
    if "--outputs-only" not in sys.argv:
        make_warcs()
    EXPECTED.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        coll = collection(Path(tmp) / "c")
        normalise_collection(coll)
        for name, text in outputs(coll).items():
            (EXPECTED / name).write_text(text, "utf-8")


if __name__ == "__main__":
    main()

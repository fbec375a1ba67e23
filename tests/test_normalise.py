"""preserve normalise on a real crawl of the test site, and on hand-built WARCs: banner
removed and kept once as a site note, provenance that leads back to the record, page
types, revisits resolved, duplicates marked, idempotent and incremental runs, errors."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from helpers_crawl import cli, crawl, create, jsonl
from preserve import extract_article
from preserve.capture.crawler import Crawler
from preserve.collection import Collection
from preserve.errors import WarcFormatError
from preserve.normalise.collection import normalise_collection
from testsite import TestSite

BANNER = "This site is archived."


@dataclass
class Normalised:
    site: TestSite
    coll: Collection
    lines: list[dict[str, Any]]

    def by_url(self, path: str) -> dict[str, Any]:
        url = self.site.absolute(path)
        [line] = [x for x in self.lines if x["url"] == url]
        return line


@pytest.fixture(scope="module")
def site() -> Iterator[TestSite]:
    with TestSite(articles=8) as started:
        yield started


@pytest.fixture(scope="module")
def done(site: TestSite, tmp_path_factory: pytest.TempPathFactory) -> Normalised:
    coll, _ = crawl(tmp_path_factory.mktemp("norm") / "mep", (site.url,), warc_size=60_000)
    normalise_collection(coll)
    return Normalised(site, coll, jsonl(coll.root / "normalised" / "articles.jsonl"))


def test_every_article_is_an_article_with_its_metadata_and_whole_body(done: Normalised) -> None:
    for a in done.site.site.articles:
        line = done.by_url(a.path)
        assert line["page_type"] == "article", a.path
        assert line["title"] == a.title
        assert line["authors"] == [a.author]
        assert line["published"][:10] == f"{a.published:%Y-%m-%d}"
        for paragraph in a.paragraphs:
            assert paragraph.removeprefix("## ") in line["body_text"], (a.path, paragraph)
        assert "Newsletter" not in line["body_text"] and "Sign up" not in line["body_text"]
        assert "Back to all news" not in line["body_text"]


def test_the_banner_is_a_site_note_not_body_text(done: Normalised) -> None:
    assert all(BANNER not in line["body_text"] for line in done.lines)
    [site] = jsonl(done.coll.root / "normalised" / "sites.jsonl")
    assert site["pages"] >= len(done.site.site.articles)
    assert [n for n in site["notes"] if n.startswith(BANNER)] == site["notes"][:1]


def test_page_types(done: Normalised) -> None:
    assert done.by_url("/news/")["page_type"] == "listing"
    assert done.by_url("/")["page_type"] == "listing"
    assert done.by_url("/contact/")["page_type"] == "page"  # a static page, short or not
    assert done.by_url("/about/")["page_type"] == "page"
    assert done.by_url("/events/2026/11/")["page_type"] == "other"  # nothing but template
    assert {line["page_type"] for line in done.lines} == {"article", "page", "listing",
                                                          "other"}


def test_cp1252_page_decodes_to_the_right_characters(done: Normalised) -> None:
    line = done.by_url("/news/2016/05/cp1252/")
    assert line["encoding"] == "cp1252"
    assert "€2.4 billion" in line["body_text"] and "Herr Müller" in line["body_text"]
    assert "“Madam President" in line["body_text"]


def test_provenance_leads_back_to_the_record(done: Normalised) -> None:
    for line in done.lines:
        prov = line["provenance"]
        path = done.coll.warcs / prov["warc_file"]
        with path.open("rb") as f:
            f.seek(prov["offset"])
            member = f.read(prov["length"])
        [record] = list(ArchiveIterator(io.BytesIO(member)))
        assert record.rec_headers.get_header("WARC-Record-ID") == prov["record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == line["url"]
        assert record.rec_headers.get_header("WARC-Date") == prov["capture_time"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == prov["payload_digest"]
    assert len({line["id"] for line in done.lines}) == len(done.lines)


def test_a_second_run_changes_nothing(done: Normalised) -> None:
    out = done.coll.root / "normalised" / "articles.jsonl"
    before = out.read_bytes()
    summary = normalise_collection(done.coll)
    assert (summary.warcs, summary.pages, summary.total_lines) == (0, 0, len(done.lines))
    assert out.read_bytes() == before
    [event] = [e for e in jsonl(done.coll.events_path) if e["eventType"] == "articles normalised"]
    assert event["linkingObject"] == "normalised/articles.jsonl"
    assert event["data"]["pages"] == len(done.lines) and event["eventOutcome"] == "success"
    assert event["data"]["warc_files"] == [p.name for p in done.coll.closed_warcs()]


@pytest.mark.slow
def test_a_new_crawl_is_normalised_incrementally_and_repeats_are_duplicates(
        site: TestSite, tmp_path: Path) -> None:
    coll, _ = crawl(tmp_path / "twice", (site.url,))
    normalise_collection(coll)
    out = coll.root / "normalised" / "articles.jsonl"
    first = out.read_text(encoding="utf-8")
    Crawler(coll, coll.load_config()).run()  # crawl 0002: the same site again
    summary = normalise_collection(coll)
    assert summary.warcs == 1 and summary.skipped_warcs == 1
    text = out.read_text(encoding="utf-8")
    assert text.startswith(first)
    new = [json.loads(x) for x in text[len(first):].splitlines()]
    old = {x["url"]: x for x in map(json.loads, first.splitlines())}
    articles = [x for x in new if x["page_type"] == "article"]
    assert articles and summary.duplicates >= len(articles)
    for line in articles:
        assert line["duplicate_of"] == old[line["url"]]["id"]
        assert old[line["url"]]["duplicate_of"] is None


def _http(body: bytes, ctype: str = "text/html; charset=utf-8") -> StatusAndHeaders:
    return StatusAndHeaders("200 OK", [("Content-Type", ctype),
                                       ("Content-Length", str(len(body)))], protocol="HTTP/1.1")


ARTICLE = (b"<html><head><title>Fish</title><meta property='og:type' content='article'></head>"
           b"<body><article><h1>Fish</h1>" + b"<p>The fishing fleets of the north need a fair "
           b"share of the quota, said the member in a debate on the common policy.</p>" * 6
           + b"</article></body></html>")


def _warc(coll: Collection, name: str, records: list[tuple[str, str, bytes]]) -> Path:
    """A WARC written by warcio: (type, url, payload) records; revisits refer to the
    first response of the same payload."""
    path = coll.warcs / name
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        firsts: dict[bytes, Any] = {}
        for kind, url, body in records:
            if kind == "revisit":
                orig = firsts[body]
                rec = writer.create_revisit_record(
                    url, orig.rec_headers.get_header("WARC-Payload-Digest"),
                    orig.rec_headers.get_header("WARC-Target-URI"),
                    orig.rec_headers.get_header("WARC-Date"), http_headers=_http(body))
                rec.rec_headers.add_header("WARC-Refers-To",
                                           orig.rec_headers.get_header("WARC-Record-ID"))
            else:
                ctype = "application/pdf" if body.startswith(b"%PDF") else "text/html"
                rec = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                length=len(body), http_headers=_http(body, ctype))
                firsts.setdefault(body, rec)
            writer.write_record(rec)
    return path


def test_revisits_are_resolved_and_non_html_is_skipped(tmp_path: Path) -> None:
    coll = create(tmp_path / "hand", ("http://example.org/",))
    _warc(coll, "hand-0001.warc.gz", [
        ("response", "http://example.org/a", ARTICLE),
        ("response", "http://example.org/doc.pdf", b"%PDF-1.4 not a page"),
        ("revisit", "http://example.org/a?copy=1", ARTICLE),
    ])
    normalise_collection(coll)
    first, revisit = jsonl(coll.root / "normalised" / "articles.jsonl")
    assert first["page_type"] == revisit["page_type"] == "article"
    assert revisit["body_text"] == first["body_text"] != ""
    assert revisit["provenance"]["revisit_of"]["record_id"] == first["provenance"]["record_id"]
    assert revisit["duplicate_of"] == first["id"]


def test_a_corrupt_warc_is_one_line_and_exit_2(tmp_path: Path) -> None:
    coll = create(tmp_path / "bad", ("http://example.org/",))
    _warc(coll, "bad-0001.warc.gz", [("response", "http://example.org/a", ARTICLE)])
    with (coll.warcs / "bad-0002.warc.gz").open("wb") as f:
        f.write(b"\x1f\x8b\x08\x00garbage that is not a WARC at all" * 10)
    with pytest.raises(WarcFormatError):
        normalise_collection(coll)
    assert not (coll.root / "normalised" / "articles.jsonl").exists()
    result = cli("normalise", coll.root, "--quiet")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "bad-0002.warc.gz" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_collection_is_exit_2(tmp_path: Path) -> None:
    result = cli("normalise", tmp_path / "nothing-here")
    assert result.returncode == 2 and result.stderr.startswith("preserve: error:")
    assert result.stderr.count("\n") == 1


@pytest.mark.slow
def test_cli_normalise_and_extract(tmp_path: Path) -> None:
    coll = create(tmp_path / "c", ("http://example.org/",))
    _warc(coll, "c-0001.warc.gz", [("response", "http://example.org/a", ARTICLE)])
    result = cli("normalise", coll.root, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["articles"] == 1
    page = tmp_path / "page.html"
    page.write_bytes(ARTICLE)
    text = cli("extract", page, "--format", "text")
    assert text.returncode == 0 and text.stdout.startswith("The fishing fleets")
    md = cli("extract", page, "--format", "markdown", "--url", "http://example.org/2019/01/02/x")
    assert md.stdout.startswith("# Fish\n\nThe fishing fleets")
    as_json = json.loads(cli("extract", page, "--url", "http://example.org/2019/01/02/x").stdout)
    assert as_json["published"] == "2019-01-02" and as_json["title"] == "Fish"
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 10)
    bad = cli("extract", junk)
    assert bad.returncode == 0 and json.loads(bad.stdout)["page_type"] == "other"
    missing = cli("extract", tmp_path / "no-such.html")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_removed_output_is_rebuilt_from_scratch(tmp_path: Path) -> None:
    coll = create(tmp_path / "r", ("http://example.org/",))
    _warc(coll, "r-0001.warc.gz", [("response", "http://example.org/a", ARTICLE)])
    normalise_collection(coll)
    shutil.rmtree(coll.root / "normalised")
    assert normalise_collection(coll).pages == 1


def _big_page(i: int) -> bytes:
    paras = "".join(f"<p>Item {i}, paragraph {j}: the committee on fisheries met again on "
                    f"quota {i * j} and the harbour at {j} o'clock, and the debate went on.</p>"
                    for j in range(250))
    return (f"<html><head><title>Page {i}</title><meta property='og:type' content='article'>"
            f"</head><body><article><h1>Page {i}</h1>{paras}</article></body></html>").encode()


_MAX_RSS = ("import resource, sys; from pathlib import Path; "
            "from preserve.collection import Collection; "
            "from preserve.normalise.collection import normalise_collection; "
            "normalise_collection(Collection.open(Path(sys.argv[1]))); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


@pytest.mark.slow
def test_memory_stays_flat_as_the_collection_grows(tmp_path: Path) -> None:
    """Peak RSS of a run over 100 pages of 40 KB is within a few MB of a run over 25:
    holding the pages (or their parsed trees) would add tens of MB."""
    import subprocess
    import sys

    peaks = []
    for n in (25, 100):
        coll = create(tmp_path / f"c{n}", ("http://example.org/",))
        _warc(coll, "m-0001.warc.gz",
              [("response", f"http://example.org/{i}", _big_page(i)) for i in range(n)])
        run = subprocess.run([sys.executable, "-c", _MAX_RSS, str(coll.root)],
                             capture_output=True, text=True, timeout=120, check=True)
        peaks.append(int(run.stdout.strip()))  # KiB
        assert len(jsonl(coll.root / "normalised" / "articles.jsonl")) == n
    assert peaks[1] - peaks[0] < 12 * 1024, peaks


def _templated(i: int, story: int) -> bytes:
    """Page ``i`` of a small site: the same template around story ``story``'s text."""
    text = "".join(f"<p>Story {story}, part {j}: the council debated the new harbour plan "
                   f"for a long evening and agreed to meet again in spring.</p>"
                   for j in range(6))
    return (f"<html><head><title>Story {story}</title>"
            f"<meta property='og:type' content='article'></head><body>"
            f"<div class='notice' role='note'><p>Notice: this council site is no longer "
            f"updated.</p></div><article><h1>Story {story}</h1>{text}"
            f"<p>Subscribe to the council newsletter for every new harbour decision.</p>"
            f"</article><footer><p>Council offices, 1 Quay Street.</p></footer>"
            f"</body></html>").encode()


def test_site_template_is_learned_but_an_article_at_two_urls_is_not_template(
        tmp_path: Path) -> None:
    coll = create(tmp_path / "t", ("http://council.example/",))
    records = [("response", f"http://council.example/s/{i}", _templated(i, i))
               for i in range(9)]
    # Story 0 again at another URL: its paragraphs are on 2 of 10 pages, not template.
    records.append(("response", "http://council.example/print/0",
                    _templated(99, 0).replace(b"<footer>", b"<footer><p>Printed.</p>")))
    _warc(coll, "t-0001.warc.gz", records)
    normalise_collection(coll)
    lines = jsonl(coll.root / "normalised" / "articles.jsonl")
    assert len(lines) == 10
    for line in lines:
        assert "Story" in line["body_text"] and "part 5" in line["body_text"]
        assert "Subscribe to the council newsletter" not in line["body_text"]
        assert "no longer updated" not in line["body_text"]
    assert lines[-1]["duplicate_of"] == lines[0]["id"]
    # A page alone cannot tell: the sign-up line looks like content without the site.
    assert "Subscribe to the council newsletter" in extract_article(_templated(1, 1)).body_text
    [site] = jsonl(coll.root / "normalised" / "sites.jsonl")
    assert site == {"host": "council.example", "pages": 10,
                    "notes": ["Notice: this council site is no longer updated."]}


def test_block_counts_are_the_same_however_often_they_are_spilled(tmp_path: Path) -> None:
    """The learner's counts, summed in memory and added to SQLite in bounds, equal counting
    each page in the database; a WARC rolled back (a stale index) leaves no count behind."""
    from preserve.normalise.state import NormaliseState

    pages = [("a.example", ["k1", "k2", "k3"]), ("b.example", ["k1"]),
             ("a.example", ["k2", "k3", "k4"]), ("a.example", ["k3"])]
    seen = []
    for spill in (1, 2, 1_000):
        state = NormaliseState(tmp_path / f"s{spill}.sqlite3", spill=spill)
        state.count_page(*pages[0])
        state.savepoint()
        state.count_page("a.example", ["k1", "gone"])  # learnt from a stale index: undone
        state.count_page("c.example", ["k1"])
        state.rollback_to()
        for host, keys in pages[1:]:
            state.count_page(host, keys)
        seen.append((state.hosts(), state.host_pages("a.example"),
                     [state.block_pages(h, k) for h in ("a.example", "b.example")
                      for k in ("k1", "k2", "k3", "k4", "gone")]))
        state.commit()
        state.close()
    assert seen[0] == seen[1] == seen[2] == (
        [("a.example", 3), ("b.example", 1)], 3, [1, 2, 3, 1, 0, 1, 0, 0, 0, 0])

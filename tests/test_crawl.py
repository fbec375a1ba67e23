"""End to end: crawl the bundled test site and check everything the collection holds.

One crawl of the whole site (through the library, with WARC rotation) is shared by most
tests here; each checks one promise of docs/collection.md against the real server's log
of the bytes it received and sent. Smaller crawls cover the scope options, the limits,
the sha256 digest and the command line.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from helpers_crawl import (
    WarcRecord,
    cli,
    crawl,
    create,
    jsonl,
    path_of,
    read_warc,
    sha1_digest,
    sha256_digest,
    tool,
)
from preserve.capture.crawler import CrawlSummary
from preserve.capture.scope import link_depth
from preserve.collection import Collection
from testsite import RequestLog, TestSite
from testsite.assets import UPLOADED_MANIFESTO
from testsite.site import FEED_ONLY_PATH, HIDDEN_PATH

UA = "preserve-e2e/1.0 (+https://example.invalid/tests)"
WARC_SIZE = 150_000  # the main crawl rotates through a few files
SHA1 = re.compile(r"sha1:[A-Z2-7]{32}")
SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
UUID_ID = re.compile(r"<urn:uuid:[0-9a-f-]{36}>")
WARC_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
ISO_TIME = WARC_DATE


@dataclass
class Crawled:
    site: TestSite
    coll: Collection
    summary: CrawlSummary
    records: list[WarcRecord]
    log: list[dict[str, object]]

    def of_type(self, *types: str) -> list[WarcRecord]:
        return [r for r in self.records if r.type in types]

    @property
    def captured(self) -> set[str]:
        return {r.uri for r in self.of_type("response", "revisit")}

    def by_id(self) -> dict[str, WarcRecord]:
        return {r.id: r for r in self.records}


@pytest.fixture(scope="module")
def site() -> Iterator[TestSite]:
    """This module's own test site, so its request log holds only these crawls."""
    with TestSite() as started:
        yield started


@pytest.fixture(scope="module")
def main(site: TestSite, tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    """The whole site, crawled once with the defaults (but no delay) and small WARCs."""
    root = tmp_path_factory.mktemp("main") / "mep"
    coll, summary = crawl(root, (site.url,), warc_size=WARC_SIZE, user_agent=UA,
                          operator="Test operator <ops@example.invalid>")
    records = [r for path in coll.closed_warcs() for r in read_warc(path)]
    return Crawled(site, coll, summary, records, jsonl(coll.logs / "crawl-0001.jsonl"))


def main_requests(site: TestSite) -> list[RequestLog]:
    return [e for e in site.requests if dict(e.headers).get("User-Agent") == UA]


# -- what was captured, and what was not -----------------------------------------------


def test_the_crawl_finishes_cleanly(main: Crawled) -> None:
    s = main.summary
    assert (s.status, s.stop_reason, s.failures, s.failed_urls) == ("finished", "finished", 0, [])
    assert s.captured == len(main.of_type("response", "revisit")) == len(main.captured)
    assert s.revisits == len(main.of_type("revisit")) == 1
    assert s.statuses["200"] > 150
    assert (s.statuses["301"], s.statuses["302"], s.statuses["404"]) == (1, 1, 1)
    assert s.robots_blocked == 1 and s.blocked_addresses == 0
    closed = [p.name for p in main.coll.closed_warcs()]
    assert len(closed) >= 3  # rotated at WARC_SIZE
    # docs/collection.md says `warcs` is the file closed at the end; the code lists every
    # file closed in the run. Either way, the last file is there.
    assert max(closed) in s.warcs and set(s.warcs) <= set(closed)
    assert main.coll.open_warcs() == []


def test_every_expected_url_is_captured_and_nothing_else_but_traps(main: Crawled) -> None:
    site = main.site
    assert site.expected_urls() <= main.captured
    unexpected = main.captured - site.expected_urls()
    assert unexpected  # the calendar drew the crawler in a little way...
    assert all(site.is_trap(url) for url in unexpected)


def test_sitemap_only_and_feed_only_pages_are_found_through_them(main: Crawled) -> None:
    hops = {line["url"]: line["hops"] for line in main.log if line["outcome"] == "captured"}
    for path in (HIDDEN_PATH, FEED_ONLY_PATH):
        url = main.site.absolute(path)
        assert url in main.captured
        assert str(hops[url]).endswith("S")  # listed in a sitemap or feed, linked nowhere
    assert hops[main.site.absolute("/sitemap-news.xml.gz")] == "XX"  # via the sitemap index


def test_the_calendar_trap_is_bounded_by_max_depth(main: Crawled) -> None:
    traps = [line for line in main.log
             if line["outcome"] == "captured" and main.site.is_trap(str(line["url"]))]
    assert 0 < len(traps) <= 2 * 2 * 20  # calendar and list views, 20 hops either way
    assert max(link_depth(str(line["hops"])) for line in traps) == 20
    deeper = [line for line in main.log if line.get("error") == "max-depth"]
    assert any(main.site.is_trap(str(line["url"])) for line in deeper)


def test_each_url_is_requested_and_captured_once(main: Crawled) -> None:
    counts = Counter(e.path for e in main_requests(main.site))
    assert [p for p, n in counts.items() if n > 1] == []
    assert Counter(r.uri for r in main.of_type("response", "revisit")).most_common(1)[0][1] == 1
    assert set(counts) == {path_of(url) for url in main.captured}


def test_nothing_disallowed_faulty_or_off_site_is_requested(main: Crawled) -> None:
    site = main.site
    paths = {e.path for e in main_requests(site)}
    assert not {path_of(u) for u in site.disallowed_urls() | site.fault_urls()} & paths
    assert {dict(e.headers)["Host"] for e in main_requests(site)} == {f"127.0.0.1:{site.port}"}
    blocked = [line for line in main.log if line["outcome"] == "robots-blocked"]
    assert [line["url"] for line in blocked] == sorted(site.disallowed_urls())
    assert blocked[0]["error"] == "disallowed by robots.txt (rules)"
    assert all(r.uri.startswith(site.url) for r in main.of_type("request"))


def test_off_site_links_are_logged_as_out_of_scope_only(main: Crawled) -> None:
    off_site = [line for line in main.log if not str(line["url"]).startswith(main.site.url)]
    hosts = {urlsplit(str(line["url"])).hostname for line in off_site}
    assert {"www.parliament.example", "twitter.example", "facebook.example"} <= hosts
    assert {line["outcome"] for line in off_site} == {"out-of-scope"}
    assert {line["error"] for line in off_site} == {"out-of-scope"}
    assert Counter(line["url"] for line in off_site).most_common(1)[0][1] == 1  # logged once


def test_no_captured_url_is_also_logged_as_not_fetched(main: Crawled) -> None:
    skipped = {line["url"] for line in main.log if line["outcome"] in ("out-of-scope", "trap")}
    assert skipped & main.captured == set()


# -- the WARC files ---------------------------------------------------------------------


@pytest.mark.slow
def test_warcio_check_passes_on_every_warc(main: Crawled) -> None:
    for path in main.coll.closed_warcs():
        result = tool("warcio", "check", "-v", path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "digest pass" in result.stdout


def test_warcio_reads_every_record_with_digests_checked(main: Crawled) -> None:
    count = 0
    for path in main.coll.closed_warcs():
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, check_digests="raise"):
                record.content_stream().read()
                count += 1
    assert count == len(main.records)


def test_each_file_starts_with_a_warcinfo_record(main: Crawled) -> None:
    by_file: dict[str, list[WarcRecord]] = defaultdict(list)
    for r in main.records:
        by_file[r.file].append(r)
    assert len(by_file) >= 3
    for name, records in by_file.items():
        info = records[0]
        assert [r.type for r in records].count("warcinfo") == 1 and info.type == "warcinfo"
        assert info.get("WARC-Filename") == name
        assert info.get("Content-Type") == "application/warc-fields"
        assert info.get("WARC-Block-Digest") == sha1_digest(info.block)
        fields = dict(info.fields())
        assert fields["software"] == "preserve/0.1.0"
        assert fields["format"] == "WARC File Format 1.1"
        assert fields["conformsTo"] == (
            "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/")
        assert fields["operator"] == "Test operator <ops@example.invalid>"
        assert fields["robots"] == "obey"
        assert fields["http-header-user-agent"] == UA
        assert fields["isPartOf"] == "Test crawl"
        assert fields["crawl"] == "0001"
        assert fields["hostname"]
        assert (fields["dc:type"], fields["dc:format"]) == ("Collection", "application/warc")
        assert all(r.get("WARC-Warcinfo-ID") == info.id for r in records[1:])


def test_every_record_has_the_common_headers(main: Crawled) -> None:
    ids = [r.id for r in main.records]
    assert len(set(ids)) == len(ids)
    for r in main.records:
        assert r.version == "WARC/1.1"
        assert [k for k, _ in r.headers[:3]] == ["WARC-Type", "WARC-Record-ID", "WARC-Date"]
        assert r.headers[-1] == ("Content-Length", str(len(r.block)))
        assert UUID_ID.fullmatch(r.id) and WARC_DATE.fullmatch(r.get("WARC-Date") or "")


def test_response_records_carry_address_and_digests(main: Crawled) -> None:
    for r in main.of_type("response"):
        assert r.get("WARC-IP-Address") == "127.0.0.1"
        assert r.get("Content-Type") == "application/http;msgtype=response"
        assert SHA1.fullmatch(r.get("WARC-Block-Digest") or "")
        assert r.get("WARC-Block-Digest") == sha1_digest(r.block)
        assert r.get("WARC-Payload-Digest") == sha1_digest(r.payload)
        assert r.get("WARC-Truncated") is None


def test_each_response_is_followed_by_its_request(main: Crawled) -> None:
    for i, r in enumerate(main.records):
        if r.type not in ("response", "revisit"):
            continue
        request = main.records[i + 1]
        assert request.type == "request" and request.file == r.file
        assert request.get("WARC-Concurrent-To") == r.id
        assert request.uri == r.uri and request.get("WARC-Date") == r.get("WARC-Date")
        assert request.get("Content-Type") == "application/http;msgtype=request"
        assert request.get("WARC-Block-Digest") == sha1_digest(request.block)
        assert request.get("WARC-Payload-Digest") == sha1_digest(b"")
    assert len(main.of_type("request")) == main.summary.captured


def test_html_pages_get_a_metadata_record_with_outlinks(main: Crawled) -> None:
    log = {line["url"]: line for line in main.log if line["outcome"] == "captured"}
    pages = 0
    for i, r in enumerate(main.records):
        if r.type != "response":
            continue
        is_html = b"Content-Type: text/html" in r.http_head
        status = int(r.block.split(b" ", 2)[1])
        after = main.records[i + 2] if i + 2 < len(main.records) else None
        if not (is_html and 200 <= status < 300):
            assert after is None or after.type != "metadata" or after.uri != r.uri
            continue
        pages += 1
        assert after is not None and after.type == "metadata" and after.uri == r.uri
        assert after.get("WARC-Concurrent-To") == r.id
        assert after.get("WARC-Date") == r.get("WARC-Date")
        assert after.get("Content-Type") == "application/warc-fields"
        fields = after.fields()
        names = [name for name, _ in fields]
        line = log[r.uri]
        if line["hops"]:
            assert fields[:2] == [("via", line["via"]), ("hopsFromSeed", line["hops"])]
        else:  # the seed
            assert "via" not in names and "hopsFromSeed" not in names
        outlinks = [value.rsplit(" ", 1) for name, value in fields if name == "outlink"]
        assert outlinks and all(hop in "LERXS" and len(hop) == 1 for _, hop in outlinks)
        if r.uri == main.site.url:
            assert [main.site.absolute("/static/site.css"), "E"] in outlinks
            assert [main.site.absolute("/news/"), "L"] in outlinks
            assert [main.site.absolute("/feed.xml"), "X"] in outlinks
            assert any(u.startswith("https://twitter.example/") for u, _ in outlinks)
    assert pages == main.summary.pages


def test_response_and_request_blocks_are_the_exact_wire_bytes(main: Crawled) -> None:
    sent = {e.path: e for e in main_requests(main.site)}
    heads = []
    for r in main.of_type("response", "revisit", "request"):
        entry = sent[path_of(r.uri)]
        assert entry.complete and entry.body_recorded
        if r.type == "request":
            assert r.block == entry.raw_request
        elif r.type == "response":
            assert r.block == entry.raw_response, r.uri
            heads.append(r.http_head)
        else:
            assert r.block == entry.raw_response.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert any(b"Transfer-Encoding: chunked" in h for h in heads)
    assert any(b"Content-Encoding: gzip" in h for h in heads)
    assert any(b"Content-Encoding: gzip" in h and b"chunked" in h for h in heads)
    assert any(b"charset=windows-1252" in h for h in heads)


def test_a_payload_seen_before_is_stored_as_a_revisit(main: Crawled) -> None:
    [revisit] = main.of_type("revisit")
    original = main.by_id()[revisit.get("WARC-Refers-To") or ""]
    pair = {original.uri, revisit.uri}
    assert pair == {main.site.absolute("/media/manifesto.pdf"),
                    main.site.absolute(UPLOADED_MANIFESTO)}
    assert original.type == "response"
    assert revisit.get("WARC-Profile") == (
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
    assert revisit.get("WARC-Refers-To-Target-URI") == original.uri
    assert revisit.get("WARC-Refers-To-Date") == original.get("WARC-Date")
    assert revisit.get("WARC-Payload-Digest") == original.get("WARC-Payload-Digest")
    assert revisit.get("WARC-Block-Digest") == sha1_digest(revisit.block)
    assert revisit.block.endswith(b"\r\n\r\n") and revisit.payload == b""
    assert revisit.get("WARC-IP-Address") == "127.0.0.1"
    assert [line["outcome"] for line in main.log if line["url"] == revisit.uri] == ["revisit"]


# -- the files beside the WARCs -------------------------------------------------------


def test_the_index_is_what_cdxj_indexer_writes(main: Crawled) -> None:
    names = [p.name for p in main.coll.closed_warcs()]
    result = tool("cdxj-indexer", "-s", *(main.coll.warcs / n for n in names))
    assert result.returncode == 0, result.stderr
    assert main.coll.index_path.read_text(encoding="utf-8") == result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == main.summary.captured  # responses and revisits (as cdxj-indexer)


def test_pages_jsonl_lists_every_html_page_with_its_title(main: Crawled) -> None:
    header, *pages = jsonl(main.coll.pages_path)
    assert header == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    html = {r.uri for r in main.of_type("response")
            if b"Content-Type: text/html" in r.http_head and r.block.startswith(b"HTTP/1.1 200")}
    assert {p["url"] for p in pages} == html
    assert len(pages) == len(html) == main.summary.pages
    titles = {p["url"]: p.get("title") for p in pages}
    assert all(titles.values())
    assert titles[main.site.url] == "Mairi Campbell MEP"
    assert titles[main.site.absolute(HIDDEN_PATH)] == "Accessibility statement \u2013 Mairi " \
                                                      "Campbell MEP"
    speech = titles[main.site.absolute("/news/2016/05/cp1252/")]
    assert speech is not None and "Scotland\u2019s" in speech  # decoded as windows-1252
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["ts"]) for p in pages)
    assert all(re.fullmatch(r"[0-9a-f]{16}", p["id"]) for p in pages)


def test_the_fixity_manifest_lists_every_warc(main: Crawled) -> None:
    lines = main.coll.manifest_path.read_text(encoding="utf-8").splitlines()
    expected = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  warcs/{p.name}"
                for p in main.coll.closed_warcs()]
    assert sorted(lines) == sorted(expected)


def test_events_record_the_crawl(main: Crawled) -> None:
    events = jsonl(main.coll.events_path)
    types = [e["eventType"] for e in events]
    assert types[0] == "crawl started" and types[-1] == "crawl finished"
    started, finished = events[0], events[-1]
    assert started["data"] == {"seeds": [main.site.url], "scope": "host", "robots": "obey",
                               "final": False, "label": None, "kind": "crawl"}
    assert finished["eventOutcome"] == "success"
    assert finished["data"] == main.summary.to_dict()
    [robots] = [e for e in events if e["eventType"] == "robots policy"]
    assert robots["linkingObject"] == main.site.absolute("/robots.txt")
    assert robots["eventOutcomeDetail"] == "HTTP 200: rules"
    closed = [e for e in events if e["eventType"] == "file closed"]
    manifest = main.coll.manifest_path.read_text(encoding="utf-8")
    assert sorted(e["linkingObject"] for e in closed) == sorted(
        f"warcs/{p.name}" for p in main.coll.closed_warcs())
    for e in closed:
        path = main.coll.root / e["linkingObject"]
        assert f"{e['data']['sha256']}  {e['linkingObject']}" in manifest
        assert e["data"]["size"] == path.stat().st_size
        assert e["data"]["records"] == len(read_warc(path))
    for e in events:
        assert e["linkingAgent"] == "preserve/0.1.0" and e["crawl"] == "0001"
        assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", e["eventIdentifier"])
        assert ISO_TIME.fullmatch(e["eventDateTime"])


def test_the_crawl_log_has_one_line_per_url(main: Crawled) -> None:
    captures = [line for line in main.log if line["outcome"] in ("captured", "revisit")]
    assert len(captures) == len({line["url"] for line in captures}) == main.summary.captured
    records = {r.uri: r for r in main.of_type("response", "revisit")}
    for line in captures:
        record = records[str(line["url"])]
        assert (line["warc"], line["offset"]) == (record.file, record.offset)
        assert isinstance(line["status"], int) and isinstance(line["duration"], float)
        assert ISO_TIME.fullmatch(str(line["time"]))
        assert "error" not in line and "truncated" not in line
        assert {"time", "url", "status", "bytes", "mime", "hops", "duration", "outcome",
                "warc", "offset"} <= set(line)
        assert record.block.startswith(f"HTTP/1.1 {line['status']} ".encode())
    by_url = {line["url"]: line for line in captures}
    seed = by_url[main.site.url]
    assert seed["hops"] == "" and "via" not in seed and seed["mime"] == "text/html"
    css = by_url[main.site.absolute("/static/site.css")]
    assert (css["hops"], css["via"], css["mime"]) == ("E", main.site.url, "text/css")
    robots = by_url[main.site.absolute("/robots.txt")]
    assert robots["hops"] == "P"
    assert by_url[main.site.absolute("/static/layout.css")]["hops"] == "EE"  # @import
    skipped = [line for line in main.log if line["outcome"] == "out-of-scope"]
    assert skipped and all({"time", "url", "via", "hops", "error"} <= set(line)
                           for line in skipped)


def test_crawl_log_bytes_are_the_response_as_received(main: Crawled) -> None:
    sent = {e.path: e for e in main_requests(main.site)}
    for line in main.log:
        if line["outcome"] in ("captured", "revisit"):
            assert line["bytes"] == len(sent[path_of(str(line["url"]))].raw_response)
    assert main.summary.bytes == sum(int(str(line.get("bytes", 0))) for line in main.log)


# -- a sha256 crawl, the scope options and the limits ----------------------------------


def test_sha256_digests_are_lowercase_hex(site: TestSite, tmp_path: Path) -> None:
    coll, summary = crawl(tmp_path / "c", (site.url,), digest="sha256", max_pages=8,
                          concurrency=1)
    records = [r for p in coll.closed_warcs() for r in read_warc(p)]
    assert summary.stop_reason == "max-pages"
    for r in records:
        assert SHA256.fullmatch(r.get("WARC-Block-Digest") or "")
        assert r.get("WARC-Block-Digest") == sha256_digest(r.block)
        if r.type in ("response", "request"):
            assert r.get("WARC-Payload-Digest") == sha256_digest(r.payload)
    assert tool("warcio", "check", *coll.closed_warcs()).returncode == 0
    index = coll.index_path.read_text(encoding="utf-8")
    assert '"digest": "sha256:' in index


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[TestSite, TestSite]]:
    """Two small sites; the first links to the second under two other host names."""
    with TestSite(articles=4) as first, TestSite(articles=4, identity=1) as second:
        first.peers = [f"http://www.localhost:{second.port}/", second.url]
        yield first, second


def _outcomes(coll: Collection) -> dict[str, str]:
    """URL -> outcome of its first crawl-log line."""
    outcomes: dict[str, str] = {}
    for line in jsonl(coll.logs / "crawl-0001.jsonl"):
        outcomes.setdefault(str(line["url"]), str(line["outcome"]))
    return outcomes


def _seed(site: TestSite) -> str:
    return f"http://localhost:{site.port}/"


def test_host_scope_skips_other_hosts(pair: tuple[TestSite, TestSite], tmp_path: Path) -> None:
    first, second = pair
    coll, summary = crawl(tmp_path / "c", (_seed(first),))
    outcomes = _outcomes(coll)
    assert outcomes[_seed(first) + "about/"] == "captured"
    assert outcomes[f"http://www.localhost:{second.port}/"] == "out-of-scope"
    assert outcomes[second.url] == "out-of-scope"
    assert summary.failures == 0
    assert second.requests == []


def test_domain_scope_follows_subdomains(pair: tuple[TestSite, TestSite], tmp_path: Path) -> None:
    first, second = pair
    coll, _ = crawl(tmp_path / "c", (_seed(first),), scope="domain", ignore_robots=True,
                    retries=0)
    outcomes = _outcomes(coll)
    assert outcomes[_seed(first) + "about/"] == "captured"
    # www.localhost is in the domain: fetched (it fails where the name does not resolve)
    assert outcomes[f"http://www.localhost:{second.port}/"] in ("captured", "failed")
    assert outcomes[second.url] == "out-of-scope"  # 127.0.0.1 is not under localhost


def test_prefix_scope_stays_under_the_seed_path(site: TestSite, tmp_path: Path) -> None:
    seed = site.absolute("/news/")
    coll, summary = crawl(tmp_path / "c", (seed,), scope="prefix")
    log = jsonl(coll.logs / "crawl-0001.jsonl")
    captured = {str(line["url"]): str(line["hops"]) for line in log
                if line["outcome"] in ("captured", "revisit")}
    assert set(site.article_urls()) <= set(captured)  # /news/YYYY/MM/slug/
    followed = [url for url, hops in captured.items() if hops and hops[-1] in "LS"]
    assert followed and all(url.startswith(seed) for url in followed)
    assert site.absolute("/static/site.css") in captured  # requisites are fetched anyway
    skipped = {str(line["url"]) for line in log if line["outcome"] == "out-of-scope"}
    assert {site.absolute("/about/"), site.absolute("/contact/")} <= skipped
    assert summary.status == "finished"


def test_include_and_exclude(pair: tuple[TestSite, TestSite], tmp_path: Path) -> None:
    first, second = pair
    coll, _ = crawl(tmp_path / "c", (_seed(first),),
                    include=(rf"^http://127\.0\.0\.1:{second.port}/$", r"/news/2019/"),
                    exclude=(r"/news/20\d\d/",))
    outcomes: dict[str, dict[str, object]] = {}
    for line in jsonl(coll.logs / "crawl-0001.jsonl"):
        outcomes.setdefault(str(line["url"]), line)
    assert outcomes[second.url]["outcome"] == "captured"  # included, though on another host
    assert outcomes[second.url.rstrip("/") + "/about/"]["outcome"] == "out-of-scope"
    articles = [_seed(first) + url[len(first.url):] for url in first.article_urls()]
    for url in articles:  # exclude wins over include
        assert (outcomes[url]["outcome"], outcomes[url]["error"]) == ("out-of-scope", "excluded")
    assert {e.path for e in second.requests} >= {"/robots.txt", "/"}
    assert not any(e.path.startswith("/news/") for e in second.requests)


def test_max_depth(site: TestSite, tmp_path: Path) -> None:
    coll, summary = crawl(tmp_path / "c", (site.url,), max_depth=0)
    log = jsonl(coll.logs / "crawl-0001.jsonl")
    captured = [line for line in log if line["outcome"] == "captured"]
    assert all(link_depth(str(line["hops"])) == 0 for line in captured)
    assert {site.url, site.absolute("/static/site.css"), site.absolute("/sitemap.xml")} <= {
        line["url"] for line in captured}
    too_deep = {line["url"] for line in log if line.get("error") == "max-depth"}
    assert site.absolute("/news/") in too_deep and site.absolute(HIDDEN_PATH) in too_deep
    assert summary.status == "finished" and summary.out_of_scope >= len(too_deep)


# -- the command line -----------------------------------------------------------------


@pytest.mark.parametrize(("option", "value", "extra", "reason"), [
    ("--max-pages", "10", (), "max-pages"),
    ("--max-urls", "10", (), "max-urls"),
    pytest.param("--max-bytes", "20kB", (), "max-bytes", marks=pytest.mark.slow),
    pytest.param("--max-time", "0.5s", ("--delay", "0.1"), "max-time", marks=pytest.mark.slow),
])
def test_limits_stop_the_crawl(site: TestSite, tmp_path: Path, option: str, value: str,
                               extra: tuple[str, ...], reason: str) -> None:
    coll = tmp_path / "c"
    served_before = len(site.requests)
    result = cli("crawl", coll, "--seed", site.url, "--delay", "0", option, value, *extra,
                 "--quiet", "--json")
    served = len(site.requests) - served_before
    assert (result.returncode, result.stderr) == (0, "")
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["stop_reason"]) == ("limit-reached", reason)
    concurrency = 4
    if reason == "max-pages":
        # Pages, not captures (#14): requisites, robots.txt and sitemaps come on top.
        assert 10 <= summary["page_captures"] <= 10 + concurrency - 1
        assert summary["captured"] > summary["page_captures"] + 5
    elif reason == "max-urls":
        assert 10 <= summary["captured"] <= 10 + concurrency - 1
        assert summary["page_captures"] < summary["captured"]
    elif reason == "max-bytes":
        assert summary["bytes"] >= 20_000 and summary["captured"] < 40
    else:
        # One host, fetched one at a time with 0.1 s between requests: by the 0.5 s limit
        # at most 0.5 / 0.1 + 1 requests were sent. A late stop would send more (a load
        # that slows the machine only sends fewer).
        assert 0.5 <= summary["duration"] and summary["captured"] <= served <= 6
    events = jsonl(coll / "events.jsonl")
    assert events[-1]["eventType"] == "crawl finished"
    assert events[-1]["data"]["stop_reason"] == reason
    warcs = sorted((coll / "warcs").glob("*.warc.gz"))
    # A loaded machine can reach the 0.5 s limit before the first fetch ends: no WARC.
    assert warcs or reason == "max-time"
    if warcs:
        assert tool("warcio", "check", *warcs).returncode == 0


CliCrawl = tuple[Path, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def cli_crawl(site: TestSite, tmp_path_factory: pytest.TempPathFactory) -> CliCrawl:
    coll = tmp_path_factory.mktemp("cli") / "by-cli"
    result = cli("crawl", coll, "--seed", site.url, "--delay", "0", "--title", "By the CLI",
                 "--json")
    return coll, result


@pytest.mark.slow
def test_cli_crawl_prints_a_json_summary(cli_crawl: CliCrawl) -> None:
    coll, result = cli_crawl
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "finished" and summary["crawl"] == "0001"
    assert summary["captured"] > 150 and summary["revisits"] == 1 and summary["failures"] == 0
    assert set(summary) >= {"stop_reason", "pages", "bytes", "warc_bytes", "statuses",
                            "failed_urls", "out_of_scope", "robots_blocked", "traps",
                            "duration", "warcs", "blocked_addresses", "resumed"}
    assert jsonl(coll / "events.jsonl")[-1]["data"] == summary


@pytest.mark.slow
def test_cli_progress_goes_to_stderr_as_plain_lines(cli_crawl: CliCrawl) -> None:
    stderr = cli_crawl[1].stderr
    assert re.search(r"^crawl 0001: \d+ captured of \d+ known, \d+ fetching, .+ URL/s, "
                     r"\d+ failed, elapsed \S+, ETA .+$", stderr, re.MULTILINE)
    assert "\x1b[" not in stderr and "Traceback" not in stderr


@pytest.mark.slow
def test_cli_status_and_index(cli_crawl: CliCrawl) -> None:
    coll, _ = cli_crawl
    status = cli("status", coll)
    assert status.returncode == 0, status.stderr
    assert "title       By the CLI" in status.stdout
    assert re.search(r"crawl 0001  finished\s", status.stdout)
    info = json.loads(cli("status", coll, "--json").stdout)
    warcs = sorted((coll / "warcs").glob("*.warc.gz"))
    assert info["warcs"] == {"closed": len(warcs), "open": 0,
                             "bytes": sum(p.stat().st_size for p in warcs)}
    assert info["fixity"] == {"entries": len(warcs), "missing": []}
    assert info["unfinished"] is None and info["crawls"][0]["status"] == "finished"
    before = {p: (coll / p).read_bytes() for p in ("indexes/index.cdxj", "pages/pages.jsonl")}
    rebuilt = cli("index", coll)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert re.fullmatch(r"indexed \d+ records, \d+ pages from 1 WARC file\n", rebuilt.stdout)
    assert {p: (coll / p).read_bytes() for p in before} == before
    assert info["index"]["records"] == before["indexes/index.cdxj"].count(b"\n")


@pytest.mark.slow
def test_cli_quiet_prints_nothing_but_the_summary(site: TestSite, tmp_path: Path) -> None:
    quiet = cli("crawl", tmp_path / "q", "--seed", site.url, "--delay", "0", "--max-pages", "5",
                "-q")
    assert (quiet.returncode, quiet.stderr, quiet.stdout) == (0, "", "")
    loud = cli("crawl", tmp_path / "l", "--seed", site.url, "--delay", "0", "--max-pages", "5")
    assert loud.returncode == 0 and loud.stderr
    assert loud.stdout.startswith("crawl 0001 limit-reached (max-pages)\n")


def test_library_crawl_of_an_existing_collection(site: TestSite, tmp_path: Path) -> None:
    coll = create(tmp_path / "c", (site.url,), delay=0.0, max_pages=3)
    result = cli("crawl", coll.root, "--json", "-q")
    assert result.returncode == 0 and json.loads(result.stdout)["stop_reason"] == "max-pages"


def test_robots_sitemap_lines_are_followed_without_sitemaps_option(tmp_path: Path) -> None:
    with TestSite(articles=4) as small:
        coll, _ = crawl(tmp_path / "c", (small.url,), sitemaps=False,
                        exclude=("/calendar/", "/events/"))
        paths = [e.path for e in small.requests]
    hops = {str(line["url"]): line["hops"] for line in jsonl(coll.logs / "crawl-0001.jsonl")
            if line["outcome"] == "captured"}
    assert paths.count("/sitemap.xml") == 1
    assert hops[small.absolute("/sitemap.xml")] == "PX"  # from robots.txt, not queued as a seed
    assert hops[small.absolute("/sitemap-pages.xml")] == "PXX"
    assert hops[small.absolute(HIDDEN_PATH)] == "PXXS"

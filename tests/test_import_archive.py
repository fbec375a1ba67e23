"""``preserve import-archive``: captures taken back from a web archive, as the site sent them.

Against a real pywb serving a crawl of the test site (its CDX API and id_ mode), and
against an imitation of the Internet Archive's answers (tests/helpers_archive.py): CDX
JSON with resume keys, X-Archive-Orig- headers, a rewritten Location, a 302 to the nearest
capture, a 429 without Retry-After, a TimeMap, and what must be skipped.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from helpers_archive import FakeArchive, Memento
from preserve.capture.crawler import Crawler
from preserve.cli.main import cli
from preserve.collection import Collection
from preserve.config import CollectionConfig, CrawlConfig, Description

SITE = "http://mep.example/"


def _records(coll: Path) -> list[Any]:
    """(type, WARC headers, HTTP status, HTTP headers, decoded payload) of every record."""
    out = []
    for warc in sorted((coll / "warcs").glob("*.warc.gz")):
        with warc.open("rb") as f:
            for r in ArchiveIterator(f):
                http = r.http_headers
                out.append((r.rec_type, dict(r.rec_headers.headers),
                            http.get_statuscode() if http else None,
                            dict(http.headers) if http else {},
                            r.content_stream().read()))
    return out


def _responses(coll: Path) -> dict[str, Any]:
    return {h["WARC-Target-URI"]: (h, status, http, body)
            for kind, h, status, http, body in _records(coll) if kind in ("response", "revisit")}


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["import-archive", *args], catch_exceptions=False)


# -- a real pywb as the remote archive -----------------------------------------------


@pytest.mark.slow
def test_import_from_pywb_keeps_payloads_dates_and_statuses(tmp_path: Path) -> None:
    from helpers_pywb import COLL, _our_index, _start_wayback, _stop
    from testsite import TestSite

    with TestSite(articles=3) as site:
        config = CollectionConfig(Description(title="source"),
                                  CrawlConfig(seeds=(site.url,), delay=0))
        source = Collection.create(tmp_path / "source", config)
        Crawler(source, source.load_config()).run()
    _our_index(tmp_path, source)
    session = requests.Session()
    proc, base = _start_wayback(tmp_path, session)
    try:
        out = tmp_path / "imported"
        result = _run(str(out), "--url", site.url, "--archive", f"{base}/{COLL}",
                      "--match", "prefix", "--rate", "60000/min", "--listing-rate",
                      "60000/min", "--json")
    finally:
        _stop(proc)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["listing"] == "pywb-cdx"

    original = {h["WARC-Target-URI"]: (h, s, http, body) for kind, h, s, http, body in
                _records(source.root) if kind in ("response", "revisit")}
    imported = _responses(out)
    assert set(imported) == set(original)
    moved = False
    for url, (h, status, http, body) in imported.items():
        oh, ostatus, ohttp, obody = original[url]
        assert body == obody or oh["WARC-Type"] == "revisit", url  # byte for byte, decoded
        assert status == ostatus, url
        assert h["WARC-Date"][:19] == oh["WARC-Date"][:19], url  # the capture time
        assert http.get("Content-Encoding") == ohttp.get("Content-Encoding"), url
        assert "Transfer-Encoding" not in http, url
        assert not any(k.lower().startswith("x-archive-orig-") for k in http), url
        assert h["WARC-Source-URI"].startswith(f"{base}/{COLL}/"), url
        assert "WARC-Creation-Date" in h
        if status == "301":
            assert http["Location"] == ohttp["Location"], url
            moved = True
    assert moved
    # the payload digest (of the body as stored, gzip and all) equals the source's, but
    # for a body the site sent chunked: its chunk framing is not recoverable (import.md)
    chunked = {u for u, (_h, _s, http, _b) in original.items()
               if http.get("Transfer-Encoding") == "chunked"}
    assert chunked
    src_index = {json.loads(line.split(" ", 2)[2])["url"]: json.loads(line.split(" ", 2)[2])
                 for line in (source.root / "indexes/index.cdxj").read_text().splitlines()}
    for line in (out / "indexes/index.cdxj").read_text().splitlines():
        key, stamp, data = line.split(" ", 2)
        entry = json.loads(data)
        if entry["url"] in chunked:
            continue
        assert entry["digest"] == src_index[entry["url"]]["digest"], entry["url"]
    # ...and that mismatch with the CDX digest is reported, not hidden
    checks = {h["WARC-Target-URI"]: body for kind, h, _s, _http, body in _records(out)
              if kind == "metadata"}
    for url, body in checks.items():
        expected = b"mismatch" if url in chunked else b"match"
        assert b"payload-digest-check: " + expected + b"\r\n" in body, url
    events = (out / "events.jsonl").read_text()
    assert events.count('"archive problem"') == len(chunked)
    kinds = [r[0] for r in _records(out)]
    assert "request" not in kinds
    assert kinds.count("metadata") == len(imported)
    verified = CliRunner().invoke(cli, ["verify", str(out)], catch_exceptions=False)
    assert verified.exit_code == 0, verified.output


# -- an archive that answers as the Internet Archive does -------------------------------


def _ia_mementos() -> list[Memento]:
    page = b"<html><body><p>Speech on fisheries</p></body></html>"
    return [
        Memento(SITE, "20190301120000", 200,
                [("Date", "Fri, 01 Mar 2019 11:00:00 GMT"), ("Server", "Apache"),
                 ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                 ("Transfer-Encoding", "chunked")], gzip.compress(page, mtime=0)),
        Memento(SITE + "old", "20190302120000", 301,
                [("Content-Type", "text/html"), ("Location", SITE + "new")], b"moved"),
        Memento(SITE + "new", "20190303120000", 200, [("Content-Type", "text/plain")],
                b"new place", listed_at="20190303110000"),
        Memento(SITE + "gone", "20190304120000", 200, [("Content-Type", "text/plain")],
                b"x", served=False),
        Memento(SITE + "slow", "20190305120000", 200, [("Content-Type", "text/plain")],
                b"after a pause"),
    ]


def test_import_from_an_ia_like_archive(tmp_path: Path) -> None:
    with FakeArchive(_ia_mementos(), throttle={SITE + "slow"}) as archive:
        out = tmp_path / "coll"
        t0 = time.monotonic()
        result = _run(str(out), "--url", SITE, "--archive", archive.base, "--match",
                      "prefix", "--listing-rate", "60000/min", "--rate", "60000/min",
                      "--pause-429", "0.5", "--json")
        took = time.monotonic() - t0
        cdx_calls = [r for r in archive.requests if r.startswith("/cdx/")]
    assert result.exit_code == 1, result.output  # the 404 capture and the broken row
    summary = json.loads(result.stdout)
    assert summary["listing"] == "wayback-cdx"
    assert len(cdx_calls) == 3  # 6 rows, 2 a page, by resume key
    assert "resumeKey=2" in cdx_calls[1] and "showResumeKey=true" in cdx_calls[0]
    assert took >= 0.5  # paused on the 429, then asked again
    assert "skipped" in result.stderr

    got = _responses(out)
    assert set(got) == {SITE, SITE + "old", SITE + "new", SITE + "slow"}
    h, status, http, body = got[SITE]
    assert h["WARC-Date"] == "2019-03-01T12:00:00.000000Z"
    assert body == b"<html><body><p>Speech on fisheries</p></body></html>"
    assert http["Date"] == "Fri, 01 Mar 2019 11:00:00 GMT" and http["Server"] == "Apache"
    assert http["Content-Encoding"] == "gzip" and "Transfer-Encoding" not in http
    assert "Cache-Control" not in http and "Memento-Datetime" not in http
    _h, status, http, _body = got[SITE + "old"]
    assert status == "301" and http["Location"] == SITE + "new"  # un-rewritten
    h, _status, _http, body = got[SITE + "new"]  # via the archive's 302 to the nearest
    assert body == b"new place" and h["WARC-Date"] == "2019-03-03T12:00:00.000000Z"
    assert got[SITE + "slow"][3] == b"after a pause"

    log = [json.loads(line) for line in
           next((out / "logs").glob("crawl-*.jsonl")).read_text().splitlines()]
    failed = {e["url"]: e["error"] for e in log if e["outcome"] == "failed"}
    assert "without Memento-Datetime" in failed[SITE + "gone"]
    assert any("broken-row" in e for e in failed.values())
    metadata = [body for kind, _h, _s, _http, body in _records(out) if kind == "metadata"]
    assert any(b"X-Archive-Orig-Server: Apache" in m and b"payload-digest-check: match" in m
               for m in metadata)

    # What the archive failed to give is not asked of the live site by `preserve patch`.
    patch = CliRunner().invoke(cli, ["patch", str(out), "--dry-run", "--json"],
                               catch_exceptions=False)
    assert patch.exit_code == 0, patch.output
    planned = json.loads(patch.stdout)
    assert planned["targets"] == []
    assert {t["url"] for t in planned["skipped"] if t["skipped"] == "from-archive-import"} \
        >= {SITE + "gone"}


def test_a_timemap_is_followed_when_no_cdx_answers(tmp_path: Path) -> None:
    mementos = _ia_mementos()[:1]
    mementos.append(Memento(SITE, "20200101000000", 200, [("Content-Type", "text/plain")],
                            b"a later version"))
    with FakeArchive(mementos, cdx=False) as archive:
        result = _run(str(tmp_path / "coll"), "--url", SITE, "--archive", archive.base,
                      "--all-captures", "--listing-rate", "60000/min", "--rate",
                      "60000/min", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["listing"] == "timemap"
    dates = sorted(h["WARC-Date"] for kind, h, *_ in _records(tmp_path / "coll")
                   if kind == "response")
    assert dates == ["2019-03-01T12:00:00.000000Z", "2020-01-01T00:00:00.000000Z"]


def test_an_unreachable_archive_is_reported_and_exits_1(tmp_path: Path) -> None:
    with FakeArchive([]) as archive:
        base = archive.base  # closed again: nothing listens there now
    result = _run(str(tmp_path / "coll"), "--url", SITE, "--archive", base)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    log = next((tmp_path / "coll" / "logs").glob("crawl-*.jsonl")).read_text()
    assert "cannot be reached" in log


def test_a_listing_page_that_fails_keeps_the_pages_before_it(tmp_path: Path) -> None:
    with FakeArchive(_ia_mementos(), malformed=False, fail_after=2) as archive:
        result = _run(str(tmp_path / "coll"), "--url", SITE, "--archive", archive.base,
                      "--match", "prefix", "--listing-rate", "60000/min", "--rate",
                      "60000/min")
    assert result.exit_code == 1
    assert set(_responses(tmp_path / "coll")) == {SITE, SITE + "old"}
    log = next((tmp_path / "coll" / "logs").glob("crawl-*.jsonl")).read_text()
    assert "the CDX server answered 503 for the next page" in log


@pytest.mark.slow  # `preserve verify` starts worker processes
def test_an_import_resumes_and_dedups_against_the_collection(tmp_path: Path) -> None:
    from preserve.capture.archive import ImportOptions, import_archive
    from preserve.capture.archive_cdx import ArchiveHttp
    from preserve.store.crawlstate_sqlite import SqliteCrawlState

    logo = b"\x89PNG the same logo at two times"
    mementos = [
        Memento(SITE + "logo.png", "20190101000000", 200, [("Content-Type", "image/png")],
                logo),
        Memento(SITE + "logo.png", "20200101000000", 200, [("Content-Type", "image/png")],
                logo),
        Memento(SITE, "20200101000001", 200, [("Content-Type", "text/html")], b"<p>home</p>"),
    ]
    coll = Collection.create(tmp_path / "coll", CollectionConfig(
        Description(title="import"), CrawlConfig(seeds=(SITE,))))
    with FakeArchive(mementos, malformed=False, page_size=10) as archive:
        options = ImportOptions(SITE, archive.base, "prefix", latest=False)
        stop = threading.Event()
        first, _ = import_archive(coll, options, http=ArchiveHttp(0, 0), stop=stop,
                                  on_progress=lambda progress: stop.set())
        assert first.status == "interrupted" and first.captured == 1
        state = SqliteCrawlState(coll.state_db)
        try:
            unfinished = state.unfinished()
            assert unfinished is not None and unfinished.kind == "import"
        finally:
            state.close()
        second, _ = import_archive(coll, options, http=ArchiveHttp(0, 0))
        assert second.crawl == first.crawl and second.status == "finished"
        assert second.captured == 3 and second.revisits == 1
        asked = [r for r in archive.requests if "id_/" in r]
        assert len(asked) == len(set(asked)) == 3  # none fetched twice
        third, _ = import_archive(coll, options, http=ArchiveHttp(0, 0))
        assert third.crawl != first.crawl and third.captured == 0  # all held already
    records = _records(coll.root)
    revisits = [h for kind, h, *_ in records if kind == "revisit"]
    assert len(revisits) == 1
    assert revisits[0]["WARC-Refers-To-Target-URI"] == SITE + "logo.png"
    assert revisits[0]["WARC-Date"].startswith("2020-01-01T00:00:00")
    verified = CliRunner().invoke(cli, ["verify", str(coll.root)], catch_exceptions=False)
    assert verified.exit_code == 0, verified.output


def test_a_crawl_refuses_to_resume_an_unfinished_import(tmp_path: Path) -> None:
    from preserve.capture.archive import ImportOptions, import_archive
    from preserve.capture.archive_cdx import ArchiveHttp

    coll = Collection.create(tmp_path / "coll", CollectionConfig(
        Description(title="import"), CrawlConfig(seeds=(SITE,))))
    with FakeArchive(_ia_mementos()[:2], malformed=False) as archive:
        stop = threading.Event()
        stop.set()
        summary, _ = import_archive(coll, ImportOptions(SITE, archive.base, "prefix"),
                                    http=ArchiveHttp(0, 0), stop=stop)
    assert summary.status == "interrupted"
    result = CliRunner().invoke(cli, ["crawl", str(coll.root)])
    assert result.exit_code == 2
    assert "unfinished import" in result.output and "import-archive" in result.output
    status = CliRunner().invoke(cli, ["status", str(coll.root)])
    assert f"run `preserve import-archive {coll.root}` again" in status.output
    listed = CliRunner().invoke(cli, ["crawls", str(coll.root)])
    assert listed.output.rstrip().endswith("import")


@pytest.mark.parametrize(("headers", "kept"), [
    # the Internet Archive: originals renamed, its own headers under their names
    ([("Server", "nginx"), ("X-Archive-Src", "x.warc.gz"), ("X-Archive-Orig-Vary", "Cookie"),
      ("Content-Type", "text/plain"), ("X-Archive-Orig-Content-Length", "2"),
      ("Content-Length", "2"), ("X-Archive-Orig-Connection", "close"),
      ("Server-Timing", "x;dur=1")],
     [("Vary", "Cookie"), ("Content-Type", "text/plain"), ("Content-Length", "2")]),
    # the Internet Archive, on a capture whose original headers were all passed through
    ([("X-Archive-Src", "x.warc.gz"), ("Content-Type", "text/plain"),
      ("Server-Timing", "x;dur=1")], [("Content-Type", "text/plain")]),
    # an archive that renames nothing: only its own and the framing headers go
    ([("Date", "Tue, 01 Jan 2019 00:00:00 GMT"), ("Content-Type", "text/plain"),
      ("Set-Cookie", "a=b"), ("Memento-Datetime", "Tue, 01 Jan 2019 00:00:00 GMT"),
      ("Transfer-Encoding", "chunked"), ("Content-Length", "99")],
     [("Content-Type", "text/plain"), ("Set-Cookie", "a=b")]),
])
def test_rebuilt_headers(headers: list[tuple[str, str]], kept: list[tuple[str, str]]) -> None:
    from preserve.capture.archive_cdx import ArchiveResponse
    from preserve.capture.archive_record import rebuild

    response = ArchiveResponse("http://a.example/web/2019id_/http://s/", 200, "OK", headers,
                               b"ok")
    rebuilt = rebuild(response, "http://a.example/web")
    assert rebuilt.headers == kept
    assert all(h in headers for h in rebuilt.dropped)  # the metadata record keeps them

"""``preserve report`` against two real crawls of the test site, changed in between.

Between the crawls one article is retitled to a title holding ``<script>``, one edited,
one removed and one added; the collection is normalised and verified. The report's
figures are checked against what other readers of the same files say (the index read
here line by line, ``preserve diff --json``, ``preserve audit --json``, articles.jsonl),
its HTML is parsed with lxml (every text escaped; no link leaving the file but into
replay; no script, no external resource), and ``--json`` keeps its schema.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from helpers_crawl import cli, crawl, jsonl
from preserve.access.links import replay_url
from preserve.collection import Collection
from preserve.units import plural
from testsite import TestSite
from testsite.site import BROKEN_ENDPOINT, BROKEN_IMAGE, BROKEN_PAGE

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'
BASE = "http://127.0.0.1:8123"


@dataclass(frozen=True)
class Made:
    coll: Path
    report: Path
    data: dict[str, Any]
    retitled: str
    edited: str
    removed: str
    added: str


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    root = tmp_path_factory.mktemp("report")
    coll = root / "coll"
    with TestSite(articles=6) as site:
        done = cli("crawl", coll, "--seed", site.url, "--delay", "0", "--quiet",
                   "--title", "Report <test> & co")
        assert done.returncode == 0, done.stderr
        articles = site.site.articles
        retitled = site.site.retitle_article(articles[1].number, HOSTILE)
        edited = site.site.edit_article(articles[2].number, "A new first paragraph.\n\nMore.")
        removed = site.site.remove_article(articles[3].number)
        added = site.site.add_article()
        done = cli("crawl", coll, "--delay", "0", "--quiet")
        assert done.returncode == 0, done.stderr
        urls = [site.absolute(a.path) for a in (retitled, edited, removed, added)]
    for args in (("normalise", coll, "--quiet"), ("verify", coll, "--quiet")):
        done = cli(*args)
        assert done.returncode == 0, done.stderr
    out = root / "report.html"
    done = cli("report", coll, "-o", out, "--replay-base", BASE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote the report to {out}")
    done = cli("report", coll, "--json", "--replay-base", BASE)
    assert done.returncode == 0, done.stderr
    return Made(coll, out, json.loads(done.stdout), *urls)


def _cli_in(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``preserve ARGS`` run from ``cwd``, as a user in that directory would."""
    return subprocess.run([sys.executable, "-m", "preserve", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def _index(coll: Path) -> list[dict[str, Any]]:
    out = []
    for line in (coll / "indexes" / "index.cdxj").read_text(encoding="utf-8").splitlines():
        _key, ts, fields = line.split(" ", 2)
        out.append({"ts": ts, **json.loads(fields)})
    return out


def test_crawl_history_and_captures_agree_with_the_index(made: Made) -> None:
    crawls = json.loads(cli("crawls", made.coll, "--json").stdout)
    data = made.data
    assert [c["id"] for c in data["crawls"]] == [c["id"] for c in crawls] == ["0001", "0002"]
    assert data["crawl"] == "0002"
    assert [c["warc_bytes"] for c in data["crawls"]] == [c["warc_bytes"] for c in crawls]
    assert all(c["pages"] > 0 for c in data["crawls"])
    second = set(crawls[1]["warcs"])
    mine = [e for e in _index(made.coll) if e["filename"] in second]
    cap = data["captures"]
    assert cap["records"] == len(mine)
    assert cap["bytes"] == sum(int(e["length"]) for e in mine)
    assert cap["statuses"] == dict(sorted(Counter(e.get("status", "-") for e in mine).items()))
    assert cap["revisits"] == sum(e["mime"] == "warc/revisit" for e in mine) > 0
    assert sum(cap["mimes"].values()) == len(mine)
    assert "warc/revisit" not in cap["mimes"]  # counted as what they revisit
    assert cap["mimes"]["text/html"] >= cap["pages"] > 0
    assert sum(h["records"] for h in cap["hosts"]) == len(mine)
    pages = len((made.coll / "pages" / "pages.jsonl").read_text().splitlines()) - 1
    assert data["collection_pages"] == pages


def test_changes_are_those_of_preserve_diff(made: Made) -> None:
    diff = json.loads(cli("diff", made.coll, "--json").stdout)
    changes = made.data["changes"]
    assert (changes["before"], changes["after"]) == ("0001", "0002")
    assert changes["counts"] == diff["counts"]
    assert changes["counts"]["new"] >= 1 and changes["counts"]["gone"] >= 1
    by_url = {p["url"]: p["change"] for p in changes["pages"]}
    assert by_url[made.added] == "new"
    assert by_url[made.edited] == "changed"
    assert by_url[made.retitled] == "changed"
    assert by_url[made.removed] == "gone"
    assert "unchanged" not in by_url.values()


def test_fixity_is_what_audit_reads(made: Made) -> None:
    audit = json.loads(cli("audit", made.coll, "--json").stdout)
    fixity = made.data["fixity"]
    assert {f["path"]: f["status"] for f in fixity["files"]} == {
        a["path"]: a["status"] for a in audit}
    assert fixity["counts"] == {"ok": len(audit)}
    assert fixity["last_check"] == max(a["last_check"] for a in audit)


def test_articles_link_into_replay(made: Made) -> None:
    normalised = [a for a in jsonl(made.coll / "normalised" / "articles.jsonl")
                  if a["page_type"] == "article"]
    listed = made.data["articles"]
    assert {a["url"] for a in listed} == {a["url"] for a in normalised}
    assert len(listed) == len({a["url"] for a in normalised})
    titles = {a["url"]: a["title"] for a in listed}
    assert titles[made.retitled] == HOSTILE
    for a in listed:
        assert a["replay"] == replay_url(BASE, a["timestamp"], a["url"])
        assert a["authors"] and a["published"]
    published = [a["published"] for a in listed]
    assert published == sorted(published, reverse=True)


def test_html_escapes_and_links_only_into_replay(made: Made) -> None:
    text = made.report.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text
    doc = lxml_html.fromstring(text)
    assert not doc.xpath("//script | //iframe | //object | //embed | //link | //img")
    assert not doc.xpath("//b[text()='bold']")  # the title's markup stayed text
    assert doc.findtext(".//h1") == "Report <test> & co"
    refs = [(el.tag, attr, el.get(attr)) for el in doc.iter() if isinstance(el.tag, str)
            for attr in ("src", "href", "action", "srcset", "poster", "data")
            if el.get(attr) is not None]
    assert refs
    outside = [r for r in refs if not (r[2].startswith("#") or r[2].startswith(
        f"{BASE}/archive/"))]
    assert outside == []
    replay = {r[2] for r in refs if r[2].startswith(BASE)}
    for a in made.data["articles"]:
        assert a["replay"] in replay
    assert all(el.get("style", "").count("url(") == 0 for el in doc.iter()
               if isinstance(el.tag, str))
    assert "url(" not in "".join(doc.xpath("//style/text()"))
    sections = {s.get("id") for s in doc.iter("section")}
    assert sections == {"overview", "crawls", "captures", "missed", "changes", "fixity",
                        "articles"}
    charts = doc.xpath("//*[local-name()='svg']")
    assert len(charts) >= 5 and all(len(c) > 0 for c in charts)


def test_json_schema_is_stable(made: Made) -> None:
    data = made.data
    assert data["schema"] == "preserve-report/1"
    assert set(data) == {
        "schema", "generated", "path", "name", "description", "seeds", "crawl", "crawls",
        "collection_pages", "captures", "missed", "changes", "fixity", "articles",
        "other_pages", "replay_base", "version", "notes"}
    assert set(data["crawls"][0]) == {"id", "status", "started", "finished", "pages",
                                      "captured", "revisits", "failures", "bytes",
                                      "warc_bytes", "final", "label", "kind"}
    assert set(data["captures"]) == {"records", "pages", "revisits", "bytes", "statuses",
                                     "mimes", "hosts", "other_hosts"}
    assert set(data["changes"]) == {"before", "after", "counts", "pages", "note"}
    assert set(data["missed"]) == {"crawl", "crawls", "counts", "reasons", "requisites",
                                   "failed", "robots", "out_of_scope",
                                   "redirects_out_of_scope"}
    assert set(data["fixity"]) == {"counts", "last_check", "files", "note"}
    assert set(data["fixity"]["files"][0]) == {"path", "status", "last_check", "detail"}
    assert set(data["articles"][0]) == {"title", "url", "published", "authors",
                                        "site_name", "timestamp", "replay"}


def test_text_summary(made: Made) -> None:
    done = cli("report", made.coll, "--text")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("report      Report <test> & co")
    counts = made.data["changes"]["counts"]
    assert f"changes     from crawl 0001: {counts['new']} new, {counts['changed']} changed" in out
    assert f"articles    {plural(len(made.data['articles']), 'article')}, " in out
    assert f"fixity      {len(made.data['fixity']['files'])} ok" in out


def test_verify_still_passes_after_a_report_in_the_default_place(made: Made,
                                                                  tmp_path: Path) -> None:
    done = _cli_in(tmp_path, "report", made.coll.resolve())
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "coll-report.html").is_file()
    assert done.stderr == ""
    done = cli("verify", made.coll, "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_report_inside_the_collection_is_named_as_verify_will_see_it(
        made: Made, tmp_path: Path) -> None:
    inside = made.coll / "report.html"
    try:
        done = cli("report", made.coll, "-o", inside)
        assert done.returncode == 0, done.stderr
        assert "FILE_UNLISTED" in done.stderr and "keep reports outside it" in done.stderr
        done = cli("verify", made.coll, "--json")
        assert done.returncode == 1
        codes = {(f["code"], f["file"]) for f in json.loads(done.stdout)["findings"]}
        assert ("FILE_UNLISTED", "report.html") in codes
    finally:
        inside.unlink(missing_ok=True)


def test_an_earlier_crawl_by_number(made: Made) -> None:
    done = cli("report", made.coll, "--crawl", "1", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["crawl"] == "0001"
    assert data["changes"]["before"] is None
    assert "first crawl" in data["changes"]["note"]
    assert data["captures"]["revisits"] < data["captures"]["records"]


@pytest.mark.parametrize("args, message", [
    (("--crawl", "9"), "no crawl '0009' in this collection"),
    (("--crawl", "x"), "is not a crawl number"),
    (("--replay-base", "javascript:alert(1)"), "is not an http(s) URL of a replay server"),
    (("--text", "--json"), "choose one"),
])
def test_bad_input_is_one_line(made: Made, tmp_path: Path, args: tuple[str, ...],
                               message: str) -> None:
    out = tmp_path / "r.html"
    done = cli("report", made.coll, "-o", out, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("preserve: error: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_no_collection_and_unwritable_output(tmp_path: Path, made: Made) -> None:
    done = cli("report", tmp_path / "nothing")
    assert done.returncode == 2 and "no such collection" in done.stderr
    done = cli("report", made.coll, "-o", tmp_path)
    assert done.returncode == 2 and "is a directory" in done.stderr
    done = cli("report", made.coll, "-o", tmp_path / "missing" / "dir" / "r.html")
    assert done.returncode == 0  # the directory is made, as for every atomic write
    blocked = tmp_path / "file"
    blocked.write_text("")
    done = cli("report", made.coll, "-o", blocked / "r.html")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("preserve: error: cannot write the report to")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_collection_never_crawled(tmp_path: Path) -> None:
    coll = tmp_path / "empty"
    done = cli("init", coll, "--seed", "http://127.0.0.1:9/")
    assert done.returncode == 0, done.stderr
    done = cli("report", coll, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["crawls"] == [] and data["crawl"] is None and data["articles"] is None
    assert data["captures"]["records"] == 0
    done = cli("report", coll, "-o", tmp_path / "r.html")
    assert done.returncode == 0, done.stderr
    doc = lxml_html.fromstring((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert "has not been normalised" in doc.text_content()
    assert Collection.open(coll).exists()


def test_what_was_missed_lists_the_broken_image_and_endpoint(tmp_path: Path) -> None:
    with TestSite(articles=2, broken=True) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), retries=0)
        image, endpoint = site.absolute(BROKEN_IMAGE), site.absolute(BROKEN_ENDPOINT)
        page = site.absolute(BROKEN_PAGE)
        out = tmp_path / "r.html"
        done = cli("report", coll.root, "-o", out, "--json")
        assert done.returncode == 0, done.stderr
        missed = json.loads(done.stdout)["missed"]
        assert [m["url"] for m in missed["requisites"]] == [image]
        assert missed["requisites"][0]["referrer"] == page
        assert {m["url"] for m in missed["failed"]} == {endpoint, site.absolute("/missing/")}
        assert missed["counts"]["requisites"] == 1 and missed["counts"]["failed"] == 2
        doc = lxml_html.fromstring(out.read_text(encoding="utf-8"))
        section = doc.get_element_by_id("missed")
        text = section.text_content()
        assert "Page requisites not captured (1)" in text and "Failed URLs (2)" in text
        assert image in text and endpoint in text and "http-404" in text
        assert not section.xpath(".//a")  # not captured: shown as text, never a link
        done = cli("report", coll.root, "--text")
        assert f"requisite http-404   {image} (from {page})" in done.stdout
        assert ("missed      1 requisite not captured, 2 failed, 1 blocked by robots.txt"
                in done.stdout)
        site.site.repair()  # fixed, and patched: off the first crawl's list
        done = cli("patch", coll.root, "--quiet")
        assert done.returncode in (0, 1), done.stderr  # 1: /missing/ still answers 404
    done = cli("report", coll.root, "--json", "-o", out)
    data = json.loads(done.stdout)
    assert [(c["id"], c["kind"]) for c in data["crawls"]] == [("0001", "crawl"),
                                                                ("0002", "patch")]
    assert data["crawl"] == "0001"  # the site's crawl, not the patch
    missed = data["missed"]
    assert missed["requisites"] == []
    assert {m["url"] for m in missed["failed"]} == {site.absolute("/missing/")}
    doc = lxml_html.fromstring(out.read_text(encoding="utf-8"))
    assert "patch · finished" in doc.get_element_by_id("crawls").text_content()
    assert not doc.get_element_by_id("missed").xpath(".//h3[starts-with(., 'Page requisites')]")
    done = cli("report", coll.root, "--crawl", "2", "--json")
    assert "a patch crawl" in json.loads(done.stdout)["changes"]["note"]


def test_long_lists_are_cut_in_html_and_whole_in_json(tmp_path: Path) -> None:
    from preserve.access.missed import MissedURL
    from preserve.access.report import build_report
    from preserve.access.report_html import MISSED_LIMIT, render_html

    with TestSite(articles=2) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,))
    report = build_report(coll)
    assert report.missed is not None
    many = [MissedURL(f"http://127.0.0.1:9/{i}", "http-404", 404, crawl_id="0001")
            for i in range(MISSED_LIMIT + 7)]
    report.missed.failed[:] = many
    doc = lxml_html.fromstring(render_html(report))
    section = doc.get_element_by_id("missed")
    rows = [r for r in section.xpath(".//tr") if "http://127.0.0.1:9/" in r.text_content()]
    assert len(rows) == MISSED_LIMIT
    assert "and 7 more URLs" in section.text_content()
    assert len(report.to_dict()["missed"]["failed"]) == MISSED_LIMIT + 7


def test_hostile_files_in_the_collection(made: Made, tmp_path: Path) -> None:
    """An event log that is a symbolic link is not followed (the report says fixity is
    not known); index lines naming files outside warcs/ are not counted, and noted; an
    index that is a FIFO is never opened (one line, exit 2)."""
    coll = tmp_path / "coll"
    shutil.copytree(made.coll, coll, symlinks=True)
    events = coll / "events.jsonl"
    events.rename(tmp_path / "elsewhere.jsonl")
    events.symlink_to(tmp_path / "elsewhere.jsonl")
    out = tmp_path / "r.html"
    done = cli("report", coll, "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    fixity = json.loads(done.stdout)["fixity"]
    assert fixity["files"] == [] and "symbolic link" in fixity["note"]
    section = lxml_html.fromstring(out.read_text(encoding="utf-8")).get_element_by_id("fixity")
    assert "Not known: " in section.text_content()
    index = coll / "indexes" / "index.cdxj"
    lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
    for n, hostile in ((1, "../../x.warc.gz"), (2, "/etc/passwd")):
        name = json.loads(lines[n].split(" ", 2)[2])["filename"]
        lines[n] = lines[n].replace(f'"{name}"', f'"{hostile}"')
    index.write_text("".join(lines), encoding="utf-8")
    done = cli("report", coll, "--json")
    assert done.returncode == 0, done.stderr
    assert ("indexes/index.cdxj line 2 (and 1 more): its filename '../../x.warc.gz' is a "
            "path with '..'") in "\n".join(json.loads(done.stdout)["notes"])
    index.unlink()
    os.mkfifo(index)
    done = cli("report", coll, "-o", tmp_path / "r2.html", timeout=30)
    assert done.returncode == 2
    assert done.stderr.startswith("preserve: error: indexes/index.cdxj is a FIFO")
    assert not (tmp_path / "r2.html").exists()


@pytest.mark.parametrize("newest_first", [False, True])
def test_the_latest_capture_wins_within_one_second(made: Made, tmp_path: Path,
                                                   newest_first: bool) -> None:
    """A recrawl started straight after the first crawl can capture a page in the same
    second: the report lists the later capture (by the capture time's microseconds),
    whichever order articles.jsonl holds them in, and links it at that second."""
    coll = tmp_path / "coll"
    shutil.copytree(made.coll, coll, symlinks=True)
    article = next(a for a in jsonl(made.coll / "normalised" / "articles.jsonl")
                   if a["page_type"] == "article")
    captures = []
    for micros, title in (("000100", "Older title"), ("900000", "Newer title")):
        obj = json.loads(json.dumps(article))
        obj["title"] = title
        obj["provenance"]["capture_time"] = f"2026-12-07T08:30:15.{micros}Z"
        captures.append(obj)
    if newest_first:
        captures.reverse()
    path = coll / "normalised" / "articles.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in captures), encoding="utf-8")
    done = cli("report", coll, "--json", "--replay-base", BASE)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)["articles"]
    assert [(a["url"], a["title"]) for a in listed] == [(article["url"], "Newer title")]
    assert "/20261207083015/" in listed[0]["replay"]

"""Verify a real crawled collection: clean means clean, and every damage is named.

One small crawl of the test site (rotating through a few WARCs) is verified once, which
also takes the baseline of preserve.toml and of the append-only files; every test then
damages a copy of it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers_crawl import cli, crawl, read_warc
from preserve.collection import Collection
from preserve.verify import Report, VerifyOptions, verify_collection
from testsite import TestSite

SMALL = dict(warc_size=20_000, max_depth=3)
FIXTURE = HealthCheck.function_scoped_fixture


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("verify") / "coll"
    with TestSite(articles=3) as site:
        crawl(root, (site.url,), **SMALL)
    report = verify_collection(Collection.open(root))
    assert report.findings == [], [f.to_dict() for f in report.findings]
    yield root


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "coll"
    shutil.copytree(crawled, copy)
    return copy


def errors(report: Report) -> dict[str, set[str]]:
    """file -> codes of its errors."""
    out: dict[str, set[str]] = {}
    for f in report.errors:
        out.setdefault(f.file, set()).add(f.code)
    return out


def warcs(root: Path) -> list[str]:
    return [f"warcs/{p.name}" for p in Collection(root).closed_warcs()]


def checkable(root: Path) -> list[str]:
    return [*warcs(root), "indexes/index.cdxj", "pages/pages.jsonl",
            "fixity/manifest-sha256.txt", "preserve.toml"]


@pytest.mark.slow
def test_a_clean_collection_verifies_clean_and_records_a_pass_per_file(coll: Path) -> None:
    before = len((coll / "events.jsonl").read_text().splitlines())
    report = verify_collection(Collection.open(coll))
    assert report.findings == [] and report.ok
    lines = [json.loads(x) for x in (coll / "events.jsonl").read_text().splitlines()]
    new = lines[before:]
    names = {e["linkingObject"] for e in new}
    assert set(checkable(coll)) | {"events.jsonl"} == names
    assert len(new) == len(names)
    for e in new:
        assert e["eventType"] == "fixity check" and e["eventOutcome"] == "pass"
        assert e["linkingAgent"].startswith("preserve/")
        assert len(e["data"]["sha256"]) == 64 and e["data"]["size"] > 0
    # The log grew by this run's events: it is not flagged as changed next time.
    assert verify_collection(Collection.open(coll)).findings == []
    result = cli("verify", coll)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[FIXTURE])
@given(data=st.data())
def test_any_single_bit_flip_is_caught_and_names_its_file(crawled: Path, tmp_path: Path,
                                                          data: st.DataObject) -> None:
    names = checkable(crawled)
    name = data.draw(st.sampled_from(names), label="file")
    size = (crawled / name).stat().st_size
    offset = data.draw(st.integers(0, size - 1), label="offset")
    bit = data.draw(st.integers(0, 7), label="bit")
    root = Path(tempfile.mkdtemp(dir=tmp_path)) / "coll"
    shutil.copytree(crawled, root)
    target = root / name
    raw = bytearray(target.read_bytes())
    raw[offset] ^= 1 << bit
    target.write_bytes(bytes(raw))
    report = verify_collection(Collection.open(root), record=False)
    assert not report.ok
    assert name in errors(report), (name, offset, bit, [f.to_dict() for f in report.errors])
    shutil.rmtree(root.parent)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[FIXTURE])
@given(data=st.data())
def test_truncation_at_any_offset(crawled: Path, tmp_path: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(warcs(crawled)), label="warc")
    size = (crawled / name).stat().st_size
    cut = data.draw(st.integers(1, size - 1), label="cut")
    root = Path(tempfile.mkdtemp(dir=tmp_path)) / "coll"
    shutil.copytree(crawled, root)
    with open(root / name, "r+b") as f:
        f.truncate(cut)
    boundaries = {r.offset for r in read_warc(crawled / name)}
    report = verify_collection(Collection.open(root), record=False)
    codes = errors(report)[name]
    assert "FIXITY_MISMATCH" in codes
    if cut in boundaries:  # a clean cut between records: the index names the lost ones
        assert "INDEX_BAD_OFFSET" in errors(report)["indexes/index.cdxj"]
    else:
        assert codes & {"WARC_TRUNCATED"}, report.to_dict()
        truncated = next(f for f in report.errors if f.code == "WARC_TRUNCATED")
        assert truncated.offset is not None and truncated.offset <= cut
    shutil.rmtree(root.parent)


def test_a_deleted_file_is_missing(coll: Path) -> None:
    name = warcs(coll)[1]
    (coll / name).unlink()
    report = verify_collection(Collection.open(coll))
    assert errors(report)[name] == {"FILE_MISSING"}
    assert "INDEX_BAD_OFFSET" in errors(report)["indexes/index.cdxj"]
    # recorded as a failed check of that file
    last = json.loads((coll / "events.jsonl").read_text().splitlines()[-1])
    events = [json.loads(x) for x in (coll / "events.jsonl").read_text().splitlines()]
    failed = [e for e in events if e["linkingObject"] == name and e["eventOutcome"] == "fail"]
    assert failed and "FILE_MISSING" in failed[-1]["data"]["codes"] and last


def test_an_added_file_is_unlisted(coll: Path) -> None:
    (coll / "warcs" / "notes.txt").write_text("who put this here?\n")
    (coll / "stray.bin").write_bytes(b"\0" * 10)
    (coll / "logs" / "extra.jsonl").write_text("{}\n")  # logs/ and state/ are working data
    report = verify_collection(Collection.open(coll))
    assert errors(report) == {"warcs/notes.txt": {"FILE_UNLISTED"},
                              "stray.bin": {"FILE_UNLISTED"}}


def test_an_open_warc_is_a_warning(coll: Path) -> None:
    (coll / "warcs" / "x.warc.gz.open").write_bytes(b"")
    report = verify_collection(Collection.open(coll))
    assert report.ok and [f.code for f in report.findings] == ["FILE_OPEN"]


def _members(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return [data[r.offset:r.offset + r.length] for r in read_warc(path)]


def _replace_in_member(path: Path, i: int, old: str, new: str) -> None:
    """Rewrite ``path`` with the first ``old`` in its ``i``-th gzip member made ``new``."""
    members = _members(path)
    raw = zlib.decompress(members[i], wbits=31).replace(old.encode(), new.encode(), 1)
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    members[i] = c.compress(raw) + c.flush()
    path.write_bytes(b"".join(members))


def test_a_swapped_record_is_caught(coll: Path) -> None:
    name = warcs(coll)[0]
    members = _members(coll / name)
    members[1], members[2] = members[2], members[1]
    (coll / name).write_bytes(b"".join(members))
    report = verify_collection(Collection.open(coll))
    assert "FIXITY_MISMATCH" in errors(report)[name]
    index = errors(report)["indexes/index.cdxj"]
    assert index & {"INDEX_ENTRY_MISMATCH", "INDEX_BAD_OFFSET", "INDEX_ENTRY_MISSING"}


def test_a_duplicated_record_id_is_caught(coll: Path) -> None:
    first, second = warcs(coll)[0], warcs(coll)[1]
    wanted = read_warc(coll / first)[1].id
    path = coll / second
    records = read_warc(path)
    victim = 1
    _replace_in_member(path, victim, records[victim].id, wanted)
    report = verify_collection(Collection.open(coll))
    dup = [f for f in report.errors if f.code == "WARC_DUPLICATE_ID"]
    assert dup and dup[0].file == second and dup[0].found == wanted
    assert dup[0].offset == records[victim].offset


def test_a_rewritten_event_log_is_caught_but_growth_is_not(coll: Path) -> None:
    events = coll / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    events.write_text("".join(lines[1:]))  # drop the first event: a rewrite
    report = verify_collection(Collection.open(coll))
    assert errors(report) == {"events.jsonl": {"FILE_REWRITTEN"}}


def test_a_manifest_line_that_disagrees_with_the_events_is_blamed(coll: Path) -> None:
    manifest = coll / "fixity" / "manifest-sha256.txt"
    text = manifest.read_text()
    digest = text[:64]
    manifest.write_text(text.replace(digest, "0" * 64, 1))
    report = verify_collection(Collection.open(coll), record=False)
    got = errors(report)
    assert "MANIFEST_EVENT_MISMATCH" in got["fixity/manifest-sha256.txt"]
    assert not any(n.startswith("warcs/") for n in got)  # the WARC itself is fine


def test_an_edited_config_needs_accepting(coll: Path) -> None:
    config = coll / "preserve.toml"
    config.write_text(config.read_text().replace("Test crawl", "Test crawl, edited"))
    assert errors(verify_collection(Collection.open(coll))) == {"preserve.toml": {"CONFIG_CHANGED"}}
    assert verify_collection(Collection.open(coll), VerifyOptions(accept_config=True)).ok
    assert verify_collection(Collection.open(coll)).ok  # the new digest is the baseline
    config.write_text("[collection\n")
    assert "CONFIG_INVALID" in errors(verify_collection(Collection.open(coll)))["preserve.toml"]


def test_two_jobs_find_the_same(coll: Path) -> None:
    name = warcs(coll)[0]
    raw = bytearray((coll / name).read_bytes())
    raw[len(raw) // 2] ^= 0x10
    (coll / name).write_bytes(bytes(raw))
    one = verify_collection(Collection.open(coll), record=False)
    two = verify_collection(Collection.open(coll), VerifyOptions(jobs=2), record=False)
    assert [f.to_dict() for f in one.findings] == [f.to_dict() for f in two.findings]
    assert not one.ok


def test_index_pointing_elsewhere_is_caught(coll: Path) -> None:
    index = coll / "indexes" / "index.cdxj"
    lines = index.read_text().splitlines(keepends=True)
    obj = json.loads(lines[0].split(" ", 2)[2])
    lines[0] = lines[0].replace(f'"offset": "{obj["offset"]}"',
                                f'"offset": "{int(obj["offset"]) + 1}"')
    index.write_text("".join(lines))
    got = errors(verify_collection(Collection.open(coll)))
    assert got == {"indexes/index.cdxj": {"INDEX_BAD_OFFSET", "INDEX_ENTRY_MISSING"}}


def test_pages_naming_no_capture_is_caught(coll: Path) -> None:
    pages = coll / "pages" / "pages.jsonl"
    lines = pages.read_text().splitlines(keepends=True)
    lines.insert(1, json.dumps({"id": "0" * 16, "url": "http://127.0.0.1:1/nowhere",
                                "ts": "2000-01-01T00:00:00Z"}) + "\n")
    del lines[-1]
    pages.write_text("".join(lines))
    got = errors(verify_collection(Collection.open(coll)))
    assert got == {"pages/pages.jsonl": {"PAGES_NOT_CAPTURED", "PAGES_ENTRY_MISSING"}}


@pytest.mark.slow
def test_cli_exit_statuses_and_json(coll: Path, tmp_path: Path) -> None:
    raw = bytearray((coll / "preserve.toml").read_bytes())
    raw[3] ^= 0x01
    (coll / "preserve.toml").write_bytes(bytes(raw))
    result = cli("verify", "--json", coll)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and report["errors"] >= 1
    assert {"code", "severity", "file", "offset", "expected", "found", "message"} <= set(
        report["findings"][0])
    assert any(f["file"] == "preserve.toml" for f in report["findings"])
    for args in (["verify", tmp_path / "nothing-here.warc.gz"], ["verify", tmp_path],
                 ["verify", coll, "--budget", "12"], ["verify", "--jobs", "0", coll]):
        bad = cli(*args)
        assert bad.returncode == 2, (args, bad.stderr)
        assert "Traceback" not in bad.stderr


def test_a_revisit_whose_original_is_gone_is_unresolved(coll: Path) -> None:
    for name in warcs(coll):
        records = read_warc(coll / name)
        found = [i for i, r in enumerate(records) if r.type == "revisit"]
        if found:
            break
    else:
        pytest.fail("the crawl wrote no revisit record")
    i = found[0]
    original = records[i].get("WARC-Refers-To")
    assert original
    bogus = "<urn:uuid:00000000-0000-4000-8000-000000000000>"
    assert len(bogus) == len(original)
    _replace_in_member(coll / name, i, original, bogus)
    report = verify_collection(Collection.open(coll))
    unresolved = [f for f in report.errors if f.code == "WARC_REVISIT_UNRESOLVED"]
    assert len(unresolved) == 1 and unresolved[0].file == name
    assert unresolved[0].offset == records[i].offset and unresolved[0].found == bogus


def test_a_mangled_index_gives_a_bounded_report(coll: Path) -> None:
    index = coll / "indexes" / "index.cdxj"
    index.write_text("not a cdxj line\n" * 500 + index.read_text())
    report = verify_collection(Collection.open(coll), record=False)
    malformed = [f for f in report.findings if f.code == "INDEX_MALFORMED"]
    assert len(malformed) == 100
    limit = [f for f in report.findings if f.code == "FINDINGS_LIMIT"]
    assert limit and limit[0].found == "500" and limit[0].file == "indexes/index.cdxj"

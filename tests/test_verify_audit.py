"""The audit trail: history per file, rolling --budget runs, and PREMIS 3 XML."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from helpers_crawl import cli, crawl, create
from preserve.collection import Collection
from preserve.config import Schedule
from preserve.verify import VerifyOptions, audit_collection, verify_collection
from preserve.verify.premis import PREMIS_NS
from testsite import TestSite

P = {"p": PREMIS_NS}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("audit") / "coll"
    with TestSite(articles=3) as site:
        crawl(root, (site.url,), warc_size=20_000, max_depth=3)
    yield root


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "coll"
    shutil.copytree(crawled, copy)
    return copy


def warcs(root: Path) -> list[str]:
    return [f"warcs/{p.name}" for p in Collection(root).closed_warcs()]


def fixity_events(root: Path) -> list[dict[str, object]]:
    lines = (root / "events.jsonl").read_text().splitlines()
    return [e for e in map(_load, lines) if e and e["eventType"] == "fixity check"]


def _load(line: str) -> dict[str, object] | None:
    try:
        event: dict[str, object] = json.loads(line)
    except ValueError:
        return None
    return event


def test_never_verified_then_ok_then_failed(coll: Path) -> None:
    entries = {e.path: e for e in audit_collection(Collection(coll))}
    assert {e.status for e in entries.values()} == {"never"}
    assert cli("audit", coll).returncode == 1
    assert verify_collection(Collection.open(coll)).ok
    entries = {e.path: e for e in audit_collection(Collection(coll))}
    assert {e.status for e in entries.values()} == {"ok"}
    assert cli("audit", coll).returncode == 0
    # A year later everything is overdue.
    later = datetime.now(UTC) + timedelta(days=400)
    assert {e.status for e in audit_collection(Collection(coll), now=later)} == {"overdue"}
    # Damage one WARC: its last check fails, the others stay ok.
    name = warcs(coll)[0]
    raw = bytearray((coll / name).read_bytes())
    raw[100] ^= 0x04
    (coll / name).write_bytes(bytes(raw))
    assert not verify_collection(Collection.open(coll)).ok
    entries = {e.path: e for e in audit_collection(Collection(coll))}
    assert entries[name].status == "failed" and "FIXITY_MISMATCH" in entries[name].detail
    assert entries[name].last_pass is not None and entries[name].last_pass < str(
        entries[name].last_check)
    result = cli("audit", "--json", coll)
    assert result.returncode == 1
    rows = {r["path"]: r for r in json.loads(result.stdout)}
    assert rows[name]["status"] == "failed" and rows[name]["last_outcome"] == "fail"


def test_a_log_begun_by_verify_is_no_never_verified_file(tmp_path: Path) -> None:
    """A collection never crawled has no event log until verify writes its first line:
    audit right after says every file is ok, and the next verify agrees."""
    root = tmp_path / "new"
    create(root, ("http://127.0.0.1:9/",))
    assert not Collection(root).events_path.exists()
    for _ in range(2):
        assert verify_collection(Collection.open(root)).ok
        entries = {e.path: e for e in audit_collection(Collection(root))}
        assert set(entries) == {"events.jsonl", "preserve.toml"}
        assert {e.status for e in entries.values()} == {"ok"}, entries


def test_premis_after_several_runs_including_a_failing_one(coll: Path, tmp_path: Path) -> None:
    assert verify_collection(Collection.open(coll)).ok
    name = warcs(coll)[1]
    (coll / name).unlink()
    assert not verify_collection(Collection.open(coll)).ok
    out = tmp_path / "premis.xml"
    result = cli("audit", coll, "--premis", out)
    assert result.returncode == 1
    tree = etree.parse(str(out))
    root = tree.getroot()
    assert root.tag == f"{{{PREMIS_NS}}}premis" and root.get("version") == "3.0"
    events = root.findall("p:event", P)
    log = (coll / "events.jsonl").read_text().splitlines()
    assert len(events) == len(log)
    checks = [e for e in events if e.findtext("p:eventType", namespaces=P) == "fixity check"]
    assert len(checks) == len(fixity_events(coll))
    outcomes = {(e.findtext("p:linkingObjectIdentifier/p:linkingObjectIdentifierValue",
                            namespaces=P),
                 e.findtext("p:eventOutcomeInformation/p:eventOutcome", namespaces=P))
                for e in checks}
    assert (name, "pass") in outcomes and (name, "fail") in outcomes
    notes = [e.findtext(".//p:eventOutcomeDetailNote", namespaces=P) or "" for e in checks]
    assert sum("SHA-256" in n for n in notes) >= len(checks) - 1  # all but the missing file
    for e in checks:
        assert e.find("p:eventType", P).get("valueURI", "").endswith("/eventType/fix")
        assert e.findtext("p:eventIdentifier/p:eventIdentifierValue", namespaces=P).startswith(
            "urn:uuid:")
        assert e.findtext("p:eventDateTime", namespaces=P).endswith("Z")
        assert e.findtext("p:linkingAgentIdentifier/p:linkingAgentIdentifierValue",
                          namespaces=P).startswith("preserve/")
    # Objects come first, with their SHA-256; then events; then the agent.
    kinds = [etree.QName(child).localname for child in root]
    assert kinds == sorted(kinds, key=["object", "event", "agent"].index)
    digests = {o.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=P):
               o.findtext("p:objectCharacteristics/p:fixity/p:messageDigest", namespaces=P)
               for o in root.findall("p:object", P)}
    first = warcs(coll)[0]
    manifest = (coll / "fixity" / "manifest-sha256.txt").read_text()
    assert f"{digests[first]}  {first}" in manifest
    agent = root.find("p:agent", P)
    assert agent.findtext("p:agentType", namespaces=P) == "software"


def test_rolling_budget_covers_the_collection_oldest_first(coll: Path) -> None:
    names = warcs(coll)
    sizes = {n: (coll / n).stat().st_size for n in names}
    budget = max(sizes.values()) * 2
    seen: list[list[str]] = []
    for _ in range(len(names)):
        report = verify_collection(Collection.open(coll), VerifyOptions(budget_bytes=budget))
        assert report.ok
        done = [f.file for f in report.files if f.file.startswith("warcs/")]
        assert sum(sizes[n] for n in done) <= budget
        seen.append(done)
        if {n for run in seen for n in run} == set(names):
            break
    assert {n for run in seen for n in run} == set(names)
    assert len(seen) < len(names)  # several files per run
    # The next run starts again with the file whose last pass is the oldest.
    entries = {e.path: e for e in audit_collection(Collection(coll)) if e.path in names}
    oldest = min(names, key=lambda n: str(entries[n].last_pass))
    again = verify_collection(Collection.open(coll), VerifyOptions(budget_bytes=budget))
    again_files = [f.file for f in again.files if f.file.startswith("warcs/")]
    assert again_files[0] == oldest


def test_time_budget_stops_within_it(coll: Path) -> None:
    clock = iter(float(t) for t in range(0, 10_000, 5))  # each look at the clock: 5 s later
    report = verify_collection(Collection.open(coll), VerifyOptions(budget_seconds=12),
                               clock=lambda: next(clock))
    assert report.skipped  # not everything fits in 12 s at this pace
    assert len([f for f in report.files if f.file.startswith("warcs/")]) < len(warcs(coll))


@pytest.mark.slow
def test_a_file_bigger_than_the_budget_is_reported(coll: Path) -> None:
    report = verify_collection(Collection.open(coll), VerifyOptions(budget_bytes=100))
    assert report.ok and "BUDGET_TOO_SMALL" in report.counts()
    assert cli("verify", coll, "--budget", "1KB").returncode == 0
    assert cli("verify", coll, "--budget", "1h", "--json").returncode == 0


@pytest.mark.parametrize("budget", [{"budget_seconds": 0.0}, {"budget_bytes": 0}])
def test_a_zero_budget_reads_no_warc(coll: Path, budget: dict[str, float]) -> None:
    options = VerifyOptions(**budget)  # type: ignore[arg-type]
    report = verify_collection(Collection.open(coll), options)
    assert report.ok and report.counts() == {}
    assert not [f for f in report.files if f.file.startswith("warcs/")]
    assert sorted(report.skipped) == sorted(warcs(coll))
    # The small files are still checked and recorded, as on every budget run.
    checked = {f.file for f in report.files}
    assert {"preserve.toml", "events.jsonl", "fixity/manifest-sha256.txt"} <= checked
    assert {e["linkingObject"] for e in fixity_events(coll)} == checked


@pytest.mark.parametrize("budget", ["0s", "0h", "0B", "0GB"])
def test_cli_zero_budget_says_so_and_exits_0(coll: Path, budget: str) -> None:
    result = cli("verify", coll, "--budget", budget)
    assert result.returncode == 0, result.stderr
    assert "--budget is zero: no WARC file read" in result.stderr
    n = len(warcs(coll))
    assert f"{n} file{'' if n == 1 else 's'} left for a later run" in result.stdout
    assert not [e for e in fixity_events(coll)
                if str(e["linkingObject"]).startswith("warcs/")]


def test_a_zero_budget_schedule_names_its_budget() -> None:
    assert Schedule("@daily", "verify", budget_seconds=0.0).describe() == \
        "verify (budget 0s)"
    assert Schedule("@daily", "verify", budget_bytes=0).describe() == \
        "verify (budget 0 B)"


def test_a_line_cut_by_a_crash_loses_no_later_event(coll: Path) -> None:
    events = coll / "events.jsonl"
    with open(events, "ab") as f:
        f.write(b'{"eventIdentifier": "urn:uuid:cut-short", "eventTy')  # a crash mid-line
    report = verify_collection(Collection.open(coll))
    assert report.ok and report.counts() == {"EVENTS_MALFORMED": 1}
    # The events of that run were not glued onto the cut line: all of them are readable.
    assert len(fixity_events(coll)) == len(report.files)
    # And the next run sees the same single warning, not a rewritten log.
    assert verify_collection(Collection.open(coll)).counts() == {"EVENTS_MALFORMED": 1}


def test_verify_refuses_a_collection_being_crawled(coll: Path) -> None:
    with Collection(coll).lock():
        result = cli("verify", coll)
    assert result.returncode == 2 and "in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unwritable_premis_path_is_one_line_and_exit_2(coll: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cli("audit", coll, "--premis", blocker / "premis.xml")
    assert result.returncode == 2 and "cannot write the PREMIS file" in result.stderr
    assert "Traceback" not in result.stderr


def test_rolling_order_sorts_times_written_without_a_fraction(tmp_path: Path) -> None:
    """Events written before the fix left out a fraction of exactly .000000 ("...:15Z"),
    which sorts after "...:15.5Z" as a string; new events always carry six digits."""
    from preserve.store.events import EventLog
    from preserve.verify.audit import history, rolling_order, time_key
    from preserve.verify.packagelog import rolling_units

    events = [{"eventType": "fixity check", "linkingObject": path, "eventOutcome": "pass",
               "eventDateTime": when}
              for path, when in (("b", "2026-12-07T08:30:15.500000Z"),
                                 ("a", "2026-12-07T08:30:15Z"),
                                 ("c", "2026-12-07T08:30:14.999999Z"))]
    hist = history(events)
    assert rolling_order(["a", "b", "c"], hist) == ["c", "a", "b"]
    assert rolling_units({"x": ["b"], "y": ["a"], "z": ["c"]}, hist) == ["z", "y", "x"]
    assert time_key("2026-12-07T08:30:15Z") == "2026-12-07T08:30:15.000000Z"
    log = EventLog(tmp_path / "events.jsonl",
                   clock=lambda: datetime(2026, 12, 7, 8, 30, 15, tzinfo=UTC))
    assert log.append("fixity check")["eventDateTime"] == "2026-12-07T08:30:15.000000Z"

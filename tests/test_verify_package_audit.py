"""A package's own audit trail and rolling audits, on packages ``preserve export`` wrote:
a BagIt bag, an OCFL storage root holding three objects, and a WACZ file.

Each kind gets ``NAME.events.jsonl`` beside it (hash-chained, one ``fixity check`` event
per file, named by its path in the package; never a file inside the package), read by
``preserve audit PACKAGE``; ``--budget`` checks what was verified least recently first,
so that two runs cover everything and a corrupt file is found when its turn comes; and
--json, exit statuses and progress are those of a collection.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_crawl import cli
from helpers_export import copy_collection, crawl_small
from preserve.collection import Collection
from preserve.export import ExportOptions, export_collection
from preserve.store.events import EventChain, EventLog
from preserve.verify import Report, VerifyOptions, verify_collection
from preserve.verify.packages import events_path, verify_package

KINDS = ["bag", "ocfl", "wacz"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    base = tmp_path_factory.mktemp("pkgaudit")
    coll = crawl_small(base / "coll")
    out = {"coll": coll}
    for fmt, name in (("bagit", "bag"), ("wacz", "coll.wacz")):
        export_collection(Collection(coll), ExportOptions(fmt, output=base / name))  # type: ignore[arg-type]
        out[name.split(".")[-1] if fmt == "wacz" else "bag"] = base / name
    root = base / "root"
    for name in ("alpha", "beta", "gamma"):  # three objects: three collection names
        copy = copy_collection(coll, base / name)
        export_collection(Collection(copy), ExportOptions(
            "ocfl", ocfl_root=root, user_address="mailto:web@library.example"))
    out["ocfl"] = root
    yield out


def fresh(exported: dict[str, Path], kind: str, tmp_path: Path) -> Path:
    src = exported[kind]
    dest = tmp_path / src.name
    if src.is_dir():
        shutil.copytree(src, dest)
    else:
        shutil.copy2(src, dest)
    return dest


def listing(path: Path) -> set[str]:
    if path.is_file():
        return {path.name}
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def events(package: Path) -> list[dict[str, Any]]:
    return list(EventLog(events_path(package)).read())


def chain_ok(log: Path) -> bool:
    chain = EventChain()
    problems = []
    offset = 0
    for raw in log.read_bytes().splitlines(keepends=True):
        problems += chain.feed(raw, offset, json.loads(raw))
        offset += len(raw)
    return not problems + chain.end()


def a_file(package: Path, kind: str) -> str:
    """A file in the package (its path inside it) to damage: a WARC."""
    if kind == "wacz":
        return next(e["linkingObject"] for e in events(package)
                    if e["linkingObject"].startswith("archive/"))
    return next(str(p.relative_to(package)) for p in sorted(package.rglob("*.warc.gz")))


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def corrupt_wacz(wacz: Path, member: str) -> None:
    """A same-size change to a stored member's bytes (its CRC then fails)."""
    import zipfile
    with zipfile.ZipFile(wacz) as z:
        info = z.getinfo(member)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    with wacz.open("r+b") as f:
        f.seek(start + info.compress_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x01]))


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_keeps_its_own_event_log_beside_it(
        exported: dict[str, Path], kind: str, tmp_path: Path) -> None:
    package = fresh(exported, kind, tmp_path)
    before = listing(package)
    assert verify_package(package, VerifyOptions()).ok
    assert not events_path(package).exists()  # none unless asked for
    report = verify_package(package, VerifyOptions(), record=True)
    assert report.ok, report.counts()
    log = events_path(package)
    assert log.parent == package.parent and listing(package) == before
    first = events(package)
    assert {e["eventType"] for e in first} == {"fixity check"}
    assert {e["eventOutcome"] for e in first} == {"pass"}
    names = {e["linkingObject"] for e in first}
    assert not any(n.startswith(("/", str(tmp_path))) for n in names)
    assert all(e["data"]["size"] >= 0 and len(e["data"]["sha256"]) == 64 for e in first
               if e["linkingObject"] != ".")
    rel = a_file(package, kind)
    assert rel in names
    if kind == "wacz":
        corrupt_wacz(package, rel)
    else:
        flip(package / rel)
    assert not verify_package(package, VerifyOptions()).ok  # the log exists: appended
    failed = {e["linkingObject"] for e in events(package)[len(first):]
              if e["eventOutcome"] == "fail"}
    assert rel in failed
    assert chain_ok(log)
    done = cli("audit", "--json", package)
    assert done.returncode == 1, done.stderr
    status = {e["path"]: e["status"] for e in json.loads(done.stdout)}
    assert status[rel] == "failed"
    assert set(status.values()) == {"ok", "failed"}  # every file checked, none "gone"


def test_record_flag_starts_the_log_and_audit_reads_it(
        exported: dict[str, Path], tmp_path: Path) -> None:
    bag = fresh(exported, "bag", tmp_path)
    done = cli("verify", "--quiet", "--record", bag)
    assert done.returncode == 0, done.stderr
    assert events(bag)
    done = cli("audit", bag)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "data/warcs/" in done.stdout


def object_sizes(root: Path) -> dict[str, int]:
    sizes = {}
    for decl in root.rglob("0=ocfl_object_1.1"):
        obj = decl.parent
        sizes[str(obj.relative_to(root))] = sum(
            p.stat().st_size for p in obj.glob("v*/content/**/*") if p.is_file())
    return sizes


def test_a_storage_root_budget_takes_the_objects_least_recently_verified_first(
        exported: dict[str, Path], tmp_path: Path) -> None:
    root = fresh(exported, "ocfl", tmp_path)
    sizes = object_sizes(root)
    assert len(sizes) == 3
    two = sum(sorted(sizes.values())[-2:])  # any two objects fit; all three do not
    first = verify_package(root, VerifyOptions(budget_bytes=two))
    assert first.ok, first.counts()
    assert len(first.skipped) == 1
    left = Path(first.skipped[0]).relative_to(root)
    checked = {e["linkingObject"].split("/v1/")[0] for e in events(root)}
    assert checked == set(sizes) - {str(left)}
    victim = next(p for p in sorted((root / left).rglob("*.warc.gz")))
    flip(victim)
    second = verify_package(root, VerifyOptions(budget_bytes=two))
    assert str(victim.relative_to(root / left)) in " ".join(f.file for f in second.errors)
    assert "OCFL_E092" in {f.code for f in second.errors} <= {"OCFL_E092", "OCFL_E093"}
    assert str(root / left) not in second.skipped
    checked = {e["linkingObject"].split("/v1/")[0] for e in events(root)}
    assert checked == set(sizes)  # two runs covered every object
    hour = verify_package(root, VerifyOptions(budget_seconds=3600))
    assert not hour.skipped and not hour.ok
    done = cli("verify", "--json", "--budget", "0B", root)
    assert done.returncode == 0, done.stdout
    assert len(json.loads(done.stdout)["skipped"]) == 3


def test_a_bag_budget_takes_its_files_least_recently_verified_first(
        exported: dict[str, Path], tmp_path: Path) -> None:
    bag = fresh(exported, "bag", tmp_path)
    payload = {str(p.relative_to(bag)): p.stat().st_size
               for p in (bag / "data").rglob("*") if p.is_file()}
    half = sum(payload.values()) // 2 + max(payload.values())
    first = verify_package(bag, VerifyOptions(budget_bytes=half))
    assert first.ok and first.skipped, first.counts()
    assert set(first.skipped) <= set(payload)
    victim = first.skipped[-1]
    flip(bag / victim)
    second = verify_package(bag, VerifyOptions(budget_bytes=half))
    assert {f.file for f in second.errors} == {victim}
    assert not set(first.skipped) & set(second.skipped)  # between them, everything
    seen = {e["linkingObject"] for e in events(bag)}
    assert set(payload) <= seen
    nothing = verify_package(bag, VerifyOptions(budget_bytes=0))
    assert set(payload) <= set(nothing.skipped)  # and the tag files not read whole
    assert nothing.files and not any(r.file.startswith("data/") for r in nothing.files)
    hour = verify_package(bag, VerifyOptions(budget_seconds=3600, jobs=2))
    assert not hour.skipped and {f.file for f in hour.errors} == {victim}


def test_a_wacz_budget_takes_the_package_whole(exported: dict[str, Path],
                                               tmp_path: Path) -> None:
    wacz = fresh(exported, "wacz", tmp_path)
    small = verify_package(wacz, VerifyOptions(budget_bytes=1000))
    assert small.ok and small.skipped == [str(wacz)]
    assert small.counts() == {"BUDGET_TOO_SMALL": 1}
    big = verify_package(wacz, VerifyOptions(budget_bytes=10 * wacz.stat().st_size))
    assert big.ok and not big.skipped and big.files
    assert {e["eventOutcome"] for e in events(wacz)} == {"pass"}


@pytest.mark.parametrize("kind", KINDS)
def test_json_exit_status_and_progress_as_for_a_collection(
        exported: dict[str, Path], kind: str, tmp_path: Path) -> None:
    package = fresh(exported, kind, tmp_path)
    seen: list[tuple[int, int]] = []
    report = verify_package(package, VerifyOptions(jobs=2),
                            on_progress=lambda done, total: seen.append((done, total)))
    assert report.ok and report.files
    assert seen and seen[-1][0] == seen[-1][1] > 0  # progress ends at the total
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    coll = verify_collection(Collection.open(exported["coll"]), VerifyOptions(),
                             record=False)
    assert set(Report.to_dict(report)) == set(coll.to_dict())
    done = cli("verify", "--json", package)
    assert done.returncode == 0 and done.stderr == ""
    assert set(json.loads(done.stdout)) == set(coll.to_dict())
    done = cli("verify", "--budget", "1GB", package, exported["coll"])
    assert done.returncode == 2 and "one collection directory or one package" in done.stderr

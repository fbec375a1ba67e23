"""OCFL objects and storage roots verified by the specification's validation rules (#18).

Every object of the OCFL 1.1 fixtures (``../shared/conformance/ocfl/1.1``: good-objects,
warn-objects, bad-objects, each bad or warn object named after the codes it must give)
is a test case. The fixtures are third-party data kept outside the repository: their
folder is ``$PRESERVE_CONFORMANCE_DIR``, else ``shared/conformance`` beside the checkout
(or beside the main checkout, for a git worktree); the tests say so when it is absent.
A case we cannot get right yet is listed with its reason in
``tests/data/ocfl_expected_failures.json`` and marked xfail(strict=True).
Then what the official validator misses (a corrupt object inside a storage root, a
same-size bit flip under a fixity block), the storage hierarchy's rules, and objects
and storage roots written by ``preserve export --format ocfl``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_crawl import cli
from helpers_export import crawl_small
from preserve.collection import Collection
from preserve.export import ExportOptions, export_collection
from preserve.store.events import EventLog
from preserve.verify import VerifyOptions
from preserve.verify.ocflpkg import verify_ocfl
from preserve.verify.packages import package_kind, verify_package
from preserve.verify.report import Report

REPO = Path(__file__).resolve().parent.parent
XFAIL = json.loads((Path(__file__).parent / "data" / "ocfl_expected_failures.json")
                   .read_text(encoding="utf-8"))["cases"]


def conformance_root() -> Path:
    env = os.environ.get("PRESERVE_CONFORMANCE_DIR")
    if env:
        return Path(env)
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "conformance").is_dir():
            return base / "shared" / "conformance"
    return REPO.parent / "shared" / "conformance"


FIXTURES = conformance_root() / "ocfl" / "1.1"
GROUPS = ("good-objects", "warn-objects", "bad-objects")
PRESENT = all((FIXTURES / g).is_dir() for g in GROUPS)
ABSENT = (f"the OCFL 1.1 fixtures are not at {FIXTURES} (set PRESERVE_CONFORMANCE_DIR to "
          "the folder that holds ocfl/1.1/good-objects, warn-objects and bad-objects)")


def cases(group: str) -> list[object]:
    if not PRESENT:
        return [pytest.param("absent", marks=pytest.mark.skip(reason=ABSENT))]
    out: list[object] = []
    for d in sorted(p.name for p in (FIXTURES / group).iterdir() if p.is_dir()):
        why = XFAIL.get(f"{group}/{d}")
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        out.append(pytest.param(d, marks=marks, id=d))
    return out


def expected_codes(name: str) -> set[str]:
    """E001_E002_reason -> {OCFL_E001, OCFL_E002}: the leading codes of the name."""
    codes = set()
    for part in name.split("_"):
        if not re.fullmatch(r"[EW]\d{3}", part):
            break
        codes.add(f"OCFL_{part}")
    return codes


def verify(path: Path, jobs: int = 1) -> Report:
    return verify_ocfl(path, VerifyOptions(jobs=jobs))


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def test_expected_failures_name_real_cases() -> None:
    if not PRESENT:
        pytest.skip(ABSENT)
    for name in XFAIL:
        assert (FIXTURES / name).is_dir(), name


@pytest.mark.parametrize("name", cases("good-objects"))
def test_good_object(name: str) -> None:
    report = verify(FIXTURES / "good-objects" / name)
    assert report.findings == []
    assert report.ok


@pytest.mark.parametrize("name", cases("warn-objects"))
def test_warn_object(name: str) -> None:
    report = verify(FIXTURES / "warn-objects" / name)
    assert report.ok, [f.to_dict() for f in report.errors]
    want = expected_codes(name)
    assert want and want <= codes(report), (want, codes(report))
    assert all(f.code.startswith("OCFL_W") for f in report.findings)


@pytest.mark.parametrize("name", cases("bad-objects"))
def test_bad_object(name: str) -> None:
    report = verify(FIXTURES / "bad-objects" / name)
    assert not report.ok
    want = expected_codes(name)
    assert want and want <= codes(report), (want, codes(report))


# What ocfl-validate.py misses, and the rules it has no fixture for.


def copy_fixture(name: str, dest: Path) -> Path:
    if not PRESENT:
        pytest.skip(ABSENT)
    shutil.copytree(FIXTURES / "good-objects" / name, dest)
    return dest


def flip_a_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def storage_root(root: Path, objects: dict[str, str],
                 layout: str = "0000-local-test-layout") -> Path:
    """A storage root holding fixtures at the given paths (by default in a local layout,
    whose paths verify cannot compute)."""
    root.mkdir()
    (root / "0=ocfl_1.1").write_text("ocfl_1.1\n")
    (root / "ocfl_layout.json").write_text(json.dumps(
        {"extension": layout, "description": "one directory per object"}))
    for rel, fixture in objects.items():
        copy_fixture(fixture, root / rel)
    return root


def test_a_same_size_bit_flip_fails_the_manifest_and_every_fixity_digest(
        tmp_path: Path) -> None:
    obj = copy_fixture("ocfl_object_all_fixity_digests", tmp_path / "obj")
    assert verify(obj).findings == []
    flip_a_bit(obj / "v1" / "content" / "file.txt")
    report = verify(obj)
    assert not report.ok
    got = {(f.code, f.file) for f in report.findings}
    name = f"{obj}/v1/content/file.txt"
    assert ("OCFL_E092", name) in got  # the sha512 of the manifest
    fixity = [f for f in report.findings if f.code == "OCFL_E093"]
    assert {m for f in fixity for m in re.findall(r"file's (\S+) differs", f.message)} == {
        "md5", "sha1", "sha256", "sha512", "blake2b-512"}
    assert all(f.expected and f.found and f.expected != f.found for f in fixity)


def test_an_earlier_version_changed_is_found(tmp_path: Path) -> None:
    obj = copy_fixture("updates_three_versions_one_file", tmp_path / "obj")
    assert verify(obj).ok
    [v1_file] = [p for p in (obj / "v1" / "content").rglob("*") if p.is_file()]
    flip_a_bit(v1_file)
    report = verify(obj)
    assert [f.file for f in report.errors] == [str(v1_file)]
    assert report.errors[0].code == "OCFL_E092"


def test_an_edited_inventory_is_found_by_its_sidecar(tmp_path: Path) -> None:
    obj = copy_fixture("minimal_one_version_one_file", tmp_path / "obj")
    inv = obj / "inventory.json"
    inv.write_text(inv.read_text().replace("An version with one file", "Edited"))
    report = verify(obj)
    assert {"OCFL_E060", "OCFL_E064"} <= codes(report)


def test_a_corrupt_object_inside_a_storage_root_fails_it(tmp_path: Path) -> None:
    root = storage_root(tmp_path / "root", {
        "a": "spec-ex-full", "b": "minimal_one_version_one_file",
        "c": "ocfl_object_all_fixity_digests"})
    assert package_kind(root) == "an OCFL storage root"
    clean = verify_package(root, VerifyOptions())
    assert clean.findings == [], [f.to_dict() for f in clean.findings]
    content = [p for p in root.rglob("*") if p.is_file() and "/content/" in str(p)]
    assert len(clean.files) == len(content) == 6 and clean.bytes_read > 0
    flip_a_bit(root / "b" / "v1" / "content" / "a_file.txt")
    report = verify(root)
    assert [(f.code, f.file) for f in report.errors] == [
        ("OCFL_E092", f"{root}/b/v1/content/a_file.txt")]
    done = cli("verify", root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "OCFL_E092" in done.stdout and "b/v1/content/a_file.txt" in done.stdout


def test_several_jobs_give_the_same_report(tmp_path: Path) -> None:
    root = storage_root(tmp_path / "root", {
        "a": "spec-ex-full", "b": "updates_all_actions", "c": "ocfl_object_all_fixity_digests"})
    flip_a_bit(root / "c" / "v1" / "content" / "file.txt")
    one, two = verify(root), verify(root, jobs=2)
    assert sorted(map(str, one.findings)) == sorted(map(str, two.findings))
    assert one.bytes_read == two.bytes_read > 0


def test_progress_counts_every_content_byte(tmp_path: Path) -> None:
    root = storage_root(tmp_path / "root", {"a": "spec-ex-full", "b": "updates_all_actions"})
    seen: list[tuple[int, int]] = []
    report = verify_ocfl(root, VerifyOptions(), on_progress=lambda d, t: seen.append((d, t)))
    total = sum(p.stat().st_size for p in root.rglob("*")
                if p.is_file() and "/content/" in str(p))
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert report.bytes_read == total


def test_storage_hierarchy_rules(tmp_path: Path) -> None:
    root = storage_root(tmp_path / "root", {"top": "spec-ex-minimal",
                                            "ab/cd/deep": "minimal_one_version_one_file"})
    (root / "ab" / "stray.txt").write_text("not in an object")
    (root / "ab" / "empty").mkdir()
    (root / "ab" / "leaf").mkdir()
    (root / "ab" / "leaf" / "notes.txt").write_text("no object here")
    (root / "extensions").mkdir()
    (root / "extensions" / "file").write_text("x")
    (root / "extensions" / "local-extension").mkdir()
    (root / "ab" / "link").symlink_to("/etc")
    (root / "README").write_text("files at the top are ignored (E087)")
    report = verify(root)
    got = {(f.code, f.file.removeprefix(f"{root}/")) for f in report.findings}
    assert got == {
        ("OCFL_E084", "ab"), ("OCFL_E072", "ab/stray.txt"), ("OCFL_E073", "ab/empty"),
        ("OCFL_E085", "ab/leaf"), ("OCFL_E072", "ab/leaf/notes.txt"),
        ("OCFL_E112", "extensions/file"), ("OCFL_W016", "extensions/local-extension"),
        ("OCFL_E090", "ab/link"), ("OCFL_W015", str(root))}


def test_objects_are_where_the_layout_puts_their_ids(tmp_path: Path) -> None:
    root = storage_root(tmp_path / "root", {"ark:123/abc": "minimal_one_version_one_file",
                                            "ark:/12345/bcd987": "spec-ex-full"},
                        layout="0002-flat-direct-storage-layout")
    assert verify(root).findings == []
    (root / "ark:123" / "abc").rename(root / "ark:123" / "abd")
    copy_fixture("minimal_one_version_one_file", root / "again")
    report = verify(root)
    got = {(f.code, f.file.removeprefix(f"{root}/"), f.expected) for f in report.findings}
    assert got == {("OCFL_E083", "ark:123/abd", "ark:123/abc"),
                   ("OCFL_E083", "again", "ark:123/abc"),
                   ("OCFL_E037", "ark:123/abd", None),  # the second found, in name order
                   ("OCFL_W015", str(root), None)}


def test_a_root_declaration_and_layout_are_checked(tmp_path: Path) -> None:
    root = storage_root(tmp_path / "root", {"a": "spec-ex-minimal"})
    (root / "0=ocfl_1.1").write_text("ocfl_1.0\n")
    (root / "ocfl_layout.json").write_text('{"extension": "x"}')
    assert codes(verify(root)) == {"OCFL_E080", "OCFL_E070"}
    (root / "0=ocfl_1.1").rename(root / "0=ocfl_1.0")
    (root / "0=ocfl_1.0").write_text("ocfl_1.0\n")
    (root / "ocfl_layout.json").unlink()
    assert codes(verify(root)) == {"OCFL_E081"}  # a 1.1 object in a 1.0 root


def test_a_symbolic_link_in_an_object_is_never_followed(tmp_path: Path) -> None:
    obj = copy_fixture("minimal_one_version_one_file", tmp_path / "obj")
    (obj / "v1" / "content" / "a_file.txt").unlink()
    (obj / "v1" / "content" / "a_file.txt").symlink_to("/dev/zero")
    report = verify(obj)
    assert ("OCFL_E090", f"{obj}/v1/content/a_file.txt") in {
        (f.code, f.file) for f in report.findings}
    assert report.bytes_read == 0


def rewrite_inventories(obj: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit every inventory of ``obj`` and write its sidecar again."""
    for inv in obj.rglob("inventory.json"):
        data = json.loads(inv.read_text())
        edit(data)
        raw = json.dumps(data, indent=2).encode()
        inv.write_bytes(raw)
        algorithm = data["digestAlgorithm"]
        (inv.parent / f"inventory.json.{algorithm}").write_text(
            f"{hashlib.new(algorithm, raw).hexdigest()}  inventory.json\n")


def test_an_ocfl_1_0_object_verifies(tmp_path: Path) -> None:
    obj = copy_fixture("spec-ex-full", tmp_path / "obj")
    (obj / "0=ocfl_object_1.1").unlink()
    (obj / "0=ocfl_object_1.0").write_text("ocfl_object_1.0\n")
    rewrite_inventories(obj, lambda d: d.update(type="https://ocfl.io/1.0/spec/#inventory"))
    assert verify(obj).findings == []
    (obj / "0=ocfl_object_1.0").write_text("ocfl_object_1.1\n")
    assert codes(verify(obj)) == {"OCFL_E007"}


def test_fixity_algorithms_of_the_extension_and_unknown_ones(tmp_path: Path) -> None:
    obj = copy_fixture("minimal_one_version_one_file", tmp_path / "obj")
    path = "v1/content/a_file.txt"

    def add(name: str, digest: str) -> Callable[[dict[str, Any]], None]:
        return lambda d: d.setdefault("fixity", {}).update({name: {digest: [path]}})

    rewrite_inventories(obj, add("blake2b-160", "0" * 40))  # recognised, not recomputed
    assert verify(obj).findings == []
    rewrite_inventories(obj, add("crc64", "0" * 16))
    assert codes(verify(obj)) == {"OCFL_E056"}


def test_a_path_under_two_digests_of_one_fixity_block_fails(tmp_path: Path) -> None:
    obj = copy_fixture("minimal_one_version_one_file", tmp_path / "obj")
    path = "v1/content/a_file.txt"
    right = hashlib.sha256((obj / path).read_bytes()).hexdigest()
    rewrite_inventories(obj, lambda d: d.update(fixity={"sha256": {right: [path]}}))
    assert verify(obj).findings == []
    wrong = "0" * 64
    rewrite_inventories(obj, lambda d: d.update(fixity={"sha256": {wrong: [path],
                                                                    right: [path]}}))
    [f] = verify(obj).findings
    assert (f.code, f.file, f.expected, f.found) == ("OCFL_E093", f"{obj}/{path}", wrong, right)


def test_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert codes(verify(tmp_path / "f")) == {"PACKAGE_UNREADABLE"}


# The command line: exit statuses and --json.


def test_cli_exit_statuses_and_json(tmp_path: Path) -> None:
    if not PRESENT:
        pytest.skip(ABSENT)
    good = cli("verify", FIXTURES / "good-objects" / "spec-ex-full")
    assert good.returncode == 0, good.stdout + good.stderr
    warn = cli("verify", FIXTURES / "warn-objects" / "W004_uses_sha256")
    assert warn.returncode == 0 and "OCFL_W004" in warn.stdout, warn.stdout + warn.stderr
    undeclared = cli("verify", FIXTURES / "bad-objects" / "E003_no_decl")
    assert undeclared.returncode == 1 and "OCFL_E003" in undeclared.stdout, undeclared.stderr
    bad = cli("verify", "--json", FIXTURES / "bad-objects" / "E092_content_file_digest_mismatch")
    assert bad.returncode == 1, bad.stderr
    data = json.loads(bad.stdout)
    assert data["ok"] is False and data["counts"].get("OCFL_E092", 0) >= 1
    [e092] = [f for f in data["findings"] if f["code"] == "OCFL_E092"]
    assert e092["severity"] == "error" and "/content/" in e092["file"]
    assert e092["expected"] != e092["found"]


# What preserve itself writes.


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield crawl_small(tmp_path_factory.mktemp("ocfl") / "coll")


def three_versions(coll: Path, output: Path | None = None,
                   ocfl_root: Path | None = None) -> None:
    """Export three versions: the first, then two more after the event log grew."""
    for i in range(3):
        if i:
            EventLog(coll / "events.jsonl").append("fixity check", outcome="pass", obj="x")
        done = export_collection(Collection(coll), ExportOptions(
            "ocfl", output=output, ocfl_root=ocfl_root,
            user_address="mailto:web@library.example"))
        assert done.version == f"v{i + 1}"


def test_preserve_exports_verify_clean(crawled: Path, tmp_path: Path) -> None:
    coll = tmp_path / "coll"
    shutil.copytree(crawled, coll)
    obj = tmp_path / "object"
    three_versions(coll, output=obj)
    assert json.loads((obj / "inventory.json").read_text())["head"] == "v3"
    report = verify(obj, jobs=2)
    assert report.findings == [], [f.to_dict() for f in report.findings]
    root = tmp_path / "root"
    three_versions(coll, ocfl_root=root)
    assert package_kind(root) == "an OCFL storage root"
    report = verify(root)
    assert report.findings == [], [f.to_dict() for f in report.findings]
    [inv] = [p for p in root.rglob("inventory.json.sha512")
             if (p.parent / "0=ocfl_object_1.1").is_file()]
    digest = hashlib.sha512((inv.parent / "inventory.json").read_bytes()).hexdigest()
    assert inv.read_text().split()[0] == digest
    warc = next(p for p in root.rglob("*.warc.gz") if "/v1/content/" in str(p))
    flip_a_bit(warc)
    done = cli("verify", "--json", root)
    assert done.returncode == 1
    # The manifest's sha512 and the fixity block's digest of the WARC both fail.
    assert json.loads((inv.parent / "inventory.json").read_text())["fixity"]
    assert json.loads(done.stdout)["counts"] == {"OCFL_E092": 1, "OCFL_E093": 1}

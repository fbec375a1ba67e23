"""`preserve verify FILE.wacz`: py-wacz's fixtures judged as the WACZ 1.1.1
specification says, the holes of `wacz validate` caught, a WACZ written by
`preserve export` clean, and every kind of damage found with its code.

py-wacz's fixtures are third-party data kept outside the repository
(``../shared/conformance/wacz``; see tests/test_verify_foreign_suites.py for where it
is looked for); their tests say so when it is absent. The damaged variants are built
here with zipfile from a WACZ that ``preserve export`` wrote from a real crawl.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers_crawl import cli, tool
from helpers_export import crawl_small
from preserve.verify import VerifyOptions
from preserve.verify.packages import verify_package
from preserve.verify.report import Report
from test_verify_foreign_suites import conformance_root

SUITE = conformance_root() / "wacz"
ABSENT = (f"py-wacz's fixtures are not at {SUITE} (set PRESERVE_CONFORMANCE_DIR to the "
          "folder that holds wacz/)")

# Each fixture: passes or not, and the codes it must give (errors and warnings), with why.
FIXTURES: dict[str, tuple[bool, set[str], str]] = {
    "valid_example_1.wacz": (True, {"WACZ_DIGEST_MISSING", "WACZ_WARC_NAME"},
                             "WACZ 1.0.0 (stats/hashing resources); no digest file (a "
                             "SHOULD); a gzip WARC named .warc"),
    "valid_example_2.wacz": (True, {"WACZ_WARC_NAME"}, "a gzip WARC named .warc"),
    "valid_signed_example_1.wacz": (True, {"WACZ_METADATA_MISSING",
                                           "WACZ_SIGNATURE_NOT_CHECKED"},
                                    "no title (a SHOULD); the RFC 3161 timestamp is not "
                                    "checked"),
    "invalid_example_1.wacz": (False, {"WACZ_DATAPACKAGE_MALFORMED", "WACZ_UNLISTED",
                                       "WACZ_RESOURCE_MISSING", "WACZ_ARCHIVE_MISSING",
                                       "WACZ_INDEX_MISSING", "WACZ_PAGES_MISSING",
                                       "WACZ_DIGEST_MISSING", "WACZ_METADATA_MISSING"},
                               "no wacz_version, a sha224 hash of 24 digits, a resource "
                               "that is not there, a member not listed, no WARC, index "
                               "or pages"),
    "invalid_signed_example_1.wacz": (False, {"WACZ_SIGNATURE_UNTRUSTED",
                                              "WACZ_METADATA_MISSING",
                                              "WACZ_SIGNATURE_NOT_CHECKED"},
                                      "signed under Let's Encrypt's staging CA"),
}


def verify(path: Path, **options: object) -> Report:
    return verify_package(path, VerifyOptions(**options))  # type: ignore[arg-type]


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def fixture_names() -> list[str]:
    if not SUITE.is_dir():
        return sorted(FIXTURES)
    return sorted(p.name for p in SUITE.glob("*.wacz"))


@pytest.mark.skipif(not SUITE.is_dir(), reason=ABSENT)
@pytest.mark.parametrize("name", fixture_names())
def test_py_wacz_fixture(name: str) -> None:
    assert name in FIXTURES, f"{name}: a new fixture; say in FIXTURES what it should give"
    ok, expected, why = FIXTURES[name]
    report = verify(SUITE / name)
    assert report.ok is ok, (why, [f.to_dict() for f in report.findings])
    assert codes(report) == expected, why


@pytest.mark.slow
@pytest.mark.skipif(not (conformance_root() / "warc" / "warcio").is_dir(), reason=ABSENT)
def test_a_wacz_written_by_py_wacz_verifies_clean(tmp_path: Path) -> None:
    """Another producer: py-wacz's `wacz create`, with POST captures, whose index keys
    pywb's way (`__wb_method=post&...` in the query)."""
    warcio = conformance_root() / "warc" / "warcio"
    out = tmp_path / "multi.wacz"
    done = tool("wacz", "create", "-o", out, warcio / "example.warc.gz",
                warcio / "post-test.warc.gz", "-t", "--detect-pages")
    assert done.returncode == 0, done.stdout + done.stderr
    report = verify(out)
    assert report.findings == [], [f.to_dict() for f in report.findings]
    assert sum(r.records for r in report.files) > 5


# -- a WACZ written by preserve export, and variants of it ------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = crawl_small(tmp_path_factory.mktemp("wacz") / "coll")
    dest = root.parent / "coll.wacz"
    done = cli("export", root, "--format", "wacz", "--output", dest)
    assert done.returncode == 0, done.stderr
    return dest


Members = dict[str, bytes]


def read_members(path: Path) -> Members:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def write_wacz(dest: Path, members: Members | list[tuple[str, bytes]], *,
               reseal: bool = True, deflate: Callable[[str], bool] | None = None) -> Path:
    """A WACZ of ``members``; with ``reseal``, datapackage.json's resources (of the
    members it already lists) and datapackage-digest.json are brought up to date, so
    that only the damage meant remains."""
    items = list(members.items()) if isinstance(members, dict) else list(members)
    if reseal:
        data = dict(items)
        package = json.loads(data["datapackage.json"])
        for res in package["resources"]:
            if res["path"] in data:
                body = data[res["path"]]
                res["hash"] = "sha256:" + hashlib.sha256(body).hexdigest()
                res["bytes"] = len(body)
        package_bytes = json.dumps(package, indent=2).encode()
        digest = {"path": "datapackage.json",
                  "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        items = [(n, package_bytes if n == "datapackage.json" else
                  json.dumps(digest).encode() if n == "datapackage-digest.json" else b)
                 for n, b in items]

    def deflated(name: str) -> bool:
        if deflate is not None:
            return deflate(name)
        return not (name.startswith("archive/") or name.endswith(".gz"))

    with zipfile.ZipFile(dest, "w") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name", on purpose
        for name, body in items:
            z.writestr(name, body, zipfile.ZIP_DEFLATED if deflated(name)
                       else zipfile.ZIP_STORED)
    return dest


def unlist(members: Members, *names: str) -> Members:
    """``members`` without ``names``, in datapackage.json too."""
    package = json.loads(members["datapackage.json"])
    package["resources"] = [r for r in package["resources"] if r["path"] not in names]
    out = {n: b for n, b in members.items() if n not in names}
    out["datapackage.json"] = json.dumps(package).encode()
    return out


def listed(members: Members, name: str, body: bytes) -> Members:
    """``members`` with ``name`` added and listed in datapackage.json."""
    package = json.loads(members["datapackage.json"])
    package["resources"].append({"name": name.rsplit("/", 1)[-1], "path": name,
                                 "hash": "", "bytes": 0})
    out = dict(members, **{name: body})
    out["datapackage.json"] = json.dumps(package).encode()
    return out


def warc_name(members: Members) -> str:
    return next(n for n in members if n.startswith("archive/"))


def cdxj_lines(members: Members) -> list[str]:
    return gzip.decompress(members["indexes/index.cdx.gz"]).decode().splitlines()


def with_plain_index(members: Members, lines: list[str]) -> Members:
    """The ZipNum index replaced by a plain indexes/index.cdxj of ``lines``."""
    out = unlist(members, "indexes/index.cdx.gz", "indexes/index.idx")
    return listed(out, "indexes/index.cdxj", "".join(f"{x}\n" for x in lines).encode())


def test_an_exported_wacz_verifies_clean(exported: Path) -> None:
    report = verify(exported)
    assert report.findings == []
    warcs = [r for r in report.files if "/archive/" in r.file]
    assert len(warcs) > 1 and all(r.records > 0 for r in warcs)


def test_a_rebuilt_wacz_verifies_clean(exported: Path, tmp_path: Path) -> None:
    """The builder of the variants below damages nothing by itself."""
    report = verify(write_wacz(tmp_path / "x.wacz", read_members(exported)))
    assert report.findings == []


def test_a_flipped_byte_in_a_stored_warc_is_a_crc_error(exported: Path,
                                                        tmp_path: Path) -> None:
    members = read_members(exported)
    body = members[warc_name(members)]
    raw = bytearray(exported.read_bytes())
    at = raw.find(body) + len(body) // 2
    raw[at] ^= 0x01
    (tmp_path / "x.wacz").write_bytes(raw)
    report = verify(tmp_path / "x.wacz")
    assert "WACZ_ZIP_CRC" in codes(report) and not report.ok


def test_a_flipped_byte_in_a_warc_rezipped_is_found_by_hash_and_record(
        exported: Path, tmp_path: Path) -> None:
    """Re-zipped, the CRC is right: the resource hash and the record's own checks say
    what changed."""
    members = read_members(exported)
    name = warc_name(members)
    body = bytearray(members[name])
    body[len(body) // 2] ^= 0x01
    members[name] = bytes(body)
    report = verify(write_wacz(tmp_path / "x.wacz", members, reseal=False))
    found = codes(report)
    assert "WACZ_RESOURCE_HASH" in found
    assert found & {"WARC_GZIP_CORRUPT", "WARC_BLOCK_DIGEST", "WARC_PAYLOAD_DIGEST"}, found
    assert all(f.file.startswith(f"{tmp_path / 'x.wacz'}/") for f in report.findings)


def variant_no_archive(m: Members) -> Members:
    return unlist(m, *[n for n in m if n.startswith("archive/")])


def variant_no_indexes(m: Members) -> Members:
    return unlist(m, *[n for n in m if n.startswith("indexes/")])


def variant_unlisted_no_dot(m: Members) -> Members:
    return dict(m, NOTES=b"not listed, and no dot in its name\n")


def variant_unlisted_in_pages(m: Members) -> Members:
    return dict(m, **{"pages/README": b"no dot\n"})


def variant_no_pages(m: Members) -> Members:
    return unlist(m, "pages/pages.jsonl")


def variant_no_datapackage(m: Members) -> Members:
    return {n: b for n, b in m.items() if not n.startswith("datapackage")}


# name -> (how to damage the exported WACZ, reseal datapackage.json, the code expected)
HOLES: dict[str, tuple[Callable[[Members], Members], bool, str]] = {
    "no archive/": (variant_no_archive, True, "WACZ_ARCHIVE_MISSING"),
    "no indexes/": (variant_no_indexes, True, "WACZ_INDEX_MISSING"),
    "unlisted, no dot": (variant_unlisted_no_dot, True, "WACZ_UNLISTED"),
    "unlisted in pages/": (variant_unlisted_in_pages, True, "WACZ_FOREIGN_FILE"),
    "no pages.jsonl": (variant_no_pages, True, "WACZ_PAGES_MISSING"),
    "no datapackage.json": (variant_no_datapackage, False, "WACZ_DATAPACKAGE_MISSING"),
}


@pytest.mark.parametrize("hole", sorted(HOLES))
def test_a_hole_is_caught(exported: Path, tmp_path: Path, hole: str) -> None:
    make, reseal, code = HOLES[hole]
    path = write_wacz(tmp_path / "x.wacz", make(read_members(exported)), reseal=reseal)
    report = verify(path)
    assert code in codes(report) and not report.ok, [f.to_dict() for f in report.findings]


@pytest.mark.slow
@pytest.mark.parametrize("hole", ["no archive/", "no indexes/", "unlisted, no dot"])
def test_wacz_validate_passes_what_preserve_catches(exported: Path, tmp_path: Path,
                                                    hole: str) -> None:
    """The holes of py-wacz's validator, measured: it exits 0 on each."""
    make, reseal, code = HOLES[hole]
    path = write_wacz(tmp_path / "x.wacz", make(read_members(exported)), reseal=reseal)
    assert tool("wacz", "validate", "-f", path).returncode == 0
    assert code in codes(verify(path))


def zip_variant(name: str, m: Members, tmp: Path) -> Path:
    path = tmp / "x.wacz"
    if name == "duplicate":
        return write_wacz(path, [*m.items(), ("pages/pages.jsonl", b"{}\n")])
    if name == "escape":
        return write_wacz(path, listed(m, "../evil.txt", b"x"))
    if name == "deflated warc.gz":
        return write_wacz(path, m, deflate=lambda n: True)
    if name == "local header":
        write_wacz(path, m)
        raw = bytearray(path.read_bytes())
        at = raw.find(b"pages/pages.jsonl")  # the local header's copy comes first
        raw[at] = ord("P")
        path.write_bytes(raw)
        return path
    raise AssertionError(name)


@pytest.mark.parametrize(("variant", "code"), [
    ("duplicate", "WACZ_DUPLICATE_NAME"),
    ("escape", "WACZ_PATH_UNSAFE"),
    ("deflated warc.gz", "WACZ_COMPRESSED_TWICE"),
    ("local header", "WACZ_ZIP_MALFORMED"),
])
def test_zip_structure(exported: Path, tmp_path: Path, variant: str, code: str) -> None:
    report = verify(zip_variant(variant, read_members(exported), tmp_path))
    assert code in codes(report) and not report.ok, [f.to_dict() for f in report.findings]


def test_a_changed_member_and_a_changed_manifest(exported: Path, tmp_path: Path) -> None:
    members = read_members(exported)
    members["pages/pages.jsonl"] += b'{"url": "http://x.example/", "ts": "2020-01-01T00:00:00Z"}\n'
    report = verify(write_wacz(tmp_path / "a.wacz", members, reseal=False))
    assert {"WACZ_RESOURCE_HASH", "WACZ_RESOURCE_SIZE"} <= codes(report)
    members = read_members(exported)
    members["datapackage.json"] = members["datapackage.json"].replace(b"{", b"{ ", 1)
    report = verify(write_wacz(tmp_path / "b.wacz", members, reseal=False))
    assert codes(report) == {"WACZ_DIGEST_MISMATCH"}


def test_the_index_against_the_records(exported: Path, tmp_path: Path) -> None:
    members = read_members(exported)
    lines = cdxj_lines(members)
    assert codes(verify(write_wacz(tmp_path / "ok.wacz",
                                   with_plain_index(members, lines)))) == set()
    key, ts, obj = lines[0].split(" ", 2)
    fields = json.loads(obj)
    fields["offset"] = str(int(fields["offset"]) + 1)
    moved = [f"{key} {ts} {json.dumps(fields)}", *lines[1:]]
    report = verify(write_wacz(tmp_path / "moved.wacz", with_plain_index(members, moved)))
    assert codes(report) == {"WACZ_INDEX_BAD_OFFSET", "WACZ_INDEX_ENTRY_MISSING"}
    report = verify(write_wacz(tmp_path / "unsorted.wacz",
                               with_plain_index(members, lines[::-1])))
    assert codes(report) == {"WACZ_INDEX_UNSORTED"}
    report = verify(write_wacz(tmp_path / "bad.wacz",
                               with_plain_index(members, [*lines, "not a cdxj line"])))
    assert codes(report) == {"WACZ_INDEX_MALFORMED"}


def test_record_digests(exported: Path, tmp_path: Path) -> None:
    """py-wacz's recordDigest: the SHA-256 of the record's stored bytes."""
    members = read_members(exported)
    lines = []
    for line in cdxj_lines(members):
        key, ts, obj = line.split(" ", 2)
        fields = json.loads(obj)
        body = members[f"archive/{fields['filename']}"]
        start, length = int(fields["offset"]), int(fields["length"])
        fields["recordDigest"] = "sha256:" + hashlib.sha256(
            body[start:start + length]).hexdigest()
        lines.append((key, ts, fields))

    def index(wrong: int | None) -> Members:
        out = []
        for n, (key, ts, fields) in enumerate(lines):
            if n == wrong:
                fields = dict(fields, recordDigest="sha256:" + "0" * 64)
            out.append(f"{key} {ts} {json.dumps(fields)}")
        return with_plain_index(members, out)

    assert codes(verify(write_wacz(tmp_path / "ok.wacz", index(None)))) == set()
    report = verify(write_wacz(tmp_path / "bad.wacz", index(len(lines) // 2)))
    assert codes(report) == {"WACZ_INDEX_RECORD_DIGEST"}


def test_the_zipnum_idx_against_its_blocks(exported: Path, tmp_path: Path) -> None:
    members = read_members(exported)
    idx = members["indexes/index.idx"].decode().splitlines()
    key, ts, obj = idx[1].split(" ", 2)
    fields = json.loads(obj)
    fields["length"] += 1
    members["indexes/index.idx"] = "\n".join(
        [idx[0], f"{key} {ts} {json.dumps(fields)}", *idx[2:], ""]).encode()
    assert codes(verify(write_wacz(tmp_path / "x.wacz", members))) == {"WACZ_IDX_MISMATCH"}


def test_pages_against_the_index(exported: Path, tmp_path: Path) -> None:
    members = read_members(exported)
    members["pages/pages.jsonl"] += (
        b'{"url": "http://never.example/", "ts": "2020-01-01T00:00:00Z"}\n'
        b'{"url": "http://never.example/", "ts": "yesterday"}\n')
    report = verify(write_wacz(tmp_path / "x.wacz", members))
    assert codes(report) == {"WACZ_PAGE_NOT_INDEXED", "WACZ_PAGES_MALFORMED"}


@pytest.mark.skipif(not SUITE.is_dir(), reason=ABSENT)
def test_a_changed_signature_is_invalid(tmp_path: Path) -> None:
    members = read_members(SUITE / "valid_signed_example_1.wacz")
    digest = json.loads(members["datapackage-digest.json"])
    signature = digest["signedData"]["signature"]
    digest["signedData"]["signature"] = signature[:10] + (
        "A" if signature[10] != "A" else "B") + signature[11:]
    members["datapackage-digest.json"] = json.dumps(digest).encode()
    report = verify(write_wacz(tmp_path / "x.wacz", members, reseal=False))
    assert "WACZ_SIGNATURE_INVALID" in codes(report) and not report.ok


def anonymously_signed(members: Members, *, raw: bool) -> Members:
    """``members`` with an anonymous signature of the digest, as ArchiveWeb.page makes
    one with WebCrypto (``raw``: r and s of 32 bytes each) or as DER."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = ec.generate_private_key(ec.SECP256R1())
    digest = json.loads(members["datapackage-digest.json"])
    signature = key.sign(digest["hash"].encode(), ec.ECDSA(hashes.SHA256()))
    if raw:
        r, s = decode_dss_signature(signature)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    created = json.loads(members["datapackage.json"])["created"]
    digest["signedData"] = {"hash": digest["hash"], "created": created,
                            "software": "a test", "version": "0.1.0",
                            "signature": base64.b64encode(signature).decode(),
                            "publicKey": base64.b64encode(public).decode()}
    return dict(members, **{"datapackage-digest.json": json.dumps(digest).encode()})


@pytest.mark.parametrize("raw", [True, False])
def test_an_anonymous_signature(exported: Path, tmp_path: Path, raw: bool) -> None:
    members = anonymously_signed(read_members(exported), raw=raw)
    report = verify(write_wacz(tmp_path / "x.wacz", members, reseal=False))
    assert codes(report) == {"WACZ_SIGNATURE_ANONYMOUS"} and report.ok
    digest = json.loads(members["datapackage-digest.json"])
    digest["signedData"]["hash"] = digest["hash"] = "sha256:" + "0" * 64
    members["datapackage-digest.json"] = json.dumps(digest).encode()
    report = verify(write_wacz(tmp_path / "y.wacz", members, reseal=False))
    assert codes(report) == {"WACZ_DIGEST_MISMATCH", "WACZ_SIGNATURE_INVALID"}


def test_fixity_only_reads_no_record(exported: Path) -> None:
    report = verify(exported, fixity_only=True)
    assert report.findings == [] and all(r.records == 0 for r in report.files)


def test_progress_reaches_the_total(exported: Path) -> None:
    seen: list[tuple[int, int]] = []
    verify_package(exported, VerifyOptions(), on_progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] > 0


def test_cli_exit_statuses_and_json(exported: Path, tmp_path: Path) -> None:
    done = cli("verify", "--json", exported)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["ok"] is True
    broken = write_wacz(tmp_path / "x.wacz", variant_no_archive(read_members(exported)))
    done = cli("verify", "--json", broken)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "WACZ_ARCHIVE_MISSING" in json.loads(done.stdout)["counts"]
    junk = tmp_path / "junk.wacz"
    junk.write_bytes(b"not a zip at all")
    done = cli("verify", junk)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "PACKAGE_UNREADABLE" in done.stdout

"""A gzip WARC checked in pieces (verify.pieces) reports exactly what one read reports.

Every comparison is with the same file checked in one piece, so each test fails if a
piece boundary loses or invents a finding, an offset or a cross-record check.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from preserve.store.records import Digester, serialise_record
from preserve.verify import Report, verify_files
from preserve.verify.pieces import scan_piece
from preserve.verify.warcscan import Scanner

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "warc"
WARCS = sorted(p for p in CORPUS.iterdir() if not p.name.endswith(".json"))
DATE = "2026-12-01T00:00:00Z"


def as_data(report: Report) -> dict[str, Any]:
    data = report.to_dict()
    del data["seconds"]
    return data


def same_in_pieces(paths: list[Path], piece_size: int, jobs: int = 1) -> Report:
    whole = verify_files(paths)
    split = verify_files(paths, jobs=jobs, piece_size=piece_size)
    assert as_data(split) == as_data(whole), piece_size
    return whole


def rid(n: int) -> str:
    return f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"


def response(n: int, body: bytes, *, record_id: str | None = None,
             bad_block: bool = False, level: int = 1) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    block = head + body
    d = Digester("sha1", len(head))
    d.update(block + (b"x" if bad_block else b""))
    headers = [("WARC-Type", "response"), ("WARC-Record-ID", record_id or rid(n)),
               ("WARC-Date", DATE), ("WARC-Target-URI", f"http://example.test/{n}"),
               ("WARC-Block-Digest", d.block_digest),
               ("WARC-Payload-Digest", d.payload_digest or ""),
               ("Content-Type", "application/http;msgtype=response")]
    return b"".join(serialise_record(headers, [block], len(block), level=level))


def revisit(n: int, refers_to: str, payload_digest: str) -> bytes:
    head = b"HTTP/1.1 200 OK\r\n\r\n"
    headers = [("WARC-Type", "revisit"), ("WARC-Record-ID", rid(n)), ("WARC-Date", DATE),
               ("WARC-Target-URI", f"http://example.test/{n}"),
               ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/"
                                "identical-payload-digest"),
               ("WARC-Refers-To", refers_to), ("WARC-Payload-Digest", payload_digest),
               ("Content-Type", "application/http;msgtype=response")]
    return b"".join(serialise_record(headers, [head], len(head)))


def page(n: int) -> bytes:
    return f"<html><title>{n}</title><p>{'word ' * (20 + n % 50)}</p></html>".encode()


def payload_digest(body: bytes) -> str:
    d = Digester("sha1", 0)
    d.update(body)
    assert d.payload_digest
    return d.payload_digest


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """40 records: a duplicated id far from its first use, revisits of an early record
    (one valid, one naming no record), one record whose digests do not match."""
    members = [response(n, page(n), bad_block=n == 20) for n in range(36)]
    members.append(response(36, page(36), record_id=rid(2)))
    members.append(revisit(37, rid(1), payload_digest(page(1))))
    members.append(revisit(38, rid(999), payload_digest(page(3))))
    members.append(response(39, page(39)))
    path = tmp_path / "mixed.warc.gz"
    path.write_bytes(b"".join(members))
    return path


@pytest.mark.parametrize("piece_size", [64, 300, 1000])
@pytest.mark.parametrize("path", WARCS, ids=lambda p: p.name)
def test_every_fixture_reports_the_same_in_pieces(path: Path, piece_size: int) -> None:
    same_in_pieces([path], piece_size)


@pytest.mark.parametrize("piece_size", [150, 700, 2500, 9000])
def test_ids_revisits_and_digests_across_pieces(mixed: Path, piece_size: int) -> None:
    report = same_in_pieces([mixed], piece_size)
    assert report.counts() == {"WARC_BLOCK_DIGEST": 1, "WARC_PAYLOAD_DIGEST": 1,
                               "WARC_DUPLICATE_ID": 1, "WARC_REVISIT_EXTERNAL": 1}
    assert report.files[0].records == 40


def test_truncation_at_random_offsets_in_pieces(mixed: Path, tmp_path: Path) -> None:
    data = mixed.read_bytes()
    rng = random.Random(7)
    cut = tmp_path / "cut.warc.gz"
    for at in sorted(rng.sample(range(1, len(data)), 25)):
        cut.write_bytes(data[:at])
        report = same_in_pieces([cut], rng.choice([200, 600, 1500]))
        assert "WARC_TRUNCATED" in report.counts() or report.files[0].records < 40


def test_the_findings_cap_counts_across_pieces(tmp_path: Path) -> None:
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(b"".join(response(n, page(n), bad_block=True) for n in range(150)))
    report = same_in_pieces([path], 2000)
    assert report.counts() == {"WARC_BLOCK_DIGEST": 100, "WARC_PAYLOAD_DIGEST": 100,
                               "FINDINGS_LIMIT": 2}
    assert {f.found for f in report.findings if f.code == "FINDINGS_LIMIT"} == {"150"}


def test_a_warc_member_stored_inside_a_record_is_no_boundary(tmp_path: Path) -> None:
    """A WARC archived as a payload holds real gzip members that inflate to `WARC/`: a
    piece may start at one, and the merge must see that it is not a boundary."""
    inner = response(500, page(500))
    outer = response(1, b"\0" * 5000 + inner + b"\0" * 5000, level=0)  # stored verbatim
    before = response(0, page(0))
    path = tmp_path / "nested.warc.gz"
    path.write_bytes(before + outer + response(2, page(2)))
    at = path.read_bytes().index(inner)
    fooled = scan_piece(path, "nested", len(before) + 10, at + 50, sink=None)
    assert fooled.start == at  # the probe alone takes the stored member for a record
    for piece_size in (len(before) + 10, at - 1, at - 3000, 4000):
        report = same_in_pieces([path], piece_size)
        assert report.findings == [] and report.files[0].records == 3


def test_two_workers_on_five_files_report_as_one(mixed: Path, tmp_path: Path) -> None:
    paths = []
    for k in range(5):
        paths.append(tmp_path / f"copy-{k}.warc.gz")
        shutil.copyfile(mixed, paths[-1])
    report = same_in_pieces(paths, 1500, jobs=2)
    assert report.counts()["WARC_DUPLICATE_ID"] == 1 + 4 * 40  # each copy repeats all ids


def test_progress_reaches_the_total_in_pieces(mixed: Path) -> None:
    seen: list[tuple[int, int]] = []
    verify_files([mixed, *WARCS], piece_size=300,
                 on_progress=lambda done, total: seen.append((done, total)))
    total = mixed.stat().st_size + sum(p.stat().st_size for p in WARCS)
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize("path", [CORPUS / "valid-uncompressed.warc", CORPUS / "wget.warc.gz",
                                  CORPUS / "truncated-record.warc"], ids=lambda p: p.name)
def test_header_blocks_split_across_feeds(path: Path) -> None:
    data = path.read_bytes()

    def scan(sizes: list[int]) -> tuple[int, list[Any]]:
        scanner = Scanner(path.name, None)
        scanner.feed(data[:8])  # as a read of the file's start: it tells gzip from plain
        i = 8
        for n in sizes:
            scanner.feed(data[i:i + n])
            i += n
        scanner.feed(data[i:])
        scanner.end()
        return scanner.records, [f.to_dict() for f in scanner.findings.done()]

    whole = scan([])
    assert whole[0] > 0
    rng = random.Random(3)
    for step in (1, 2, 3, 5):
        assert scan([step] * (len(data) // step)) == whole, step
    assert scan([rng.randint(1, 40) for _ in range(len(data) // 20)]) == whole

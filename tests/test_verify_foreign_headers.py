"""WARC records as the standard allows them, from any producer: no false alarm (issue #18).

Each case is a small record written the way some other tool writes it (folded values,
names in any case, UTF-8, old versions, gzip members with optional header fields), or
broken the way the standard forbids (a repeated field, a field in the wrong record type,
a wrong segment number). Legal-but-odd forms are warnings; breaches are errors.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from preserve.verify import verify_files
from preserve.verify.report import Report

BODY = b"software: elsewhere\r\n"


def record(*fields: str, version: str = "WARC/1.1", body: bytes = BODY,
           length: bool = True) -> bytes:
    head = "\r\n".join((version, *fields))
    if length:
        head += f"\r\nContent-Length: {len(body)}"
    return head.encode("utf-8") + b"\r\n\r\n" + body + b"\r\n\r\n"


def warcinfo(*extra: str, version: str = "WARC/1.1", rid: str = "1") -> bytes:
    return record("WARC-Type: warcinfo", f"WARC-Record-ID: <urn:uuid:{rid}>",
                  "WARC-Date: 2008-04-30T20:48:25Z",
                  "Content-Type: application/warc-fields", *extra, version=version)


def check(tmp_path: Path, data: bytes, name: str = "x.warc") -> Report:
    path = tmp_path / name
    path.write_bytes(data)
    return verify_files([path])


def codes(report: Report) -> dict[str, str]:
    return {f.code: f.severity for f in report.findings}


@pytest.mark.parametrize("version", ["WARC/0.17", "WARC/0.18", "WARC/1.0", "WARC/1.1"])
def test_every_published_version_passes(tmp_path: Path, version: str) -> None:
    report = check(tmp_path, warcinfo(version=version))
    assert report.findings == [] and report.files[0].records == 1


def test_an_unknown_version_is_a_warning(tmp_path: Path) -> None:
    report = check(tmp_path, warcinfo(version="WARC/2.0"))
    assert codes(report) == {"WARC_VERSION_UNKNOWN": "warning"} and report.ok


def test_folded_values_are_one_value(tmp_path: Path) -> None:
    """WARC 1.1 section 4: a value may go on continuation lines (a space or a tab)."""
    data = (b"WARC/1.0\r\nWARC-Type: \r\n\twarcinfo\r\nWARC-Record-ID:\r\n <urn:uuid:1>\r\n"
            b"WARC-Date: \r\n 2008-04-30T20:48:25Z\r\nContent-Type:\r\n"
            b" application/warc-fields\r\nWARC-Filename: a\r\n  b\r\nContent-Length: \r\n \t"
            + str(len(BODY)).encode() + b"\r\n\r\n" + BODY + b"\r\n\r\n")
    report = check(tmp_path, data)
    assert report.findings == [] and report.files[0].records == 1


def test_a_continuation_line_first_is_malformed(tmp_path: Path) -> None:
    data = record(" WARC-Type: warcinfo", "WARC-Type: warcinfo", "WARC-Record-ID: <urn:x:1>",
                  "WARC-Date: 2008-04-30T20:48:25Z", "Content-Type: application/warc-fields")
    assert codes(check(tmp_path, data)) == {"WARC_HEADER_MALFORMED": "error"}


def test_field_names_in_any_case_and_utf8_values(tmp_path: Path) -> None:
    data = record("warc-type: resource", "WARC-RECORD-ID: <urn:uuid:1>",
                  "Warc-Date: 2008-04-30T20:48:25Z", "CONTENT-TYPE: text/plain",
                  "warc-target-uri: http://example.org/caf%C3%A9",
                  "X-Note: Enseñanza 学习 Ελληνικά", "WARC-Block-Digest: sha1:"
                  "2WAXX5NUWNNCS2BDKCO5OVDQBJVNKIVV", body=b"x")
    report = check(tmp_path, data)
    assert set(codes(report)) == {"WARC_BLOCK_DIGEST"}  # the digest is read, whatever case


def test_lower_case_version_type_and_date_are_warnings(tmp_path: Path) -> None:
    data = warcinfo() + record("warc-type: RESPONSE", "warc-record-id: <urn:uuid:2>",
                               "warc-date: 2008-04-30t20:48:25z", "content-type: text/dns",
                               "warc-target-uri: dns:www.archive.org", version="warc/1.0")
    report = check(tmp_path, data)
    assert report.ok and report.files[0].records == 2
    assert {f.code for f in report.findings} == {"WARC_CASE_UNUSUAL"}
    assert len(report.findings) == 3  # the version line, the type and the date


def test_a_lower_case_version_line_starts_a_plain_file(tmp_path: Path) -> None:
    report = check(tmp_path, warcinfo(version="warc/1.1"))
    assert codes(report) == {"WARC_CASE_UNUSUAL": "warning"} and report.files[0].records == 1


@pytest.mark.parametrize("field", ["WARC-Type: warcinfo", "WARC-Record-ID: <urn:uuid:9>",
                                   "WARC-Date: 2009-01-01T00:00:00Z",
                                   "Content-Length: 21", "Content-Type: text/plain"])
def test_a_repeated_field_is_an_error(tmp_path: Path, field: str) -> None:
    """WARC 1.1 section 5.1: no defined field twice, except WARC-Concurrent-To."""
    report = check(tmp_path, warcinfo(field))
    assert codes(report) == {"WARC_HEADER_DUPLICATE": "error"}
    assert report.findings[0].offset == 0


def test_repeated_concurrent_to_and_extension_fields_pass(tmp_path: Path) -> None:
    data = warcinfo("X-Tool: a", "x-tool: b") + record(
        "WARC-Type: metadata", "WARC-Record-ID: <urn:uuid:2>",
        "WARC-Date: 2008-04-30T20:48:25Z", "Content-Type: application/warc-fields",
        "WARC-Concurrent-To: <urn:uuid:3>", "WARC-Concurrent-To: <urn:uuid:4>")
    assert check(tmp_path, data).findings == []


@pytest.mark.parametrize(("fields", "code"), [
    (("WARC-Type: warcinfo", "WARC-Target-URI: http://example.org/"),
     "WARC_FIELD_NOT_ALLOWED"),
    (("WARC-Type: response", "WARC-Target-URI: http://example.org/",
      "WARC-Filename: x.warc"), "WARC_FIELD_NOT_ALLOWED"),
    (("WARC-Type: resource", "WARC-Target-URI: http://example.org/",
      "WARC-Refers-To: <urn:uuid:7>"), "WARC_FIELD_NOT_ALLOWED"),
    (("WARC-Type: resource", "WARC-Target-URI: http://example.org/a b"),
     "WARC_HEADER_INVALID"),
    (("WARC-Type: resource", "WARC-Target-URI: no-scheme"), "WARC_HEADER_INVALID"),
    (("WARC-Type: resource", "WARC-Target-URI: http://example.org/",
      "WARC-IP-Address: 300.1.1.1"), "WARC_HEADER_INVALID"),
    (("WARC-Type: continuation", "WARC-Target-URI: http://example.org/",
      "WARC-Segment-Origin-ID: <urn:uuid:7>", "WARC-Segment-Number: 1"),
     "WARC_HEADER_INVALID"),
    (("WARC-Type: continuation", "WARC-Target-URI: http://example.org/",
      "WARC-Segment-Number: 2"), "WARC_HEADER_MISSING"),
    (("WARC-Type: resource", "WARC-Target-URI: http://example.org/",
      "WARC-Segment-Number: 2"), "WARC_HEADER_INVALID"),
    (("WARC-Type: resource", "WARC-Target-URI: http://example.org/",
      "WARC-Block-Digest: :AAAA"), "WARC_DIGEST_MALFORMED"),
])
def test_breaches_are_errors(tmp_path: Path, fields: tuple[str, ...], code: str) -> None:
    data = record(*fields, "WARC-Record-ID: <urn:uuid:1>", "WARC-Date: 2008-04-30T20:48:25Z",
                  "Content-Type: text/plain")
    report = check(tmp_path, data)
    errors = {f.code for f in report.findings if f.severity == "error"}
    assert errors == {code}, report.findings


@pytest.mark.parametrize(("fields", "code"), [
    (("WARC-Type: monkeys", "Content-Type: text/plain"), "WARC_TYPE_UNKNOWN"),
    (("WARC-Type: resource", "WARC-Target-URI: http://example.org/"),
     "WARC_CONTENT_TYPE_MISSING"),
])
def test_recommendations_are_warnings(tmp_path: Path, fields: tuple[str, ...],
                                      code: str) -> None:
    data = record(*fields, "WARC-Record-ID: <urn:uuid:1>", "WARC-Date: 2008-04-30T20:48:25Z")
    report = check(tmp_path, data)
    assert codes(report) == {code: "warning"} and report.ok


def test_a_continuation_needs_no_content_type(tmp_path: Path) -> None:
    data = record("WARC-Type: continuation", "WARC-Record-ID: <urn:uuid:2>",
                  "WARC-Date: 2008-04-30T20:48:25Z", "WARC-Target-URI: http://example.org/",
                  "WARC-Segment-Origin-ID: <urn:uuid:1>", "WARC-Segment-Number: 2",
                  "WARC-Segment-Total-Length: 40")
    assert check(tmp_path, data).findings == []


def test_lines_ending_in_lf_alone_are_named(tmp_path: Path) -> None:
    report = check(tmp_path, b"WARC/1.0\nWARC-Type: warcinfo\n\n\n\n")
    assert codes(report) == {"WARC_HEADER_MALFORMED": "error"}
    assert "LF alone" in report.findings[0].message


def test_an_arc_file_is_named_as_one(tmp_path: Path) -> None:
    arc = b"filedesc://x.arc 0.0.0.0 20140101000000 text/plain 10\n1 0 test\n\n"
    for data, name in ((arc, "x.arc"), (zlib.compress(arc, wbits=31), "x.arc.gz")):
        report = check(tmp_path, data, name)
        assert codes(report) == {"WARC_NOT_WARC": "error"}
        assert "ARC file" in report.findings[0].message


def gzip_member(data: bytes, *, extra: bytes = b"", name: bytes = b"", comment: bytes = b"",
                hcrc: bool = False) -> bytes:
    """A gzip member (RFC 1952) with the optional header fields that zlib never writes."""
    flags = (4 if extra else 0) | (8 if name else 0) | (16 if comment else 0) | (2 if hcrc
                                                                                 else 0)
    head = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", 1209600000) + b"\x00\x03"
    if extra:
        head += struct.pack("<H", len(extra)) + extra
    if name:
        head += name + b"\x00"
    if comment:
        head += comment + b"\x00"
    if hcrc:
        head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    return head + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def test_gzip_members_with_optional_header_fields(tmp_path: Path) -> None:
    """FEXTRA (as Internet Archive's tools write it), FNAME, FCOMMENT and FHCRC."""
    second = record("WARC-Type: resource", "WARC-Record-ID: <urn:uuid:2>",
                    "WARC-Date: 2008-04-30T20:48:25Z", "Content-Type: text/plain",
                    "WARC-Target-URI: http://example.org/", body=b"hello")
    data = (gzip_member(warcinfo(), extra=b"sl\x08\x00" + bytes(8), name=b"a.warc")
            + gzip_member(second, comment=b"second record", hcrc=True))
    report = check(tmp_path, data, "x.warc.gz")
    assert report.findings == [] and report.files[0].records == 2

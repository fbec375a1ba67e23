"""Which WACZ entries get Zip64 headers: a local header has one exactly where Python's
zipfile writes one in the central directory, so that ReplayWeb.page's reader finds every
entry's data (``preserve.export.writers.zip64_header``).

Writing an entry of 2 GiB to see it is too slow for a test; instead ``ZipWriter`` opens an
entry for each boundary size and writes one byte (its local header is as it would be), and
zipfile's central directory writer is given an entry recorded as that size; both headers
are read back byte by byte.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from preserve.export.writers import ZipWriter, zip64_header

LIMIT = zipfile.ZIP64_LIMIT  # 2 GiB - 1
SIZES = [0, 1, 2_100_000_000, LIMIT, LIMIT + 1, 0xFFFFFFFE, 0xFFFFFFFF, 5 << 30]


def _has_zip64(extra: bytes) -> bool:
    while len(extra) >= 4:
        kind, size = struct.unpack("<HH", extra[:4])
        if kind == 0x0001:
            return True
        extra = extra[4 + size:]
    return False


def _local_zip64(path: Path) -> bool:
    """Whether the first local header of the ZIP file has a Zip64 extra field."""
    data = path.read_bytes()
    assert data[:4] == b"PK\x03\x04"
    name_len, extra_len = struct.unpack("<HH", data[26:30])
    return _has_zip64(data[30 + name_len:30 + name_len + extra_len])


def _central_zip64(size: int) -> bool:
    """Whether zipfile's central directory entry for an entry of ``size`` bytes has one."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", allowZip64=True) as z:
        info = zipfile.ZipInfo("archive/big.warc.gz", (2026, 12, 6, 0, 0, 0))
        with z.open(info, "w", force_zip64=True) as out:
            out.write(b"x")
        info.file_size = info.compress_size = size  # what the central directory records
    data = buf.getvalue()
    at = data.index(b"PK\x01\x02")
    name_len, extra_len = struct.unpack("<HH", data[at + 28:at + 32])
    return _has_zip64(data[at + 46 + name_len:at + 46 + name_len + extra_len])


@pytest.mark.parametrize("size", SIZES)
def test_a_local_header_has_zip64_exactly_when_the_central_directory_does(
        size: int, tmp_path: Path) -> None:
    path = tmp_path / "one.zip"
    writer = ZipWriter(path)
    with writer.open_stored("archive/big.warc.gz", size, 0.0) as out:
        out.write(b"x")
    writer.close()
    assert _local_zip64(path) == _central_zip64(size) == zip64_header(size), size


def test_no_entry_of_2_gib_or_less_has_zip64() -> None:
    """The ZIP format needs Zip64 only from 0xFFFFFFFF bytes, but zipfile puts it in the
    central directory from 2 GiB: between the two, ours follows zipfile's."""
    assert [s for s in SIZES if zip64_header(s)] == [LIMIT + 1, 0xFFFFFFFE, 0xFFFFFFFF, 5 << 30]

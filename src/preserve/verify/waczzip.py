"""The ZIP container of a WACZ checked as a ZIP: every central directory entry against
its local header, entries that overlap, names that would escape the directory they are
unpacked into, names used twice, encrypted entries, and compression where the WACZ
specification forbids it ("Zip Compression"). Only headers are read here; the members'
bytes are read once, later, by verify.waczpkg."""

from __future__ import annotations

import struct
import zipfile
from collections import Counter
from collections.abc import Callable
from typing import BinaryIO

__all__ = ["check_zip", "unsafe_name", "is_compressed_name"]

_LOCAL = struct.Struct("<4sHHHHHLLLHH")
_LOCAL_SIG = b"PK\x03\x04"
_ZIP64_MARK = 0xFFFFFFFF
_COMPRESSED = (".gz", ".zip", ".wacz", ".bz2", ".xz", ".zst")

Add = Callable[[str, str, str, object, object], None]  # code, member, message, expected, found


def unsafe_name(name: str) -> str | None:
    """Why a member name could write outside the directory it is unpacked into (or is no
    file name at all), or None."""
    if not name:
        return "an empty name"
    if name.startswith(("/", "\\")):
        return "an absolute path"
    if len(name) > 1 and name[1] == ":":
        return "a drive letter"
    if "\\" in name:
        return "a backslash (a directory separator on Windows)"
    if "\x00" in name:
        return "a NUL byte"
    if any(part == ".." for part in name.split("/")):
        return "a '..' segment"
    return None


def is_compressed_name(name: str) -> bool:
    return name.lower().endswith(_COMPRESSED)


def check_zip(f: BinaryIO, z: zipfile.ZipFile, add: Add) -> set[str]:
    """Check the container; ``add`` gets each finding. Returns the names of the members
    whose bytes must not be read (a local header that does not match, an unsafe name, an
    encrypted entry)."""
    skip: set[str] = set()
    infos = z.infolist()
    counts = Counter(i.filename for i in infos)
    for name, n in counts.items():
        if n > 1:
            add("WACZ_DUPLICATE_NAME", name, f"{n} members have this name: which one a "
                "reader takes is undefined", 1, n)
            skip.add(name)
    for info in infos:
        why = unsafe_name(info.filename)
        if why is not None:
            add("WACZ_PATH_UNSAFE", info.filename, f"the member name has {why}: unpacking "
                "it could write outside the target directory", "a relative path", why)
            skip.add(info.filename)
        if info.flag_bits & 0x1:
            add("WACZ_ZIP_MALFORMED", info.filename, "the member is encrypted: it cannot "
                "be read or replayed", "not encrypted", "encrypted")
            skip.add(info.filename)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            add("WACZ_ZIP_MALFORMED", info.filename, "the member uses a compression method "
                "other than STORE or DEFLATE, which WACZ readers do not support",
                "0 or 8", info.compress_type)
            skip.add(info.filename)
        if info.compress_type != zipfile.ZIP_STORED and is_compressed_name(info.filename):
            add("WACZ_COMPRESSED_TWICE", info.filename, "an already compressed file is "
                "compressed again in the ZIP: its records cannot be read at their offsets "
                "(WACZ 1.1.1, Zip Compression: MUST NOT)", "STORE", "DEFLATE")
        elif info.compress_type != zipfile.ZIP_STORED and (
                info.filename.startswith("archive/")):
            add("WACZ_NOT_STORED", info.filename, "a WARC is deflated in the ZIP: its "
                "records cannot be read at their offsets without inflating all before "
                "them (WACZ 1.1.1, Zip Compression: archive/ files should be STORE)",
                "STORE", "DEFLATE")
        if not _local_header_matches(f, info, add):
            skip.add(info.filename)
    _check_overlaps(f, infos, z, add, skip)
    return skip


def _local_header_matches(f: BinaryIO, info: zipfile.ZipInfo, add: Add) -> bool:
    f.seek(info.header_offset)
    raw = f.read(_LOCAL.size)
    if len(raw) < _LOCAL.size or raw[:4] != _LOCAL_SIG:
        add("WACZ_ZIP_MALFORMED", info.filename, "the central directory points at offset "
            f"{info.header_offset}, where no local file header starts", "PK\\x03\\x04",
            repr(raw[:4]))
        return False
    (_, _, flags, method, _, _, crc, csize, usize, nlen, _) = _LOCAL.unpack(raw)
    name = f.read(nlen)
    encoding = "utf-8" if flags & 0x800 else "cp437"
    local_name = name.decode(encoding, "replace")
    problems: list[tuple[str, object, object]] = []
    if local_name != info.orig_filename:
        problems.append(("name", info.orig_filename, local_name))
    if method != info.compress_type:
        problems.append(("compression method", info.compress_type, method))
    if not flags & 0x8:  # else the sizes and CRC are in a data descriptor after the data
        if crc != info.CRC:
            problems.append(("CRC-32", f"{info.CRC:08x}", f"{crc:08x}"))
        if csize != _ZIP64_MARK and csize != info.compress_size:
            problems.append(("compressed size", info.compress_size, csize))
        if usize != _ZIP64_MARK and usize != info.file_size:
            problems.append(("size", info.file_size, usize))
    for what, expected, found in problems:
        add("WACZ_ZIP_MALFORMED", info.filename, f"the local file header's {what} differs "
            "from the central directory's: readers that stream the ZIP and readers that "
            "seek in it see different files", expected, found)
    return not problems


def _check_overlaps(f: BinaryIO, infos: list[zipfile.ZipInfo], z: zipfile.ZipFile,
                    add: Add, skip: set[str]) -> None:
    """Each member's data must end before the next local header (or the central
    directory): overlapping members are how ZIP bombs and disguised files are built."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    end_of_data: int = getattr(z, "start_dir", None) or f.seek(0, 2)
    for i, info in enumerate(ordered):
        if info.filename in skip:
            continue
        f.seek(info.header_offset + 26)
        lens = f.read(4)
        if len(lens) < 4:
            continue
        nlen, elen = struct.unpack("<HH", lens)
        data_end = info.header_offset + _LOCAL.size + nlen + elen + info.compress_size
        limit = ordered[i + 1].header_offset if i + 1 < len(ordered) else end_of_data
        if data_end > limit:
            add("WACZ_ZIP_MALFORMED", info.filename, "the member's data runs past the "
                "start of the next member (or of the central directory): members overlap",
                f"end at or before {limit}", data_end)
            skip.add(info.filename)

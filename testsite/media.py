"""Genuine binary files for the test site: PNG, baseline JPEG, ICO, PDF, WOFF2.

Generated in code rather than shipped, so every article can have its own image (distinct
payload digests, as on a real site) and the bytes are the same on every run.
"""

from __future__ import annotations

import functools
import random
import struct
import zlib

__all__ = ["png", "jpeg", "mosaic_jpeg", "ico", "pdf", "woff2", "noise"]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int, height: int, rgb: tuple[int, int, int], stripe: tuple[int, int, int]) -> bytes:
    """An RGB PNG: a solid colour with a horizontal stripe through the middle."""
    rows = []
    for y in range(height):
        colour = stripe if height // 3 <= y < 2 * height // 3 else rgb
        rows.append(b"\x00" + bytes(colour) * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + _png_chunk(b"IEND", b""))


# Huffman tables: the standard DC luminance table (ITU T.81 Annex K) and an AC table
# holding only end-of-block, which is all flat 8x8 blocks need (a flat image or a mosaic).
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_VALS = tuple(range(12))
_AC_BITS = (0, 1) + (0,) * 14
_AC_VALS = (0x00,)


def _huffman_codes(bits: tuple[int, ...], vals: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    codes: dict[int, tuple[int, int]] = {}
    code, k = 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


_DC_CODES = _huffman_codes(_DC_BITS, _DC_VALS)
_EOB = "{:0{}b}".format(*_huffman_codes(_AC_BITS, _AC_VALS)[0x00])


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


def _levels(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The quantised DC levels (Y, Cb, Cr) of a flat 8x8 block of one colour.

    With every quantiser 8, a flat block's quantised DC equals its level-shifted value."""
    r, g, b = rgb
    ycc = (0.299 * r + 0.587 * g + 0.114 * b,
           128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
           128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
    y, cb, cr = (max(-128, min(127, round(c) - 128)) for c in ycc)
    return y, cb, cr


def _jfif(width: int, height: int, comment: str, bits: str) -> bytes:
    """A baseline JFIF file around a scan given as a string of bits."""
    bits += "1" * (-len(bits) % 8)  # pad with one-bits
    scan_data = int(bits, 2).to_bytes(len(bits) // 8, "big").replace(b"\xff", b"\xff\x00")
    frame = struct.pack(">BHHB", 8, height, width, 3) + b"".join(
        bytes((c + 1, 0x11, 0)) for c in range(3))
    scan = bytes((3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0))
    return (b"\xff\xd8"
            + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + (_segment(0xFE, comment.encode()) if comment else b"")
            + _segment(0xDB, b"\x00" + bytes([8] * 64))
            + _segment(0xC0, frame)
            + _segment(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALS))
            + _segment(0xC4, b"\x10" + bytes(_AC_BITS) + bytes(_AC_VALS))
            + _segment(0xDA, scan) + scan_data + b"\xff\xd9")


def jpeg(width: int, height: int, rgb: tuple[int, int, int], comment: str = "") -> bytes:
    """A baseline JFIF JPEG of one flat colour; the comment makes each file distinct."""
    level = _levels(rgb)
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    same = _dc_bits(0) * 3  # every later block: no change
    bits = "".join(_dc_bits(level[c]) for c in range(3)) + same * (blocks - 1)
    return _jfif(width, height, comment, bits)


def _dc_bits(diff: int) -> str:
    """One 8x8 block of a flat-block scan as a bit string: the DC difference, then EOB."""
    size = abs(diff).bit_length()
    code, length = _DC_CODES[size]
    bits = format(code, f"0{length}b")
    if size:
        bits += format(diff if diff > 0 else diff + (1 << size) - 1, f"0{size}b")
    return bits + _EOB


@functools.lru_cache(maxsize=8)
def _mosaic_tail(width: int, height: int, seed: str) -> tuple[tuple[int, int, int], str]:
    """The second block's levels and the scan bits from the third block on, for one seed."""
    rng = random.Random(seed)
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    first = previous = (rng.randrange(-128, 128), rng.randrange(-128, 128),
                        rng.randrange(-128, 128))
    parts: list[str] = []
    for _ in range(blocks - 2):
        levels = (rng.randrange(-128, 128), rng.randrange(-128, 128), rng.randrange(-128, 128))
        parts.extend(_dc_bits(levels[c] - previous[c]) for c in range(3))
        previous = levels
    return first, "".join(parts)


def mosaic_jpeg(width: int, height: int, rgb: tuple[int, int, int], seed: str,
                comment: str = "") -> bytes:
    """A baseline JFIF JPEG of random 8x8 colour blocks, as heavy as a photograph.

    At 1024x768 it weighs about 60 KB, the median size of an image on the web. The
    blocks after the first come from ``seed`` (shared by the images of one site, so
    making one costs a few milliseconds); the first block is ``rgb`` and the comment
    differs, so every image has its own bytes and payload digest.
    """
    if width < 16:
        raise ValueError("a mosaic is at least 16 pixels wide")
    own = _levels(rgb)
    second, tail = _mosaic_tail(width, height, seed)
    bits = ("".join(_dc_bits(own[c]) for c in range(3))
            + "".join(_dc_bits(second[c] - own[c]) for c in range(3)) + tail)
    return _jfif(width, height, comment, bits)


def noise(size: int, seed: str) -> bytes:
    """``size`` pseudo-random bytes, the same for the same seed on every run."""
    return random.Random(seed).randbytes(size)


def ico(image_png: bytes, size: int) -> bytes:
    """A Windows icon file holding one PNG image (valid since Windows Vista)."""
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image_png), 22)
    return struct.pack("<HHH", 0, 1, 1) + entry + image_png


def pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 18 Tf", "72 770 Td", f"({escape(title)}) Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines:
        ops += [f"({escape(line)}) Tj", "0 -16 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + escape(title).encode("latin-1") + b") /Producer (preserve testsite) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def woff2(name: str) -> bytes:
    """A WOFF2 header and a short payload: the right signature and type, not a usable font."""
    payload = (name.encode() * 64)[:512]
    total = 48 + len(payload)
    header = struct.pack(">4sIIHHIIHHIIIII", b"wOF2", 0x00010000, total, 0, 0, 0,
                         len(payload), 1, 0, 0, 0, 0, 0, 0)
    return header + payload

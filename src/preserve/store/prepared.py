"""A record's block digested and compressed ahead of writing, off the crawl's main thread.

The crawl's main thread writes every record, so what it does per record bounds the
crawl's rate. What does not depend on where the record lands (its block's digests and
the deflated block) can be done by the worker thread that fetched it: ``prepare_block``
digests and compresses a block and the blank lines after it as a raw deflate stream of
its own. ``gzip_member`` then makes the record's gzip member on the main thread from its
header block (a few hundred bytes, compressed and flushed to a byte boundary) followed
by that stream, with a CRC-32 combined from the two parts' own, so the block is neither
read nor compressed again. Each record is still one gzip member (WARC 1.1, annex D),
which any inflater reads as one stream.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from .records import Digester, record_head

__all__ = ["PreparedBlock", "prepare_block", "gzip_member", "PREPARE_MAX"]

_LEVEL = 6  # as serialise_record
_END = b"\r\n\r\n"
# Blocks larger than this are written as before, streamed by the main thread, so a
# worker never holds a large compressed block in memory.
PREPARE_MAX = 4 << 20
_GZIP_HEADER = zlib.compressobj(_LEVEL, zlib.DEFLATED, 31).flush()[:10]
_ZEROS = memoryview(bytes(1 << 16))
_LOOKAHEAD = 262  # zlib's MIN_LOOKAHEAD: a window this much larger than the input sees it all


@dataclass(frozen=True)
class PreparedBlock:
    """A block, its digests, and its deflated bytes (the blank lines after it included)."""

    length: int  # of the block, as Content-Length says
    deflated: bytes  # raw deflate of block + CRLF CRLF, finished
    crc: int  # CRC-32 of block + CRLF CRLF
    zeros_crc: int  # CRC-32 of as many zero bytes (to combine CRCs)
    block_digest: str
    payload_digest: str | None


def prepare_block(chunks: Iterable[bytes], length: int, algorithm: str,
                  payload_offset: int | None) -> PreparedBlock:
    """Digest and deflate a block of ``length`` bytes; ValueError if it is another size."""
    digester = Digester(algorithm, payload_offset)
    comp = _compressor(length + len(_END))
    out: list[bytes] = []
    crc = 0
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        digester.update(chunk)
        crc = zlib.crc32(chunk, crc)
        out.append(comp.compress(chunk))
    if seen != length:
        raise ValueError(f"block was {seen} bytes, Content-Length said {length}")
    out.append(comp.compress(_END))
    out.append(comp.flush())
    return PreparedBlock(length, b"".join(out), zlib.crc32(_END, crc),
                         _zeros_crc(length + len(_END), 0), digester.block_digest,
                         digester.payload_digest)


def gzip_member(headers: list[tuple[str, str]], block: PreparedBlock) -> bytes:
    """The record's gzip member: its header block (with Content-Length) and the block."""
    head = record_head(headers, block.length)
    comp = _compressor(len(head))
    deflated_head = comp.compress(head) + comp.flush(zlib.Z_SYNC_FLUSH)
    size = len(head) + block.length + len(_END)
    crc = _combine(zlib.crc32(head), block)
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return b"".join((_GZIP_HEADER, deflated_head, block.deflated, trailer))


def _compressor(size: int) -> zlib._Compress:
    """A raw deflate compressor for ``size`` bytes: its window no larger than the input
    needs, and its hash table to match. Setting up the default one (a 32 KiB window,
    about 300 KiB of tables) costs more than compressing a header block of a few hundred
    bytes, and a window past the input's end finds no more matches."""
    wbits = max(9, min(15, (size + _LOOKAHEAD).bit_length()))
    return zlib.compressobj(_LEVEL, zlib.DEFLATED, -wbits, max(1, min(8, wbits - 7)))


def _combine(head_crc: int, block: PreparedBlock) -> int:
    """CRC-32 of head + block from the head's CRC and the block's: CRC-32 is affine, so
    crc(A + B) = crc(zeros, crc(A)) ^ crc(B) ^ crc(zeros) with len(B) zero bytes."""
    return _zeros_crc(block.length + len(_END), head_crc) ^ block.crc ^ block.zeros_crc


def _zeros_crc(n: int, crc: int) -> int:
    while n > 0:
        step = min(n, len(_ZEROS))
        crc = zlib.crc32(_ZEROS[:step], crc)
        n -= step
    return crc

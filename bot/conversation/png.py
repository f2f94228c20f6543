"""Indexed PNGs that recompress only the scanlines a drawing changed.

A result's picture is a cached base (every word of it) with a few points pasted on; compressing
its 800 x 500 pixels was two thirds of drawing it, about 1.4 ms of the 2.5 ms, on every result
(docs/performance.md). Here the base's scanlines are compressed once, in bands of `BAND` lines,
each band its own deflate segment ending on a full flush (which empties the compressor's window,
so the next segment never refers back into it). A picture drawn over the base reuses the base's
segment for every band it left alone and compresses only the bands it touched: the result is
one valid zlib stream in an ordinary PNG (tests/test_picture.py decodes each with Pillow and
compares every pixel with the image drawn, and has zlib check the stream's Adler-32). That
checksum is combined from the bands' own, so only the touched bands' bytes are summed and
hashed: the whole picture's Adler-32 and a digest of each touched band had been over half of what
was left of a picture's cost (2.2 M instructions a picture, now 1.2 M).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image

BAND = 8  # scanlines per segment: a point (19 lines) touches three bands, a fifth of a row's height
LEVEL = 1  # flat colours compress well even at the fastest level
SIGNATURE = b"\x89PNG\r\n\x1a\n"
LAST_BLOCK = b"\x03\x00"  # an empty final deflate block (fixed Huffman, end-of-block only)
MAX_SEGMENTS = 4096  # about 1.5 MB of compressed bands
ADLER_BASE = 65521  # the largest prime below 2**16: Adler-32's modulus
_SEGMENTS: dict[int, tuple[bytes, int]] = {}


@dataclass(frozen=True)
class Bands:
    """A base picture's scanlines, compressed band by band (raw deflate, each ending on a full flush),
    with each band's Adler-32 and length: the stream's checksum is combined from them, not read
    again from the whole picture's 400 KB."""

    size: tuple[int, int]
    segments: tuple[bytes, ...]
    checksums: tuple[int, ...]
    lengths: tuple[int, ...]


def bands_of(image: Image.Image) -> Bands:
    scanlines = _scanlines(image)
    width, height = image.size
    step = BAND * (width + 1)
    parts = [scanlines[start:start + step] for start in range(0, height * (width + 1), step)]
    return Bands(image.size, tuple(_segment(p) for p in parts), tuple(zlib.adler32(p) for p in parts), tuple(len(p) for p in parts))


def encode(image: Image.Image, base: Bands, changed: Iterable[tuple[int, int]]) -> bytes:
    """`image`: `base`'s picture with only the rows in `changed` (top, bottom, inclusive) drawn on."""
    if image.mode != "P" or image.size != base.size:
        raise ValueError("an indexed picture the size of its base")
    width, height = image.size
    scanlines = _scanlines(image)
    step = BAND * (width + 1)
    segments, checksums = list(base.segments), list(base.checksums)
    touched = {band for top, bottom in changed for band in range(max(0, top) // BAND, min(height - 1, bottom) // BAND + 1)}
    for band in touched:
        segments[band], checksums[band] = _changed_segment(scanlines[band * step:(band + 1) * step])
    checksum = checksums[0]
    for later, length in zip(checksums[1:], base.lengths[1:], strict=True):
        checksum = _adler32_combine(checksum, later, length)
    stream = b"\x78\x01" + b"".join(segments) + LAST_BLOCK + struct.pack(">I", checksum)
    palette = bytes(image.getpalette() or [])
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8 bits per pixel, indexed colour
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"PLTE", palette) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")


def _scanlines(image: Image.Image) -> bytes:
    """Each row with PNG's filter byte 0 before it: the picture pasted one pixel right of a column of zeros."""
    width, height = image.size
    framed = Image.new("P", (width + 1, height), 0)
    framed.paste(image, (1, 0))
    return framed.tobytes()


def _segment(data: bytes) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _changed_segment(data: bytes) -> tuple[bytes, int]:
    """A touched band, compressed once per content, with its Adler-32: a result's point on one
    dimension's axis sits at one of a few dozen places, so the same band comes back for result after
    result. Keyed by Python's own 64-bit hash of the bytes, which is keyed afresh in every process
    (no band can be crafted to collide with another; by chance, about one lookup in 10^15 at a full
    cache), at a fifth of a digest's cost (2.6 us a band against blake2b's 13 us). Forgotten all at
    once when `MAX_SEGMENTS` are kept."""
    key = hash(data)
    found = _SEGMENTS.get(key)
    if found is None:
        if len(_SEGMENTS) >= MAX_SEGMENTS:
            _SEGMENTS.clear()
        found = _SEGMENTS[key] = (_segment(data), zlib.adler32(data))
    return found


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two pieces joined, from each piece's (zlib's adler32_combine, which Python's
    zlib module does not offer)."""
    remainder = second_length % ADLER_BASE
    low = (first & 0xFFFF) + (second & 0xFFFF) + ADLER_BASE - 1
    high = (remainder * (first & 0xFFFF)) % ADLER_BASE + (first >> 16) + (second >> 16) + ADLER_BASE - remainder
    return (low % ADLER_BASE) | ((high % ADLER_BASE) << 16)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

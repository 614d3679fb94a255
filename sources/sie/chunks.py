"""A SIE file's bytes in pieces: a first pass for its identity, then chunks of whole vouchers.

The reader never holds a whole file: a first pass reads it block by block for its sha256, size
and encoding (and refuses a non-SIE file from its first megabyte); the second pass hands out
chunks of about `CHUNK_BYTES` that end just before a `#VER` line, so no voucher block is ever
split between two chunks and each chunk can be parsed on its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sources.sie.encoding import UTF16, EncodingScan

BLOCK_BYTES = 8 << 20
CHUNK_BYTES = 2 << 20
# The start of a #VER line (after a line feed): where a chunk may end.
_VER_LINE = re.compile(rb"\n[ \t]*#[Vv][Ee][Rr][ \t\"{]")
_SEARCH_WINDOW = 1 << 16  # a chunk's last #VER is usually in its last few hundred bytes
# `#KSUMMA` in any case, without an upper-cased copy of every block.
_KSUMMA = re.compile(rb"#[Kk][Ss][Uu][Mm][Mm][Aa]")


@dataclass(frozen=True)
class FileScan:
    """What the first pass learns: identity, encoding, and whether the file can be chunked."""

    sha256: str
    size: int
    encoding: str
    prefix: bytes
    has_line_feed: bool
    has_ksumma: bool


class ByteSource:
    """A file on disk or bytes in memory, read block by block (never more than one at once)."""

    def __init__(self, source: bytes | Path) -> None:
        self.source = source

    def blocks(self, size: int = BLOCK_BYTES) -> Iterator[bytes]:
        if isinstance(self.source, bytes):
            view = memoryview(self.source)
            for start in range(0, len(view), size):
                yield bytes(view[start : start + size])
            return
        with self.source.open("rb") as stream:
            while block := stream.read(size):
                yield block

    def read_all(self) -> bytes:
        """The whole file: only for the #KSUMMA check, whose region may span the file."""
        return self.source if isinstance(self.source, bytes) else self.source.read_bytes()


def scan(source: ByteSource, *, prefix_bytes: int) -> FileScan:
    """The first pass: sha256, size, encoding, the first `prefix_bytes`, line feeds, #KSUMMA."""
    digest = hashlib.sha256()
    encoding = EncodingScan()
    size, prefix, has_line_feed, has_ksumma, tail = 0, b"", False, False, b""
    for block in source.blocks():
        digest.update(block)
        encoding.update(block)
        size += len(block)
        if len(prefix) < prefix_bytes:
            prefix += block[: prefix_bytes - len(prefix)]
        has_line_feed = has_line_feed or b"\n" in block
        window = tail + block
        has_ksumma = has_ksumma or _KSUMMA.search(window) is not None
        tail = block[-8:]
    return FileScan(
        sha256=digest.hexdigest(),
        size=size,
        encoding=encoding.encoding,
        prefix=prefix,
        has_line_feed=has_line_feed,
        has_ksumma=has_ksumma,
    )


def voucher_chunks(
    source: ByteSource, file_scan: FileScan, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[bytes]:
    """Chunks of the file that end just before a `#VER` line (the last chunk ends the file).

    A file without line feeds (CR-only line ends) or in UTF-16 is one chunk: its lines cannot
    be found in the bytes.
    """
    if not file_scan.has_line_feed or file_scan.encoding == UTF16:
        yield source.read_all()
        return
    buffer = b""
    for block in source.blocks(chunk_bytes):
        buffer += block
        if len(buffer) < chunk_bytes:
            continue
        cut = _last_ver_line(buffer)
        if cut > 0:
            yield buffer[:cut]
            buffer = buffer[cut:]
    if buffer:
        yield buffer


def _last_ver_line(buffer: bytes) -> int:
    """Offset of the start of the last `#VER` line in `buffer`, or -1 when there is none."""
    end = len(buffer)
    while end > 0:
        start = max(0, end - _SEARCH_WINDOW)
        matches = list(_VER_LINE.finditer(buffer, start, end))
        if matches:
            return matches[-1].start() + 1
        if start == 0:
            return -1
        end = start + 64  # overlap: a match may straddle the window's edge
    return -1

"""#KSUMMA: the CRC-32 a SIE writer puts over its records, recomputed as sie4.md Appendix A says.

The checksum covers, in CP437 bytes, every record between the empty start marker and the
`#KSUMMA <crc>` end marker: the label and each field's content, without the whitespace between
fields, the surrounding quotes or any brace; `\\"` counts as `"`.
"""

from __future__ import annotations

import re
import zlib

# Per line, exactly Appendix A: quoted content (\" unescaped, unterminated runs to line end),
# braces dropped, unquoted runs kept, whitespace dropped.
_TOKEN = re.compile(rb'"((?:\\"|[^"\n])*)"?|[{}]|([^ \t\r\n{}"]+)')
# When the region has no backslash, one substitution over the whole region gives the same bytes.
_SEPARATORS = re.compile(rb'"([^"\n]*)"?|[{} \t\r\n]+')


def ksumma_crc(records: bytes) -> int:
    """CRC-32 of the records between the markers.

    Args:
        records: the raw bytes of the lines strictly between the start and end markers.

    Returns:
        The checksum as `zlib.crc32` computes it (the spec's standard CRC-32).
    """
    if b"\\" not in records:
        return zlib.crc32(_SEPARATORS.sub(rb"\1", records))
    crc = 0
    for match in _TOKEN.finditer(records):
        quoted, unquoted = match.groups()
        if quoted is not None:
            crc = zlib.crc32(quoted.replace(b'\\"', b'"'), crc)
        elif unquoted is not None:
            crc = zlib.crc32(unquoted, crc)
    return crc

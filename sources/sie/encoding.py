"""Detect a SIE file's real text encoding from its bytes, because `#FORMAT PC8` is often a lie."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

CP437 = "cp437"
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
ISO_8859_15 = "iso-8859-15"
ASCII = "ascii"
UTF16 = "utf-16"

# Swedish letters in ISO-8859-15/Latin-1 sit in 0xC0-0xFF; in CP437 they sit in 0x80-0x9F
# (å 0x86, ä 0x84, ö 0x94, Å 0x8F, Ä 0x8E, Ö 0x99).
_ALL_BYTES = bytes(range(256))
_ASCII_BYTES = bytes(range(128))
_NOT_LATIN1_LETTERS = bytes(b for b in range(256) if b < 0xC0)
_NOT_CP437_LETTERS = bytes(b for b in range(256) if not 0x80 <= b <= 0x9F)
# UTF-8 read as CP1252/Latin-1 ("Ã¥" for "å") or CP437 read as Latin-1 look like this.
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u017d\u017e\u0178]")


@dataclass(frozen=True)
class DecodedText:
    """A file's text with the encoding it was decoded from and any doubts about it."""

    encoding: str
    text: str
    warnings: list[str] = field(default_factory=list)

    @property
    def is_cp437(self) -> bool:
        """True when the bytes are genuine CP437 (ASCII included), the only input KSUMMA covers."""
        return self.encoding in (CP437, ASCII)


def detect_encoding(data: bytes) -> str:
    """Name the encoding of a SIE file from its bytes alone.

    Order: a UTF-8 or UTF-16 BOM; plain ASCII; strict UTF-8 (with multi-byte sequences, as the
    text is not ASCII); then Latin-1-range letters outnumbering CP437-range letters means
    ISO-8859-15; otherwise CP437 (the specification's encoding, the default when in doubt).

    Args:
        data: the raw file.

    Returns:
        One of `utf-8-sig`, `utf-16`, `utf-8`, `ascii`, `iso-8859-15`, `cp437`.
    """
    if data.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16
    if data.isascii():
        return ASCII
    try:
        data.decode(UTF8)
    except UnicodeDecodeError:
        pass
    else:
        return UTF8
    # bytes.translate with a delete set counts byte ranges at C speed; dropping ASCII first
    # leaves a short string to count in.
    high = data.translate(_ALL_BYTES, _ASCII_BYTES)
    latin1_letters = len(high.translate(_ALL_BYTES, _NOT_LATIN1_LETTERS))
    cp437_letters = len(high.translate(_ALL_BYTES, _NOT_CP437_LETTERS))
    if latin1_letters > cp437_letters:
        return ISO_8859_15
    return CP437


def decode_sie_bytes(data: bytes) -> DecodedText:
    """Decode a SIE file to text, warning where the text already looks lossy.

    Args:
        data: the raw file.

    Returns:
        The text and the encoding used; `warnings` name U+FFFD replacement characters (a file
        re-saved lossily) and UTF-8-read-as-Latin-1 mojibake, with counts, never the text.
    """
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    warnings: list[str] = []
    if "\n" not in text and "\r" in text:
        # Classic Mac OS line endings: records end with CR alone.
        text = text.replace("\r", "\n")
        warnings.append("records end with CR only (no LF): read as line endings")
    replacements = text.count("\ufffd")
    if replacements:
        warnings.append(
            f"{replacements} U+FFFD replacement characters: the file was re-encoded lossily "
            "before it reached us (letters such as å, ä, ö are lost)"
        )
    mojibake = len(_MOJIBAKE.findall(text))
    if mojibake:
        warnings.append(f"{mojibake} mojibake sequences such as 'Ã¤': text was double-encoded")
    return DecodedText(encoding=encoding, text=text, warnings=warnings)


class EncodingScan:
    """`detect_encoding` over a file fed block by block, so no file is held whole to decide.

    Feed every block in order with `update`, then read `encoding`: the same answer
    `detect_encoding` gives for the concatenated bytes.
    """

    def __init__(self) -> None:
        self._first = b""
        self._ascii = True
        self._utf8 = True
        self._utf8_decoder = codecs.getincrementaldecoder(UTF8)("strict")
        self._latin1_letters = 0
        self._cp437_letters = 0

    def update(self, block: bytes) -> None:
        if len(self._first) < 4:
            self._first += block[: 4 - len(self._first)]
        if self._ascii and block.isascii():
            return
        self._ascii = False
        if self._utf8:
            try:
                self._utf8_decoder.decode(block)
            except UnicodeDecodeError:
                self._utf8 = False
        high = block.translate(_ALL_BYTES, _ASCII_BYTES)
        self._latin1_letters += len(high.translate(_ALL_BYTES, _NOT_LATIN1_LETTERS))
        self._cp437_letters += len(high.translate(_ALL_BYTES, _NOT_CP437_LETTERS))

    @property
    def encoding(self) -> str:
        if self._first.startswith(codecs.BOM_UTF8):
            return UTF8_BOM
        if self._first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return UTF16
        if self._ascii:
            return ASCII
        if self._utf8:
            try:
                self._utf8_decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._utf8 = False
            else:
                return UTF8
        return ISO_8859_15 if self._latin1_letters > self._cp437_letters else CP437


def text_warnings(replacements: int, mojibake: int) -> list[str]:
    """The warnings `decode_sie_bytes` gives, from counts summed over a file's chunks."""
    warnings = []
    if replacements:
        warnings.append(
            f"{replacements} U+FFFD replacement characters: the file was re-encoded lossily "
            "before it reached us (letters such as å, ä, ö are lost)"
        )
    if mojibake:
        warnings.append(f"{mojibake} mojibake sequences such as 'Ã¤': text was double-encoded")
    return warnings


def count_mojibake(text: str) -> int:
    """UTF-8-read-as-Latin-1 sequences in `text` (for `text_warnings`)."""
    return len(_MOJIBAKE.findall(text))

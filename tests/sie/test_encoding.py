"""Encoding detection from the bytes, whatever #FORMAT claims."""

from __future__ import annotations

import codecs

import pytest

from sources.sie.encoding import decode_sie_bytes, detect_encoding
from sources.sie.reader import read_sie

TEXT = (
    '#FLAGGA 0\r\n#FORMAT PC8\r\n#FNAMN "Åkeri & Södergården AB"\r\n#KONTO 1930 "Företagskonto"\r\n'
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("cp437"), "cp437"),
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("iso-8859-15"), "iso-8859-15"),
        (b"#FLAGGA 0\r\n#FNAMN Test\r\n", "ascii"),
    ],
)
def test_encoding_is_read_from_the_bytes(data: bytes, expected: str) -> None:
    assert detect_encoding(data) == expected
    sie_file = read_sie(data, "t.se")
    assert sie_file.detected_encoding == expected
    if expected != "ascii":
        assert sie_file.company_name == "Åkeri & Södergården AB"


def test_a_stray_latin1_byte_in_cp437_stays_cp437() -> None:
    """The official sample: CP437 throughout, one Latin-1 ö (0xF6) in #FNR."""
    data = TEXT.encode("cp437") + "#FNR Övnbol\r\n".encode("latin-1")
    assert detect_encoding(data) == "cp437"


def test_mojibake_and_replacement_characters_are_warned_about() -> None:
    double_encoded = TEXT.encode("utf-8").decode("latin-1").encode("utf-8")
    assert any("mojibake" in w for w in decode_sie_bytes(double_encoded).warnings)
    lossy = TEXT.replace("ö", "\ufffd").encode("utf-8")
    assert any("U+FFFD" in w for w in decode_sie_bytes(lossy).warnings)
    assert decode_sie_bytes(TEXT.encode("cp437")).warnings == []


def test_utf16_with_a_bom_is_read() -> None:
    data = TEXT.encode("utf-16")
    sie_file = read_sie(data, "t.se")
    assert (sie_file.detected_encoding, sie_file.company_name) == (
        "utf-16",
        "Åkeri & Södergården AB",
    )


def test_cr_only_line_endings_are_line_endings() -> None:
    data = TEXT.replace("\r\n", "\r").encode("cp437")
    sie_file = read_sie(data, "mac.se")
    assert sie_file.company_name == "Åkeri & Södergården AB"
    assert any("CR only" in warning for warning in sie_file.warnings)

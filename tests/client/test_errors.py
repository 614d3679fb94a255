"""Fortnox error bodies in all their spellings become code + message, never an echoed body."""

from __future__ import annotations

import json

import pytest

from sources.fortnox.errors import (
    ApiUnavailable,
    AuthenticationRequired,
    FortnoxErrorInfo,
    ScopeMissing,
    parse_error_body,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "ErrorInformation": {
                    "error": 1,
                    "message": "Kan inte hitta kontot.",
                    "code": 2000423,
                }
            },
            FortnoxErrorInfo(2000423, "Kan inte hitta kontot."),
        ),
        (
            {
                "ErrorInformation": {
                    "Error": 1,
                    "Message": "Kan inte hitta fakturan.",
                    "Code": 2000434,
                }
            },
            FortnoxErrorInfo(2000434, "Kan inte hitta fakturan."),
        ),
        (
            {"ErrorInformation": {"Error": "1", "Message": "Ogiltig", "Code": "2000588"}},
            FortnoxErrorInfo(2000588, "Ogiltig"),
        ),
        ({"message": "unauthorized"}, FortnoxErrorInfo(None, "unauthorized")),
        (
            {"error": "invalid_grant", "error_description": "Invalid refresh token"},
            FortnoxErrorInfo(None, "invalid_grant: Invalid refresh token"),
        ),
    ],
)
def test_every_spelling_of_an_error_body_is_parsed(
    body: dict[str, object], expected: FortnoxErrorInfo
) -> None:
    assert parse_error_body(json.dumps(body).encode()) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'#FLAGGA 0\r\n#FORMAT PC8\r\n#VER A 1 20240101 "Hyra"\r\n',
        b"<html><body>Bad gateway</body></html>",
        b"[1, 2, 3]",
        b"",
        "\u00e5\u00e4\u00f6".encode("cp437"),
    ],
)
def test_a_body_that_is_not_an_error_document_is_never_echoed(body: bytes) -> None:
    assert parse_error_body(body) == FortnoxErrorInfo()


def test_a_long_message_is_clipped() -> None:
    body = {"ErrorInformation": {"message": "x" * 5000, "code": 1}}
    info = parse_error_body(json.dumps(body).encode())
    assert info.message is not None and len(info.message) == 301


def test_messages_name_endpoint_status_code_and_what_to_do() -> None:
    info = FortnoxErrorInfo(2000663, "Behörighet saknas.")
    unavailable = ApiUnavailable("GET /3/vouchers", 503, info, attempts=7)
    assert str(unavailable) == (
        "GET /3/vouchers failed with HTTP 503 (code 2000663: Behörighet saknas.) after 7 attempt(s)"
        " — Fortnox is unavailable; the next run fetches what this one missed"
    )
    scope = ScopeMissing("GET /3/invoices", 403, "invoice", info)
    assert scope.scope == "invoice" and "`invoice`" in str(scope)
    login = AuthenticationRequired("acme", "Fortnox rejected the refresh token")
    assert "fortnox-pipeline auth login --profile acme" in str(login)

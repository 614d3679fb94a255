"""Fortnox's list semantics: pagination, sorting, `filter=`, `lastmodified` and the error bodies.

Kept apart from the routes so every list endpoint pages, sorts and rejects bad parameters the
same way, with the bodies Fortnox is recorded to send.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from starlette.responses import Response

from sources.fortnox_sandbox.serialize import render_json

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
INVALID_PARAMETER = 2000588
INVALID_FILTER_BODY = {
    "ErrorInformation": {"error": 1, "message": "Ett ogiltigt filter har använts.", "code": 2000587}
}


def json_response(body: object, status_code: int = 200) -> Response:
    """A JSON response with exact decimals (see `serialize.render_json`)."""
    return Response(render_json(body), status_code=status_code, media_type="application/json")


class ApiError(Exception):
    """An error answer; raised anywhere in a handler, turned into its response by the guard."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def bad_request(message: str, code: int = INVALID_PARAMETER) -> ApiError:
    """400 with the lower-case ErrorInformation spelling (as the recorded invalid filter)."""
    body = {"ErrorInformation": {"error": 1, "message": message, "code": code}}
    return ApiError(json_response(body, 400))


def not_found(message: str, code: int) -> ApiError:
    """404 with the capitalised ErrorInformation spelling (as the recorded unknown invoice)."""
    body = {"ErrorInformation": {"Error": 1, "Message": message, "Code": code}}
    return ApiError(json_response(body, 404))


def invalid_filter() -> ApiError:
    """The exact recorded 400 for an unknown `filter=` value."""
    return ApiError(json_response(INVALID_FILTER_BODY, 400))


def lower_query(params: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Query parameters keyed in lower case (Fortnox's names are lower case; SPEC has `Date`)."""
    return {name.lower(): value for name, value in params}


def int_param(query: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    """An integer parameter, 400 if it is not a number or below `minimum`."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Ogiltig parameter: {name}.") from None
    if value < minimum:
        raise bad_request(f"Ogiltig parameter: {name}.")
    return value


def date_param(query: Mapping[str, str], name: str) -> date | None:
    """A `YYYY-MM-DD` parameter, 400 if malformed."""
    raw = query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"Ogiltigt datum i parametern {name}.") from None


def lastmodified_param(query: Mapping[str, str]) -> datetime | None:
    """`lastmodified` as naive Stockholm time (`YYYY-MM-DD HH:MM`, seconds or date alone too)."""
    raw = query.get("lastmodified")
    if not raw:
        return None
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw.strip(), pattern)
        except ValueError:
            continue
    raise bad_request("Ogiltigt datumformat för lastmodified.")


def single_filter(query: Mapping[str, str], specific: Iterable[str]) -> tuple[str, str] | None:
    """The first resource-specific filter in use (endpoints that apply only one, e.g. the
    `invoicenumber` of payment lists); see `search_filters` for endpoints that apply several."""
    used = search_filters(query, specific)
    return used[0] if used else None


def search_filters(query: Mapping[str, str], specific: Iterable[str]) -> list[tuple[str, str]]:
    """Every resource-specific filter in use, all to be applied.

    Fortnox's docs say one at a time, but recorded traffic shows two search filters combined
    (`city` and `zipcode` on customers) accepted and both applied; the sandbox does the same.
    """
    return [(name, query[name]) for name in specific if query.get(name)]


def sort_records(
    records: list[T],
    query: Mapping[str, str],
    sort_keys: Mapping[str, Callable[[T], Any]],
) -> list[T]:
    """Apply `sortby` / `sortorder`; records come in their default order otherwise."""
    sortby = query.get("sortby", "").lower()
    order = query.get("sortorder", "ascending").lower()
    if order not in ("ascending", "descending"):
        raise bad_request("Ogiltig parameter: sortorder.")
    if not sortby:
        return records[::-1] if order == "descending" else records
    if sortby not in sort_keys:
        raise bad_request("Ogiltig parameter: sortby.")
    return sorted(records, key=sort_keys[sortby], reverse=order == "descending")


def paginate(records: Sequence[T], query: Mapping[str, str]) -> tuple[Sequence[T], dict[str, int]]:
    """One page of `records` and its MetaInformation (`@TotalPages` is 0 for an empty list).

    `offset` skips records before paging starts; `@TotalResources` counts them all, except
    that an offset past the last record answers an empty page with `@TotalResources` 0, as
    real Fortnox does.
    """
    raw_limit = query.get("limit")
    if raw_limit:
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise bad_request(
                f"Ogiltig parameter: limit. Tillåtna värden är 1 till {MAX_LIMIT}.",
            )
    else:
        limit = DEFAULT_LIMIT
    page = int_param(query, "page", 1, 1)
    offset = int_param(query, "offset", 0, 0)
    remaining = max(len(records) - offset, 0)
    start = offset + (page - 1) * limit
    meta = {
        "@TotalResources": len(records) if offset < len(records) or not offset else 0,
        "@TotalPages": math.ceil(remaining / limit),
        "@CurrentPage": page,
    }
    return records[start : start + limit], meta


def natural_key(number: str) -> tuple[int, str]:
    """Order document numbers like Fortnox does: 2 before 10, non-numeric ones last."""
    return (int(number), "") if number.isdigit() else (10**18, number)

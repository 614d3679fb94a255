"""An open year's SIE export made on another day, with the same books, is not loaded again.

Fortnox stamps each export with the day it was generated (`#GEN`), so the file's sha256 changes
every day; a nightly run must still skip the re-load when the books are the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from sources.fortnox.years import books_digest
from tests.pipeline.conftest import LoadedCompany, Loader


class ExportedTomorrow(httpx.BaseTransport):
    """The sandbox, but every SIE export says it was generated on another day."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.startswith("/3/sie/"):
            return response
        body = re.sub(rb"#GEN \d{8}", b"#GEN 20991231", response.read())
        return httpx.Response(response.status_code, headers=response.headers, content=body)


def test_books_digest_ignores_only_the_generation_date() -> None:
    books = b'#FLAGGA 0\r\n#GEN 20261120\r\n#VER A 1 20261120 "x"\r\n{\r\n}\r\n'
    assert books_digest(books) == books_digest(
        books.replace(b"20261120\r\n#VER", b"20270101\r\n#VER")
    )
    assert books_digest(books) != books_digest(books.replace(b'"x"', b'"y"'))


def test_an_open_year_exported_again_with_the_same_books_is_not_reloaded(
    small_load: LoadedCompany, tmp_path: Path
) -> None:
    # The first run: a copy of the session's first load of the small company (the same books).
    session, _ = small_load.first_load_into(tmp_path / "w")
    tenant = session.tenants[0]

    again = Loader(
        session,
        tenant,
        tmp_path / "w",
        transport=ExportedTomorrow(session.transport),
    )
    summary = again.run()
    assert summary.resources["sie"].requests == 1  # the open year is still fetched
    assert summary.resources["sie"].rows == 0  # but its books are unchanged: nothing re-loaded
    assert [entry["sha256"] for entry in summary.sie_files] == [
        entry["sha256"] for entry in small_load.first.sie_files
    ]

    session.advance(3)
    changed = again.run()
    assert changed.resources["sie"].rows > 0

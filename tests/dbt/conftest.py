"""A fresh local PostgreSQL server per test module, or a skip naming the package to install."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dbt.postgres_server import LocalPostgres, PostgresUnavailable, local_postgres


@pytest.fixture(scope="module")
def server() -> Iterator[LocalPostgres]:
    """A fresh local PostgreSQL server for this module."""
    try:
        with local_postgres() as running:
            yield running
    except PostgresUnavailable as error:
        pytest.skip(str(error))

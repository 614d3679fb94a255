"""A warehouse the demo built, once per test session, and a client for the MCP server over it.

The demo is the production path (sandbox, OAuth login, two loads, the models), so the tools are
tested against the marts a user gets; `tests/conftest.py` builds it, for `demo`'s own test too.
The server runs in-process, connected to the SDK's own client through memory streams;
`test_stdio.py` starts it as the agent hosts do.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import duckdb
import pytest
from mcp import ClientSession
from mcp.shared.memory import create_connected_server_and_client_session
from mcp.types import CallToolResult

from pipelines.mcp_server.server import ServerSettings, build_server
from tests.conftest import Demo

T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The first test of a worker builds the demo (sandbox, two loads, dbt) inside its own
    timeout: minutes when the two cores are shared. The 300 s hang guard would fail it."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.timeout(900))


@pytest.fixture(scope="session")
def demo_warehouse(demo: Demo) -> Path:
    """`fortnox-pipeline demo`'s warehouse file (never written again), shared with the demo's
    own test (`tests/conftest.py`)."""
    assert demo.exit_code == 0, demo.output
    return demo.warehouse


@pytest.fixture
def warehouse_copy(demo_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the demo warehouse, for tests that lock or rebuild it."""
    path = tmp_path / "fortnox.duckdb"
    shutil.copyfile(demo_warehouse, path)
    return path


def with_client(settings: ServerSettings, work: Callable[[ClientSession], Awaitable[T]]) -> T:
    """Run `work` with an initialised SDK client connected to a server built from `settings`."""
    server = build_server(settings)

    async def main() -> T:
        async with create_connected_server_and_client_session(server) as client:
            return await work(client)

    return anyio.run(main)


def call(settings: ServerSettings, tool: str, arguments: dict[str, Any] | None = None) -> Any:
    """Call one tool; its structured answer, or raise `ToolFailed` with the error text."""
    result: CallToolResult = with_client(
        settings, lambda client: client.call_tool(tool, arguments or {})
    )
    return answer_of(result)


class ToolFailed(AssertionError):
    """The tool answered with an error (is_error), which the test may expect."""


def answer_of(result: CallToolResult) -> Any:
    """The structured content of a tool result (checked against its text twin)."""
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    if result.isError:
        raise ToolFailed(text)
    assert result.structuredContent is not None
    assert json.loads(text) == result.structuredContent
    return result.structuredContent


def mart(path: Path, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows straight from the warehouse, to check the tools' answers against."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()

"""The server as agent hosts run it: `fortnox-pipeline mcp` over stdio and over streamable
HTTP, in a process of its own, driven by the SDK's clients."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.exit_codes import ExitCode
from tests.mcp.conftest import ToolFailed, answer_of


def test_over_stdio_the_tools_list_and_answer(demo_warehouse: Path) -> None:
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "pipelines.cli", "mcp", "--duckdb", str(demo_warehouse)],
    )

    async def main() -> tuple[list[str], dict[str, object], str]:
        async with (
            stdio_client(parameters) as (read, write),
            ClientSession(read, write) as session,
        ):
            initialized = await session.initialize()
            assert initialized.serverInfo.name == "fortnox-warehouse"
            assert "read-only" in (initialized.instructions or "").lower()
            tools = await session.list_tools()
            companies = answer_of(await session.call_tool("list_companies", {}))
            refused = await session.call_tool("query", {"sql": "drop table analytics.dim_accounts"})
            try:
                answer_of(refused)
            except ToolFailed as error:
                return [tool.name for tool in tools.tools], companies, str(error)
            raise AssertionError("a DROP was not refused")

    names, companies, refusal = anyio.run(main)
    assert len(names) == 13 and "query" in names
    assert companies["companies"]
    assert "only a read-only SELECT" in refusal


def test_mcp_without_a_warehouse_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["mcp", "--duckdb", str(tmp_path / "none.duckdb")])
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "error: no warehouse at" in result.output
    assert "fortnox-pipeline run" in result.output


def test_allow_personal_data_is_a_flag_without_a_value(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.duckdb")
    result = CliRunner().invoke(app, ["mcp", "--allow-personal-data", "--duckdb", missing])
    assert result.exit_code == ExitCode.NOT_FOUND, result.output  # parsed; not a usage error


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_over_http_the_tools_answer(demo_warehouse: Path) -> None:
    port = _free_port()
    command = ["mcp", "--duckdb", str(demo_warehouse), "--transport", "http", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *command],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        assert f"http://127.0.0.1:{port}/mcp" in server.stderr.readline()

        async def main() -> dict[str, object]:
            deadline = time.monotonic() + 60
            while True:  # the line above is printed just before uvicorn binds
                try:
                    async with (
                        streamablehttp_client(f"http://127.0.0.1:{port}/mcp") as (read, write, _),
                        ClientSession(read, write) as session,
                    ):
                        await session.initialize()
                        return answer_of(await session.call_tool("list_companies", {}))
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await anyio.sleep(0.2)

        assert anyio.run(main)["companies"]
    finally:
        server.terminate()
        server.wait(timeout=30)

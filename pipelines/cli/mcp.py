"""`fortnox-pipeline mcp`: serve the warehouse to AI agents over the Model Context Protocol."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli.output import UserError, user_errors
from pipelines.exit_codes import ExitCode

_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class Transport(StrEnum):
    """How an agent host talks to the server."""

    stdio = "stdio"
    http = "http"


def mcp(
    duckdb: Annotated[Path, typer.Option("--duckdb", help="DuckDB warehouse file.")] = Path(
        "fortnox.duckdb"
    ),
    transport: Annotated[
        Transport,
        typer.Option(help="stdio (the agent host starts the server) or http (streamable HTTP)."),
    ] = Transport.stdio,
    host: Annotated[str, typer.Option(help="Interface for --transport http.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for --transport http.")] = 8765,
    allow_personal_data: Annotated[
        bool,
        typer.Option(
            "--allow-personal-data",
            help="Let calls that ask for it see customers' and suppliers' e-mail, phone, "
            "address and payment details (off by default).",
        ),
    ] = False,
    busy_wait: Annotated[
        float,
        typer.Option(help="Seconds a call waits while a load holds the warehouse file."),
    ] = 15.0,
    query_row_cap: Annotated[
        int, typer.Option(min=1, max=10_000, help="Most rows the query tool returns.")
    ] = 500,
    query_timeout: Annotated[
        float, typer.Option(help="Seconds before the query tool interrupts a query.")
    ] = 20.0,
) -> None:
    """Serve the warehouse read-only to AI agents (MCP); it never calls Fortnox."""
    from pipelines.mcp_server.server import ServerSettings, build_server

    with user_errors():
        if not duckdb.exists():
            raise UserError(
                f"no warehouse at {duckdb}",
                ExitCode.NOT_FOUND,
                "run `fortnox-pipeline run` (or `demo`) first, or pass --duckdb PATH",
            )
        server = build_server(
            ServerSettings(
                duckdb_path=duckdb.resolve(),
                allow_personal_data=allow_personal_data,
                busy_wait_seconds=busy_wait,
                query_row_cap=query_row_cap,
                query_timeout_seconds=query_timeout,
                http_host=host,
                http_port=port,
            )
        )
    if transport is Transport.http:
        typer.echo(f"MCP server on http://{host}:{port}/mcp", err=True)
        if host not in _LOOPBACK:
            # The books go to whoever can reach the port: the transport has no authentication.
            typer.echo(
                f"warning: {host} is not loopback and the MCP server has no authentication; "
                "anyone who can reach the port can read the books",
                err=True,
            )
        server.run("streamable-http")
    else:
        # stdout is the protocol channel: nothing else may print there.
        server.run("stdio")


def register(app: typer.Typer) -> None:
    """Attach `mcp` to the main app."""
    app.command("mcp")(mcp)

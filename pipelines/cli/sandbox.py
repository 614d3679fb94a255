"""`fortnox-pipeline sandbox serve`: the Fortnox API double on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from typing import Any

import typer

from pipelines.exit_codes import ExitCode

sandbox_app = typer.Typer(
    help="The local Fortnox API double with generated books.", no_args_is_help=True
)


def parse_rate_limit(value: str) -> tuple[int, float] | None:
    """`25/5` → (25, 5.0); `off` → None.

    Raises:
        typer.BadParameter: Anything else.
    """
    if value.strip().lower() == "off":
        return None
    requests, _, seconds = value.partition("/")
    try:
        parsed = (int(requests), float(seconds))
    except ValueError:
        raise typer.BadParameter("use REQUESTS/SECONDS (e.g. 25/5) or off") from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise typer.BadParameter("both numbers must be positive")
    return parsed


class _QuietDroppedConnections(logging.Filter):
    """Keep uvicorn from logging a traceback for every connection the fault model drops."""

    def filter(self, record: logging.LogRecord) -> bool:
        from sources.fortnox_sandbox.faults import SimulatedDisconnect

        return not (record.exc_info and isinstance(record.exc_info[1], SimulatedDisconnect))


def sandbox_sizes(
    companies: int, scale: str, vouchers_per_year: int | None
) -> tuple[int, ...] | None:
    """Vouchers per year of each tenant: a firm's portfolio (a few companies of the chosen
    size, most small) when there are several, None (the chosen size) for one."""
    from sources.fortnox_sandbox.books import SCALES
    from sources.fortnox_sandbox.portfolio import portfolio_sizes

    if companies <= 1:
        return None
    return portfolio_sizes(companies, vouchers_per_year or SCALES[scale])


def _announcing_server(config: Any, host: str, port: int, tenants: list[str] | None = None) -> Any:
    """A uvicorn server that prints the ready line once its socket accepts connections, then
    (for a portfolio) one line per tenant."""
    import uvicorn

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                print(f"sandbox listening on http://{host}:{port}", flush=True)
                for line in tenants or ():
                    print(line, flush=True)

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            # uvicorn re-raises the signal after its graceful shutdown (a KeyboardInterrupt
            # traceback on Ctrl-C, status -15 on SIGTERM); stopping the sandbox is a normal exit.
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

    return AnnouncingServer(config)


def serve_sandbox(
    host: str,
    port: int,
    scale: str,
    seed: int,
    companies: int,
    vouchers_per_year: int | None,
    rate_limit: str,
    access_token_ttl: int,
    latency_ms: int,
    fault_rate: float,
    legal_form: str = "ab",
    fiscal_years: str = "calendar",
    unlicensed: frozenset[str] = frozenset(),
    uniform: bool = False,
) -> None:
    """Generate the books, bind the socket (port 0 = any free one) and serve until stopped."""
    import uvicorn

    from sources.fortnox_sandbox.app import create_app
    from sources.fortnox_sandbox.state import SandboxConfig

    config = SandboxConfig(
        seed=seed,
        scale=scale,
        vouchers_per_year=vouchers_per_year,
        companies=companies,
        sizes=None if uniform else sandbox_sizes(companies, scale, vouchers_per_year),
        rate_limit=parse_rate_limit(rate_limit),
        access_token_ttl=access_token_ttl,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        legal_form=legal_form,
        fiscal_years=fiscal_years,
        unlicensed=unlicensed,
    )
    app = create_app(config)
    # Bind ourselves so `--port 0` can report the port the OS picked.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a keep-alive client waits ~40 ms per
    # response (Nagle vs delayed ACK, as uvicorn writes headers and body separately).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        typer.echo(f"cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(ExitCode.ERROR) from None
    bound_port = listener.getsockname()[1]
    server_config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,  # the app sends Fortnox's own `Server: Fortnox`
        timeout_graceful_shutdown=3,
        # Idle keep-alive connections stay open like a production front end's (uvicorn's 5 s
        # races a paced client's next request; a double should drop connections only as a fault).
        timeout_keep_alive=75,
    )
    tenants = (
        [
            f"tenant {company.database_number}: {company.name}, {size:,} vouchers/year"
            for company, size in zip(
                app.state.sandbox.companies.values(), config.sizes, strict=True
            )
        ]
        if config.sizes and len(config.sizes) > 1
        else None
    )
    server = _announcing_server(server_config, host, bound_port, tenants)
    logging.getLogger("uvicorn.error").addFilter(_QuietDroppedConnections())
    # uvicorn installs SIGINT/SIGTERM handlers and shuts down gracefully on either.
    asyncio.run(server.serve(sockets=[listener]))


@sandbox_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8765, help="Port; 0 picks a free one (printed when ready)."),
    scale: str = typer.Option("small", help="Book size: small, medium or large."),
    seed: int = typer.Option(1, help="Seed of the books and of the fault sequence."),
    companies: int = typer.Option(
        1,
        min=1,
        help="Number of tenants: a firm's portfolio, the first tenth (at least one) of the "
        "--scale size, the rest small; each tenant has its own rate limit.",
    ),
    uniform: bool = typer.Option(
        False, "--uniform", help="Every tenant of the --scale size instead of a portfolio."
    ),
    vouchers_per_year: int | None = typer.Option(None, help="Explicit vouchers per year."),
    rate_limit: str = typer.Option("25/5", help="REQUESTS/SECONDS per tenant, or off."),
    access_token_ttl: int = typer.Option(3600, min=1, help="Access-token lifetime (seconds)."),
    latency_ms: int = typer.Option(0, min=0, help="Latency added to every /3/ request."),
    fault_rate: float = typer.Option(
        0.0, min=0.0, max=1.0, help="Share of /3/ requests answered with 5xx or a dropped link."
    ),
    legal_form: str = typer.Option(
        "ab",
        "--legal-form",
        help="ab (aktiebolag: share capital, corporate tax), hb (handelsbolag) or enskild "
        "(enskild firma): partners' or owner's equity on 2010-2029, no corporate tax.",
    ),
    fiscal_years: str = typer.Option(
        "calendar",
        "--fiscal-years",
        help="calendar, or split: an 18-month first financial year, then May-April years.",
    ),
    unlicensed: str = typer.Option(
        "",
        help="Scopes whose module the companies lack (403 for them), comma separated,"
        " e.g. order,offer.",
    ),
) -> None:
    """Serve the Fortnox API double; prints `sandbox listening on http://HOST:PORT` when ready."""
    if scale not in ("small", "medium", "large"):
        raise typer.BadParameter("scale must be small, medium or large", param_hint="--scale")
    if legal_form not in ("ab", "hb", "enskild"):
        raise typer.BadParameter("legal form must be ab, hb or enskild", param_hint="--legal-form")
    if fiscal_years not in ("calendar", "split"):
        raise typer.BadParameter(
            "fiscal years must be calendar or split", param_hint="--fiscal-years"
        )
    serve_sandbox(
        host,
        port,
        scale,
        seed,
        companies,
        vouchers_per_year,
        rate_limit,
        access_token_ttl,
        latency_ms,
        fault_rate,
        legal_form,
        fiscal_years,
        frozenset(scope.strip() for scope in unlicensed.split(",") if scope.strip()),
        uniform,
    )


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(sandbox_app, name="sandbox")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(sandbox_app())

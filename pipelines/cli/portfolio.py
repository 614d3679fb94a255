"""`run --all` / `run --profile a,b,c`: a firm's companies in one run, and how it is shown.

A terminal shows one live line per company (stage, requests, rows, 429s, seconds); cron gets one
plain line per company as it ends. Then a summary table (or `-o json`), the models built once
for the whole warehouse, and one exit code: 0 only when every company completed, else the most
severe of the companies' codes (`pipelines/portfolio.py`).
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from pipelines.cli.output import OutputFormat, UserError, emit, error_line, stderr, stdout
from pipelines.exit_codes import ExitCode
from pipelines.pipeline import WarehouseTarget, unwrap
from pipelines.portfolio import (
    CompanyRun,
    PortfolioResult,
    SameCompanyError,
    Stage,
    most_severe,
    run_portfolio,
)
from pipelines.warehouse import open_warehouse
from pipelines.writer_lock import hold_writer_lock
from sources.fortnox.client import FortnoxClient, client_from_config
from sources.fortnox.errors import ConfigurationError
from sources.fortnox.profiles import resolve_token_dir
from sources.fortnox.token_store import TokenStore, check_profile_name

_NUMBERS = frozenset({"requests", "429s", "rows", "seconds"})


def portfolio_profiles(
    profile: str | None, all_profiles: bool, token_dir: Path | None
) -> list[str]:
    """The profiles a portfolio run loads: every profile with tokens, or the listed ones.

    Raises:
        UserError: both or neither given, a malformed name (exit 7), or no profile has tokens
            (exit 8).
    """
    if all_profiles and profile:
        raise UserError(
            "--all and --profile both given",
            ExitCode.BAD_INPUT,
            "use --all for every profile, or --profile a,b,c for some",
        )
    if all_profiles:
        directory = resolve_token_dir(token_dir)
        names = TokenStore(directory).profiles()
        if not names:
            raise UserError(
                f"no profile has tokens in {directory}",
                ExitCode.NOT_FOUND,
                "log in each company once: fortnox-pipeline auth login --profile NAME "
                "[--service-account]",
            )
        return names
    names = [name.strip() for name in (profile or "").split(",") if name.strip()]
    if not names:
        raise UserError(
            "--profile names no profile", ExitCode.BAD_INPUT, "write --profile a,b,c or use --all"
        )
    try:
        checked = [check_profile_name(name) for name in names]
    except ConfigurationError as error:
        raise UserError(str(error), ExitCode.BAD_INPUT) from None
    return list(dict.fromkeys(checked))  # each company once, in the order given


def run_all(
    *,
    profiles: list[str],
    token_dir: Path | None,
    target: WarehouseTarget,
    parallel: int,
    models: bool,
    metrics_json: Path | None,
    output: OutputFormat | None,
    **options: Any,
) -> None:
    """Run the portfolio, show it, build the models, and exit with the portfolio's code.

    Ctrl-C and SIGTERM are `run`'s (`pipelines/interrupts.py`): within 2 s every company in
    flight is recorded `interrupted` and the process ends; the next run finishes what was
    fetched.
    """
    # The writer lock for the whole portfolio (each company's run shares it, in this process):
    # another process is refused before any request, and cannot slip in between companies.
    command = "fortnox-pipeline run --all"
    with hold_writer_lock(target.working_dir, target.describe(), command=command):
        if target.duckdb_path is not None:
            # A warehouse held by an analyst stops every company: say so once, touch nothing.
            open_warehouse(target.duckdb_path).close()
        _run_all_locked(
            profiles=profiles,
            token_dir=token_dir,
            target=target,
            parallel=parallel,
            models=models,
            metrics_json=metrics_json,
            output=output,
            **options,
        )


def _run_all_locked(
    *,
    profiles: list[str],
    token_dir: Path | None,
    target: WarehouseTarget,
    parallel: int,
    models: bool,
    metrics_json: Path | None,
    output: OutputFormat | None,
    **options: Any,
) -> None:
    from pipelines.cli.run import company_id_of, exit_code_of

    def connect(profile: str) -> tuple[FortnoxClient, str]:
        client = client_from_config(profile, token_dir=token_dir)
        try:
            return client, company_id_of(client)
        except BaseException:
            client.close()
            raise

    def classify(error: BaseException) -> int:
        root = unwrap(error)
        if isinstance(root, UserError):
            return int(root.exit_code)
        if isinstance(root, SameCompanyError):
            return int(ExitCode.BAD_INPUT)
        return int(exit_code_of(error))

    def tenant_of(profile: str) -> str | None:
        with contextlib.suppress(Exception):
            stored = TokenStore(resolve_token_dir(token_dir)).load(profile)
            if stored is not None and stored.tenant_id is not None:
                return str(stored.tenant_id)
        return None

    display = PortfolioDisplay(profiles)
    with display.shown():
        result = run_portfolio(
            profiles,
            connect=connect,
            target=target,
            classify=classify,
            parallel=parallel,
            on_change=display.changed,
            tenant_of=tenant_of,
            **options,
        )
    document = result.as_json()
    if metrics_json is not None:
        metrics_json.write_text(json.dumps(document, indent=2) + "\n")
    shown = emit(document, output, lambda: print_portfolio(result))
    codes = [result.exit_code]
    completed = any(company.stage is Stage.completed for company in result.companies)
    if models and target.duckdb_path is not None and completed:
        from pipelines.cli.models import build_and_report

        report_to = stderr if shown is OutputFormat.json else None
        codes.append(
            int(build_and_report(target.duckdb_path, dataset=target.dataset, console=report_to))
        )
    exit_code = most_severe(codes)
    if exit_code:
        raise typer.Exit(exit_code)


def print_portfolio(result: PortfolioResult) -> None:
    """The summary table: one line per company, then the totals."""
    table = Table(
        title=f"Portfolio: {len(result.companies)} companies, {result.parallel} at a time",
        title_justify="left",
    )
    for column in ("profile", "company", "outcome", "requests", "429s", "rows", "seconds"):
        table.add_column(column, justify="right" if column in _NUMBERS else "left")
    for company in result.companies:
        outcome = company.stage.value
        if company.stage is not Stage.completed:
            outcome = f"[red]{outcome} (exit {company.exit_code})[/red]"
        table.add_row(
            company.profile,
            company.company_id or "?",
            outcome,
            str(company.requests),
            str(company.throttled),
            f"{company.row_count:,}",
            f"{company.seconds:.1f}",
        )
    table.add_row(
        "[bold]total[/bold]",
        "",
        "",
        f"[bold]{sum(c.requests for c in result.companies)}[/bold]",
        str(sum(c.throttled for c in result.companies)),
        f"[bold]{sum(c.row_count for c in result.companies):,}[/bold]",
        f"[bold]{result.seconds:.1f}[/bold]",
    )
    stdout.print(table)
    for company in result.companies:
        if company.error:
            stdout.print(f"{company.profile}: {error_line(company.error)}", markup=False)


def company_line(company: CompanyRun) -> str:
    """The one plain line a company's end leaves in a cron log."""
    who = f"{company.profile} ({company.company_id or 'company unknown'})"
    facts = (
        f"{company.seconds:.1f} s, {company.requests} requests ({company.throttled} throttled), "
        f"{company.row_count:,} rows"
    )
    if company.stage is Stage.completed:
        return f"{who}: completed in {facts}, run {company.run_id}"
    return f"{who}: {company.stage.value}, exit {company.exit_code}, {facts}: " + error_line(
        company.error or "no reason given"
    )


class PortfolioDisplay:
    """Per-company progress: a live table on a terminal, one line per finished company else."""

    def __init__(self, profiles: list[str], stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.companies: dict[str, CompanyRun] = {
            profile: CompanyRun(profile=profile) for profile in profiles
        }
        self._lock = threading.Lock()
        self._live: Live | None = None

    def changed(self, company: CompanyRun) -> None:
        """Told by the runner whenever a company starts, moves on or ends."""
        with self._lock:
            self.companies[company.profile] = company
        if company.done:
            if self._live is not None:
                self._live.console.print(company_line(company), markup=False, highlight=False)
            else:
                print(company_line(company), file=self.stream, flush=True)

    def table(self) -> Table:
        """The live table: every company's stage and counts so far."""
        table = Table(title="Portfolio run", title_justify="left")
        for column in ("profile", "company", "stage", "requests", "429s", "rows", "seconds"):
            table.add_column(column, justify="right" if column in _NUMBERS else "left")
        with self._lock:
            companies = list(self.companies.values())
        for company in companies:
            table.add_row(
                company.profile,
                company.company_id or "",
                company.stage.value,
                str(company.requests),
                str(company.throttled),
                f"{company.row_count:,}",
                f"{company.seconds:.0f}",
            )
        return table

    @contextlib.contextmanager
    def shown(self) -> Iterator[None]:
        """Live on a terminal (redrawn twice a second), plain lines otherwise."""
        if not self.stream.isatty():
            yield
            return
        console = Console(file=self.stream)
        with Live(
            get_renderable=self.table, console=console, refresh_per_second=2, transient=True
        ) as live:
            self._live = live
            try:
                yield
            finally:
                self._live = None

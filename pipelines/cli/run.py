"""`fortnox-pipeline run` (scheduled and ad-hoc loads) and `demo` (the sandbox tour).

Both go through the same code: a logged-in client, `run_company`, then the SQL models. Errors
end as one line on stderr and an exit code cron can act on (`pipelines/exit_codes.py`), never a
traceback, unless `--debug` asks for one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from pipelines.archive_settings import (
    DEFAULT_ARCHIVE_FOLDER,
    ArchiveOption,
    NoArchiveOption,
    resolve_archive_dir,
)
from pipelines.cli.auth import ProfileOption, TokenDirOption
from pipelines.cli.output import (
    OutputFormat,
    OutputOption,
    UserError,
    emit,
    print_error,
    stderr,
)
from pipelines.cli.validate import check_writable_warehouse, parse_iso_date, parse_resources
from pipelines.exit_codes import ExitCode
from pipelines.interrupts import INTERRUPTS, ActiveRun, stop_on_signals
from pipelines.pipeline import (
    DEFAULT_DATASET,
    RunSummary,
    WarehouseTarget,
    record_refused_run,
    run_company,
    unwrap,
)
from pipelines.plan import RunPlan, make_plan
from pipelines.portfolio import DEFAULT_PARALLEL
from pipelines.progress import RunProgress, show_progress
from pipelines.warehouse import WarehouseBusyError, WarehouseInvalidError
from pipelines.writer_lock import hold_writer_lock
from sources.fortnox.client import FortnoxClient, client_from_config
from sources.fortnox.errors import FortnoxError
from sources.fortnox.profiles import resolve_profile, resolve_token_dir
from sources.fortnox.records import STOCKHOLM
from sources.sie.reader import SieError

DEFAULT_WAREHOUSE = Path("fortnox.duckdb")

console = Console()
errors = Console(stderr=True)


class RunFailed(Exception):
    """A run failed in a way the user must see as one line plus an exit code."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def exit_code_of(error: BaseException) -> ExitCode:
    """The exit status for anything a run can raise (dlt's wrappers unwrapped)."""
    from pipelines.cli.auth import exit_code_for

    root = unwrap(error)
    if isinstance(root, FortnoxError):
        return exit_code_for(root)
    if isinstance(root, WarehouseBusyError):
        return ExitCode.WAREHOUSE_BUSY
    if isinstance(root, (SieError, WarehouseInvalidError)):
        return ExitCode.BAD_INPUT
    return ExitCode.ERROR


@contextmanager
def errors_as_exit_codes(debug: bool) -> Iterator[None]:
    """One line on stderr and the right exit code for a failed run (a traceback with --debug)."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        errors.print("interrupted: nothing of this run was loaded past its last completed step")
        raise typer.Exit(130) from None
    except Exception as error:
        if debug:
            raise
        root = unwrap(error)
        if isinstance(root, UserError):
            print_error(root.message, root.fix)
            raise typer.Exit(int(root.exit_code)) from None
        print_error(str(root) or type(root).__name__)
        raise typer.Exit(int(exit_code_of(error))) from None


def company_id_of(client: FortnoxClient) -> str:
    """The company's DatabaseNumber: from the token when it says, else one cheap request."""
    client.auth.access_token()
    if client.auth.tenant_id is not None:
        return str(client.auth.tenant_id)
    info = client.get_json("companyinformation")["CompanyInformation"]
    return str(info["DatabaseNumber"])


def print_summary(summary: RunSummary, title: str) -> None:
    """What a run fetched and loaded, per resource."""
    table = Table(title=title, title_justify="left")
    for column in ("resource", "requests", "rows", "429s", "retries", "seconds"):
        table.add_column(column, justify="left" if column == "resource" else "right")
    for name, metrics in sorted(summary.resources.items()):
        table.add_row(
            name,
            str(metrics.requests),
            f"{metrics.rows:,}",
            str(metrics.throttled),
            str(metrics.retries),
            f"{metrics.seconds:.1f}",
        )
    table.add_row(
        "[bold]total[/bold]",
        f"[bold]{summary.requests}[/bold]",
        f"[bold]{summary.rows:,}[/bold]",
        str(sum(m.throttled for m in summary.resources.values())),
        str(sum(m.retries for m in summary.resources.values())),
        "",
    )
    console.print(table)
    elapsed = (summary.ended_at - summary.started_at).total_seconds() if summary.ended_at else 0
    console.print(
        f"company {summary.company_id}: {summary.outcome} in {elapsed:.1f} s, "
        f"{summary.requests} requests, {summary.rows:,} rows (run {summary.run_id})",
        soft_wrap=True,
    )


def plan_document(plan: RunPlan) -> dict[str, Any]:
    """`run --plan -o json`: the plan's facts, in the order the table shows them."""
    return {
        "company_id": plan.company_id,
        "pipeline": plan.pipeline_name,
        "locked_through": plan.locked_through,
        "first_run": plan.first_run,
        "years": [
            {
                "financial_year_id": year.financial_year.id,
                "from": year.financial_year.from_date,
                "to": year.financial_year.to_date,
                "final": year.final,
                "fetch": year.fetch,
                "reason": year.reason,
            }
            for year in plan.years
        ],
        "resources": [
            {
                "resource": line.name,
                "reads": line.reads,
                "estimated_requests": line.estimated_requests,
            }
            for line in plan.resources
        ],
        "estimated_requests": plan.estimated_requests,
        "requests_used": plan.requests_used,
    }


def print_plan(plan: RunPlan) -> None:
    """What a run would fetch, without fetching it."""
    console.print(f"Plan for company {plan.company_id} (pipeline {plan.pipeline_name})")
    for note in plan.notes:
        console.print(f"  note: {note}", markup=False, highlight=False)
    console.print(
        f"  locked through: {plan.locked_through or 'nothing locked'}; "
        f"state: {'first run' if plan.first_run else 'incremental'}"
    )
    years = Table(title="SIE 4 exports per financial year", title_justify="left")
    for column in ("year id", "from", "to", "final", "fetch", "why"):
        years.add_column(column)
    for year in plan.years:
        years.add_row(
            str(year.financial_year.id),
            year.financial_year.from_date.isoformat(),
            year.financial_year.to_date.isoformat(),
            "yes" if year.final else "no",
            "yes" if year.fetch else "[green]skip[/green]",
            year.reason,
        )
    console.print(years)
    resources = Table(title="Resources", title_justify="left")
    for column in ("resource", "reads", "estimated requests"):
        resources.add_column(column)
    for line in plan.resources:
        resources.add_row(line.name, line.reads, str(line.estimated_requests))
    console.print(resources)
    console.print(
        f"  about {plan.estimated_requests} requests; this plan itself used "
        f"{plan.requests_used} requests and wrote nothing."
    )


def _show_source_warnings() -> None:
    """The source's warnings (a resource skipped for a missing scope) as one `warning:` line
    each on stderr, in table and JSON output alike; installed once per process."""
    source_log = logging.getLogger("sources.fortnox")
    if not any(isinstance(handler, _CurrentStderrHandler) for handler in source_log.handlers):
        handler = _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        source_log.addHandler(handler)


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a record is emitted, not when the handler was made.

    The handler is installed once per process, but one process may run the CLI many times with
    stderr swapped in between (tests, an embedding program, a portfolio's worker threads that
    outlive one invocation): a stream captured at install time may be closed by then, and
    logging would print its own traceback instead of the warning.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        """Ignored: the stream is always the current `sys.stderr`."""


def run(
    profile: ProfileOption = None,
    token_dir: TokenDirOption = None,
    resources: Annotated[
        str | None,
        typer.Option(help="Only these resources, comma separated (e.g. sie,invoices)."),
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Ignore state: fetch every year and document.")
    ] = False,
    duckdb: Annotated[
        Path, typer.Option(help="DuckDB warehouse file (when no --destination).")
    ] = DEFAULT_WAREHOUSE,
    dataset: Annotated[str, typer.Option(help="Dataset (schema) of the raw tables.")] = (
        DEFAULT_DATASET
    ),
    destination: Annotated[
        str | None,
        typer.Option(help="A dlt destination configured in .dlt/ instead of DuckDB."),
    ] = None,
    start_date: Annotated[
        str | None, typer.Option(help="First load: invoices from this date (YYYY-MM-DD).")
    ] = None,
    invoice_rows: Annotated[
        bool, typer.Option("--invoice-rows", help="Also fetch each changed invoice's rows.")
    ] = False,
    document_rows: Annotated[
        bool,
        typer.Option("--document-rows", help="Also fetch each changed order's and offer's rows."),
    ] = False,
    archive: ArchiveOption = None,
    no_archive: NoArchiveOption = False,
    metrics_json: Annotated[
        Path | None, typer.Option(help="Write per-resource metrics of the run here.")
    ] = None,
    plan: Annotated[
        bool, typer.Option("--plan", help="Show what a run would fetch; write nothing.")
    ] = False,
    models: Annotated[
        bool, typer.Option("--models/--no-models", help="Build the SQL models after loading.")
    ] = True,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Fail (exit 9) when Fortnox refuses a resource for a missing scope or licence,"
            " instead of skipping it with a warning.",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
    output: OutputOption = None,
    all_profiles: Annotated[
        bool,
        typer.Option("--all", help="Every profile with tokens: a firm's companies in one run."),
    ] = False,
    parallel: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="With --all or --profile a,b,c: companies fetched at once "
            f"(default {DEFAULT_PARALLEL}).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Load a Fortnox company into the warehouse (incrementally after the first run).

    With --all (or --profile a,b,c) every company is loaded in one run: fetched side by side,
    each under its own rate limit, written to the warehouse one at a time.
    """
    _show_source_warnings()
    with errors_as_exit_codes(debug), stop_on_signals(INTERRUPTS):
        # Everything the user typed is checked before a request is sent or a file written.
        parse_iso_date(start_date, "--start-date")
        selected = parse_resources(resources)
        if destination is None:
            check_writable_warehouse(duckdb)
        target = WarehouseTarget(
            duckdb_path=None if destination else duckdb,
            dataset=dataset,
            destination=destination,
        )
        # What each company's `run_company` is given, one company or a portfolio alike (two
        # lists of these once let `run --all` drop --strict and --document-rows).
        company_options: dict[str, Any] = {
            "resources": selected,
            "full_refresh": full_refresh,
            "start_date": start_date,
            "invoice_rows": invoice_rows,
            "document_rows": document_rows,
            "strict": strict,
            "archive_dir": resolve_archive_dir(
                archive, no_archive=no_archive, duckdb_path=target.duckdb_path
            ),
        }
        if _is_portfolio(profile, all_profiles, parallel):
            _run_portfolio(
                profile=profile,
                all_profiles=all_profiles,
                parallel=parallel,
                plan=plan,
                token_dir=token_dir,
                target=target,
                models=models,
                metrics_json=metrics_json,
                output=output,
                **company_options,
            )
            return
        started_at = datetime.now(STOCKHOLM)
        reached: list[bool] = []  # set once run_company records the run itself
        try:
            _locked_run(
                target,
                profile,
                token_dir,
                reached,
                plan=plan,
                full_refresh=full_refresh,
                models=models,
                output=output,
                run_options={**company_options, "metrics_json": metrics_json},
            )
        except Exception as error:
            if not reached and not plan and not isinstance(error, typer.Exit):
                record_refused_run(
                    target,
                    profile=_profile_name(profile, token_dir),
                    started_at=started_at,
                    error=error,
                )
            raise


def _is_portfolio(profile: str | None, all_profiles: bool, parallel: int | None) -> bool:
    """Whether `run` loads several companies (`--all`, `--profile a,b`, `--parallel`)."""
    return all_profiles or parallel is not None or (profile is not None and "," in profile)


def _run_portfolio(
    *,
    profile: str | None,
    all_profiles: bool,
    parallel: int | None,
    plan: bool,
    token_dir: Path | None,
    **options: Any,
) -> None:
    """`run --all` / `run --profile a,b,c` (pipelines/cli/portfolio.py)."""
    from pipelines.cli.portfolio import portfolio_profiles, run_all

    if plan:
        raise UserError(
            "--plan shows one company",
            ExitCode.BAD_INPUT,
            "run --plan --profile NAME for each company you want to see",
        )
    run_all(
        profiles=portfolio_profiles(profile, all_profiles, token_dir),
        token_dir=token_dir,
        parallel=parallel or DEFAULT_PARALLEL,
        **options,
    )


def _profile_name(profile: str | None, token_dir: Path | None) -> str:
    """The profile a refused run was for, as the run would have resolved it."""
    try:
        return resolve_profile(profile, resolve_token_dir(token_dir)).name
    except FortnoxError:
        return profile or os.environ.get("FORTNOX_PROFILE") or "default"


def _locked_run(
    target: WarehouseTarget,
    profile: str | None,
    token_dir: Path | None,
    reached: list[bool],
    *,
    plan: bool,
    full_refresh: bool,
    models: bool,
    output: OutputFormat | None,
    run_options: dict[str, Any],
) -> None:
    """Log in, load and build the models, holding the warehouse's writer lock throughout."""
    # The lock before anything else: a second process on this warehouse is refused before it
    # spends a request (the token refresh included). The models are built under it too.
    with hold_writer_lock(target.working_dir, target.describe(), command=_command_line(profile)):
        with client_from_config(profile, token_dir=token_dir) as client:
            company_id = company_id_of(client)
            if plan:
                run_plan = make_plan(client, company_id, target, full_refresh=full_refresh)
                emit(plan_document(run_plan), output, lambda: print_plan(run_plan))
                return
            reached.append(True)
            summary = _run_with_progress(
                client,
                company_id=company_id,
                profile=client.auth.profile,
                target=target,
                **run_options,
            )
        shown = emit(
            summary.as_metrics_json(),
            output,
            lambda: print_summary(summary, f"Loaded company {company_id}"),
        )
        # With -o json, stdout carries only the run's JSON; the models' report goes to stderr.
        report_to = stderr if shown is OutputFormat.json else None
        if models and target.duckdb_path is not None:
            _build_models(target.duckdb_path, target.dataset, report_to)
        elif models:
            _build_models_in_destination(company_id, target, report_to)


def _command_line(profile: str | None) -> str:
    """How a process refused the lock sees this one: the command and its profile."""
    return f"fortnox-pipeline run --profile {profile or 'default'}"


def _say_note(note: str) -> None:
    """What a run does before its own work (an earlier run's package, restored state)."""
    errors.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)


def _run_with_progress(
    client: FortnoxClient, *, metrics_json: Path | None, **options: Any
) -> RunSummary:
    progress = RunProgress(client, f"company {options['company_id']}")
    summary: RunSummary | None = None
    try:
        with show_progress(progress):
            summary = run_company(client, on_rows=progress.on_rows, on_note=_say_note, **options)
    finally:
        if metrics_json is not None and summary is not None:
            metrics_json.write_text(json.dumps(summary.as_metrics_json(), indent=2) + "\n")
    return summary


def _build_models(duckdb_path: Path, dataset: str, report_to: Console | None = None) -> None:
    from pipelines.cli.models import build_and_report

    building = ActiveRun(
        journal_interrupted=lambda reason: None,  # the load is complete and recorded
        describe=lambda: (
            "the load completed and is recorded; the models were not all built "
            "(build them with `fortnox-pipeline models`)"
        ),
        record=lambda: None,
        step="building models",
    )
    with INTERRUPTS.watching(building):
        exit_code = build_and_report(duckdb_path, dataset=dataset, console=report_to)
    if exit_code != ExitCode.OK:
        raise typer.Exit(int(exit_code))


def _build_models_in_destination(
    company_id: str, target: WarehouseTarget, report_to: Console | None = None
) -> None:
    """Build the models where dlt loaded (PostgreSQL), with the credentials dlt resolved."""
    from pipelines.cli.models import echo_build_report
    from pipelines.pipeline import company_pipeline
    from pipelines.transform import PostgresWarehouse, build_models

    pipeline = company_pipeline(company_id, target)
    with pipeline.destination_client() as client:
        credentials = client.config.credentials
    if pipeline.destination.destination_name != "postgres":
        errors.print(
            f"note: the models are built on DuckDB and PostgreSQL; not on "
            f"{pipeline.destination.destination_name} (skipped)",
            markup=False,
        )
        return
    warehouse = PostgresWarehouse.from_dlt_credentials(credentials, target.working_dir)
    with hold_writer_lock(target.working_dir, target.describe(), command="models"):
        report = build_models(warehouse, dataset=target.dataset)
    exit_code = echo_build_report(report, report_to)
    if exit_code != ExitCode.OK:
        raise typer.Exit(int(exit_code))


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo warehouse and tokens go.")
    ] = Path("demo"),
    scale: Annotated[str, typer.Option(help="Size of the books: small, medium or large.")] = (
        "small"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the generated books.")] = 1,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Load a generated Fortnox company from the in-process sandbox, twice, and build the models.

    The same source, client and OAuth login as a real run, against a local double of Fortnox
    with its rate limit on: a first load, one day of business, an incremental load.
    """
    from pipelines.sandbox_session import SandboxSession
    from sources.fortnox_sandbox.state import SandboxConfig

    if scale not in {"small", "medium", "large"}:
        raise typer.BadParameter("scale must be small, medium or large", param_hint="--scale")
    with errors_as_exit_codes(debug), stop_on_signals(INTERRUPTS):
        warehouse = directory / "fortnox.duckdb"
        _reset_demo(directory)
        console.print(f"Generating {scale} books (seed {seed}) and starting the sandbox ...")
        session = SandboxSession(SandboxConfig(seed=seed, scale=scale, rate_limit=(25, 5.0)))
        tenant = session.tenants[0]
        company = session.state.company(tenant)
        console.print(
            f"Company: {company.name} ({company.organisation_number}), DatabaseNumber {tenant}; "
            f"logging in by OAuth authorization code ..."
        )
        target = WarehouseTarget(duckdb_path=warehouse)
        with session.client(
            tenant=tenant, token_dir=directory / "tokens", profile="demo"
        ) as client:
            common: dict[str, Any] = {
                "company_id": str(tenant),
                "profile": "demo",
                "target": target,
                # Its own archive, whatever .dlt/config.toml says: the demo is not real books.
                "archive_dir": directory / DEFAULT_ARCHIVE_FOLDER,
                "metrics_json": None,
            }
            first = _run_with_progress(client, **common)
            print_summary(first, "First load (everything)")
            advanced = session.advance(1)[str(tenant)][-1]
            console.print(
                f"One day of business in the sandbox ({advanced['business_date']}): "
                f"{advanced['new_invoices']} new invoices, "
                f"{advanced['modified_invoices']} changed, "
                f"{advanced['new_vouchers']} new vouchers."
            )
            second = _run_with_progress(client, **common)
            print_summary(second, "Incremental load (only what changed)")
        _build_models(warehouse, DEFAULT_DATASET)
        _print_query_hints(warehouse)


def _reset_demo(directory: Path) -> None:
    """A demo starts clean: its warehouse, pipeline state and tokens belong to one sandbox."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("fortnox.duckdb", "fortnox.duckdb.wal"):
        (directory / name).unlink(missing_ok=True)
    for name in ("fortnox.duckdb.work", ".pipelines", "tokens", DEFAULT_ARCHIVE_FOLDER):
        shutil.rmtree(directory / name, ignore_errors=True)


def _print_query_hints(warehouse: Path) -> None:
    """Commands to copy: printed unwrapped (soft_wrap) so they paste whole from any log."""
    python = Path(sys.executable)
    cli = python.parent / "fortnox-pipeline"
    hints = [
        f"\nThe warehouse is {warehouse} (raw tables in fortnox_raw, models in analytics).",
        "Query it, for example:",
        f"  {cli} reconcile --duckdb {warehouse}",
        f"  {cli} report income-statement --duckdb {warehouse}",
        f"  {python} -c \"import duckdb; print(duckdb.connect('{warehouse}', read_only=True)"
        ".sql('select * from analytics.fct_trial_balance limit 20'))\"",
        f"  duckdb -readonly {warehouse}   (with the DuckDB CLI, if installed)",
    ]
    for line in hints:
        console.print(line, soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Attach `run` and `demo` to the main app."""
    app.command("run")(run)
    app.command("demo")(demo)

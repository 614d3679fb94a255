"""`fortnox-pipeline profiles [list] | use NAME | clear`: the companies this machine can load.

A profile is one company's tokens. The list joins what the token files say (tenant, expiry) with
what the warehouse knows (company name, organisation number, last run and its outcome), without a
request to Fortnox: a firm with a hundred clients can see at a glance whose token is about to
lapse and whose last night failed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.table import Table

from pipelines.cli.auth import TokenDirOption, fortnox_errors_to_exit_codes
from pipelines.cli.output import OutputOption, UserError, emit, stdout
from pipelines.exit_codes import ExitCode
from sources.fortnox.profiles import (
    clear_current_profile,
    read_current_profile,
    resolve_token_dir,
    write_current_profile,
)
from sources.fortnox.token_store import TokenStore

DEFAULT_WAREHOUSE = Path("fortnox.duckdb")
DEFAULT_DATASET = "fortnox_raw"

profiles_app = typer.Typer(
    help="List the profiles (companies) with tokens; choose the current one.",
    invoke_without_command=True,
)


@profiles_app.callback()
def profiles(
    context: typer.Context,
    token_dir: TokenDirOption = None,
    duckdb_path: Annotated[
        Path, typer.Option("--duckdb", help="Warehouse to read names and last runs from.")
    ] = DEFAULT_WAREHOUSE,
    dataset: Annotated[str, typer.Option(help="Dataset (schema) of the raw tables.")] = (
        DEFAULT_DATASET
    ),
    output: OutputOption = None,
) -> None:
    """List profiles: company, org number, DatabaseNumber, token expiry, last run and outcome."""
    if context.invoked_subcommand is not None:
        return
    with fortnox_errors_to_exit_codes():
        directory = resolve_token_dir(token_dir)
        rows = profile_rows(directory, duckdb_path, dataset)

    def table() -> None:
        listing = Table(title=f"Profiles in {directory}", title_justify="left")
        for column in (
            "",
            "profile",
            "company",
            "org number",
            "DatabaseNumber",
            "token expires",
            "last run",
            "outcome",
        ):
            listing.add_column(column)
        for row in rows:
            listing.add_row(
                "*" if row["current"] else "",
                row["profile"],
                row["company_name"] or "",
                row["organisation_number"] or "",
                str(row["database_number"] or ""),
                row["access_token_expires_at"] or "",
                row["last_run_at"] or "never",
                row["last_run_outcome"] or "",
            )
        stdout.print(listing)
        if not rows:
            stdout.print("No profile is logged in: `fortnox-pipeline auth login --profile NAME`.")

    emit({"token_dir": directory, "profiles": rows}, output, table)


@profiles_app.command("use")
def use(
    name: Annotated[str, typer.Argument(help="The profile later commands use by default.")],
    token_dir: TokenDirOption = None,
) -> None:
    """Make NAME the current profile (a `--profile` flag or FORTNOX_PROFILE still win)."""
    with fortnox_errors_to_exit_codes():
        directory = resolve_token_dir(token_dir)
        store = TokenStore(directory)
        if store.load(name) is None:
            known = store.profiles()
            raise UserError(
                f"profile {name!r} has no tokens, so it was not made current",
                ExitCode.NOT_FOUND,
                f"log in first: fortnox-pipeline auth login --profile {name}"
                + (f" (profiles with tokens: {', '.join(known)})" if known else ""),
            )
        pointer = write_current_profile(directory, name)
    typer.echo(f"Current profile: {name} (saved in {pointer})")


@profiles_app.command("clear")
def clear(token_dir: TokenDirOption = None) -> None:
    """Forget the current profile: commands fall back to FORTNOX_PROFILE, then `default`."""
    removed = clear_current_profile(resolve_token_dir(token_dir))
    typer.echo("Current profile cleared." if removed else "No current profile was set.")


def profile_rows(token_dir: Path, warehouse: Path, dataset: str) -> list[dict[str, Any]]:
    """One row per profile with tokens, joined with the warehouse's company facts and runs."""
    store = TokenStore(token_dir)
    current = read_current_profile(token_dir)
    companies, runs = _warehouse_facts(warehouse, dataset)
    rows = []
    for name in store.profiles():
        stored = store.load(name)
        tenant = str(stored.tenant_id) if stored and stored.tenant_id is not None else None
        last_run = runs.get(name) or (runs.get(f"company:{tenant}") if tenant else None) or {}
        company_id = tenant or last_run.get("company_id")
        company = companies.get(str(company_id), {}) if company_id else {}
        rows.append(
            {
                "profile": name,
                "current": name == current,
                "company_name": company.get("name"),
                "organisation_number": company.get("organisation_number"),
                "database_number": company_id,
                "access_token_expires_at": (
                    datetime.fromtimestamp(stored.expires_at, UTC).isoformat(timespec="seconds")
                    if stored
                    else None
                ),
                "renewal": (
                    None
                    if stored is None
                    else "client_credentials"
                    if stored.service_account
                    else ("refresh_token" if stored.refresh_token else "none")
                ),
                "last_run_at": last_run.get("started_at"),
                "last_run_outcome": last_run.get("outcome"),
            }
        )
    return rows


def _warehouse_facts(
    warehouse: Path, dataset: str
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Company names by id, and the latest run by profile (and by company), if readable."""
    if not warehouse.is_file():
        return {}, {}
    try:
        connection = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return {}, {}  # held by a load or not ours: the list still shows the token facts
    try:
        tables = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [dataset],
            ).fetchall()
        }
        companies: dict[str, dict[str, Any]] = {}
        if "company_information" in tables:
            for company_id, name, number in connection.execute(
                f'select company_id, company_name, organization_number from "{dataset}".'
                "company_information"
            ).fetchall():
                companies[str(company_id)] = {"name": name, "organisation_number": number}
        runs: dict[str, dict[str, Any]] = {}
        if "load_runs" in tables:
            for profile, company_id, started_at, outcome in connection.execute(
                f'select profile, company_id, started_at, outcome from "{dataset}".load_runs '
                "order by started_at"
            ).fetchall():
                run = {
                    "company_id": str(company_id),
                    "started_at": started_at.isoformat(timespec="seconds") if started_at else None,
                    "outcome": outcome,
                }
                runs[str(profile)] = run
                runs[f"company:{company_id}"] = run
        return companies, runs
    except duckdb.Error:
        return {}, {}
    finally:
        connection.close()


def register(app: typer.Typer) -> None:
    """Attach `profiles` to the main app."""
    app.add_typer(profiles_app, name="profiles")

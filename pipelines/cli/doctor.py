"""`fortnox-pipeline doctor`: is this machine ready to load a company, and if not, what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines import doctor as checks
from pipelines.cli.auth import ProfileOption, TokenDirOption
from pipelines.cli.output import OutputOption, emit, stdout
from pipelines.exit_codes import ExitCode
from pipelines.pipeline import DEFAULT_DATASET
from sources.fortnox.errors import FortnoxError
from sources.fortnox.profiles import resolve_profile, resolve_token_dir
from sources.fortnox.settings import ENDPOINTS
from sources.fortnox.token_store import TokenStore

DEFAULT_WAREHOUSE = Path("fortnox.duckdb")


def doctor(
    profile: ProfileOption = None,
    token_dir: TokenDirOption = None,
    duckdb: Annotated[Path, typer.Option(help="The DuckDB warehouse file to check.")] = (
        DEFAULT_WAREHOUSE
    ),
    dataset: Annotated[str, typer.Option(help="Dataset (schema) of the raw tables.")] = (
        DEFAULT_DATASET
    ),
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip the checks that ask Fortnox.")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Check the setup, one line per check with the fix; exit non-zero when any check fails."""
    results = run_checks(profile, token_dir, duckdb, dataset, offline=offline)
    failed = [check for check in results if not check.ok]
    document = {
        "ok": not failed,
        "checks": [check.as_json() for check in results],
    }

    def table() -> None:
        for check in results:
            mark = "[red]✗[/red]"
            if check.ok:
                mark = "[yellow]![/yellow]" if check.warning else "[green]✓[/green]"
            stdout.print(f"{mark} {check.name}: ", end="")
            stdout.print(check.detail, markup=False, end="")
            stdout.print(f" — fix: {check.fix}" if check.fix else "", markup=False)
        warned = sum(check.warning for check in results)
        summary = (
            "all checks hold" if not failed else f"{len(failed)} of {len(results)} checks failed"
        )
        stdout.print(f"{summary} ({warned} with a warning)" if warned else summary)

    emit(document, output, table)
    if failed:
        raise typer.Exit(failed[0].exit_code or int(ExitCode.ERROR))


def run_checks(
    profile: str | None,
    token_dir: Path | None,
    warehouse: Path,
    dataset: str,
    *,
    offline: bool = False,
) -> list[checks.Check]:
    """Every check, in the order a broken setup is best repaired."""
    results = [checks.python_and_packages(), checks.client_credentials(Path(".dlt"))]
    directory = resolve_token_dir(token_dir)
    try:
        chosen = resolve_profile(profile, directory)
    except FortnoxError as error:
        results.append(checks.Check("profile", False, str(error), None, int(ExitCode.BAD_INPUT)))
        results.append(checks.warehouse(warehouse, dataset))
        results.append(checks.skipped_resources(warehouse, dataset))
        return results
    token_check, stored = checks.token_file(TokenStore(directory), chosen)
    results.append(token_check)
    if stored is not None:
        results.append(checks.scopes(stored, {name: path for name, (path, _) in ENDPOINTS.items()}))
    if stored is not None and not offline and results[1].ok:
        results.extend(_live_checks(chosen.name, directory))
    results.append(checks.warehouse(warehouse, dataset))
    results.append(checks.pipeline_state(warehouse, dataset))
    results.append(checks.skipped_resources(warehouse, dataset))
    return results


def _live_checks(profile: str, token_dir: Path) -> list[checks.Check]:
    """The token against the server, then one cheap request (skipped once the token fails)."""
    from sources.fortnox.client import client_from_config

    fix = f"run `fortnox-pipeline auth login --profile {profile}`"
    with client_from_config(profile, token_dir=token_dir) as client:

        def token() -> str:
            client.auth.access_token()
            return "the token is accepted (renewed first when it was due)"

        def request() -> str:
            info = client.get_json("companyinformation")["CompanyInformation"]
            return (
                f"GET /3/companyinformation: {info.get('CompanyName')} "
                f"(org {info.get('OrganizationNumber')}, "
                f"DatabaseNumber {info.get('DatabaseNumber')})"
            )

        token_check = checks.live("token accepted by Fortnox", token, fix)
        if not token_check.ok:
            return [token_check]
        return [token_check, checks.live("API request", request, "try again later")]


def register(app: typer.Typer) -> None:
    """Attach `doctor` to the main app."""
    app.command("doctor")(doctor)

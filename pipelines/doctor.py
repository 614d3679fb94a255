"""`doctor`: every check a setup needs, each answered with ✓ or ✗ and the fix.

A person who cannot load a company wants one screen that says which link is broken: the Python
and package versions, where the client id and secret come from (never their values), the token
file, whether Fortnox accepts the token, which scopes each resource needs and the token lacks, a
cheap API request, and the warehouse. The checks run in order and stop asking Fortnox once the
token fails, so a broken setup costs no more than one or two requests.
"""

from __future__ import annotations

import os
import stat
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pipelines.exit_codes import ExitCode
from sources.fortnox import settings
from sources.fortnox.errors import FortnoxError
from sources.fortnox.profiles import ChosenProfile
from sources.fortnox.token_store import StoredToken, TokenStore

PACKAGES = ("fortnox-pipeline", "dlt", "duckdb", "httpx", "authlib", "polars", "pyarrow")
SECRET_KEYS = ("client_id", "client_secret")


@dataclass
class Check:
    """One line of `doctor`: what was checked, whether it holds, what was found, the fix."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    exit_code: int = int(ExitCode.OK)
    warning: bool = False
    """Holds, but with something the user should know (a resource the run will skip)."""

    def as_json(self) -> dict[str, Any]:
        """The stable JSON of one check."""
        return asdict(self)


def python_and_packages() -> Check:
    """Python 3.11+ and the installed versions of the packages a load depends on."""
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package} missing")
    python = ".".join(str(part) for part in sys.version_info[:3])
    missing = [entry for entry in versions if entry.endswith(" missing")]
    ok = sys.version_info >= (3, 11) and not missing
    return Check(
        "python and packages",
        ok,
        f"Python {python}; " + ", ".join(versions),
        None if ok else "use Python 3.11+ and reinstall: pip install -e .",
        int(ExitCode.OK if ok else ExitCode.ERROR),
    )


def client_credentials(config_dir: Path) -> Check:
    """Where the client id and secret come from: environment or a secrets.toml (never values)."""
    found: dict[str, str] = {}
    for key in SECRET_KEYS:
        variable = f"SOURCES__FORTNOX__{key.upper()}"
        if os.environ.get(variable):
            found[key] = f"environment {variable}"
    secrets_file = config_dir / "secrets.toml"
    loose_mode = None
    if secrets_file.is_file():
        try:
            document = tomllib.loads(secrets_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            return Check(
                "client id and secret",
                False,
                f"{secrets_file} cannot be read ({type(error).__name__})",
                f"fix the TOML in {secrets_file} or run `fortnox-pipeline init`",
                int(ExitCode.BAD_INPUT),
            )
        section = document.get("sources", {}).get("fortnox", {})
        for key in SECRET_KEYS:
            if key not in found and section.get(key):
                found[key] = f"{secrets_file} [sources.fortnox]"
        mode = stat.S_IMODE(secrets_file.stat().st_mode)
        if mode & 0o077:
            loose_mode = f"{mode:o}"
    missing = [key for key in SECRET_KEYS if key not in found]
    if missing:
        return Check(
            "client id and secret",
            False,
            f"not configured: {', '.join(missing)}",
            "run `fortnox-pipeline init`, or set SOURCES__FORTNOX__CLIENT_ID and "
            "SOURCES__FORTNOX__CLIENT_SECRET",
            int(ExitCode.BAD_INPUT),
        )
    detail = "; ".join(f"{key} from {where}" for key, where in found.items())
    if loose_mode is not None:
        return Check(
            "client id and secret",
            False,
            f"{detail}; {secrets_file} has mode {loose_mode}",
            f"chmod 600 {secrets_file}",
            int(ExitCode.BAD_INPUT),
        )
    return Check("client id and secret", True, detail)


def token_file(store: TokenStore, chosen: ChosenProfile) -> tuple[Check, StoredToken | None]:
    """The profile's token file: present, mode 0600, when the access token expires."""
    path = store.path_for(chosen.name)
    name = f"token file (profile {chosen.name}, from {chosen.source})"
    try:
        stored = store.load(chosen.name)
    except FortnoxError as error:
        return Check(name, False, str(error), None, int(ExitCode.AUTH_NEEDED)), None
    if stored is None:
        return (
            Check(
                name,
                False,
                f"no token file at {path}",
                f"run `fortnox-pipeline auth login --profile {chosen.name}`",
                int(ExitCode.AUTH_NEEDED),
            ),
            None,
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    expires = datetime.fromtimestamp(stored.expires_at, UTC).isoformat(timespec="seconds")
    remaining = stored.expires_at - time.time()
    validity = f"expires {expires}" if remaining > 0 else f"expired {expires}, renewed on use"
    renewal = (
        "client credentials"
        if stored.service_account
        else ("refresh token" if stored.refresh_token else "no renewal")
    )
    detail = f"{path}, mode {mode:o}, tenant {stored.tenant_id}, {validity}, renewal: {renewal}"
    if mode != 0o600:
        return (
            Check(name, False, detail, f"chmod 600 {path}", int(ExitCode.BAD_INPUT)),
            stored,
        )
    if renewal == "no renewal" and remaining <= 0:
        return (
            Check(
                name,
                False,
                detail,
                f"run `fortnox-pipeline auth login --profile {chosen.name}`",
                int(ExitCode.AUTH_NEEDED),
            ),
            stored,
        )
    return Check(name, True, detail), stored


CORE_SCOPES: tuple[str, ...] = ("bookkeeping", "companyinformation")
"""Without these a run loads nothing worth having (no company id, no ledger): a failure. Any
other missing scope only makes the run skip the resources that need it, with a warning (see
`sources.fortnox.licences`), so doctor says the same instead of failing a setup that works."""


def scopes(stored: StoredToken, resources: dict[str, str]) -> Check:
    """The scopes the token was granted against those each resource needs.

    Args:
        stored: the profile's token.
        resources: resource name -> endpoint path (first segment decides the scope).
    """
    granted = set(stored.scopes)
    lacking: dict[str, list[str]] = {}
    for resource, path in resources.items():
        needed = settings.SCOPE_BY_RESOURCE.get(path.split("/")[0])
        if needed is not None and needed not in granted:
            lacking.setdefault(needed, []).append(resource)
    if not lacking:
        return Check("scopes", True, f"granted {' '.join(sorted(granted))}: every resource covered")
    detail = "; ".join(
        f"`{scope}` missing for {', '.join(names)}" for scope, names in sorted(lacking.items())
    )
    fix = (
        "run `fortnox-pipeline auth login --scopes ...` with the missing scopes, and check the "
        "company's licence for them"
    )
    if any(scope in lacking for scope in CORE_SCOPES):
        return Check("scopes", False, detail, fix, int(ExitCode.SCOPE_MISSING))
    return Check(
        "scopes",
        True,
        f"{detail}: `run` skips these resources (`run --strict` fails instead)",
        fix,
        warning=True,
    )


def live(name: str, probe: Callable[[], str], fix: str) -> Check:
    """A check that asks Fortnox: its error becomes the detail, with the exit code it maps to."""
    from pipelines.cli.auth import exit_code_for

    try:
        return Check(name, True, probe())
    except FortnoxError as error:
        return Check(name, False, str(error), fix, int(exit_code_for(error)))


def warehouse(path: Path, dataset: str) -> Check:
    """The DuckDB file: creatable or writable, not held by another process, its schema version."""
    import duckdb

    from pipelines.cli.output import UserError
    from pipelines.cli.validate import check_writable_warehouse
    from pipelines.warehouse import WarehouseBusyError, open_warehouse

    name = f"warehouse {path}"
    try:
        check_writable_warehouse(path)
    except UserError as error:
        return Check(name, False, error.message, error.fix, int(error.exit_code))
    if not path.exists():
        return Check(name, True, "not created yet; the first run creates it (location writable)")
    try:
        connection = open_warehouse(path)
    except WarehouseBusyError as error:
        return Check(
            name,
            False,
            str(error).split(". ")[0],
            "wait for the other load, or close the session holding the file",
            int(ExitCode.WAREHOUSE_BUSY),
        )
    except duckdb.Error as error:
        return Check(
            name,
            False,
            f"not a usable DuckDB file ({type(error).__name__})",
            "move the file aside and run again to create a fresh warehouse",
            int(ExitCode.BAD_INPUT),
        )
    try:
        versions = connection.execute(
            f'select max(version), max(engine_version) from "{dataset}"._dlt_version'
        ).fetchone()
    except duckdb.Error:
        versions = None
    finally:
        connection.close()
    if versions is None or versions[0] is None:
        return Check(name, True, f"writable, not held; nothing loaded into {dataset} yet")
    return Check(
        name,
        True,
        f"writable, not held; {dataset} schema version {versions[0]} (dlt engine {versions[1]})",
    )


def pipeline_state(warehouse: Path, dataset: str) -> Check:
    """Where dlt keeps this warehouse's working state, and whether it agrees with the warehouse.

    Runs take their state from the warehouse (`_dlt_pipeline_state`) before any request, so a
    local copy that differs (a restored or swapped warehouse) costs nothing but is worth seeing.
    """
    import json

    import duckdb

    from pipelines.warehouse import working_dir_beside

    working_dir = working_dir_beside(warehouse)
    name = f"pipeline state ({working_dir})"
    local: dict[str, str | None] = {}
    for state_file in sorted(working_dir.glob("*/state.json")):
        try:
            local[state_file.parent.name] = json.loads(state_file.read_text()).get("_version_hash")
        except (OSError, ValueError):
            local[state_file.parent.name] = None
    stored: dict[str, str] = {}
    if warehouse.is_file():
        try:
            with duckdb.connect(str(warehouse), read_only=True) as connection:
                stored = {
                    pipeline: version_hash
                    for pipeline, version_hash in connection.execute(
                        f'select pipeline_name, arg_max(version_hash, created_at) from "{dataset}"'
                        "._dlt_pipeline_state group by pipeline_name"
                    ).fetchall()
                }
        except duckdb.Error:
            stored = {}
    if not local and not stored:
        return Check(name, True, "no company loaded yet")
    agreeing = sorted(name for name in stored if name in local and local[name] == stored[name])
    differing = sorted(name for name in stored if name in local and local[name] != stored[name])
    restorable = sorted(name for name in stored if name not in local)
    parts = [
        f"{len(agreeing)} pipeline(s) (companies and their run records) agree with the warehouse"
    ]
    if differing:
        parts.append(f"{', '.join(differing)} differ")
    if restorable:
        parts.append(f"{', '.join(restorable)} have no local copy")
    detail = "; ".join(parts)
    if differing or restorable:
        detail += " (the next run takes the warehouse's state before any request: nothing skipped)"
    return Check(name, True, detail)


LAST_RUNS_SQL = """
select company_id, skipped, ended_at from (
    select company_id, skipped, ended_at,
        row_number() over (partition by company_id order by started_at desc) as newest
    from "{dataset}".load_runs
    where outcome = 'completed' and profile is distinct from 'sie load'
) where newest = 1
order by company_id
"""


def skipped_resources(warehouse: Path, dataset: str) -> Check:
    """What each company's last completed run skipped because Fortnox answered 403 (a licence
    without the module, a token without the scope), from `load_runs.skipped`.

    The scopes check sees only the token; a licence shows only when Fortnox refuses, so the
    runs' own record is what says which tables a company's warehouse lacks.
    """
    import json

    import duckdb

    name = "skipped by the last run"
    if not warehouse.is_file():
        return Check(name, True, "no run yet")
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            rows = connection.execute(LAST_RUNS_SQL.format(dataset=dataset)).fetchall()
    except duckdb.CatalogException:
        return Check(name, True, "no run recorded yet")
    except duckdb.Error as error:
        return Check(name, True, f"not read ({type(error).__name__}): see the warehouse check")
    if not rows:
        return Check(name, True, "no run recorded yet")
    skipped: dict[str, dict[str, str]] = {}
    for company_id, recorded, _ in rows:
        try:
            resources = json.loads(recorded) if recorded else {}
        except ValueError:
            resources = {}
        if resources:
            skipped[str(company_id)] = resources
    if not skipped:
        return Check(
            name, True, f"nothing: the last run of {len(rows)} company(ies) read every resource"
        )
    detail = "; ".join(
        f"company {company_id}: "
        + ", ".join(f"{resource} (`{scope}`)" for resource, scope in sorted(resources.items()))
        for company_id, resources in sorted(skipped.items())
    )
    return Check(
        name,
        True,
        f"{detail}: Fortnox refused these (403), so their tables are not loaded",
        "add the module to the company's licence or the scope to the login "
        "(`fortnox-pipeline auth login --scopes ...`); `run --strict` fails instead of skipping",
        warning=True,
    )

"""Running the Fortnox source for one company into the warehouse, and recording what each run did.

One dlt pipeline per company (`fortnox_<DatabaseNumber>`): its state (cursors, which years are
final and loaded) belongs to that company alone, while every company's rows share one dataset.
The state is the warehouse's (`_dlt_pipeline_state`, see `warehouse_state`); the local working
folder beside the warehouse only caches it and holds packages not yet loaded.
Each run, failed or not, leaves a row in `load_runs`: the audit trail of what was loaded when.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.destinations.exceptions import DatabaseException
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.dlt_lookups import lookups_cached
from pipelines.interrupts import INTERRUPTS, ActiveRun, own_signals
from pipelines.nested_columns import nested_as_json, takes_nested_arrow
from pipelines.run_journal import UNKNOWN_COMPANY, RunJournal, fold_journal, record_runs
from pipelines.scratch import scratch_in
from pipelines.warehouse import open_warehouse, working_dir_beside
from pipelines.warehouse_state import follow_warehouse
from pipelines.writer_lock import WarehouseBusyError, hold_writer_lock
from sources.fortnox import fortnox_source, settings
from sources.fortnox.client import FortnoxClient
from sources.fortnox.records import STOCKHOLM
from sources.fortnox.settings import ENDPOINTS
from sources.sie.load import duckdb_catalog_qualified
from sources.sie.tables import TABLE_NAMES as SIE_TABLES

DEFAULT_DATASET = settings.DEFAULT_DATASET

lookups_cached()


@dataclass
class ResourceMetrics:
    """What one resource cost and produced in one run."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0


@dataclass
class RunSummary:
    """One run of one company, as recorded in `load_runs` and printed to the user."""

    run_id: str
    profile: str
    company_id: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: str = "running"
    error: str | None = None
    resources: dict[str, ResourceMetrics] = field(default_factory=dict)
    sie_files: list[dict[str, Any]] = field(default_factory=list)
    # Resources the company's licence or the token's scopes do not cover: resource -> scope.
    skipped: dict[str, str] = field(default_factory=dict)
    archive_dir: Path | None = None  # None: archiving was off for this run
    notes: list[str] = field(default_factory=list)
    """What the run did before its own work (an earlier run's package finished, state restored
    from the warehouse, entries the warehouse did not back): told to the user first."""

    @property
    def requests(self) -> int:
        """Requests sent to Fortnox by this run, all resources together."""
        return sum(metrics.requests for metrics in self.resources.values())

    @property
    def rows(self) -> int:
        """Rows loaded by this run."""
        return sum(metrics.rows for metrics in self.resources.values())

    def as_metrics_json(self) -> dict[str, Any]:
        """The `--metrics-json` document."""
        return {
            "run_id": self.run_id,
            "company_id": self.company_id,
            "outcome": self.outcome,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "requests": self.requests,
            "rows": self.rows,
            "resources": {name: asdict(metrics) for name, metrics in self.resources.items()},
            "sie_files": self.sie_files,
            "skipped": self.skipped,
            "archive_dir": str(self.archive_dir) if self.archive_dir is not None else None,
        }


@dataclass(frozen=True)
class WarehouseTarget:
    """Where a run loads: a DuckDB file by default, any dlt destination by config."""

    duckdb_path: Path | None
    dataset: str = DEFAULT_DATASET
    destination: str | None = None  # a dlt destination name configured in .dlt/, e.g. "postgres"
    pipelines_dir: Path | None = None
    """The working folder, when not the default one of the warehouse (`working_dir`)."""

    def dlt_destination(self) -> Any:
        """The dlt destination object or name."""
        if self.destination:
            return self.destination
        assert self.duckdb_path is not None
        return partial_config_resolved_once(dlt.destinations.duckdb(str(self.duckdb_path)))

    @property
    def working_dir(self) -> Path:
        """dlt's pipeline folders, the writer lock and the run journal of this warehouse.

        Beside a DuckDB file (`fortnox.duckdb.work/`), so the working folder is keyed by the
        warehouse and each company has its pipeline folder inside it; for another destination,
        `.fortnox-pipeline/<destination>.<dataset>/` in the current directory, made absolute
        here: dbt resolves a relative target path against its project folder, which put the
        models' build files inside the installed package.
        """
        if self.pipelines_dir is not None:
            return self.pipelines_dir
        if self.duckdb_path is not None:
            return working_dir_beside(self.duckdb_path)
        return Path.cwd() / ".fortnox-pipeline" / f"{self.destination}.{self.dataset}"

    def describe(self) -> str:
        """The warehouse as the user named it."""
        if self.duckdb_path is not None:
            return str(self.duckdb_path)
        return f"{self.destination} dataset {self.dataset}"


def partial_config_resolved_once(destination: Any) -> Any:
    """The dlt destination, its configuration resolved once per kind, not on every call.

    dlt asks a destination for its capabilities dozens of times per pipeline step, and each
    time resolves the destination's configuration anew through every config provider (half of
    the seconds a one-row `load_runs` write took, measured). It also resolves a client's full
    configuration for every client it makes: three per load job (to create it, to run it, for
    its follow-up job) and one per `sql_client()`, about 150 per company in a nightly run,
    which was 6 % of a portfolio run's CPU time (sampled). What either resolves depends only on
    the environment, the config files and the initial configuration dlt passes (dataset and
    schema names), none of which change during a run; the destination object lives for one
    company's run or one recording.

    A full configuration is the same object for every client of one initial configuration, so
    those clients share its DuckDB connection pool, as dlt's load step intends ("a singleton in
    the load step"): each borrows a cursor of one connection instead of opening its own.
    """
    resolve = destination.configuration
    partial: list[Any] = []
    full: dict[str, Any] = {}
    guard = threading.Lock()

    def configuration(initial_config: Any, accept_partial: bool = False) -> Any:
        if not accept_partial:  # a client's full configuration, per initial configuration
            key = _initial_config_key(initial_config)
            if key is None:
                return resolve(initial_config, accept_partial=False)
            with guard:
                if key not in full:
                    full[key] = resolve(initial_config, accept_partial=False)
                return full[key]
        with guard:
            if not partial:
                partial.append(resolve(initial_config, accept_partial=True))
            return partial[0].copy()

    destination.configuration = configuration
    return destination


def _initial_config_key(initial_config: Any) -> str | None:
    """What identifies an initial client configuration (its type and field values), or None
    when it holds anything but plain values (then it is resolved as dlt does, every time)."""
    if initial_config is None:
        return None
    values = []
    for name, value in sorted(dict(initial_config).items()):
        if value is not None and not isinstance(value, (str, int, float, bool, tuple)):
            return None
        values.append(f"{name}={value!r}")
    return f"{type(initial_config).__qualname__}({', '.join(values)})"


def company_pipeline(company_id: str, target: WarehouseTarget) -> dlt.Pipeline:
    """The dlt pipeline of one company in one warehouse: own state, shared dataset.

    Its working folder is inside the warehouse's own (`WarehouseTarget.working_dir`); its state
    is made the warehouse's by `follow_warehouse` before each run.
    """
    return dlt.pipeline(
        pipeline_name=f"fortnox_{company_id}",
        destination=target.dlt_destination(),
        dataset_name=target.dataset,
        pipelines_dir=str(target.working_dir),
    )


class _RowCounter:
    """Counts rows per resource as they are extracted (lists, dicts and Arrow tables)."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = defaultdict(int)
        self.listeners: list[Callable[[str, int], None]] = []

    def counting(self, resource_name: str) -> Callable[[Any], Any]:
        def count(item: Any) -> Any:
            added = item.num_rows if isinstance(item, pa.Table) else 1
            self.rows[resource_name] += added
            for listener in self.listeners:
                listener(resource_name, self.rows[resource_name])
            return item

        return count


def resource_of_endpoint(path: str) -> str:
    """Which resource a request path belongs to, for per-resource request counts."""
    path = path.strip("/")
    if path.startswith("3/"):
        path = path[2:]
    for name, (endpoint, _) in sorted(ENDPOINTS.items(), key=lambda item: -len(item[1][0])):
        if path == endpoint or path.startswith(endpoint + "/"):
            return name
    return path.split("/", 1)[0]


def run_company(
    client: FortnoxClient,
    *,
    company_id: str,
    profile: str,
    target: WarehouseTarget,
    resources: Sequence[str] | None = None,
    full_refresh: bool = False,
    start_date: str | None = None,
    invoice_rows: bool = False,
    archive_dir: Path | None = None,
    on_rows: Callable[[str, int], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    strict: bool = False,
    document_rows: bool = False,
    warehouse_turn: WarehouseTurn | None = None,
) -> RunSummary:
    """Load one company into the warehouse and record the run.

    Before any request: the warehouse's writer lock is taken (a second writer fails at once
    naming the holder), the file is checked (not held by an analyst, a DuckDB database), and
    the company's state is made the warehouse's own (`follow_warehouse`). A failure during
    extraction loads nothing (dlt loads only after a complete extract); the failed run is
    still recorded in `load_runs`. A resource Fortnox refuses for a missing scope or licence is
    skipped and recorded (`strict`: the run fails).

    Args:
        warehouse_turn: entered around each step that reads or writes the warehouse, never
            around fetching: companies fetched side by side in one process write one at a
            time (`pipelines/portfolio.py`). None for a run of its own.
    """
    summary = RunSummary(
        run_id=uuid.uuid4().hex,
        profile=profile,
        company_id=company_id,
        started_at=datetime.now(STOCKHOLM),
        archive_dir=archive_dir.resolve() if archive_dir is not None else None,
    )
    journal = RunJournal(target.working_dir)
    try:
        with hold_writer_lock(target.working_dir, target.describe(), command=f"run {profile}"):
            _run_locked(
                client,
                summary,
                journal,
                target,
                source_options={
                    "start_date": start_date,
                    "invoice_rows": invoice_rows,
                    "full_refresh": full_refresh,
                    "archive_dir": archive_dir,
                    "strict": strict,
                    "skipped": summary.skipped,
                    "document_rows": document_rows,
                },
                resources=resources,
                on_rows=on_rows,
                on_note=on_note,
                turn=warehouse_turn or contextlib.nullcontext,
            )
    except WarehouseBusyError as error:
        if summary.outcome == "running":  # refused the lock: the holder or the next run records
            summary.outcome = "refused"
            summary.error = _describe(error)
            summary.ended_at = datetime.now(STOCKHOLM)
            journal.write(run_row(summary))
        raise
    return summary


def _run_locked(
    client: FortnoxClient,
    summary: RunSummary,
    journal: RunJournal,
    target: WarehouseTarget,
    *,
    source_options: dict[str, Any],
    resources: Sequence[str] | None,
    on_rows: Callable[[str, int], None] | None,
    on_note: Callable[[str], None] | None,
    turn: WarehouseTurn,
) -> None:
    """The run itself, under the writer lock: journalled first, recorded last, whatever happens."""
    journal.write(run_row(summary))
    counter = _RowCounter()
    if on_rows is not None:
        counter.listeners.append(on_rows)
    requests_before = client.stats.as_dict()
    recording = {
        "destination": target.dlt_destination(),
        "dataset": target.dataset,
        "working_dir": target.working_dir,
        "warehouse_file": target.duckdb_path,
    }
    active = _active_run(summary, journal, recording, client, requests_before, counter)
    writing = contextlib.ExitStack()
    with (
        qualified_names(target),
        scratch_in(target.working_dir),
        INTERRUPTS.watching(active),
    ):
        try:
            active.step = "preparing"
            with turn():
                if target.duckdb_path is not None:
                    open_warehouse(target.duckdb_path).close()
                pipeline = own_signals(company_pipeline(summary.company_id, target))
                preparation = follow_warehouse(
                    pipeline, _finish_pending_loads, summary.company_id, say=on_note
                )
                pipeline = own_signals(preparation.pipeline)
                summary.notes.extend(preparation.notes)
                fold_journal(journal, **recording)
                if preparation.finished_load_ids or preparation.state_replaced:
                    _sie_cleanup_marker(pipeline).touch()
                if _sie_cleanup_marker(pipeline).exists():
                    # A load whose cleanup did not run (killed after its last job), or a
                    # working folder that cannot say: every year of the company.
                    _drop_superseded_sie_rows(pipeline, summary.company_id)
                    _sie_cleanup_marker(pipeline).unlink()
                organisation_number = _known_organisation_number(pipeline, summary.company_id)
            source = fortnox_source(
                client,
                summary.company_id,
                organisation_number=organisation_number,
                warehouse_turn=turn,
                **source_options,
            )
            if resources:
                source = source.with_resources(*resources)
            nested_to_json = not takes_nested_arrow(pipeline.destination)
            for name, resource in source.selected_resources.items():
                if nested_to_json:
                    resource.add_map(nested_as_json)
                # Side by side under the company's one limiter (dlt's extract workers): one
                # resource's pages are parsed and written while another's requests go out.
                resource.parallelize()
                resource.add_map(counter.counting(name))
            # The steps one by one (what dlt's `run` does once pending packages are finished,
            # as they are here), so an interruption can say which one it stopped.
            files_before = _sie_file_digests(pipeline)
            active.step = "fetching"
            pipeline.extract(source, loader_file_format=loader_file_format(pipeline))
            active.step = "normalizing"
            pipeline.normalize()
            active.step = "loading"
            # Held on through the run's record: a second turn would hand the warehouse to
            # another company of a portfolio in between, for one row.
            writing.enter_context(turn())
            _sie_cleanup_marker(pipeline).touch()
            load_info = pipeline.load()
            load_info.raise_on_failed_jobs()
            _drop_superseded_sie_rows(
                pipeline, summary.company_id, _new_sie_files(files_before, pipeline)
            )
            _sie_cleanup_marker(pipeline).unlink()
            summary.outcome = "completed"
            summary.sie_files = _loaded_sie_files(pipeline)
        except BaseException as error:
            summary.outcome = "refused" if isinstance(error, WarehouseBusyError) else "failed"
            summary.error = _describe(error)
            raise
        finally:
            with writing:
                active.step = "recording"
                summary.ended_at = datetime.now(STOCKHOLM)
                _fill_metrics(summary, client, requests_before, counter)
                with turn():
                    _record_run(summary, journal, recording)


WarehouseTurn = Callable[[], contextlib.AbstractContextManager[Any]]
"""A company's turn at the warehouse (see `run_company`'s `warehouse_turn`)."""


def _active_run(
    summary: RunSummary,
    journal: RunJournal,
    recording: dict[str, Any],
    client: FortnoxClient,
    requests_before: dict[str, dict[str, int | float]],
    counter: _RowCounter,
) -> ActiveRun:
    """What a signal's watcher needs of this run: record it interrupted, say what was loaded."""

    reasons = ["interrupted"]

    def interrupted(reason: str) -> dict[str, Any]:
        reasons.append(reason)
        stopped = RunSummary(
            run_id=summary.run_id,
            profile=summary.profile,
            company_id=summary.company_id,
            started_at=summary.started_at,
            ended_at=datetime.now(STOCKHOLM),
            outcome="interrupted",
            error=f"{reason} while {active.step}",
            notes=list(summary.notes),
        )
        _fill_metrics(stopped, client, requests_before, counter)
        return run_row(stopped)

    def describe() -> str:
        rows = sum(counter.rows.values())
        requests = sum(m.requests for m in requests_since(client, requests_before).values())
        fetched = f"{requests} requests, {rows:,} rows fetched"
        return {
            "starting": "nothing fetched or loaded; the warehouse is as before",
            "preparing": "nothing of this run fetched or loaded; an earlier run's package, if "
            "one was being finished, stays for the next run",
            "fetching": f"nothing of this run loaded ({fetched}, dropped); the warehouse is "
            "as before",
            "normalizing": f"nothing loaded ({fetched}, kept); the next run loads them first",
            "loading": f"loading was under way ({fetched}); tables may hold part of them until "
            "the next run, which finishes loading them first",
            "recording": "everything was loaded; the run's record is written now or by the "
            "next run",
        }.get(active.step, active.step)

    def record() -> None:
        record_runs([interrupted(reasons[-1])], **recording)
        journal.remove(summary.run_id)

    active = ActiveRun(
        journal_interrupted=lambda reason: journal.write(interrupted(reason)),
        describe=describe,
        record=record,
    )
    return active


def loader_file_format(pipeline: dlt.Pipeline) -> str | None:
    """Parquet for every table on DuckDB; other destinations keep their preferred format.

    DuckDB's preferred format is `insert_values`, so dlt wrote the JSON resources' rows as SQL
    INSERT text that DuckDB then parsed back (the SIE tables, Arrow, were Parquet already):
    two thirds of a large company's first-load CPU, measured. DuckDB reads Parquet with its
    own reader into the same column types. PostgreSQL loads Parquet only through an optional
    ADBC driver, and then with `json` columns instead of `jsonb`: it keeps `insert_values`.
    """
    if pipeline.destination.destination_name != "duckdb":
        return None
    supported = pipeline.destination.capabilities().supported_loader_file_formats or ()
    return "parquet" if "parquet" in supported else None


def qualified_names(target: WarehouseTarget) -> Any:
    """Table names qualified so that dlt works in `fortnox.duckdb` with dataset `fortnox`."""
    if target.duckdb_path is None:
        return contextlib.nullcontext()
    return duckdb_catalog_qualified(target.duckdb_path, target.dataset)


def _known_organisation_number(pipeline: dlt.Pipeline, company_id: str) -> str | None:
    """The company's organisation number as an earlier run loaded it, so that stamping
    `company_key` costs no request; None on a first load (the source reads it then)."""
    with pipeline.sql_client() as sql:
        if not sql.has_dataset():
            return None
        table = sql.make_qualified_table_name("company_information")
        try:  # asked by trying: DuckDB's catalog views cost more than this query
            rows = sql.execute_sql(
                f"SELECT organization_number FROM {table} WHERE company_id = %s"
                " AND organization_number IS NOT NULL LIMIT 1",
                company_id,
            )
        except DatabaseException:  # no such table or column yet
            return None
    return str(rows[0][0]) if rows else None


def _finish_pending_loads(pipeline: dlt.Pipeline) -> list[str]:
    """Load what an interrupted run extracted (killed, or failed while loading) before this run.

    dlt's `run` with pending packages loads only those and returns without extracting, so
    the run after a kill would fetch nothing new yet be recorded as completed. The packages
    carry the state (cursors, loaded years) their extraction advanced, so they must be loaded,
    not dropped; then this run extracts as usual.
    """
    pending = [*pipeline.list_normalized_load_packages(), *pipeline.list_extracted_load_packages()]
    if pipeline.has_pending_data:
        load_info = pipeline.run()
        if load_info is not None:
            load_info.raise_on_failed_jobs()
        _drop_repeated_rows(pipeline)
    return pending


def _drop_repeated_rows(pipeline: dlt.Pipeline) -> None:
    """Keep one copy of each row (`_dlt_id`) that a repeated load job inserted twice.

    dlt loads at least once: a job whose statement committed just before a kill runs again
    when its package is finished. For a merge table with nested tables (`supplier_invoices`
    and its `__vouchers`) dlt then inserts both staged copies, because it picks the rows to
    insert by row key and the copies share it. A `_dlt_id` names one row, so any repeat of it
    is such a copy. DuckDB only (`rowid`); other destinations keep dlt's behaviour.
    """
    if pipeline.destination.destination_name != "duckdb":
        return
    with pipeline.sql_client() as sql:
        tables = [
            row[0]
            for row in sql.execute_sql(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = %s AND column_name = '_dlt_id'",
                pipeline.dataset_name,
            )
            or ()
        ]
        for table_name in tables:
            table = sql.make_qualified_table_name(table_name)
            sql.execute_sql(
                f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM (SELECT rowid,"
                f" row_number() OVER (PARTITION BY _dlt_id) AS copy FROM {table}) WHERE copy > 1)"
            )


def _sie_cleanup_marker(pipeline: dlt.Pipeline) -> Path:
    """Present while a load's superseded SIE rows may not have been removed yet.

    Made before each load and removed once `_drop_superseded_sie_rows` ran after it; a run
    that finds it (the one before was killed in between), or that finished an earlier run's
    package or replaced its local state (the working folder cannot say what was cleaned),
    removes superseded rows of every year of the company before it extracts.
    """
    return Path(pipeline.pipelines_dir) / f"{pipeline.pipeline_name}.sie_cleanup"


def _drop_superseded_sie_rows(
    pipeline: dlt.Pipeline, company_id: str, years: Sequence[str] | None = None
) -> None:
    """Remove SIE rows of the company's years that a newer export of that year replaced.

    A year is replaced as a unit by merge key, but dlt deletes only where the new load has
    rows: a table that is empty in the new export (no findings this time) would keep the old
    file's rows. `sie_files` always has the year's current file, so every other table keeps
    only the rows of that file. Only this company's rows: only its own loads supersede them,
    and a portfolio's nightly run would otherwise scan every company's rows once per company.

    Args:
        years: only these financial years (after a run's own load, the years whose file it
            brought: a night whose exports were all unchanged deletes nothing and scans no
            SIE table); None: every year of the company.
    """
    if years is not None and not years:
        return
    with pipeline.sql_client() as sql:
        if not sql.has_dataset():
            return
        files = sql.make_qualified_table_name("sie_files")
        only_years, year_parameters = "", []
        if years is not None:
            only_years = f" AND financial_year_id IN ({', '.join(['%s'] * len(years))})"
            year_parameters = [int(year) for year in years]
        for table_name in SIE_TABLES:
            if table_name == "sie_files":
                continue
            table = sql.make_qualified_table_name(table_name)
            # A table (or `sie_files`) not in the warehouse holds nothing to remove: asked by
            # trying, since DuckDB's catalog views cost 30-40 ms a query in a warehouse of a
            # portfolio's tables (measured), more than the deletes.
            with contextlib.suppress(DestinationUndefinedEntity):
                sql.execute_sql(
                    f"DELETE FROM {table} WHERE company_id = %s AND financial_year_id IS NOT NULL"
                    f"{only_years}"
                    f" AND EXISTS (SELECT 1 FROM {files} f WHERE f.company_id = {table}.company_id"
                    f" AND f.financial_year_id = {table}.financial_year_id)"
                    f" AND file_sha256 NOT IN (SELECT f.file_sha256 FROM {files} f"
                    f" WHERE f.company_id = {table}.company_id"
                    f" AND f.financial_year_id = {table}.financial_year_id)",
                    company_id,
                    *year_parameters,
                )


def _sie_file_digests(pipeline: dlt.Pipeline) -> dict[str, str | None]:
    """Financial year -> sha256 of the SIE file the company's state says is loaded."""
    return {
        str(entry["financial_year_id"]): entry["sha256"] for entry in _loaded_sie_files(pipeline)
    }


def _new_sie_files(before: dict[str, str | None], pipeline: dlt.Pipeline) -> list[str]:
    """The financial years whose SIE file a load brought: a digest new or changed since
    `before` (a file loaded again unchanged supersedes nothing)."""
    after = _sie_file_digests(pipeline)
    return sorted(year for year, sha256 in after.items() if before.get(year) != sha256)


def _loaded_sie_files(pipeline: dlt.Pipeline) -> list[dict[str, Any]]:
    years = pipeline.state.get("sources", {}).get("fortnox", {}).get("resources", {})
    loaded = years.get("sie", {}).get("years", {})
    return [
        {"financial_year_id": int(year_id), "sha256": entry["sha256"], "final": entry["final"]}
        for year_id, entry in sorted(loaded.items(), key=lambda item: int(item[0]))
    ]


def requests_since(
    client: FortnoxClient, baseline: dict[str, dict[str, int | float]]
) -> dict[str, ResourceMetrics]:
    """Per resource: requests, 429s, retries, bytes and seconds since `baseline` (a
    `client.stats.as_dict()` taken earlier; one client's counters may span several runs)."""
    totals: dict[str, ResourceMetrics] = {}
    for endpoint, now in client.stats.as_dict().items():
        earlier = baseline.get(endpoint, {})
        metrics = totals.setdefault(resource_of_endpoint(endpoint), ResourceMetrics())
        metrics.requests += int(now["requests"]) - int(earlier.get("requests", 0))
        metrics.throttled += int(now["rate_limited"]) - int(earlier.get("rate_limited", 0))
        metrics.retries += int(now["retries"]) - int(earlier.get("retries", 0))
        metrics.bytes += int(now["bytes"]) - int(earlier.get("bytes", 0))
        metrics.seconds += float(now["seconds"]) - float(earlier.get("seconds", 0.0))
    return totals


def _fill_metrics(
    summary: RunSummary,
    client: FortnoxClient,
    before: dict[str, dict[str, int | float]],
    counter: _RowCounter,
) -> None:
    """The run's per-resource request metrics and extracted rows."""
    summary.resources.update(requests_since(client, before))
    for name, rows in counter.rows.items():
        summary.resources.setdefault(name, ResourceMetrics()).rows = rows


def _describe(error: BaseException) -> str:
    """A one-line description of a failure, from the root cause (dlt wraps step failures)."""
    root = unwrap(error)
    return f"{type(root).__name__}: {root}"[:500]


def unwrap(error: BaseException) -> BaseException:
    """The exception that really failed a run, out of dlt's step-failure wrappers."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = getattr(error, "exception", None) if isinstance(error, PipelineStepFailed) else None
        inner = inner or error.__cause__ or getattr(error, "__context__", None)
        if inner is None or isinstance(error, (KeyboardInterrupt, SystemExit)):
            break
        if type(error).__module__.startswith("dlt") or _closing_artifact(error):
            error = inner
            continue
        break
    return error


def _closing_artifact(error: BaseException) -> bool:
    """dlt closing its pipes after a resource failed, while another resource's generator was
    still running in a worker thread (a request in flight): the `ValueError` of that close,
    raised while handling the `GeneratorExit` of the close, hides the failure that started it,
    which is at the end of their `__context__`."""
    closing = isinstance(error, GeneratorExit) or (
        isinstance(error, ValueError) and str(error) == "generator already executing"
    )
    return closing and error.__context__ is not None


def run_row(summary: RunSummary) -> dict[str, Any]:
    """The run's `load_runs` row."""
    return {
        "run_id": summary.run_id,
        "profile": summary.profile,
        "company_id": summary.company_id,
        "started_at": summary.started_at,
        "ended_at": summary.ended_at,
        "outcome": summary.outcome,
        "error": summary.error,
        "requests": summary.requests,
        "rows": summary.rows,
        "resources": json.dumps(
            {name: asdict(metrics) for name, metrics in summary.resources.items()}
        ),
        "sie_files": json.dumps(summary.sie_files),
        "skipped": json.dumps(summary.skipped),
        "archive_enabled": summary.archive_dir is not None,
        "archive_dir": str(summary.archive_dir) if summary.archive_dir is not None else None,
        "notes": json.dumps(summary.notes),
    }


def _record_run(summary: RunSummary, journal: RunJournal, recording: dict[str, Any]) -> None:
    """Write the run to `load_runs`, else leave it in the journal for the next run to record.

    Never raises: when the warehouse itself is what failed, the run's own error is what the
    user must see, not a second one from recording it.
    """
    row = run_row(summary)
    try:
        record_runs([row], **recording)
    except Exception:
        with contextlib.suppress(OSError):
            journal.write(row)
        return
    journal.remove(summary.run_id)
    # Runs refused while this one held the lock are recorded now, not a night later.
    fold_journal(journal, **recording)


def record_refused_run(
    target: WarehouseTarget,
    *,
    profile: str,
    started_at: datetime,
    error: BaseException,
    company_id: str | None = None,
) -> None:
    """Record a run that could not start (lock held, no login, bad configuration).

    Into the journal first; then, when the warehouse can be written now, into `load_runs`.
    Never raises: the user must see why the run could not start, not why recording failed.
    """
    summary = RunSummary(
        run_id=uuid.uuid4().hex,
        profile=profile,
        company_id=company_id or UNKNOWN_COMPANY,
        started_at=started_at,
        ended_at=datetime.now(STOCKHOLM),
        outcome="refused",
        error=_describe(error),
    )
    journal = RunJournal(target.working_dir)
    try:
        journal.write(run_row(summary))
        with hold_writer_lock(target.working_dir, target.describe(), command=f"run {profile}"):
            if target.duckdb_path is not None:
                open_warehouse(target.duckdb_path).close()
            with qualified_names(target), scratch_in(target.working_dir):
                fold_journal(
                    journal,
                    destination=target.dlt_destination(),
                    dataset=target.dataset,
                    working_dir=target.working_dir,
                    warehouse_file=target.duckdb_path,
                )
    except Exception:
        pass

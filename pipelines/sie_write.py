"""A company's books for a period, read from the warehouse, ready for the SIE 4 writer.

The rows come from the file the models use for that company and year (`int_sie_files_chosen`'s
rule: latest generated, then latest loaded), so a generated file says what the reports say,
whatever program the books came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from pipelines.exit_codes import ExitCode
from pipelines.sie_export import ExportError, LoadedSieFile, loaded_sie_files
from sources.sie.tables import ROW_KEYS, SCHEMAS
from sources.sie.writer import SieBooks, SieWriteError

_OBJECTS_TYPE = "STRUCT(dimension INTEGER, object_id VARCHAR)[]"


@dataclass(frozen=True)
class WarehouseBooks:
    """Books for a period and the loaded file they were read from."""

    books: SieBooks
    source: LoadedSieFile


def _file_tables(
    connection: duckdb.DuckDBPyConnection, source: LoadedSieFile
) -> dict[str, pa.Table]:
    """One file's rows of every SIE table, in the contract's columns and types."""
    tables: dict[str, pa.Table] = {}
    for name, schema in SCHEMAS.items():
        if name == "sie_findings":
            continue
        columns = ", ".join(
            f'cast("{f.name}" as {_OBJECTS_TYPE}) as "{f.name}"'
            if f.name == "objects"
            else f'"{f.name}"'
            for f in schema
        )
        # Row order is file order where the table keeps it, else a fixed one (same bytes twice).
        key = ROW_KEYS[name]
        order = " order by " + ", ".join(f'"{c}"' for c in key) if key else ""
        try:
            table = connection.execute(
                f"select {columns} from {name} where company_id = ? and file_sha256 = ?{order}",
                [source.company_id, source.file_sha256],
            ).to_arrow_table()
        except duckdb.CatalogException:
            table = schema.empty_table()  # a table no file of this warehouse had rows for
        tables[name] = table
    return tables


def books_from_warehouse(
    connection: duckdb.DuckDBPyConnection,
    dataset: str,
    *,
    company_ids: Sequence[str],
    first_day: date,
    last_day: date,
) -> WarehouseBooks:
    """The books of a company from `first_day` to `last_day`, inside one financial year.

    Args:
        company_ids: the company's ids, preferred first (`pipelines.companies.Company`): a
            year loaded both by `run` and by `sie load` is read from the first id's file.

    Raises:
        ExportError: no loaded year of the company holds the period (NOT_FOUND), or the period
            spans two financial years (BAD_INPUT).
    """
    files = [f for f in loaded_sie_files(connection, dataset) if f.chosen]
    company = ", ".join(company_ids)
    of_company = sorted(
        (f for f in files if f.company_id in company_ids),
        key=lambda f: company_ids.index(f.company_id),
    )
    if not of_company:
        known = sorted({f.company_id for f in files})
        raise ExportError(
            f"no SIE rows of company {company} in the warehouse",
            ExitCode.NOT_FOUND,
            f"companies loaded: {', '.join(known) or 'none'}",
        )
    holding = [
        f
        for f in of_company
        if f.year_start is not None
        and f.year_end is not None
        and f.year_start <= first_day <= f.year_end
    ]
    if not holding:
        years = ", ".join(f"{f.year_start}..{f.year_end}" for f in of_company if f.year_start)
        raise ExportError(
            f"no loaded financial year of company {company} holds {first_day}",
            ExitCode.NOT_FOUND,
            f"years loaded: {years or 'none with #RAR'}",
        )
    source = holding[0]
    try:
        books = SieBooks.from_tables(_file_tables(connection, source)).for_period(
            first_day, last_day
        )
    except SieWriteError as error:
        raise ExportError(str(error), ExitCode.BAD_INPUT) from None
    return WarehouseBooks(books=books, source=source)

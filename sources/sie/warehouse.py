"""Write one parsed SIE file into a DuckDB warehouse in one transaction: wholly in or wholly out.

The tables are the same ones `run` fills through dlt (same names, same columns, plus the Fortnox
`financial_year_id`, null for files loaded by hand; dlt adds no `_dlt_*` columns to Arrow rows),
so files from other programs and a Fortnox company share one warehouse and one schema in any
order. Replacing a file is a `DELETE ... WHERE file_sha256 = ?` (a filtered scan, never a join
over the whole table) followed by its inserts, inside one transaction: a SIGKILL at any moment
leaves DuckDB's write-ahead log with an uncommitted transaction, which DuckDB discards when the
file is next opened.

Why not dlt here: dlt commits each table's load job separately (a kill between jobs left a file
half-loaded), keeps its package in a working folder, and its merge deletes by joining the new
rows against the whole table (a second load of a 200,000-voucher file took 20 GB). The dlt
source in `source.py` remains for other destinations.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pyarrow as pa

from sources.sie.checks import WARNING
from sources.sie.prefetch import read_ahead
from sources.sie.reader import SieFile, SieStream
from sources.sie.tables import KEY_COLUMNS, SCHEMAS, TABLE_NAMES

# Columns the dlt-loaded (`run`) rows carry besides the contract's: present in every table so
# either loader can create the tables and the other can write to them.
_EXTRA_COLUMNS = {"financial_year_id": "BIGINT"}
# `run` makes its replace key NOT NULL; rows loaded by hand have no Fortnox year.
_NULLABLE_KEYS = ("financial_year_id", "company_id", "company_key", "_dlt_load_id", "_dlt_id")


DUCKDB_MEMORY_LIMIT = "64MB"
DUCKDB_THREADS = 1


@dataclass(frozen=True)
class WriteResult:
    """What writing one file did: `loaded`, or `skipped` with the reason."""

    status: str
    reason: str | None = None
    findings_added: int = 0


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type dlt gives an Arrow column, so both loaders create the same table."""
    if pa.types.is_string(arrow_type):
        return "VARCHAR"
    if pa.types.is_int64(arrow_type):
        return "BIGINT"
    if pa.types.is_int32(arrow_type):
        return "INTEGER"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_date32(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP WITH TIME ZONE"
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_list(arrow_type):
        return "JSON"  # dlt stores nested values as JSON in DuckDB
    raise TypeError(f"no DuckDB type for {arrow_type}")


class SieWarehouse:
    """The SIE tables of one dataset in one open DuckDB connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, dataset: str) -> None:
        self.connection = connection
        self.dataset = dataset
        [(catalog,)] = connection.execute("SELECT current_database()").fetchall()
        # Fully qualified names: in `fortnox.duckdb` the name `fortnox.sie_files` is ambiguous
        # (catalog or schema), so the catalog is always named.
        self.prefix = f'"{catalog}"."{dataset}"'

    def table(self, name: str) -> str:
        return f'{self.prefix}."{name}"'

    def ensure_tables(self) -> None:
        """Create the schema and tables, or bring tables another loader made up to date.

        A table `run` created marks `financial_year_id` NOT NULL (its replace key); files loaded
        by hand have none, so the constraint is dropped. An account column of an older
        warehouse is turned to text (its numbers were already stored without leading zeros).
        """
        con = self.connection
        # DuckDB's default memory limit is 80 % of RAM and it keeps a transaction's new blocks
        # in memory up to that limit; a bound makes it write them out (the file's rows go in
        # one transaction, so the bound, not the file, decides the peak).
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        # One DuckDB thread: the reader's thread parses the next chunk while DuckDB writes
        # this one, so the two already share the machine's cores; a second DuckDB thread only
        # waits for work (measured on 2 cores under load: 9.4 s of CPU for a 34 MB file with
        # DuckDB's default, 5.7 s with one thread, and less wall time too).
        con.execute(f"SET threads = {DUCKDB_THREADS}")
        # One transaction: a kill while the tables are made leaves all of them or none.
        con.execute("BEGIN TRANSACTION")
        try:
            self._ensure_tables()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _ensure_tables(self) -> None:
        con = self.connection
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {self.prefix}")
        for name, schema in SCHEMAS.items():
            existing = {
                column: (data_type, nullable)
                for column, data_type, nullable in con.execute(
                    "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
                    " WHERE table_schema = ? AND table_name = ?",
                    [self.dataset, name],
                ).fetchall()
            }
            wanted = {f.name: duckdb_type(f.type) for f in schema} | _EXTRA_COLUMNS
            if not existing:
                columns = ", ".join(f'"{column}" {kind}' for column, kind in wanted.items())
                con.execute(f"CREATE TABLE {self.table(name)} ({columns})")
                continue
            for column, kind in wanted.items():
                if column not in existing:
                    con.execute(f'ALTER TABLE {self.table(name)} ADD COLUMN "{column}" {kind}')
                elif column == "account_number" and existing[column][0] != "VARCHAR":
                    con.execute(
                        f'ALTER TABLE {self.table(name)} ALTER COLUMN "{column}" TYPE VARCHAR'
                    )
            for column in _NULLABLE_KEYS:
                if existing.get(column, ("", "YES"))[1] == "NO":
                    con.execute(
                        f'ALTER TABLE {self.table(name)} ALTER COLUMN "{column}" DROP NOT NULL'
                    )

    def loaded_by_run(self, file_sha256: str) -> int | None:
        """The Fortnox financial year a `run` loaded this very file as, else None."""
        row = self.connection.execute(
            f"SELECT financial_year_id FROM {self.table('sie_files')}"
            " WHERE file_sha256 = ? AND financial_year_id IS NOT NULL LIMIT 1",
            [file_sha256],
        ).fetchone()
        return None if row is None else int(row[0])

    def write(self, stream: SieStream) -> tuple[WriteResult, SieFile | None]:
        """Replace the file's rows (if loaded before by hand) with its rows, in one transaction.

        The vouchers and rows go in chunk by chunk as `stream` parses them, so memory is
        bounded by a chunk; a `SieError` in any chunk rolls everything back and is raised.

        Returns:
            What was done, and the parsed file (None when skipped before parsing).
        """
        year_id = self.loaded_by_run(stream.file_sha256)
        if year_id is not None:
            reason = f"already in the warehouse from `run` (financial year {year_id})"
            return WriteResult("skipped", reason), None
        con = self.connection
        con.execute("BEGIN TRANSACTION")
        try:
            for name in TABLE_NAMES:
                con.execute(
                    f"DELETE FROM {self.table(name)} WHERE file_sha256 = ?"
                    " AND financial_year_id IS NULL",
                    [stream.file_sha256],
                )
            body_company = self._insert_body(stream)
            sie_file = stream.finish()
            if body_company is not None and body_company[0] != sie_file.company_id:
                # An #ORGNR after the first vouchers (unusual): the rows follow the header.
                for name in ("sie_vouchers", "sie_voucher_rows"):
                    con.execute(
                        f"UPDATE {self.table(name)} SET company_id = ?, company_key = ?"
                        " WHERE file_sha256 = ? AND financial_year_id IS NULL",
                        [sie_file.company_id, sie_file.company_key, stream.file_sha256],
                    )
            tables = sie_file.tables()
            for name in TABLE_NAMES:
                self._insert(name, tables[name])
            tables.clear()
            added = self._insert_findings(self.closing_balance_findings(sie_file), sie_file)
            self.refresh_current_files(sie_file.company_id)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return WriteResult("loaded", findings_added=added), sie_file

    def _insert_body(self, stream: SieStream) -> tuple[str, str | None] | None:
        """Stream the file's voucher rows into one INSERT and its vouchers into another.

        One INSERT per table, fed chunk by chunk through an Arrow stream: several INSERTs into
        one table in one transaction leave part-filled row groups that DuckDB rewrites when it
        checkpoints (measured: 1.8 s of closing after 130,000-row INSERTs of a 34 MB file,
        0.05 s after one). The rows go in while the next chunk is parsed (`read_ahead`); the
        vouchers (a fifth of the rows) wait in an unnamed temporary file, never in memory, so
        memory stays bounded by a few chunks whatever the file's size.

        Returns:
            The company (id, key) the rows were written as (None when the file has no
            vouchers).
        """
        body = stream.body()
        first = next(body, None)
        if first is None:
            return None
        company = (stream.company_id, stream.company_key)  # the header came with chunk one
        keys = [stream.file_sha256, *company]
        failure: list[BaseException] = []
        with tempfile.TemporaryFile(prefix="sie-vouchers-") as spill:
            spill_writer = pa.ipc.new_stream(spill, _bare_schema("sie_vouchers"))

            def rows() -> Iterator[pa.RecordBatch]:
                try:
                    for name, table in itertools.chain([first], read_ahead(body)):
                        if name == "sie_vouchers":
                            spill_writer.write_table(table)
                        else:
                            yield from table.to_batches()
                except BaseException as error:  # DuckDB would turn it into its own error
                    failure.append(error)
                    raise

            reader = pa.RecordBatchReader.from_batches(_bare_schema("sie_voucher_rows"), rows())
            try:
                self._insert_stream("sie_voucher_rows", reader, keys)
            except duckdb.Error:
                if failure:
                    raise failure[0] from None
                raise
            if failure:
                raise failure[0]
            spill_writer.close()
            spill.seek(0)
            self._insert_stream("sie_vouchers", pa.ipc.open_stream(spill), keys)
        return company

    def _insert_stream(
        self, name: str, reader: pa.RecordBatchReader, keys: list[str | None]
    ) -> None:
        """One INSERT of everything `reader` yields; the keys (file_sha256, company_id,
        company_key) are added as constants, far cheaper than a column of the same string."""
        new_rows = reader  # noqa: F841 - read by DuckDB through the name
        self.connection.execute(
            f"INSERT INTO {self.table(name)} BY NAME"
            " SELECT *, ? AS file_sha256, ? AS company_id, ?::VARCHAR AS company_key"
            " FROM new_rows",
            keys,
        )

    def _insert(self, name: str, table: pa.Table) -> None:
        """Append an Arrow table that carries its key columns."""
        if table.num_rows == 0:
            return
        # DuckDB reads the local `new_rows` by a replacement scan. A registered view of the
        # same table costs about 190 MB more at peak over a 200,000-voucher file (measured).
        new_rows = table  # noqa: F841 - read by DuckDB through the name
        self.connection.execute(f"INSERT INTO {self.table(name)} BY NAME SELECT * FROM new_rows")

    def _insert_findings(
        self,
        findings: list[tuple[str, str, Decimal | None, Decimal | None, str]],
        sie_file: SieFile,
    ) -> int:
        if not findings:
            return 0
        rows = [
            {
                "file_sha256": sie_file.file_sha256,
                "company_id": sie_file.company_id,
                "company_key": sie_file.company_key,
                "check": "closing_balance_differs",
                "subject": account,
                "line_no": None,
                "expected": expected,
                "actual": actual,
                "severity": WARNING,
                "message": message,
            }
            for account, message, expected, actual, _ in findings
        ]
        self._insert("sie_findings", pa.Table.from_pylist(rows, SCHEMAS["sie_findings"]))
        return len(rows)

    def closing_balance_findings(
        self, sie_file: SieFile
    ) -> list[tuple[str, str, Decimal | None, Decimal | None, str]]:
        """Accounts whose closing balance (#UB 0) differs between this file and another file of
        the same company and year already in the warehouse: (account, message, theirs, ours)."""
        if sie_file.year_start is None:
            return []
        others = self.connection.execute(
            f"SELECT file_sha256, file_name FROM {self.table('sie_files')}"
            " WHERE company_id = ? AND year_start = ? AND file_sha256 <> ?",
            [sie_file.company_id, sie_file.year_start, sie_file.file_sha256],
        ).fetchall()
        if not others:
            return []
        ours = self._closing_balances(sie_file.file_sha256)
        findings = []
        for other_sha, other_name in others:
            theirs = self._closing_balances(other_sha)
            for account in sorted(set(ours) | set(theirs)):
                if ours.get(account) != theirs.get(account):
                    findings.append(
                        (
                            account,
                            f"closing balance (#UB 0) of {account} differs from {other_name} "
                            f"(sha256 {other_sha[:12]}), another file of the same year",
                            theirs.get(account),
                            ours.get(account),
                            other_sha,
                        )
                    )
        return findings

    def _closing_balances(self, file_sha256: str) -> dict[str, Decimal]:
        return dict(
            self.connection.execute(
                f"SELECT account_number, sum(amount) FROM {self.table('sie_balances')}"
                " WHERE file_sha256 = ? AND record = 'UB' AND year_index = 0"
                " AND dimension IS NULL GROUP BY account_number",
                [file_sha256],
            ).fetchall()
        )

    def refresh_current_files(self, company_id: str | None = None) -> None:
        """Mark each company's current file per financial year in `sie_files.is_current`.

        The rule (also the models'): the latest generated (#GEN), then the latest loaded, then
        the smallest sha256; a file without #RAR 0 is a year of its own.
        """
        files = self.table("sie_files")
        where = "WHERE company_id = ?" if company_id is not None else ""
        self.connection.execute(
            f"""
            UPDATE {files} SET is_current = ranked.recency = 1
            FROM (
                SELECT file_sha256, company_id, row_number() OVER (
                    PARTITION BY company_id, coalesce(CAST(year_start AS VARCHAR), file_sha256)
                    ORDER BY generated_on DESC NULLS LAST, loaded_at DESC NULLS LAST, file_sha256
                ) AS recency
                FROM {files} {where}
            ) AS ranked
            WHERE {files}.file_sha256 = ranked.file_sha256
                AND {files}.company_id = ranked.company_id
            """,
            [company_id] if company_id is not None else [],
        )


def _bare_schema(name: str) -> pa.Schema:
    """A table's contract schema without the key columns (the reader's chunks)."""
    return pa.schema([f for f in SCHEMAS[name] if f.name not in KEY_COLUMNS])


def table_row_counts(files: Iterable[SieFile]) -> dict[str, int]:
    """Rows per table over `files` (a file repeated by sha256 counted once)."""
    counts = dict.fromkeys(TABLE_NAMES, 0)
    for sie_file in {f.file_sha256: f for f in files}.values():
        for name, count in sie_file.row_counts().items():
            counts[name] += count
    return counts

"""Hand-built raw tables for the model tests: small books whose every figure is computed by hand.

The tables follow the loaders' contracts (issue 4's `sie_*` tables, issue 5's API tables) but are
created with plain SQL, so these tests do not depend on the loaders and run in milliseconds.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import DEFAULT_DATASET, BuildReport, build_models

DATASET = DEFAULT_DATASET
COMPANY = "acme"

_RAW_TABLES: dict[str, str] = {
    "sie_files": """
        company_id varchar, file_sha256 varchar, financial_year_id bigint, file_name varchar,
        size_bytes bigint, detected_encoding varchar, sie_type varchar, program varchar,
        program_version varchar, generated_on date, company_name varchar, org_number varchar,
        fortnox_customer_id varchar, year_start date, year_end date, checksum_status varchar,
        loaded_at timestamptz, _dlt_load_id varchar, _dlt_id varchar""",
    "sie_accounts": """
        company_id varchar, file_sha256 varchar, account_number bigint, account_name varchar,
        account_type varchar, unit varchar, sru_codes varchar, _dlt_load_id varchar,
        _dlt_id varchar""",
    "sie_balances": """
        company_id varchar, file_sha256 varchar, record varchar, year_index bigint,
        year_start date, year_end date, period varchar, account_number bigint, dimension varchar,
        object_id varchar, amount decimal(18, 2), quantity decimal(18, 2),
        _dlt_load_id varchar, _dlt_id varchar""",
    "sie_vouchers": """
        company_id varchar, file_sha256 varchar, series varchar, voucher_number bigint,
        voucher_date date, text varchar, registration_date date, signature varchar,
        _dlt_load_id varchar, _dlt_id varchar""",
    "sie_voucher_rows": """
        company_id varchar, file_sha256 varchar, series varchar, voucher_number bigint,
        row_no bigint, line_no bigint, row_type varchar, account_number bigint,
        cost_center varchar, project varchar, objects varchar, amount decimal(18, 2),
        transaction_date date, text varchar, quantity decimal(18, 2), signature varchar,
        _dlt_load_id varchar, _dlt_id varchar""",
}


def raw(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    """The raw table's name qualified with the catalog (a `fortnox.duckdb` file is a catalog
    possibly named like the dataset, so a bare `<dataset>.<table>` could be ambiguous)."""
    row = connection.execute("select current_database()").fetchone()
    assert row is not None
    return f'"{row[0]}".{DATASET}.{table}'


def create_sie_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the empty `sie_*` raw tables in the dataset schema."""
    connection.execute(f"create schema if not exists {raw(connection, '')[:-1]}")
    for table, columns in _RAW_TABLES.items():
        connection.execute(f"create table if not exists {raw(connection, table)} ({columns})")


def add_sie_file(
    connection: duckdb.DuckDBPyConnection,
    *,
    file_sha256: str,
    year: tuple[date, date] | None,
    generated_on: date,
    vouchers: Sequence[tuple[str, int, date, Sequence[tuple[int, str] | tuple[int, str, str]]]],
    balances: Sequence[tuple[str, int, int, str]] = (),
    accounts: Sequence[tuple[int, str]] = (),
    company_id: str = COMPANY,
    financial_year_id: int | None = None,
) -> None:
    """Insert one SIE file's rows.

    Args:
        connection: The test warehouse.
        file_sha256: The file's key.
        year: `#RAR 0` (start, end), or None for a 4I file.
        generated_on: `#GEN`.
        vouchers: (series, number, date, rows); a row is (account, amount) for #TRANS or
            (account, amount, row_type).
        balances: (record, year_index, account, amount).
        accounts: (account, name).
        company_id: The company.
        financial_year_id: Fortnox's financial year id, when fetched from Fortnox.
    """
    create_sie_tables(connection)
    year_start, year_end = year if year else (None, None)
    connection.execute(
        f"insert into {raw(connection, 'sie_files')} (company_id, file_sha256, financial_year_id,"
        " file_name, program, generated_on, year_start, year_end, loaded_at)"
        " values (?, ?, ?, ?, 'test', ?, ?, ?, now())",
        [
            company_id,
            file_sha256,
            financial_year_id,
            f"{file_sha256}.se",
            generated_on,
            year_start,
            year_end,
        ],
    )
    for account, name in accounts:
        connection.execute(
            f"insert into {raw(connection, 'sie_accounts')} (company_id, file_sha256,"
            " account_number, account_name) values (?, ?, ?, ?)",
            [company_id, file_sha256, account, name],
        )
    for record, year_index, account, amount in balances:
        connection.execute(
            f"insert into {raw(connection, 'sie_balances')} (company_id, file_sha256, record,"
            " year_index, account_number, amount) values (?, ?, ?, ?, ?, ?)",
            [company_id, file_sha256, record, year_index, account, Decimal(amount)],
        )
    for series, number, voucher_date, rows in vouchers:
        connection.execute(
            f"insert into {raw(connection, 'sie_vouchers')} (company_id, file_sha256, series,"
            " voucher_number, voucher_date, text) values (?, ?, ?, ?, ?, ?)",
            [company_id, file_sha256, series, number, voucher_date, f"{series}{number}"],
        )
        for row_no, row in enumerate(rows, start=1):
            account, amount = row[0], row[1]
            row_type = row[2] if len(row) > 2 else "TRANS"
            connection.execute(
                f"insert into {raw(connection, 'sie_voucher_rows')} (company_id, file_sha256,"
                " series, voucher_number, row_no, row_type, account_number, amount,"
                " transaction_date) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    company_id,
                    file_sha256,
                    series,
                    number,
                    row_no,
                    row_type,
                    account,
                    Decimal(amount),
                    voucher_date,
                ],
            )


YEAR_2024 = (date(2024, 1, 1), date(2024, 12, 31))

# The books of `acme` for 2024, by hand:
#   IB 1930 10 000, 2099 -10 000
#   C1 2024-01-15 invoice 1:  1510 +12 500, 3001 -10 000, 2611 -2 500
#   D1 2024-02-10 payment 1:  1930 +12 500, 1510 -12 500 (and a struck #BTRANS on 6110)
#   B1 2024-03-05 supplier 1: 4010 +4 000, 2641 +1 000, 2440 -5 000
#   C2 2024-03-20 invoice 2:  1510 +1 000, 3001 -800, 2611 -200 (due 2024-04-19, never paid)
#   A1 2024-03-31 manual:     1510 +300, 3001 -300 (an AR difference: no invoice behind it)
ACME_2024_VOUCHERS = [
    ("C", 1, date(2024, 1, 15), [(1510, "12500"), (3001, "-10000"), (2611, "-2500")]),
    ("D", 1, date(2024, 2, 10), [(1930, "12500"), (1510, "-12500"), (6110, "500", "BTRANS")]),
    ("B", 1, date(2024, 3, 5), [(4010, "4000"), (2641, "1000"), (2440, "-5000")]),
    ("C", 2, date(2024, 3, 20), [(1510, "1000"), (3001, "-800"), (2611, "-200")]),
    ("A", 1, date(2024, 3, 31), [(1510, "300"), (3001, "-300")]),
]
ACME_2024_BALANCES = [
    ("IB", 0, 1930, "10000"),
    ("IB", 0, 2099, "-10000"),
    ("UB", 0, 1930, "22500"),
    ("UB", 0, 2099, "-10000"),
    ("UB", 0, 1510, "1300"),
    ("UB", 0, 2440, "-5000"),
    ("UB", 0, 2611, "-2700"),
    ("UB", 0, 2641, "1000"),
    ("RES", 0, 3001, "-11100"),
    ("RES", 0, 4010, "4000"),
]
ACME_ACCOUNTS = [
    (1510, "Kundfordringar"),
    (1930, "Företagskonto"),
    (2099, "Årets resultat"),
    (2440, "Leverantörsskulder"),
    (2611, "Utgående moms 25 %"),
    (2641, "Debiterad ingående moms"),
    (3001, "Försäljning 25 %"),
    (4010, "Inköp"),
    (6110, "Kontorsmateriel"),
]


def add_acme_2024(connection: duckdb.DuckDBPyConnection, **overrides: object) -> None:
    """The `acme` 2024 books above, chosen file `acme-2024-dec` (generated 2024-12-31)."""
    arguments: dict[str, object] = {
        "file_sha256": "acme-2024-dec",
        "year": YEAR_2024,
        "generated_on": date(2024, 12, 31),
        "vouchers": ACME_2024_VOUCHERS,
        "balances": ACME_2024_BALANCES,
        "accounts": ACME_ACCOUNTS,
        "financial_year_id": 7,
    }
    arguments.update(overrides)
    add_sie_file(connection, **arguments)  # type: ignore[arg-type]


_API_TABLES: dict[str, str] = {
    "invoices": """
        company_id varchar, document_number bigint, customer_number varchar,
        customer_name varchar, invoice_date varchar, due_date varchar, final_pay_date varchar,
        currency varchar, currency_rate varchar, total double, balance double, booked boolean,
        cancelled boolean, invoice_type varchar, voucher_series varchar, voucher_number bigint,
        voucher_year bigint""",
    "invoice_payments": """
        company_id varchar, number varchar, invoice_number bigint, amount double,
        amount_currency double, currency varchar, currency_rate double, payment_date varchar,
        booked boolean, voucher_series varchar, voucher_number bigint, voucher_year bigint""",
    "supplier_invoices": """
        company_id varchar, given_number bigint, supplier_number varchar, supplier_name varchar,
        invoice_number varchar, invoice_date varchar, due_date varchar, currency varchar,
        currency_rate varchar, total varchar, balance varchar, booked boolean, cancel boolean,
        credit boolean, voucher_series varchar, voucher_number bigint, voucher_year bigint""",
    "supplier_invoice_payments": """
        company_id varchar, number bigint, invoice_number varchar, amount double,
        currency varchar, currency_rate double, payment_date varchar, booked boolean""",
    "predefined_accounts": "company_id varchar, name varchar, account bigint",
    "customers": "company_id varchar, customer_number varchar, name varchar",
    "suppliers": "company_id varchar, supplier_number varchar, name varchar",
}


def add_acme_api_tables(
    connection: duckdb.DuckDBPyConnection,
    *,
    locked_through: Sequence[tuple[str, str]] = (
        ("2024-01-31", "2024-02-05 08:00:00+00"),
        ("2024-02-29", "2024-03-10 08:00:00+00"),
    ),
    company_id: str = COMPANY,
) -> None:
    """Fortnox API tables behind acme's 2024 books, typed the loose way the API sends them.

    Invoice 1 (12 500, paid 2024-02-10) and invoice 2 (1 000, due 2024-04-19, open) are booked;
    invoice 3 is an unbooked draft and invoice 4 is cancelled, so neither is in the subledger.
    Supplier invoice 1 (5 000, due 2024-04-04) is open. Locked period: through 2024-02-29 (seen
    last; an earlier observation said 2024-01-31).
    """
    connection.execute(f"create schema if not exists {raw(connection, '')[:-1]}")
    for table, columns in _API_TABLES.items():
        connection.execute(f"create table if not exists {raw(connection, table)} ({columns})")
    connection.execute(
        f"create table if not exists {raw(connection, 'locked_period')}"
        " (company_id varchar, end_date varchar, seen_at timestamptz)"
    )
    rows = [
        (
            "invoices",
            [
                (
                    company_id,
                    1,
                    "10",
                    "Kund AB",
                    "2024-01-15",
                    "2024-02-14",
                    "2024-02-10",
                    "SEK",
                    "1",
                    12500.0,
                    0.0,
                    True,
                    False,
                    "INVOICE",
                    "C",
                    1,
                    7,
                ),
                (
                    company_id,
                    2,
                    "11",
                    "Köpare HB",
                    "2024-03-20",
                    "2024-04-19",
                    None,
                    "SEK",
                    "1",
                    1000.0,
                    1000.0,
                    True,
                    False,
                    "INVOICE",
                    "C",
                    2,
                    7,
                ),
                (
                    company_id,
                    3,
                    "10",
                    "Kund AB",
                    "2024-03-25",
                    "2024-04-24",
                    None,
                    "SEK",
                    "1",
                    999.0,
                    999.0,
                    False,
                    False,
                    "INVOICE",
                    None,
                    None,
                    None,
                ),
                (
                    company_id,
                    4,
                    "10",
                    "Kund AB",
                    "2024-03-26",
                    "2024-04-25",
                    None,
                    "SEK",
                    "1",
                    777.0,
                    777.0,
                    True,
                    True,
                    "INVOICE",
                    None,
                    None,
                    None,
                ),
            ],
        ),
        (
            "invoice_payments",
            [
                (company_id, "1", 1, 12500.0, 12500.0, "SEK", 1.0, "2024-02-10", True, "D", 1, 7),
            ],
        ),
        (
            "supplier_invoices",
            [
                (
                    company_id,
                    1,
                    "20",
                    "Leverantör AB",
                    "F-881",
                    "2024-03-05",
                    "2024-04-04",
                    "SEK",
                    "1",
                    "5000.00",
                    "5000.00",
                    True,
                    False,
                    False,
                    "B",
                    1,
                    7,
                ),
            ],
        ),
        (
            "predefined_accounts",
            [
                (company_id, "CUSTOMERRECEIVABLES", 1510),
                (company_id, "SUPPLIERDEBT", 2440),
                (company_id, "BANK", 1930),
            ],
        ),
        ("customers", [(company_id, "10", "Kund AB"), (company_id, "11", "Köpare HB")]),
        ("suppliers", [(company_id, "20", "Leverantör AB")]),
        ("locked_period", [(company_id, end, seen) for end, seen in locked_through]),
    ]
    for table, values in rows:
        for value in values:
            placeholders = ", ".join("?" for _ in value)
            connection.execute(
                f"insert into {raw(connection, table)} values ({placeholders})", list(value)
            )


def warehouse_file_connection() -> duckdb.DuckDBPyConnection:
    """A connection to an empty DuckDB warehouse file in a folder of its own.

    A file, not an in-memory database: dbt builds the models through a connection of its own,
    which shares a file's database but cannot see another connection's memory.
    """
    folder = Path(tempfile.mkdtemp(prefix="fortnox-models-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return duckdb.connect(str(folder / "warehouse.duckdb"))


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty DuckDB warehouse file."""
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


SIE_SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "sie"


class SampleBook:
    """One sample SIE file read by the SIE reader into a warehouse of its own, models built.

    Read-only for the tests that get it: the same book serves every test of that file.
    """

    def __init__(self, file_name: str) -> None:
        import polars as pl

        from sources.sie.reader import read_sie

        sie = read_sie((SIE_SAMPLES / file_name).read_bytes(), file_name)
        self.file_name = file_name
        self.tables = {name: pl.from_arrow(table) for name, table in sie.tables().items()}
        self.connection = warehouse_file_connection()
        self.connection.execute(f"create schema {DATASET}")
        for table_name, table in sie.tables().items():
            self.connection.register("incoming", table)
            self.connection.execute(
                f"create table {DATASET}.{table_name} as select * from incoming"
            )
            self.connection.unregister("incoming")
        self.report = build_models(self.connection)

    def is_balance_account(self, account: str) -> bool:
        declared = {
            str(row["account_number"]): (row["account_type"] or "").upper()
            for row in self.tables["sie_accounts"].iter_rows(named=True)
        }.get(account, "")
        if declared in ("T", "S"):
            return True
        if declared in ("K", "I"):
            return False
        return account[:1] in ("1", "2")

    def rows(self, sql: str, *parameters: object) -> list[tuple]:  # type: ignore[type-arg]
        return self.connection.execute(sql, list(parameters)).fetchall()


@pytest.fixture(scope="session")
def sie_sample_book() -> Callable[[str], SampleBook]:
    """A sample file's book, built once per worker for every test file that asks for it
    (`test_sie_samples.py` and `test_statements.py` run on one worker: see `SHARED_SETUP`)."""
    books: dict[str, SampleBook] = {}

    def book(file_name: str) -> SampleBook:
        if file_name not in books:
            books[file_name] = SampleBook(file_name)
        return books[file_name]

    return book


ACME_AS_OF = date(2024, 4, 15)


@dataclass(frozen=True)
class BuiltWarehouse:
    """A warehouse with the models built, and the build's report. Read-only for its tests."""

    connection: duckdb.DuckDBPyConnection
    report: BuildReport


def _built_acme(*, api_tables: bool) -> Iterator[BuiltWarehouse]:
    connection = warehouse_file_connection()
    add_acme_2024(connection)
    if api_tables:
        add_acme_api_tables(connection)
    yield BuiltWarehouse(connection, build_models(connection, as_of=ACME_AS_OF))
    connection.close()


@pytest.fixture(scope="session")
def acme_sie_only() -> Iterator[BuiltWarehouse]:
    """acme's 2024 SIE books only (no API tables), built as of 2024-04-15, once per worker."""
    yield from _built_acme(api_tables=False)


@pytest.fixture(scope="session")
def acme_with_api() -> Iterator[BuiltWarehouse]:
    """acme's 2024 SIE books and API tables, built as of 2024-04-15, once per worker."""
    yield from _built_acme(api_tables=True)

"""Hand-built raw tables for the model tests: small books whose every figure is computed by hand.

The tables follow the loaders' contracts (issue 4's `sie_*` tables, issue 5's API tables) but are
created with plain SQL, so these tests do not depend on the loaders and run in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

DATASET = "fortnox"
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


def create_sie_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the empty `sie_*` raw tables in the dataset schema."""
    connection.execute(f"create schema if not exists {DATASET}")
    for table, columns in _RAW_TABLES.items():
        connection.execute(f"create table if not exists {DATASET}.{table} ({columns})")


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
        f"insert into {DATASET}.sie_files (company_id, file_sha256, financial_year_id, file_name,"
        " program, generated_on, year_start, year_end, loaded_at)"
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
            f"insert into {DATASET}.sie_accounts (company_id, file_sha256, account_number,"
            " account_name) values (?, ?, ?, ?)",
            [company_id, file_sha256, account, name],
        )
    for record, year_index, account, amount in balances:
        connection.execute(
            f"insert into {DATASET}.sie_balances (company_id, file_sha256, record, year_index,"
            " account_number, amount) values (?, ?, ?, ?, ?, ?)",
            [company_id, file_sha256, record, year_index, account, Decimal(amount)],
        )
    for series, number, voucher_date, rows in vouchers:
        connection.execute(
            f"insert into {DATASET}.sie_vouchers (company_id, file_sha256, series,"
            " voucher_number, voucher_date, text) values (?, ?, ?, ?, ?, ?)",
            [company_id, file_sha256, series, number, voucher_date, f"{series}{number}"],
        )
        for row_no, row in enumerate(rows, start=1):
            account, amount = row[0], row[1]
            row_type = row[2] if len(row) > 2 else "TRANS"
            connection.execute(
                f"insert into {DATASET}.sie_voucher_rows (company_id, file_sha256, series,"
                " voucher_number, row_no, row_type, account_number, amount, transaction_date)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
#   C1 2024-01-15 invoice 1: 1510 +12 500, 3001 -10 000, 2611 -2 500
#   D1 2024-02-10 payment:   1930 +12 500, 1510 -12 500 (and a struck #BTRANS on 6110)
#   B1 2024-03-05 supplier:  4010 +4 000, 2641 +1 000, 2440 -5 000
#   A1 2024-03-31 manual:    1510 +300, 3001 -300 (an AR difference: no invoice behind it)
ACME_2024_VOUCHERS = [
    ("C", 1, date(2024, 1, 15), [(1510, "12500"), (3001, "-10000"), (2611, "-2500")]),
    ("D", 1, date(2024, 2, 10), [(1930, "12500"), (1510, "-12500"), (6110, "500", "BTRANS")]),
    ("B", 1, date(2024, 3, 5), [(4010, "4000"), (2641, "1000"), (2440, "-5000")]),
    ("A", 1, date(2024, 3, 31), [(1510, "300"), (3001, "-300")]),
]
ACME_2024_BALANCES = [
    ("IB", 0, 1930, "10000"),
    ("IB", 0, 2099, "-10000"),
    ("UB", 0, 1930, "22500"),
    ("UB", 0, 2099, "-10000"),
    ("UB", 0, 1510, "300"),
    ("UB", 0, 2440, "-5000"),
    ("UB", 0, 2611, "-2500"),
    ("UB", 0, 2641, "1000"),
    ("RES", 0, 3001, "-10300"),
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


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty DuckDB warehouse file."""
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()

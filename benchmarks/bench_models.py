"""Time building every SQL model on a synthetic large company (over a million voucher rows).

The raw tables are generated inside DuckDB with `range()` so the benchmark measures the models,
not a loader: three financial years of 4-row vouchers (receivable, revenue, VAT, bank) plus
invoices, payments and supplier invoices behind them, and a few manual vouchers on 1510.

    .venv/bin/python benchmarks/bench_models.py [--voucher-rows 1200000] [--duckdb PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from pipelines.transform import build_models

YEARS = (2023, 2024, 2025)
# The schema `generate` fills (not the pipeline's default dataset): passed to `build_models`.
DATASET = "fortnox"
MEASURED_MARTS = ("fct_trial_balance", "fct_ar_reconciliation", "fct_ap_reconciliation")


def generate(connection: duckdb.DuckDBPyConnection, voucher_rows: int) -> None:
    """Fill the `fortnox` dataset with a synthetic company `large` of about `voucher_rows` rows."""
    vouchers_per_year = voucher_rows // (4 * len(YEARS))
    connection.execute("create schema if not exists fortnox")
    connection.execute(
        """
        create or replace table fortnox.sie_files as
        select 'large' as company_id, 'file-' || y as file_sha256, y - 2000 as financial_year_id,
               'large' || y || '.se' as file_name, 'bench' as program, '1' as program_version,
               make_date(y, 12, 31) as generated_on, 'Large AB' as company_name,
               '556000-0000' as org_number, make_date(y, 1, 1) as year_start,
               make_date(y, 12, 31) as year_end, 'absent' as checksum_status,
               now() as loaded_at
        from unnest(?::int[]) as t(y)
        """,
        [list(YEARS)],
    )
    connection.execute(
        """
        create or replace table fortnox.sie_vouchers as
        select 'large' as company_id, 'file-' || y as file_sha256, 'C' as series,
               n as voucher_number,
               make_date(y, 1, 1) + cast(n % 365 as int) as voucher_date,
               'Faktura ' || n as text, make_date(y, 1, 1) + cast(n % 365 as int)
                   as registration_date, null as signature
        from unnest(?::int[]) as t(y), range(1, ? + 1) as r(n)
        """,
        [list(YEARS), vouchers_per_year],
    )
    # Each voucher: 1510 +1250, 3001 -1000 (cost centre by number), 2611 -250; every second
    # invoice but one in 25 is paid on its due date (the payments are not in the ledger here).
    connection.execute(
        """
        create or replace table fortnox.sie_voucher_rows as
        select v.company_id, v.file_sha256, v.series, v.voucher_number, r.row_no,
               'TRANS' as row_type, r.account_number,
               case when r.account_number = 3001 then 'CC' || (v.voucher_number % 7) end
                   as cost_center,
               null::varchar as project, null::varchar as objects, r.amount,
               v.voucher_date as transaction_date, null::varchar as text,
               null::decimal(18, 4) as quantity, null::varchar as signature
        from fortnox.sie_vouchers as v,
             (values (1, 1510, 1250.00), (2, 3001, -1000.00), (3, 2611, -200.00),
                     (4, 4010 + 0, -50.00)) as r(row_no, account_number, amount)
        """
    )
    connection.execute(
        """
        create or replace table fortnox.sie_balances as
        select company_id, file_sha256, 'UB' as record, 0 as year_index,
               null::varchar as period, account_number, null::varchar as dimension,
               null::varchar as object_id, sum(amount) as amount
        from fortnox.sie_voucher_rows
        where account_number < 3000
        group by all
        union all
        select company_id, file_sha256, 'RES', 0, null, account_number, null, null, sum(amount)
        from fortnox.sie_voucher_rows
        where account_number >= 3000
        group by all
        """
    )
    connection.execute(
        """
        create or replace table fortnox.sie_accounts as
        select distinct company_id, file_sha256, account_number,
               'Konto ' || account_number as account_name, null as account_type
        from fortnox.sie_voucher_rows
        """
    )
    connection.execute(
        """
        create or replace table fortnox.invoices as
        select company_id, voucher_number + 1000000 * (financial_year_id) as document_number,
               cast(voucher_number % 500 as varchar) as customer_number, 'Kund' as customer_name,
               voucher_date as invoice_date, voucher_date + 30 as due_date,
               null::date as final_pay_date, 'SEK' as currency, '1' as currency_rate,
               1250.00 as total, 1250.00 as balance, true as booked, false as cancelled,
               'INVOICE' as invoice_type, series as voucher_series, voucher_number,
               financial_year_id as voucher_year
        from fortnox.sie_vouchers join fortnox.sie_files using (company_id, file_sha256)
        """
    )
    connection.execute(
        """
        create or replace table fortnox.invoice_payments as
        select company_id, cast(document_number as varchar) as number,
               document_number as invoice_number, 1250.00 as amount,
               1250.00 as amount_currency, 'SEK' as currency, 1 as currency_rate,
               due_date as payment_date, true as booked
        from fortnox.invoices where document_number % 25 <> 0
        """
    )
    connection.execute(
        """
        create or replace table fortnox.supplier_invoices as
        select company_id, document_number as given_number, '1' as supplier_number,
               'Lev' as supplier_name, 'X' as invoice_number, invoice_date, due_date,
               'SEK' as currency, '1' as currency_rate, '100.00' as total, '100.00' as balance,
               true as booked, false as cancel, false as credit
        from fortnox.invoices where document_number % 10 = 0
        """
    )
    connection.execute(
        """
        create or replace table fortnox.supplier_invoice_payments as
        select company_id, given_number as number, cast(given_number as varchar) as invoice_number,
               100.00 as amount, 'SEK' as currency, 1 as currency_rate,
               due_date as payment_date, true as booked
        from fortnox.supplier_invoices
        """
    )
    connection.execute(
        """
        create or replace table fortnox.predefined_accounts as
        select 'large' as company_id, * from (values ('CUSTOMERRECEIVABLES', 1510),
            ('SUPPLIERDEBT', 2440)) as t(name, account)
        """
    )
    connection.execute(
        """
        create or replace table fortnox.locked_period as
        select 'large' as company_id, date '2025-06-30' as end_date, now() as seen_at
        """
    )


def main() -> None:
    """Generate the company, build every model twice (cold and warm) and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voucher-rows", type=int, default=1_200_000)
    parser.add_argument("--duckdb", type=Path, default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = arguments.duckdb or Path(scratch) / "bench.duckdb"
        connection = duckdb.connect(str(path))
        started = time.perf_counter()
        generate(connection, arguments.voucher_rows)
        rows = connection.sql("select count(*) from fortnox.sie_voucher_rows").fetchone()
        print(
            f"generated {rows[0] if rows else 0:,} voucher rows in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for attempt in ("first build", "second build"):
            report = build_models(connection, dataset=DATASET, as_of=date(2025, 12, 31))
            assert report.ok, (report.failed_models, report.failed_checks)
            # A build that skips the big models measures nothing: fail rather than print it.
            for mart in MEASURED_MARTS:
                assert report.model(mart).status == "built", report.model(mart)
            slowest = sorted(report.models, key=lambda result: -result.seconds)[:5]
            print(
                f"{attempt}: {len(report.models)} models and {len(report.checks)} checks in "
                f"{report.seconds:.2f} s; slowest: "
                + ", ".join(f"{result.name} {result.seconds:.2f} s" for result in slowest)
            )
        connection.close()


if __name__ == "__main__":
    main()

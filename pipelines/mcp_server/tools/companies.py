"""`list_companies` (what is loaded and how fresh) and `sie_findings` (SIE files' problems)."""

from __future__ import annotations

from typing import Any

import duckdb

from pipelines.companies import companies_in
from pipelines.mcp_server.answers import (
    Company,
    CompanyList,
    FinancialYear,
    Finding,
    SieFindings,
    status,
)
from pipelines.mcp_server.context import (
    COMPANIES_SQL,
    RAW_SCHEMA,
    about,
    has_relation,
    page_of,
    paging,
    require_models,
    resolve_company,
)
from sources.sie.reader import normalise_org_number

YEARS_SQL = """
select financial_year_id, financial_year, financial_year_start, financial_year_end, is_final,
    company_name, org_number
from analytics.dim_financial_years
where company_id = ?
order by financial_year_start
"""

LAST_RUN_SQL = """
select ended_at, outcome from fortnox_raw.load_runs
where company_id = ?
order by started_at desc
limit 1
"""

MODELS_AS_OF_SQL = """
select max(reconciliation_date) from analytics.int_reconciliation_dates
where company_id = ? and is_as_of
"""

FINDINGS_SQL = """
select files.file_name, years.financial_year, findings."check", findings.subject,
    findings.expected, findings.actual, findings.severity, findings.message
from fortnox_raw.sie_findings as findings
left join fortnox_raw.sie_files as files
    on findings.company_id = files.company_id and findings.file_sha256 = files.file_sha256
left join analytics.dim_financial_years as years
    on findings.company_id = years.company_id and findings.file_sha256 = years.file_sha256
where findings.company_id = ? and (? is null or findings.severity = ?)
    -- the files the models use, and any file no year chose (loaded by `sie load`)
    and (years.file_sha256 is not null or ?)
order by years.financial_year nulls last, files.file_name, findings."check", findings.subject
"""

FILES_SQL = "select count(*) from fortnox_raw.sie_files where company_id = ?"


def list_companies(connection: duckdb.DuckDBPyConnection) -> CompanyList:
    """Every company in the warehouse with its years, locked period and last load."""
    require_models(connection, "dim_financial_years", "dim_locked_period")
    has_runs = has_relation(connection, "fortnox_raw", "load_runs")
    has_dates = has_relation(connection, "analytics", "int_reconciliation_dates")
    # The organisation number as `--company` and `dim_companies` key a company.
    keys = {
        company_id: company.company_key
        for company in companies_in(connection, RAW_SCHEMA)
        for company_id in company.company_ids
    }
    companies = []
    for (company_id,) in connection.execute(COMPANIES_SQL).fetchall():
        context = about(connection, company_id, None)
        years = connection.execute(YEARS_SQL, [company_id]).fetchall()
        run = connection.execute(LAST_RUN_SQL, [company_id]).fetchone() if has_runs else None
        models_as_of = (
            connection.execute(MODELS_AS_OF_SQL, [company_id]).fetchone() if has_dates else None
        )
        companies.append(
            Company(
                company_id=company_id,
                company_key=keys.get(company_id)
                or normalise_org_number(years[-1][6] if years else None),
                company_name=context.company_name,
                org_number=years[-1][6] if years else None,
                locked_through=context.locked_through,
                last_load_at=context.loaded_at,
                last_load_outcome=run[1] if run else None,
                models_as_of=models_as_of[0] if models_as_of else None,
                financial_years=[
                    FinancialYear(
                        financial_year_id=year_id,
                        financial_year=label,
                        start=start,
                        end=end,
                        status=status(is_final),
                    )
                    for year_id, label, start, end, is_final, _, _ in years
                ],
            )
        )
    return CompanyList(companies=companies)


def sie_findings(
    connection: duckdb.DuckDBPyConnection,
    *,
    company: str | None,
    severity: str | None,
    include_unused_files: bool,
    page: int,
    page_size: int,
) -> SieFindings:
    """Bookkeeping problems the SIE checks found (unbalanced vouchers, IB + movements != UB)."""
    company_id = resolve_company(connection, company)
    page, page_size = paging(page, page_size, 200)
    context = about(connection, company_id, None)
    if not has_relation(connection, "fortnox_raw", "sie_findings"):
        rows: list[tuple[Any, ...]] = []
        files = 0
    else:
        rows = connection.execute(
            FINDINGS_SQL, [company_id, severity, severity, include_unused_files]
        ).fetchall()
        files = connection.execute(FILES_SQL, [company_id]).fetchone()[0]  # type: ignore[index]
    chosen = rows[(page - 1) * page_size : page * page_size]
    return SieFindings(
        about=context,
        files_checked=files,
        page=page_of(page, page_size, len(rows)),
        findings=[
            Finding(
                file_name=row[0],
                financial_year=row[1],
                check=row[2],
                subject=None if row[3] is None else str(row[3]),
                expected=None if row[4] is None else str(row[4]),
                actual=None if row[5] is None else str(row[5]),
                severity=row[6],
                message=row[7],
            )
            for row in chosen
        ],
    )

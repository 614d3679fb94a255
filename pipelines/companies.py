"""Which company a `--company` means: one function for every command that takes one.

A company is one company whether its books came by the Fortnox API (rows keyed by its
DatabaseNumber) or by SIE files (keyed by the file's org number, or `sha256:...` without one):
what ties them is `company_key`, the organisation number as NNNNNN-NNNN. So `--company` accepts
the organisation number in any common writing (`556677-8899`, `5566778899`, `16556677-8899`)
or any `company_id` the warehouse holds (a DatabaseNumber), and resolves it here, against the
raw tables, to the company and every `company_id` it has.

The org numbers are read from `company_information` and `sie_files` and normalised here, so a
warehouse loaded before `company_key` existed resolves the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb

from pipelines.exit_codes import ExitCode
from sources.sie.reader import normalise_org_number

FORTNOX = "fortnox"
SIE = "sie"


class CompanyError(Exception):
    """`--company` matched no company or several: what was wrong, what to do, the exit code."""

    def __init__(self, message: str, exit_code: ExitCode, fix: str) -> None:
        super().__init__(f"{message} — {fix}")
        self.message = message
        self.exit_code = exit_code
        self.fix = fix


@dataclass(frozen=True)
class Company:
    """One company of the warehouse and the ids its rows carry.

    `company_ids` lists Fortnox DatabaseNumbers first (their books come with the subledgers
    and the locked period), then the ids of hand-loaded SIE files.
    """

    company_key: str | None
    company_ids: tuple[str, ...]
    name: str | None
    sources: tuple[str, ...]

    def pick(self, available: Iterable[str]) -> str | None:
        """This company's first id among those a model holds rows for (None: none)."""
        present = set(available)
        return next((company_id for company_id in self.company_ids if company_id in present), None)

    def describe(self) -> str:
        """`556677-8899 Bolaget AB (company_id 1234567, 556677-8899)` for messages."""
        key = self.company_key or "no org number"
        name = f" {self.name}" if self.name else ""
        return f"{key}{name} (company_id {', '.join(self.company_ids)})"


def companies_in(connection: duckdb.DuckDBPyConnection, dataset: str) -> list[Company]:
    """Every company the warehouse's raw tables hold, ordered by key then id."""
    rows = _identity_rows(connection, dataset)
    key_of: dict[str, str | None] = {}
    name_of: dict[str, str | None] = {}
    sources_of: dict[str, set[str]] = {}
    for company_id, org_number, name, source in rows:
        key = normalise_org_number(org_number)
        if key_of.get(company_id) is None:
            key_of[company_id] = key
        if name and not name_of.get(company_id):
            name_of[company_id] = name
        sources_of.setdefault(company_id, set()).add(source)
    grouped: dict[str, list[str]] = {}
    for company_id, key in key_of.items():
        grouped.setdefault(key if key is not None else f"id:{company_id}", []).append(company_id)
    companies = []
    for group, ids in grouped.items():
        ordered = sorted(ids, key=lambda i: (FORTNOX not in sources_of[i], i))
        companies.append(
            Company(
                company_key=None if group.startswith("id:") else group,
                company_ids=tuple(ordered),
                name=next((name_of[i] for i in ordered if name_of.get(i)), None),
                sources=tuple(sorted(set().union(*(sources_of[i] for i in ordered)))),
            )
        )
    return sorted(
        companies, key=lambda c: (c.company_key is None, c.company_key or "", c.company_ids)
    )


def resolve_company(
    connection: duckdb.DuckDBPyConnection, dataset: str, given: str | None
) -> Company:
    """The company `--company` names (an org number in any writing, or a company_id such as
    a DatabaseNumber); without one, the warehouse's only company.

    Raises:
        CompanyError: none matches (NOT_FOUND) or several do (BAD_INPUT), listing the
            companies the warehouse holds.
    """
    companies = companies_in(connection, dataset)
    held = "; ".join(c.describe() for c in companies) or "none"
    if given is None:
        if len(companies) == 1:
            return companies[0]
        if not companies:
            raise CompanyError(
                "the warehouse holds no company yet", ExitCode.NOT_FOUND, "load one first"
            )
        raise CompanyError(
            "the warehouse holds several companies",
            ExitCode.BAD_INPUT,
            f"choose one with --company (its org number or DatabaseNumber): {held}",
        )
    text = given.strip()
    key = normalise_org_number(text)
    matches = [c for c in companies if text in c.company_ids or (key and c.company_key == key)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CompanyError(
            f"no company {given!r} in the warehouse",
            ExitCode.NOT_FOUND,
            f"give the org number or DatabaseNumber of one of its companies: {held}",
        )
    raise CompanyError(
        f"--company {given} matches several companies: " + "; ".join(c.describe() for c in matches),
        ExitCode.BAD_INPUT,
        "give the org number (NNNNNN-NNNN) of one",
    )


def company_in_model(
    connection: duckdb.DuckDBPyConnection,
    *,
    dataset: str,
    model_table: str,
    given: str | None,
) -> str:
    """The `company_id` under which a model holds the company `given` names.

    Args:
        model_table: the model, qualified (`"db"."analytics"."fct_income_statement"`).

    Raises:
        CompanyError: no such company, several, or the model has no rows for it (NOT_FOUND).
        duckdb.CatalogException: the model is not built.
    """
    present = [
        str(row[0])
        for row in connection.execute(
            f"select distinct company_id from {model_table} order by 1"
        ).fetchall()
    ]
    if given is None and len(present) == 1:
        return present[0]  # one company in the model: no need to ask which
    company = resolve_company(connection, dataset, given)
    chosen = company.pick(present)
    if chosen is None:
        raise CompanyError(
            f"company {company.describe()} has no rows in {model_table.split('.')[-1]}",
            ExitCode.NOT_FOUND,
            "load its books and run `fortnox-pipeline models`",
        )
    return chosen


def _identity_rows(
    connection: duckdb.DuckDBPyConnection, dataset: str
) -> list[tuple[str, str | None, str | None, str]]:
    """(company_id, org number as written, name, source) from the tables that name a company."""
    [(catalog,)] = connection.execute("select current_database()").fetchall()
    columns = _columns(connection, dataset)
    prefix = f'"{catalog}"."{dataset}"'
    parts: list[str] = []
    if {"company_id", "organization_number", "company_name"} <= columns.get(
        "company_information", set()
    ):
        parts.append(
            "select cast(company_id as varchar), cast(organization_number as varchar),"
            f" company_name, '{FORTNOX}' from {prefix}.company_information"
        )
    files = columns.get("sie_files", set())
    if {"company_id", "org_number", "company_name"} <= files:
        source = (
            f"case when financial_year_id is null then '{SIE}' else '{FORTNOX}' end"
            if "financial_year_id" in files
            else f"'{SIE}'"
        )
        parts.append(
            "select distinct cast(company_id as varchar), org_number, company_name,"
            f" {source} from {prefix}.sie_files"
        )
    if {"company_id", "profile"} <= columns.get("load_runs", set()):
        # A company whose run loaded neither table (`--resources invoices`) is still known.
        parts.append(
            "select distinct cast(company_id as varchar), null, null,"
            f" '{FORTNOX}' from {prefix}.load_runs"
            " where outcome = 'completed' and profile <> 'sie load' and company_id is not null"
        )
    if not parts:
        return []
    rows: list[Any] = connection.execute(" union all ".join(parts)).fetchall()
    return [(str(r[0]), r[1], r[2], str(r[3])) for r in rows if r[0] is not None]


def _columns(connection: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, column in connection.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ?"
        " and table_name in ('company_information', 'sie_files', 'load_runs')",
        [dataset],
    ).fetchall():
        found.setdefault(table, set()).add(column)
    return found

"""`company_key` of SIE files, and `--company` resolved against the warehouse.

A file with a valid #ORGNR is keyed by it (NNNNNN-NNNN, whatever the writing); a file without
one gets no key (never one guessed from #FNAMN), a `no_company_key` finding, and stays a
company of its own (`company_id` `sha256:<16 hex>`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.companies import CompanyError, companies_in, resolve_company
from pipelines.exit_codes import ExitCode

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "sie"
WITHOUT_ORGNR = SAMPLES / "sir_missing_format_crlf.se"
WITH_ORGNR = SAMPLES / "bl_admin_2018_iso8859-15.SE"  # `#ORGNR 1655710918`, no hyphen
DATASET = "fortnox_raw"


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"RUNTIME__LOG_LEVEL": "ERROR"})
    return result.exit_code, result.output


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    warehouse = tmp_path / "books.duckdb"
    code, output = cli(
        "sie",
        "load",
        "--duckdb",
        str(warehouse),
        "--no-archive",
        str(WITHOUT_ORGNR),
        str(WITH_ORGNR),
    )
    assert code == 0, output
    return warehouse


def _keys_by_table(connection: duckdb.DuckDBPyConnection, file_sha256: str) -> dict[str, set]:
    tables = [
        row[0]
        for row in connection.execute(
            "select table_name from information_schema.columns where table_schema = ?"
            " and column_name = 'file_sha256'",
            [DATASET],
        ).fetchall()
    ]
    return {
        table: {
            row
            for row in connection.execute(
                f'select distinct company_id, company_key from {DATASET}."{table}"'
                " where file_sha256 = ?",
                [file_sha256],
            ).fetchall()
        }
        for table in tables
    }


def test_a_file_without_orgnr_has_no_key_a_finding_and_its_own_id(loaded: Path) -> None:
    with duckdb.connect(str(loaded), read_only=True) as connection:
        files = dict(
            connection.execute(f"select file_name, file_sha256 from {DATASET}.sie_files").fetchall()
        )
        without = files[WITHOUT_ORGNR.name]
        keys = _keys_by_table(connection, without)
        assert keys["sie_files"] == {(f"sha256:{without[:16]}", None)}
        assert all(found <= {(f"sha256:{without[:16]}", None)} for found in keys.values())
        findings = connection.execute(
            f"select severity, message from {DATASET}.sie_findings"
            " where file_sha256 = ? and \"check\" = 'no_company_key'",
            [without],
        ).fetchall()
        assert findings == [
            (
                "warning",
                "no #ORGNR: the file's rows carry no company_key and are joined to no other"
                " company",
            )
        ]
        with_key = _keys_by_table(connection, files[WITH_ORGNR.name])
        assert with_key["sie_files"] == {("165571-0918", "165571-0918")}


def test_companies_resolve_by_any_writing_of_the_org_number_or_the_id(loaded: Path) -> None:
    with duckdb.connect(str(loaded), read_only=True) as connection:
        companies = companies_in(connection, DATASET)
        keyed = next(c for c in companies if c.company_key)
        unkeyed = next(c for c in companies if c.company_key is None)
        for given in ("165571-0918", "1655710918", "16165571-0918", " 161655710918 "):
            assert resolve_company(connection, DATASET, given) == keyed
        assert resolve_company(connection, DATASET, unkeyed.company_ids[0]) == unkeyed
        with pytest.raises(CompanyError) as several:
            resolve_company(connection, DATASET, None)
        assert several.value.exit_code == ExitCode.BAD_INPUT


def test_an_id_that_is_another_companys_org_number_is_ambiguous(tmp_path: Path) -> None:
    warehouse = tmp_path / "two.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"create schema {DATASET}")
        connection.execute(
            f"create table {DATASET}.company_information"
            " (company_id varchar, organization_number varchar, company_name varchar)"
        )
        connection.execute(
            f"insert into {DATASET}.company_information values"
            " ('5566778899', '212000-0142', 'Alfa AB'), ('1234567', '556677-8899', 'Beta AB')"
        )
    code, output = cli(
        "sie", "write", "--duckdb", str(warehouse), "--company", "5566778899",
        "--from", "2025-01-01", "--to", "2025-12-31",
    )  # fmt: skip
    assert code == ExitCode.BAD_INPUT
    line = output.strip().splitlines()[-1]
    assert line.startswith("error: --company 5566778899 matches several companies: ")
    assert "Alfa AB" in line and "Beta AB" in line and " — give the org number" in line
    code, output = cli(
        "audit-pack", "--duckdb", str(warehouse), "--company", "0000000",
        "--year", "2025", "--out", str(tmp_path / "pack"),
    )  # fmt: skip
    assert code == ExitCode.NOT_FOUND
    line = output.strip().splitlines()[-1]
    assert line.startswith("error: no company '0000000' in the warehouse — ")
    assert "212000-0142 Alfa AB (company_id 5566778899)" in line
    assert "556677-8899 Beta AB (company_id 1234567)" in line

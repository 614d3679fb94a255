"""Who the company is: its key across sources, stamped on every row the Fortnox source yields.

A company's books can reach the warehouse by the API (rows keyed by Fortnox's DatabaseNumber,
`company_id`) and by SIE files from any program (keyed by the file's #ORGNR). `company_key`, the
organisation number as NNNNNN-NNNN, is what both have in common, so every Fortnox row carries it
beside `company_id` and the models can join the two.

The organisation number costs no request when the warehouse already holds it (the run passes
it in). Otherwise `/3/companyinformation` is read once per run and shared with the
`company_information` resource, which reads that very record anyway on a first load.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from sources.fortnox.client import FortnoxClient
from sources.fortnox.errors import ScopeMissing
from sources.fortnox.settings import ENDPOINTS
from sources.sie.reader import normalise_org_number

COMPANY_KEY = "company_key"


class CompanyIdentity:
    """The company's organisation number, known beforehand or read at most once per run."""

    def __init__(self, client: FortnoxClient, organisation_number: str | None = None) -> None:
        """
        Args:
            client: the company's client, used only when `organisation_number` is unknown.
            organisation_number: the number the warehouse already holds for this company, in
                any writing (`5566778899`, `556677-8899`); None: read it from Fortnox.
        """
        self._client = client
        self._known = normalise_org_number(organisation_number)
        self._lock = threading.Lock()
        self._information: dict[str, Any] | None = None
        self._refused: ScopeMissing | None = None
        self._asked = False  # Fortnox was asked this run: its answer (even None) stands

    def information(self) -> dict[str, Any]:
        """The `CompanyInformation` record, fetched once per run however often it is asked.

        Raises:
            ScopeMissing: the token lacks the `companyinformation` scope (raised again on
                every call, without another request).
        """
        with self._lock:
            if self._refused is not None:
                raise self._refused
            if self._information is None:
                try:
                    response = self._client.get_json(ENDPOINTS["company_information"][0])
                except ScopeMissing as error:
                    self._refused = error
                    raise
                self._information = response["CompanyInformation"]
            return self._information

    @property
    def company_key(self) -> str | None:
        """NNNNNN-NNNN, or None when Fortnox gives no valid number (or refuses to say)."""
        if self._known is None and not self._asked:
            try:
                raw = self.information().get("OrganizationNumber")
            except ScopeMissing:
                raw = None  # the company_information resource records the skip
            self._known = normalise_org_number(str(raw) if raw is not None else None)
            self._asked = True
        return self._known

    def stamp(self, item: Any) -> Any:
        """`company_key` beside `company_id` in a row, its nested rows, or an Arrow table.

        A dlt map step over every resource of the source (one place, not per resource).
        """
        if isinstance(item, pa.Table):
            return _stamp_table(item, self.company_key)
        if isinstance(item, Mapping) and "company_id" in item:
            return _stamp_row(item, self.company_key)
        return item


def _stamp_row(row: Mapping[str, Any], company_key: str | None) -> dict[str, Any]:
    stamped: dict[str, Any] = {"company_id": row["company_id"], COMPANY_KEY: company_key}
    for key, value in row.items():
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            value = [
                _stamp_row(item, company_key)
                if isinstance(item, Mapping) and "company_id" in item
                else item
                for item in value
            ]
        stamped.setdefault(key, value)
    return stamped


def _stamp_table(table: pa.Table, company_key: str | None) -> pa.Table:
    column = pa.repeat(pa.scalar(company_key, pa.string()), table.num_rows)
    existing = table.schema.get_field_index(COMPANY_KEY)
    if existing >= 0:
        # An SIE export names its company (#ORGNR): kept when Fortnox would not say.
        if company_key is None:
            return table
        return table.set_column(existing, COMPANY_KEY, column)
    after = table.schema.get_field_index("company_id")
    return table.add_column(after + 1 if after >= 0 else 0, COMPANY_KEY, column)

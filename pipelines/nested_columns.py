"""Nested Arrow columns as JSON text, for destinations that take Arrow data as CSV.

The SIE tables carry each row's objects (`objects`, a list of dimension/object pairs) as a
nested Arrow column. DuckDB stores it as a list of structs; dlt hands Arrow data to
destinations without Parquet support (PostgreSQL) through its CSV writer, which refuses any
nested column, so `run --destination postgres` failed in normalize. There the column becomes
the JSON text DuckDB's `to_json` writes for the same value, which the models read on both.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

_NESTED = (pa.types.is_list, pa.types.is_large_list, pa.types.is_struct, pa.types.is_map)


def takes_nested_arrow(destination: Any) -> bool:
    """Whether nested Arrow columns reach `destination` as they are.

    Only DuckDB is relied on: dlt picks the Arrow file format per destination and installed
    drivers (PostgreSQL lists Parquet, yet without an ADBC driver dlt writes CSV), so
    elsewhere the JSON text is the one form that loads everywhere and reads the same.
    """
    return str(destination.destination_name) == "duckdb"


def nested_as_json(item: Any) -> Any:
    """`item` with every nested column of an Arrow table as JSON text; other items unchanged.

    A null stays null; an empty list is `[]`. Keys and order as in the Arrow value, so the
    text is what `to_json` gives for the same row in DuckDB.
    """
    if not isinstance(item, pa.Table):
        return item
    for index, field in enumerate(item.schema):
        if not any(test(field.type) for test in _NESTED):
            continue
        values = [
            None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            for value in item.column(index).to_pylist()
        ]
        item = item.set_column(
            index, pa.field(field.name, pa.string()), pa.array(values, pa.string())
        )
    return item

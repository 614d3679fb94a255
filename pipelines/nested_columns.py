"""Nested Arrow columns as JSON text, for destinations that take Arrow data as CSV.

The SIE tables carry each row's objects (`objects`, a list of dimension/object pairs) as a
nested Arrow column. DuckDB stores it as a list of structs; dlt hands Arrow data to
destinations without Parquet support (PostgreSQL) through its CSV writer, which refuses any
nested column, so `run --destination postgres` failed in normalize. There the column becomes
the JSON text DuckDB's `to_json` writes for the same value, which the models read on both.
"""

from __future__ import annotations

from typing import Any

import duckdb
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

    DuckDB's own `to_json` writes the text (in C++, not row by row in Python), so it is the
    text the same row gives in a DuckDB warehouse by construction; a null stays null. Only the
    nested columns go through DuckDB: the others keep their Arrow types exactly.
    """
    if not isinstance(item, pa.Table):
        return item
    nested = [
        index for index, field in enumerate(item.schema) if any(t(field.type) for t in _NESTED)
    ]
    if not nested:
        return item
    with duckdb.connect() as connection:
        connection.register("item", item)
        for index in nested:
            name = item.schema.field(index).name.replace('"', '""')
            text = (
                connection.execute(f'select to_json("{name}")::varchar from item')
                .arrow()
                .read_all()
            )
            item = item.set_column(
                index,
                pa.field(item.schema.field(index).name, pa.string()),
                text.column(0).cast(pa.string()),
            )
    return item

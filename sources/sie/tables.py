"""Arrow schemas of the SIE tables: the contract analysts and the SQL models rely on.

Every table starts with `file_sha256`, `company_id` and `company_key` (the organisation number as
NNNNNN-NNNN, null when the file has no valid #ORGNR: the one key a company has whether its books
came by SIE or by the Fortnox API); amounts are decimal128(18, 2) (DECIMAL(18,2)
in the warehouse), quantities decimal128(18, 4), dates date32. Account numbers are text exactly as
written (`0351` and `351` are two accounts; `DIFF` is an account too): a number is never altered.
Findings carry decimal128(38, 2), as their figures are sums of amounts.
"""

from __future__ import annotations

import pyarrow as pa

AMOUNT = pa.decimal128(18, 2)
TOTAL = pa.decimal128(38, 2)
QUANTITY = pa.decimal128(18, 4)

_KEYS = [
    pa.field("file_sha256", pa.string(), nullable=False),
    pa.field("company_id", pa.string()),
    pa.field("company_key", pa.string()),
]
KEY_COLUMNS = tuple(f.name for f in _KEYS)
"""The columns every SIE table starts with, filled per file rather than parsed per row."""

OBJECT_PAIR = pa.struct([pa.field("dimension", pa.int32()), pa.field("object_id", pa.string())])

SCHEMAS: dict[str, pa.Schema] = {
    "sie_files": pa.schema(
        [
            *_KEYS,
            ("file_name", pa.string()),
            ("size_bytes", pa.int64()),
            ("detected_encoding", pa.string()),
            ("sie_type", pa.int32()),
            ("program", pa.string()),
            ("program_version", pa.string()),
            ("generated_on", pa.date32()),
            ("company_name", pa.string()),
            ("org_number", pa.string()),
            ("fortnox_customer_id", pa.string()),
            ("year_start", pa.date32()),
            ("year_end", pa.date32()),
            ("checksum_status", pa.string()),
            ("voucher_count", pa.int64()),
            ("trans_rows", pa.int64()),
            ("rtrans_rows", pa.int64()),
            ("btrans_rows", pa.int64()),
            ("unknown_labels", pa.int64()),
            ("warnings", pa.string()),
            ("loaded_at", pa.timestamp("us", tz="UTC")),
            # Set by the loader: the file the models use for its company and year (see load.py).
            ("is_current", pa.bool_()),
        ]
    ),
    "sie_accounts": pa.schema(
        [
            *_KEYS,
            ("account_number", pa.string()),
            ("account_name", pa.string()),
            ("account_type", pa.string()),
            ("unit", pa.string()),
            ("sru_codes", pa.string()),
            ("declared", pa.bool_()),
        ]
    ),
    "sie_dimensions": pa.schema(
        [*_KEYS, ("dimension", pa.int32()), ("name", pa.string()), ("parent_dimension", pa.int32())]
    ),
    "sie_objects": pa.schema(
        [
            *_KEYS,
            ("dimension", pa.int32()),
            ("object_id", pa.string()),
            ("object_name", pa.string()),
        ]
    ),
    "sie_balances": pa.schema(
        [
            *_KEYS,
            ("line_no", pa.int64()),
            ("record", pa.string()),
            ("year_index", pa.int32()),
            ("year_start", pa.date32()),
            ("year_end", pa.date32()),
            ("period", pa.string()),
            ("account_number", pa.string()),
            # 0 for the account-level record; 1, 2, ... for each object of its object list.
            ("object_no", pa.int32()),
            ("dimension", pa.int32()),
            ("object_id", pa.string()),
            ("amount", AMOUNT),
            ("quantity", QUANTITY),
        ]
    ),
    "sie_vouchers": pa.schema(
        [
            *_KEYS,
            ("line_no", pa.int64()),
            ("series", pa.string()),
            ("voucher_number", pa.int64()),
            ("voucher_date", pa.date32()),
            ("text", pa.string()),
            ("registration_date", pa.date32()),
            ("signature", pa.string()),
        ]
    ),
    "sie_voucher_rows": pa.schema(
        [
            *_KEYS,
            ("line_no", pa.int64()),
            ("series", pa.string()),
            ("voucher_number", pa.int64()),
            ("row_no", pa.int32()),
            ("row_type", pa.string()),
            ("account_number", pa.string()),
            ("cost_center", pa.string()),
            ("project", pa.string()),
            ("objects", pa.list_(OBJECT_PAIR)),
            ("amount", AMOUNT),
            ("transaction_date", pa.date32()),
            ("text", pa.string()),
            ("quantity", QUANTITY),
            ("signature", pa.string()),
        ]
    ),
    "sie_findings": pa.schema(
        [
            *_KEYS,
            ("check", pa.string()),
            ("subject", pa.string()),
            ("line_no", pa.int64()),
            ("expected", TOTAL),
            ("actual", TOTAL),
            ("severity", pa.string()),
            ("message", pa.string()),
        ]
    ),
}

TABLE_NAMES: tuple[str, ...] = tuple(SCHEMAS)

ROW_KEYS: dict[str, tuple[str, ...] | None] = {
    "sie_files": (),
    "sie_accounts": ("account_number",),
    "sie_dimensions": ("dimension",),
    "sie_objects": ("dimension", "object_id"),
    "sie_balances": ("line_no", "object_no"),
    "sie_vouchers": ("line_no",),
    "sie_voucher_rows": ("line_no",),
    "sie_findings": None,
}
"""What identifies a row within one file (or one replace unit), per table; None: nothing does."""

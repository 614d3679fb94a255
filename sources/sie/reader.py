"""The SIE reader: the bytes of a SIE 1-4 file in, typed Arrow tables out (see sie4.md).

The whole file is parsed and checked before anything is returned, so a structurally broken file
(an HTML page, an unclosed #VER block, a truncated #KSUMMA file) raises `SieError` and nothing
of it is loaded. Bookkeeping problems become rows in `sie_findings` instead.

Speed: the #TRANS/#RTRANS/#BTRANS and #VER lines (nearly all of a large file) are read with
polars string kernels over the whole file; any of those lines the strict fast-path pattern does
not claim, and every other record, goes through the reference tokenizer in `sie_tokens.py`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from sources.sie.anomalies import anomaly_findings
from sources.sie.checks import (
    ERROR,
    INFO,
    WARNING,
    Finding,
    not_checked,
    opening_balance_findings,
    reconciliation_findings,
    voucher_balance_findings,
)
from sources.sie.checksum import ksumma_crc
from sources.sie.chunks import CHUNK_BYTES, ByteSource, scan, voucher_chunks
from sources.sie.completeness import FileLayout, completeness_findings, file_layout
from sources.sie.encoding import ASCII, CP437, UTF8, UTF8_BOM, count_mojibake, text_warnings
from sources.sie.fastpath import (
    BALANCE_FIELDS,
    BLANK,
    CLOSE,
    GARBAGE,
    OBJECT_BALANCE_PATTERN,
    OPEN,
    PERIOD_BALANCE_PATTERN,
    PERIOD_RE,
    PLAIN_BALANCE_PATTERN,
    RECORD,
    ROW,
    ROW_FIELDS,
    ROW_PATTERN,
    VER,
    VER_FIELDS,
    VER_PATTERN,
    extract,
    position_in_run,
    split_lines,
    unquote,
)
from sources.sie.tables import AMOUNT, KEY_COLUMNS, QUANTITY, SCHEMAS
from sources.sie.tokens import Record, object_members, tokenize_record

DEFAULT_CHUNK_ROWS = 250_000

ROW_LABELS = ("#TRANS", "#RTRANS", "#BTRANS")
BALANCE_LABELS = ("#IB", "#UB", "#RES", "#OIB", "#OUB", "#PSALDO", "#PBUDGET")
# Labels we read, or know and deliberately ignore; anything else is counted as unknown.
_IGNORED_LABELS = frozenset(
    {"#FLAGGA", "#FORMAT", "#PROSA", "#FTYP", "#ADRESS", "#BKOD", "#TAXAR", "#OMFATTN"}
    | {"#KPTYP", "#VALUTA", "#KSUMMA"}
)

VOUCHER_SIE_TYPE = 4  # the first SIE type that carries vouchers
COST_CENTER_DIMENSION = 1
PROJECT_DIMENSION = 6

# ASCII digits only: `\d` also matches other scripts' digits (`１２５`), which would then fail
# a cast with a traceback instead of an error naming the line.
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_INTEGER = r"^[0-9]+$"
_SIGNED_INTEGER = r"^-?[0-9]+$"
_DATE = r"^[0-9]{8}$"
_PERIOD = r"^[0-9]{6}$"
_YEAR_INDEX_DIGITS = 4  # #RAR -1, 0, 1 in practice; anything wider is a corrupt number
_INT32_MAX = 2**31 - 1
_ORG_NUMBER_DIGITS = 10


class SieError(ValueError):
    """A structural error: the file is not a readable SIE file and nothing of it may load.

    The message always starts with the file name and line, e.g. `books.se line 1234: ...`.
    """

    def __init__(self, file_name: str, line_no: int, problem: str) -> None:
        super().__init__(f"{file_name} line {line_no}: {problem}")
        self.file_name = file_name
        self.line_no = line_no
        self.problem = problem


@dataclass
class SieFile:
    """One parsed SIE file: identification, checks and its rows as Arrow tables.

    `checksum_status` is `ok` or `mismatch` when the file carries #KSUMMA, else `absent`.
    """

    file_sha256: str
    file_name: str
    size_bytes: int
    detected_encoding: str
    sie_type: int | None
    program: str | None
    program_version: str | None
    generated_on: date | None
    company_name: str | None
    org_number: str | None
    fortnox_customer_id: str | None
    year_start: date | None
    year_end: date | None
    checksum_status: str
    warnings: list[str]
    voucher_count: int = 0
    trans_rows: int = 0
    rtrans_rows: int = 0
    btrans_rows: int = 0
    unknown_labels: int = 0
    findings: list[Finding] = field(default_factory=list)
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    stage_seconds: dict[str, float] = field(default_factory=dict, repr=False)
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict, repr=False)
    _tables: dict[str, pa.Table] = field(default_factory=dict, repr=False)

    @property
    def company_id(self) -> str:
        """The org number as NNNNNN-NNNN, or `sha256:<16 hex>` of the file when it has none."""
        return normalise_org_number(self.org_number) or f"sha256:{self.file_sha256[:16]}"

    @property
    def company_key(self) -> str | None:
        """The company's key across sources: the org number as NNNNNN-NNNN, None without one
        (never guessed from the name: see `no_company_key_finding`)."""
        return normalise_org_number(self.org_number)

    def tables(self) -> dict[str, pa.Table]:
        """All eight tables, keyed by table name, each with `file_sha256` and `company_id`.

        `sie_files.is_current` is true: alone, a file is its year's current one (`run` keeps one
        file per Fortnox year); `sie load` re-ranks it among the year's other files.

        Returns:
            Tables in `sie_tables.SCHEMAS` order and schema, chunked at `chunk_rows` rows;
            `sie_files.loaded_at` is the time of this call.
        """
        body = dict(self._tables)
        body["sie_files"] = self._files_table()
        body["sie_findings"] = _findings_table(self.findings)
        result: dict[str, pa.Table] = {}
        for name, schema in SCHEMAS.items():
            full = with_keys(name, body[name], self.file_sha256, self.company_id, self.company_key)
            result[name] = pa.Table.from_batches(
                full.to_batches(max_chunksize=self.chunk_rows), schema=schema
            )
        return result

    def row_counts(self) -> dict[str, int]:
        """Rows per table, without building the tables."""
        counts = {name: table.num_rows for name, table in self._tables.items()}
        return {
            **counts,
            "sie_vouchers": self.voucher_count,
            "sie_voucher_rows": self.trans_rows + self.rtrans_rows + self.btrans_rows,
            "sie_files": 1,
            "sie_findings": len(self.findings),
        }

    def _files_table(self) -> pa.Table:
        row: dict[str, Any] = {
            "file_name": self.file_name,
            "size_bytes": self.size_bytes,
            "detected_encoding": self.detected_encoding,
            "sie_type": self.sie_type,
            "program": self.program,
            "program_version": self.program_version,
            "generated_on": self.generated_on,
            "company_name": self.company_name,
            "org_number": self.org_number,
            "fortnox_customer_id": self.fortnox_customer_id,
            "year_start": self.year_start,
            "year_end": self.year_end,
            "checksum_status": self.checksum_status,
            "voucher_count": self.voucher_count,
            "trans_rows": self.trans_rows,
            "rtrans_rows": self.rtrans_rows,
            "btrans_rows": self.btrans_rows,
            "unknown_labels": self.unknown_labels,
            "warnings": "\n".join(self.warnings) or None,
            "loaded_at": datetime.now(UTC),
            "is_current": True,
        }
        schema = pa.schema([f for f in SCHEMAS["sie_files"] if f.name in row])
        return pa.Table.from_pylist([row], schema=schema)


def normalise_org_number(raw: str | None) -> str | None:
    """A Swedish organisation number as NNNNNN-NNNN, None when it is missing or malformed.

    Args:
        raw: the #ORGNR value as written (`556677-8899`, `5566778899`, `165566778899`).
    """
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    if len(digits) == _ORG_NUMBER_DIGITS + 2:
        digits = digits[2:]
    if len(digits) != _ORG_NUMBER_DIGITS:
        return None
    return f"{digits[:6]}-{digits[6:]}"


def no_company_key_finding(raw: str | None) -> Finding | None:
    """A finding when the file names no valid organisation number (#ORGNR), else None.

    Such a file's rows get no `company_key`: a company is never guessed from its name (two
    companies can share one, and a misspelt name would split one), so the file stays a company
    of its own (`company_id` `sha256:<16 hex>`), joined to no other until it is re-exported
    with its #ORGNR.
    """
    if normalise_org_number(raw) is not None:
        return None
    written = f"#ORGNR {raw!r} is not a Swedish organisation number" if raw else "no #ORGNR"
    return Finding(
        "no_company_key",
        "#ORGNR",
        None,
        None,
        WARNING,
        f"{written}: the file's rows carry no company_key and are joined to no other company",
    )


SNIFF_BYTES = 1 << 20


def refuse_non_sie(prefix: bytes, file_name: str) -> None:
    """Refuse a file that is not SIE from its first megabyte, before reading the rest.

    A binary or sparse file (NUL bytes) or one whose first record does not start with `#`
    (an HTML page, a PDF) is refused here, so a 2 GB file of zeros costs a megabyte of reading.

    Raises:
        SieError: naming the file and the line where the problem is.
    """
    head = prefix[:SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 has NUL bytes by design; the reader decodes and checks it
    nul = head.find(b"\x00")
    if nul >= 0:
        raise SieError(
            file_name,
            head.count(b"\n", 0, nul) + 1,
            "not a SIE file: binary content (a NUL byte), not text",
        )
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text and not text.startswith(b"#"):
        line_no = head[: len(head) - len(text)].count(b"\n") + 1
        raise SieError(
            file_name,
            line_no,
            "not a SIE file: the first record does not start with '#' "
            "(an HTML page or another format saved as .se?)",
        )


def read_sie(
    data: bytes | Path,
    file_name: str,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    chunk_bytes: int = CHUNK_BYTES,
) -> SieFile:
    """Parse and check a whole SIE file, every table in memory (see `SieStream` for a file
    too big for that: it hands out the vouchers chunk by chunk).

    Args:
        data: the file's bytes, exactly as received, or its path (the encoding is detected
            from the bytes).
        file_name: a name for messages and `sie_files.file_name`; never opened.
        chunk_rows: the largest Arrow record batch `SieFile.tables()` hands out.
        chunk_bytes: how much of the file is parsed at once.

    Returns:
        The parsed file; bookkeeping problems are in `findings`.

    Raises:
        SieError: the file is structurally broken; the message names the file and the line.
    """
    return SieStream(data, file_name, chunk_bytes=chunk_bytes).read_all(chunk_rows)


def read_sie_reference(
    data: bytes, file_name: str, *, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> SieFile:
    """`read_sie` with the fast path switched off: every record goes through the tokenizer.

    Exists so tests can prove both paths give identical tables on every sample file.
    """
    return SieStream(data, file_name, fast_path=False).read_all(chunk_rows)


class SieStream:
    """One file read in chunks: its vouchers and rows as they are parsed, then the rest.

    Memory is bounded by a chunk (`CHUNK_BYTES` of the file), not by the file: `body()` yields
    each chunk's `sie_vouchers` and `sie_voucher_rows` with their key columns, and `finish()`
    returns the `SieFile` with the other tables and every finding (its voucher tables empty;
    the counts are set). A structural error raises `SieError` from either, naming the line.
    """

    def __init__(
        self,
        source: bytes | Path,
        file_name: str,
        *,
        fast_path: bool = True,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self._reader = _SieReader(
            ByteSource(source), file_name, fast_path=fast_path, chunk_bytes=chunk_bytes
        )
        self._reader.open()

    @property
    def file_sha256(self) -> str:
        return self._reader.scan.sha256

    @property
    def company_id(self) -> str:
        """The company as far as the header read so far says (the org number, else the sha)."""
        return self.company_key or f"sha256:{self.file_sha256[:16]}"

    @property
    def company_key(self) -> str | None:
        """The org number as far as the header read so far says (None: none yet)."""
        return normalise_org_number(self._reader.header.get("org_number"))

    def body(self) -> Iterator[tuple[str, pa.Table]]:
        """(table name, Arrow table) for each chunk's vouchers and rows, in order: bare, without
        the key columns (`with_keys` adds them; a warehouse writer can add them as constants)."""
        yield from self._reader.body()

    def finish(self, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> SieFile:
        return self._reader.finish(chunk_rows)

    def read_all(self, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> SieFile:
        """Every table in memory: the chunks gathered into the `SieFile`."""
        parts: dict[str, list[pa.Table]] = {"sie_vouchers": [], "sie_voucher_rows": []}
        for name, table in self._reader.body():
            parts[name].append(table)
        sie_file = self.finish(chunk_rows)
        for name, tables in parts.items():
            if tables:
                sie_file._tables[name] = pa.concat_tables(tables)
        return sie_file


def with_keys(
    name: str, table: pa.Table, file_sha256: str, company_id: str, company_key: str | None
) -> pa.Table:
    """A bare table in its contract schema with its key columns (`KEY_COLUMNS`) filled in."""
    schema = SCHEMAS[name]
    keys = {
        column: pa.repeat(pa.scalar(value, pa.string()), table.num_rows)
        for column, value in zip(KEY_COLUMNS, (file_sha256, company_id, company_key), strict=True)
    }
    columns = [
        keys[f.name] if f.name in keys else table.column(f.name).cast(f.type) for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


class _SieReader:
    """One read of one file; holds the state the record handlers fill in."""

    def __init__(
        self,
        source: ByteSource,
        file_name: str,
        *,
        fast_path: bool,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.source = source
        self.file_name = file_name
        self.fast_path = fast_path
        self.chunk_bytes = chunk_bytes
        self.stage = _Stopwatch()
        self.line_offset = 0
        self.layout: FileLayout | None = None
        self.ends_with_line_break = True
        self.cr_line_ends = False
        self.replacement_characters = 0
        self.mojibake = 0
        self.missing_open = 0
        self.fast_balance_parts: list[pl.DataFrame] = []
        self.voucher_keys: list[pl.DataFrame] = []
        self.voucher_findings: list[Finding] = []
        self.movements: list[pl.DataFrame] = []
        self.first_use: list[pl.DataFrame] = []
        self.voucher_count = 0
        self.row_type_counts: dict[str, int] = {}
        self.header: dict[str, Any] = {}
        self.years: dict[int, tuple[date | None, date | None]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.dimensions: dict[int, dict[str, Any]] = {}
        self.objects: list[dict[str, Any]] = []
        self.balance_records: list[dict[str, Any]] = []
        self.slow_rows: list[dict[str, Any]] = []
        self.slow_vouchers: list[dict[str, Any]] = []
        self.unknown: dict[str, int] = {}
        self.warnings: list[str] = []
        self.ksumma_lines: list[tuple[int, str | None]] = []
        self.swapped_periods = 0
        self.rar_lines: list[tuple[int, int, date | None, date | None]] = []
        self.labels_seen: set[str] = set()
        self.skipped: list[Finding] = []

    def error(self, line_no: int, problem: str) -> SieError:
        return SieError(self.file_name, line_no, problem)

    # ---- driver -------------------------------------------------------------------------
    def open(self) -> None:
        """The first pass: identity and encoding; a non-SIE file is refused from its first
        megabyte, before the pass reads the rest (a 2 GB sparse file costs a megabyte)."""
        refuse_non_sie(next(self.source.blocks(SNIFF_BYTES), b""), self.file_name)
        self.scan = scan(self.source, prefix_bytes=SNIFF_BYTES)

    def body(self) -> Iterator[tuple[str, pa.Table]]:
        """The second pass: each chunk's vouchers and rows as they are read (bare tables,
        without the key columns), while the other records and the checks' sums accumulate."""
        stage = self.stage
        first_chunk = True
        chunks = voucher_chunks(self.source, self.scan, self.chunk_bytes)
        following = next(chunks, None)
        while following is not None:
            # One chunk of lookahead: a block still open at the end of the last chunk is a
            # truncated file, elsewhere a #VER inside an open block.
            chunk, following = following, next(chunks, None)
            text = self._decode(chunk, first_chunk)
            del chunk
            stage("decode")
            lines = split_lines(text, first_line_no=self.line_offset + 1)
            self._check_is_sie(lines, first_chunk=first_chunk)
            layout = file_layout(text, lines)
            if layout.last_line_kind != BLANK:
                self.layout = layout
            self.ends_with_line_break = text.endswith("\n")
            next_line_offset = self.line_offset + text.count("\n")
            del text
            stage("split")
            voucher_seq_by_line = self._check_structure(
                lines, next_line_offset + 1, last_chunk=following is None
            )
            stage("structure")
            fast_rows, fast_vouchers = self._read_fast(lines)
            stage("fast_path")
            self.slow_rows, self.slow_vouchers = [], []
            self._read_records(lines)
            del lines
            stage("records")
            vouchers = self._vouchers(fast_vouchers)
            rows = self._rows(fast_rows, voucher_seq_by_line, vouchers)
            del fast_rows, fast_vouchers, voucher_seq_by_line
            stage("typing")
            self._accumulate(vouchers, rows)
            stage("checks")
            yield "sie_vouchers", _to_arrow(vouchers, "sie_vouchers")
            yield "sie_voucher_rows", _to_arrow(rows, "sie_voucher_rows")
            stage.restart()  # the consumer's time (its inserts) is not the reader's
            self.line_offset = next_line_offset
            first_chunk = False
        if self.layout is None:
            raise self.error(1, "the file is empty: no SIE records")

    def _decode(self, chunk: bytes, first_chunk: bool) -> str:
        encoding = self.scan.encoding
        if encoding == UTF8_BOM and not first_chunk:
            encoding = UTF8
        text = chunk.decode(encoding)
        if not self.scan.has_line_feed and "\r" in text:
            # Classic Mac OS line endings: records end with CR alone.
            text = text.replace("\r", "\n")
            self.cr_line_ends = True
        self.replacement_characters += text.count("\ufffd")
        if "Ã" in text:  # the regex is slow; every mojibake sequence starts with Ã
            self.mojibake += count_mojibake(text)
        return text

    def _accumulate(self, vouchers: pl.DataFrame, rows: pl.DataFrame) -> None:
        """Keep what the whole-file checks need from a chunk; drop the chunk itself."""
        self.voucher_keys.append(
            vouchers.select("series", "voucher_number", "voucher_date", "line_no")
        )
        self.voucher_findings.extend(voucher_balance_findings(rows))
        self.movements.append(
            rows.filter(pl.col("row_type") == "TRANS")
            .group_by("account_number")
            .agg(pl.col("amount").sum())
            .with_columns(row_type=pl.lit("TRANS"))
        )
        self.first_use.append(rows.group_by("account_number").agg(pl.col("line_no").min()))
        self.voucher_count += vouchers.height
        for row_type, count in rows.get_column("row_type").value_counts().iter_rows():
            self.row_type_counts[row_type] = self.row_type_counts.get(row_type, 0) + count

    def finish(self, chunk_rows: int) -> SieFile:
        """Everything but the chunks' vouchers and rows, with every finding; after `body`."""
        stage = self.stage
        checksum_status, checksum_findings = self._verify_checksum(
            self.scan.encoding in (CP437, ASCII)
        )
        if self.cr_line_ends:
            self.warnings.insert(0, "records end with CR only (no LF): read as line endings")
        self.warnings[1 if self.cr_line_ends else 0 : 0] = text_warnings(
            self.replacement_characters, self.mojibake
        )
        vouchers = pl.concat(self.voucher_keys) if self.voucher_keys else _VOUCHER_KEYS
        first_use = pl.concat(self.first_use)
        movements = pl.concat(self.movements)
        balances = self._balances()
        accounts = self._accounts(first_use, balances)
        stage("typing")
        account_types = {
            number: str(info["account_type"])
            for number, info in self.accounts.items()
            if info.get("account_type")
        }
        sie_type = self.header.get("sie_type")
        has_vouchers = self.voucher_count > 0
        # Account-level balances only: per-object rows repeat the account's amount per object.
        account_balances = balances.filter(pl.col("object_no") == 0)
        assert self.layout is not None
        layout = replace(self.layout, ends_with_line_break=self.ends_with_line_break)
        findings = [
            *checksum_findings,
            *completeness_findings(
                layout,
                sie_type=sie_type,
                labels=self.labels_seen,
                has_vouchers=has_vouchers,
                has_balances=not balances.is_empty(),
                rar_lines=self.rar_lines,
            ),
            # polars sums Decimal(18, 2) into Decimal(38, 2): no overflow, no rounding.
            *self.voucher_findings,
            *self.skipped,
        ]
        if not has_vouchers and (sie_type or 1) >= VOUCHER_SIE_TYPE:
            findings.append(not_checked("voucher_balance", WARNING, "the file has no #VER records"))
        company_key_missing = no_company_key_finding(self.header.get("org_number"))
        if company_key_missing is not None:
            findings.append(company_key_missing)
        findings.extend(opening_balance_findings(account_balances, account_types))
        if has_vouchers or (sie_type or 1) >= VOUCHER_SIE_TYPE:
            findings.extend(reconciliation_findings(movements, account_balances, account_types))
        else:
            # SIE 1-3 files carry balances but no vouchers: movements cannot be reconciled.
            why = f"a #SIETYP {sie_type or 1} file carries no vouchers"
            findings.extend(
                not_checked(invariant, INFO, why)
                for invariant in ("ib_plus_trans_equals_ub", "trans_equals_res")
            )
        findings.extend(
            anomaly_findings(
                vouchers,
                first_use,
                balances,
                declared={n for n, info in self.accounts.items() if info.get("declared")},
                declared_lines={
                    n: info["line_no"] for n, info in self.accounts.items() if "line_no" in info
                },
                year0=self.years.get(0),
            )
        )
        if self.missing_open:
            self.warnings.append(f"{self.missing_open} #VER records without '{{' (tolerated)")
        if self.swapped_periods:
            self.warnings.append(
                f"{self.swapped_periods} #PSALDO/#PBUDGET records with account and period "
                "swapped (read as the period the value looks like)"
            )
        if self.unknown:
            names = ", ".join(f"{label} x{count}" for label, count in sorted(self.unknown.items()))
            self.warnings.append(f"unknown labels ignored: {names}")
        findings.extend(
            Finding("reader_warning", "*", None, None, WARNING, warning)
            for warning in self.warnings
        )
        stage("checks")
        year0 = self.years.get(0, (None, None))
        return SieFile(
            file_sha256=self.scan.sha256,
            file_name=self.file_name,
            size_bytes=self.scan.size,
            detected_encoding=self.scan.encoding,
            sie_type=self.header.get("sie_type"),
            program=self.header.get("program"),
            program_version=self.header.get("program_version"),
            generated_on=self.header.get("generated_on"),
            company_name=self.header.get("company_name"),
            org_number=self.header.get("org_number"),
            fortnox_customer_id=self.header.get("fortnox_customer_id"),
            year_start=year0[0],
            year_end=year0[1],
            checksum_status=checksum_status,
            warnings=self.warnings,
            voucher_count=self.voucher_count,
            trans_rows=self.row_type_counts.get("TRANS", 0),
            rtrans_rows=self.row_type_counts.get("RTRANS", 0),
            btrans_rows=self.row_type_counts.get("BTRANS", 0),
            unknown_labels=sum(self.unknown.values()),
            findings=findings,
            chunk_rows=chunk_rows,
            stage_seconds=stage.seconds,
            stage_cpu_seconds=stage.cpu_seconds,
            _tables={
                "sie_accounts": accounts,
                "sie_dimensions": self._dimensions_table(),
                "sie_objects": _arrow_rows(self.objects, "sie_objects"),
                "sie_balances": _to_arrow(balances, "sie_balances"),
                "sie_vouchers": _empty_table("sie_vouchers"),
                "sie_voucher_rows": _empty_table("sie_voucher_rows"),
            },
        )

    # ---- structure ----------------------------------------------------------------------
    def _check_is_sie(self, lines: pl.DataFrame, *, first_chunk: bool) -> None:
        """Reject what is not SIE at all: an empty file, an HTML page, stray text lines."""
        kinds = lines.select("line_no", "kind")  # never copy the text column to look at kinds
        first = kinds.filter(pl.col("kind") != BLANK).head(1)
        if not first_chunk:
            first = first.filter(pl.col("kind") == GARBAGE)
        if first.is_empty() and first_chunk:
            raise self.error(1, "the file is empty: no SIE records")
        if not first.is_empty() and first.item(0, "kind") == GARBAGE:
            raise self.error(
                first.item(0, "line_no"),
                "not a SIE file: the first record does not start with '#' "
                "(an HTML page or another format saved as .se?)",
            )
        garbage = kinds.filter(pl.col("kind") == GARBAGE).head(1)
        if not garbage.is_empty():
            raise self.error(
                garbage.item(0, "line_no"), "not a SIE record: the line does not start with '#'"
            )

    def _check_structure(
        self, lines: pl.DataFrame, next_line_no: int, *, last_chunk: bool
    ) -> pl.DataFrame:
        """Check #VER blocks open and close properly; number the vouchers.

        A #VER opens a block and `}` closes it; the `{` after #VER is expected but tolerated
        when missing (real e-conomic files). A #VER inside an open block, a row outside one,
        a stray brace, or a block still open at the end of the file is structural.

        Returns:
            `line_no` -> `voucher_seq` (1-based #VER order) for every row line.
        """
        structure = (
            lines.select("line_no", "kind").filter(pl.col("kind").is_in([VER, OPEN, CLOSE, ROW]))
        ).select(
            "line_no",
            "kind",
            depth=(pl.col("kind") == VER).cum_sum().cast(pl.Int64)
            - (pl.col("kind") == CLOSE).cum_sum().cast(pl.Int64),
            voucher_seq=(pl.col("kind") == VER).cum_sum().cast(pl.Int64) + self.voucher_count,
            previous=pl.col("kind").shift(1),
            following=pl.col("kind").shift(-1),
            ver_line=pl.when(pl.col("kind") == VER).then(pl.col("line_no")).forward_fill(),
        )
        problems = structure.filter(
            ((pl.col("kind") == VER) & (pl.col("depth") > 1))
            | ((pl.col("kind") == CLOSE) & (pl.col("depth") < 0))
            | ((pl.col("kind") == ROW) & (pl.col("depth") != 1))
            | ((pl.col("kind") == OPEN) & (pl.col("previous").fill_null(-1) != VER))
        ).head(1)
        if not problems.is_empty():
            line_no, kind = problems.item(0, "line_no"), problems.item(0, "kind")
            if kind == VER:
                opened = structure.filter(
                    (pl.col("kind") == VER) & (pl.col("line_no") < line_no)
                ).get_column("line_no")[-1]
                raise self.error(
                    line_no, f"#VER while the block of the #VER at line {opened} is still open"
                )
            if kind == CLOSE:
                raise self.error(line_no, "'}' without an open #VER block")
            if kind == ROW:
                raise self.error(line_no, "a #TRANS/#RTRANS/#BTRANS row outside a #VER block")
            raise self.error(line_no, "'{' that does not follow a #VER")
        if not structure.is_empty() and structure.get_column("depth")[-1] != 0:
            opened = structure.get_column("ver_line")[-1]
            if not last_chunk:
                # The chunk ends just before a #VER: that #VER comes while the block is open.
                raise self.error(
                    next_line_no, f"#VER while the block of the #VER at line {opened} is still open"
                )
            raise self.error(
                opened, "the #VER block starting here never closes: the file is truncated"
            )
        missing_open = structure.filter(
            (pl.col("kind") == VER) & (pl.col("following").fill_null(-1) != OPEN)
        ).height
        self.missing_open += missing_open
        return structure.filter(pl.col("kind") == ROW).select("line_no", "voucher_seq")

    # ---- fast path ----------------------------------------------------------------------
    def _read_fast(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Read the #TRANS-family and #VER lines the strict patterns claim, all at once."""
        row_lines = lines.filter(pl.col("kind") == ROW).select("line_no", "line")
        ver_lines = lines.filter(pl.col("kind") == VER).select("line_no", "line")
        record_lines = lines.filter(pl.col("kind") == RECORD).select("line_no", "line")
        if not self.fast_path:
            self._unclaimed = pl.concat([row_lines, ver_lines, record_lines])
            return _empty_frame(("line_no", *ROW_FIELDS)), _empty_frame(("line_no", *VER_FIELDS))
        extracted_rows, extracted_vouchers, period_balances, object_balances, plain_balances = (
            pl.collect_all(
                [
                    extract(row_lines, ROW_PATTERN, ROW_FIELDS),
                    extract(ver_lines, VER_PATTERN, VER_FIELDS),
                    extract(record_lines, PERIOD_BALANCE_PATTERN, BALANCE_FIELDS),
                    extract(
                        record_lines,
                        OBJECT_BALANCE_PATTERN,
                        tuple(c for c in BALANCE_FIELDS if c != "period"),
                    ),
                    extract(
                        record_lines,
                        PLAIN_BALANCE_PATTERN,
                        tuple(c for c in BALANCE_FIELDS if c not in ("period", "objects_raw")),
                    ),
                ],
                engine="streaming",
            )
        )
        balances = pl.concat(
            [
                frame.filter(pl.col("record").is_not_null())
                for frame in (period_balances, object_balances, plain_balances)
            ],
            how="diagonal",
        )
        self.fast_balance_parts.append(
            balances.select(
                "line_no",
                pl.col("record").str.to_uppercase(),
                *[unquote(c) for c in ("year_index", "period", "account")],
                "objects_raw",
                *[unquote(c) for c in ("amount", "quantity")],
            )
        )
        claimed_records = balances.get_column("line_no")
        self._unclaimed = pl.concat(
            [
                extracted_rows.filter(pl.col("row_type").is_null()).select("line_no", "line"),
                extracted_vouchers.filter(pl.col("series").is_null()).select("line_no", "line"),
                record_lines.filter(~pl.col("line_no").is_in(claimed_records.implode())),
            ]
        )
        rows = (
            extracted_rows.lazy()
            .filter(pl.col("row_type").is_not_null())
            .select(
                "line_no",
                pl.col("row_type").str.to_uppercase(),
                "objects_raw",
                *[unquote(c) for c in ROW_FIELDS if c not in ("row_type", "objects_raw")],
            )
        )
        vouchers = (
            extracted_vouchers.lazy()
            .filter(pl.col("series").is_not_null())
            .select("line_no", *[unquote(c) for c in VER_FIELDS])
        )
        fast_rows, fast_vouchers = pl.collect_all([rows, vouchers], engine="streaming")
        return fast_rows, fast_vouchers

    # ---- careful path -------------------------------------------------------------------
    def _read_records(self, lines: pl.DataFrame) -> None:
        """Tokenize every other record and hand it to its label's handler."""
        careful = self._unclaimed.sort("line_no")
        # Which labels the file has at all (for the completeness checks): the fast path's
        # lines are only #TRANS-family, #VER and balance records.
        self.labels_seen |= set(
            lines.filter(pl.col("kind") == RECORD)
            .select(
                pl.col("line")
                .str.extract(r"^[ \t]*(#[^ \t\"{}]*)")
                .str.to_uppercase()
                .unique()
                .alias("label")
            )
            .get_column("label")
            .drop_nulls()
            .to_list()
        )
        handlers: dict[str, Callable[[int, Record], None]] = {
            "#TRANS": self._row,
            "#RTRANS": self._row,
            "#BTRANS": self._row,
            "#VER": self._voucher,
            "#PROGRAM": self._program,
            "#GEN": self._generated,
            "#SIETYP": self._sie_type,
            "#FNR": self._header_text("fortnox_customer_id"),
            "#ORGNR": self._header_text("org_number"),
            "#FNAMN": self._header_text("company_name"),
            "#RAR": self._financial_year,
            "#KONTO": self._account,
            "#KTYP": self._account_attribute("account_type"),
            "#ENHET": self._account_attribute("unit"),
            "#SRU": self._sru,
            "#DIM": self._dimension,
            "#UNDERDIM": self._dimension,
            "#OBJEKT": self._object,
            "#KSUMMA": self._ksumma,
            **dict.fromkeys(BALANCE_LABELS, self._balance),
        }
        for line_no, line in careful.iter_rows():
            record = tokenize_record(line)
            if record is None:
                continue
            handler = handlers.get(record.label)
            if handler is not None:
                handler(line_no, record)
            elif record.label not in _IGNORED_LABELS:
                self.unknown[record.label] = self.unknown.get(record.label, 0) + 1

    def _row(self, line_no: int, record: Record) -> None:
        pairs = self._object_pairs(line_no, record.objects(1) or [])
        self.slow_rows.append(
            {
                "line_no": line_no,
                "row_type": record.label[1:],
                "account": record.text(0),
                **_object_columns(pairs),
                "amount": record.text(2),
                "transdat": record.text(3),
                "text": record.text(4),
                "quantity": record.text(5),
                "sign": record.text(6),
            }
        )

    def _voucher(self, line_no: int, record: Record) -> None:
        self.slow_vouchers.append(
            {"line_no": line_no, **{name: record.text(i) for i, name in enumerate(VER_FIELDS)}}
        )

    def _program(self, line_no: int, record: Record) -> None:
        self.header["program"] = record.text(0)
        self.header["program_version"] = record.text(1)

    def _generated(self, line_no: int, record: Record) -> None:
        self.header["generated_on"] = self._lenient_date(line_no, record.text(0), "#GEN")

    def _sie_type(self, line_no: int, record: Record) -> None:
        value = record.text(0)
        if value is not None and _ascii_digits(value) and len(value) < _YEAR_INDEX_DIGITS:
            self.header["sie_type"] = int(value)
        else:
            self.warnings.append(f"line {line_no}: #SIETYP is not a number")

    def _header_text(self, key: str) -> Callable[[int, Record], None]:
        def handle(line_no: int, record: Record) -> None:
            value = record.text(0)
            self.header[key] = value.strip() if value else None

        return handle

    def _financial_year(self, line_no: int, record: Record) -> None:
        index = _integer(record.text(0))
        if index is None:
            raise self.error(line_no, "#RAR without a year index")
        if len(str(abs(index))) > _YEAR_INDEX_DIGITS:
            raise self.error(line_no, "the year index is out of range")
        start = self._lenient_date(line_no, record.text(1), "#RAR start")
        end = self._lenient_date(line_no, record.text(2), "#RAR end")
        self.rar_lines.append((line_no, index, start, end))
        self.years.setdefault(index, (start, end))  # the first #RAR of an index counts

    def _account(self, line_no: int, record: Record) -> None:
        number = self._account_number(line_no, record)
        if number is None:
            return
        entry = self.accounts.setdefault(number, {})
        if entry.get("declared"):
            self.skipped.append(
                Finding(
                    "account_declared_twice",
                    number,
                    None,
                    None,
                    WARNING,
                    f"#KONTO {number} is declared again (first at line {entry['line_no']}): "
                    "the later name is kept",
                    line_no,
                )
            )
        else:
            entry["line_no"] = line_no
        entry["account_name"] = record.text(1)
        entry["declared"] = True

    def _account_attribute(self, key: str) -> Callable[[int, Record], None]:
        def handle(line_no: int, record: Record) -> None:
            number = self._account_number(line_no, record)
            if number is not None:
                self.accounts.setdefault(number, {})[key] = record.text(1)

        return handle

    def _sru(self, line_no: int, record: Record) -> None:
        number = self._account_number(line_no, record)
        if number is None:
            return
        code = record.text(1)
        if code is not None:
            self.accounts.setdefault(number, {}).setdefault("sru", []).append(code)

    def _dimension(self, line_no: int, record: Record) -> None:
        dimension = self._dimension_number(line_no, record.text(0))
        parent = (
            self._dimension_number(line_no, record.text(2))
            if record.label == "#UNDERDIM" and record.text(2) is not None
            else None
        )
        self.dimensions[dimension] = {
            "dimension": dimension,
            "name": record.text(1),
            "parent_dimension": parent,
        }

    def _object(self, line_no: int, record: Record) -> None:
        self.objects.append(
            {
                "dimension": self._dimension_number(line_no, record.text(0)),
                "object_id": record.text(1),
                "object_name": record.text(2),
            }
        )

    def _ksumma(self, line_no: int, record: Record) -> None:
        self.ksumma_lines.append((line_no, record.text(0)))

    def _balance(self, line_no: int, record: Record) -> None:
        """#IB #UB #RES #OIB #OUB #PSALDO #PBUDGET: positional scalars around one object list.

        BL Administration 2018 writes `#PBUDGET 0 <account> <period> <amount>` (account and
        period swapped, no braces): a period found in the account's place swaps them back.
        """
        label = record.label
        scalars = [value for value in record.fields[1:] if isinstance(value, str)]
        period = None
        if label in ("#PSALDO", "#PBUDGET"):
            period, scalars = (scalars[0] if scalars else None), scalars[1:]
            if not _is_period(period) and scalars and _is_period(scalars[0]):
                period, scalars[0] = scalars[0], period or ""
                self.swapped_periods += 1
        members: list[str] = next((v for v in record.fields[1:] if isinstance(v, list)), [])
        pairs = self._object_pairs(line_no, members) if members else []
        padded = [*scalars, None, None, None]
        # One row per object: a record for the combination {1 "10" 6 "P1"} keeps both.
        for object_no, (dimension, object_id) in enumerate(pairs or [(None, None)]):
            self.balance_records.append(
                {
                    "line_no": line_no,
                    "record": label[1:],
                    "year_index": record.text(0),
                    "period": period or None,
                    "account": padded[0],
                    "object_no": object_no + 1 if pairs else 0,
                    "dimension": dimension,
                    "object_id": object_id,
                    "objects_key": _objects_key(pairs),
                    "amount": padded[1],
                    "quantity": padded[2],
                }
            )

    # ---- field helpers ------------------------------------------------------------------
    def _account_number(self, line_no: int, record: Record) -> str | None:
        """The account exactly as written (text: `0351`, `DIFF`); a record without one is
        skipped with a finding, since it describes nothing."""
        value = record.text(0)
        if value is None:
            self.skipped.append(
                Finding(
                    "record_skipped",
                    record.label,
                    None,
                    None,
                    WARNING,
                    f"{record.label} without an account number: skipped",
                    line_no,
                )
            )
        return value

    def _dimension_number(self, line_no: int, value: str | None) -> int:
        number = _integer(value)
        if number is None:
            raise self.error(line_no, "the dimension number is missing or not a number")
        if not 0 <= number <= _INT32_MAX:
            raise self.error(line_no, f"the dimension number {value} is out of range")
        return number

    def _object_pairs(self, line_no: int, members: list[str]) -> list[tuple[int, str]]:
        if len(members) % 2:
            raise self.error(line_no, "an object list needs dimension/object pairs")
        return [
            (self._dimension_number(line_no, members[i]), members[i + 1])
            for i in range(0, len(members), 2)
        ]

    def _lenient_date(self, line_no: int, value: str | None, what: str) -> date | None:
        """Header dates are informative: a bad one becomes a warning, not a rejected file."""
        if value is None:
            return None
        try:
            return datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            self.warnings.append(f"line {line_no}: {what} date is not YYYYMMDD")
            return None

    # ---- checksum -----------------------------------------------------------------------
    def _verify_checksum(self, is_cp437: bool) -> tuple[str, list[Finding]]:
        """Check #KSUMMA; a start marker without an end marker means a truncated file."""
        if not self.ksumma_lines:
            return "absent", []
        starts = [line_no for line_no, value in self.ksumma_lines if value is None]
        ends = [(line_no, value) for line_no, value in self.ksumma_lines if value is not None]
        if not ends:
            raise self.error(
                starts[0], "#KSUMMA start marker without an end marker: the file is truncated"
            )
        end_line, expected_text = ends[-1]
        if not starts or not _ascii_digits(expected_text):
            finding = Finding(
                "ksumma", "*", None, None, ERROR, "#KSUMMA end marker without a start marker"
            )
            return "mismatch", [finding]
        # The region may span the whole file: read it whole, only for a file with #KSUMMA.
        data = self.source.read_all()
        if b"\n" not in data:
            data = data.replace(b"\r", b"\n")
        byte_lines = data.split(b"\n")
        region = b"\n".join(byte_lines[starts[0] : end_line - 1])
        actual = ksumma_crc(region)
        expected = int(expected_text)
        if actual == expected:
            return "ok", []
        note = "" if is_cp437 else " (the file is not CP437, which the checksum is defined on)"
        finding = Finding(
            "ksumma",
            "*",
            Decimal(expected),
            Decimal(actual),
            ERROR,
            f"#KSUMMA does not match the records: the file was changed after it was written{note}",
        )
        return "mismatch", [finding]

    # ---- tables -------------------------------------------------------------------------
    def _vouchers(self, fast: pl.DataFrame) -> pl.DataFrame:
        slow = pl.DataFrame(
            self.slow_vouchers, schema=dict.fromkeys(("line_no", *VER_FIELDS), pl.String)
        ).with_columns(pl.col("line_no").cast(pl.Int64))
        combined = (
            pl.concat([fast.select(slow.columns).cast(slow.schema), slow])
            .sort("line_no")
            .with_row_index("voucher_seq", offset=1 + self.voucher_count)
            .with_columns(pl.col("voucher_seq").cast(pl.Int64))
        )
        typed = _Typed(self, combined)
        return typed.select(
            "voucher_seq",
            "line_no",
            series=_empty_to_null("series"),
            voucher_number=typed.integer("number", "voucher number", required=False),
            voucher_date=typed.date("date", "voucher date", required=True),
            text=_empty_to_null("text"),
            registration_date=typed.date("regdate", "registration date", required=False),
            signature=_empty_to_null("sign"),
        )

    def _rows(
        self, fast: pl.DataFrame, voucher_seq: pl.DataFrame, vouchers: pl.DataFrame
    ) -> pl.DataFrame:
        columns = ("line_no", "row_type", "account", *_OBJECT_COLUMNS, *ROW_FIELDS[3:])
        schema: dict[str, pl.DataType] = {
            **dict.fromkeys(columns, pl.String()),
            "line_no": pl.Int64(),
            "objects": _OBJECTS,
        }
        slow = pl.DataFrame(self.slow_rows, schema=schema)
        lookup = pl.DataFrame(
            [
                {"objects_raw": body, **_object_columns(pairs)}
                for body, pairs in self._object_bodies(fast, "objects_raw").items()
            ],
            schema={"objects_raw": pl.String, **{c: schema[c] for c in _OBJECT_COLUMNS}},
        )
        fast = fast.join(lookup, on="objects_raw", how="left")
        # The joins keep the rows' order (sorted by line), so one sort does.
        combined = (
            pl.concat([fast.select(columns).cast(slow.schema), slow])
            .sort("line_no")
            .join(voucher_seq, on="line_no", how="left", maintain_order="left")
            .join(
                vouchers.select(
                    "voucher_seq",
                    "series",
                    "voucher_number",
                    "voucher_date",
                    voucher_line_no="line_no",
                ),
                on="voucher_seq",
                how="left",
                maintain_order="left",
            )
        )
        typed = _Typed(self, combined)
        return typed.select(
            "voucher_seq",
            "line_no",
            "series",
            "voucher_number",
            row_no=position_in_run("voucher_seq"),
            row_type="row_type",
            account_number=typed.text("account", "account number", required=True),
            cost_center="cost_center",
            project="project",
            objects="objects",
            amount=typed.decimal("amount", "amount", AMOUNT, required=True),
            transaction_date=typed.date("transdat", "transaction date", required=False).fill_null(
                pl.col("voucher_date")
            ),
            text=_empty_to_null("text"),
            quantity=typed.decimal("quantity", "quantity", QUANTITY, required=False),
            signature=_empty_to_null("sign"),
            voucher_line_no="voucher_line_no",
        )

    def _balances(self) -> pl.DataFrame:
        columns = ("line_no", "record", "year_index", "period", "account", "object_no")
        schema = {
            **dict.fromkeys(columns, pl.String),
            "line_no": pl.Int64,
            "object_no": pl.Int32,
            "dimension": pl.Int32,
            "object_id": pl.String,
            "objects_key": pl.String,
            "amount": pl.String,
            "quantity": pl.String,
        }
        frame = pl.concat(
            [self._fast_balance_frame(), pl.DataFrame(self.balance_records, schema=schema)]
        )
        years = pl.DataFrame(
            [
                {"year_index": k, "year_start": v[0], "year_end": v[1]}
                for k, v in self.years.items()
            ],
            schema={"year_index": pl.Int32, "year_start": pl.Date, "year_end": pl.Date},
        )
        typed = _Typed(self, frame)
        balances = typed.select(
            "line_no",
            "record",
            year_index=typed.integer(
                "year_index",
                "year index",
                required=True,
                signed=True,
                max_digits=_YEAR_INDEX_DIGITS,
            ).cast(pl.Int32),
            period=typed.text_matching("period", _PERIOD, "period (YYYYMM)"),
            account_number=typed.text("account", "account number", required=True),
            object_no="object_no",
            dimension="dimension",
            object_id="object_id",
            objects_key="objects_key",
            amount=typed.decimal("amount", "amount", AMOUNT, required=True),
            quantity=typed.decimal("quantity", "quantity", QUANTITY, required=False),
        )
        return balances.join(years, on="year_index", how="left").sort("line_no", "object_no")

    def _object_bodies(self, frame: pl.DataFrame, column: str) -> dict[str, list[tuple[int, str]]]:
        """Parse each distinct fast-path `{...}` body once into (dimension, object) pairs."""
        parsed = {}
        for body in frame.get_column(column).drop_nulls().unique().to_list():
            members = object_members(body)
            try:
                parsed[body] = self._object_pairs(0, members)
            except SieError as error:
                line_no = frame.filter(pl.col(column) == body).item(0, "line_no")
                raise self.error(line_no, error.problem) from None
        return parsed

    def _fast_balance_frame(self) -> pl.DataFrame:
        """Fast-path balances in the careful path's shape: a row per object, period swap fixed."""
        fast = (
            pl.concat(self.fast_balance_parts)
            if self.fast_balance_parts
            else _empty_frame(("line_no", *BALANCE_FIELDS))
        )
        objects = self._object_bodies(fast, "objects_raw")
        # One lookup row per (body, object); a body without objects gets one row, object_no 0.
        # The left join then repeats a record once per object of its list.
        lookup = pl.DataFrame(
            [
                {
                    "objects_raw": body,
                    "object_no": number + 1 if pairs else 0,
                    "dimension": dimension,
                    "object_id": object_id,
                    "objects_key": _objects_key(pairs),
                }
                for body, pairs in objects.items()
                for number, (dimension, object_id) in enumerate(pairs or [(None, None)])
            ],
            schema={
                "objects_raw": pl.String,
                "object_no": pl.Int32,
                "dimension": pl.Int32,
                "object_id": pl.String,
                "objects_key": pl.String,
            },
        )
        fast = fast.join(lookup, on="objects_raw", how="left", maintain_order="left")
        period_record = pl.col("record").is_in(["PSALDO", "PBUDGET"])
        swap = (
            period_record
            & ~pl.col("period").fill_null("").str.contains(PERIOD_RE)
            & pl.col("account").fill_null("").str.contains(PERIOD_RE)
        )
        self.swapped_periods += fast.filter(swap).height
        return fast.select(
            "line_no",
            "record",
            "year_index",
            period=pl.when(swap).then(pl.col("account")).otherwise(pl.col("period")),
            account=pl.when(swap).then(pl.col("period")).otherwise(pl.col("account")),
            object_no=pl.col("object_no").fill_null(0),
            dimension="dimension",
            object_id="object_id",
            objects_key=pl.col("objects_key").fill_null(""),
            amount="amount",
            quantity="quantity",
        ).with_columns(
            pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
            for c in ("period", "account")
        )

    def _accounts(self, rows: pl.DataFrame, balances: pl.DataFrame) -> pa.Table:
        """Declared accounts plus every account used but never declared (`declared` false).

        Ordered by the account's number where it is one (`351` before `1930`), then as text.
        """
        used = set(rows.get_column("account_number").unique().to_list())
        used |= set(balances.get_column("account_number").unique().to_list())
        for number in used - set(self.accounts):
            self.accounts[number] = {}
        records = [
            {
                "account_number": number,
                "account_name": info.get("account_name"),
                "account_type": info.get("account_type"),
                "unit": info.get("unit"),
                "sru_codes": ",".join(info["sru"]) if info.get("sru") else None,
                "declared": bool(info.get("declared")),
            }
            for number, info in sorted(self.accounts.items(), key=lambda i: account_order(i[0]))
        ]
        return _arrow_rows(records, "sie_accounts")

    def _dimensions_table(self) -> pa.Table:
        return _arrow_rows([self.dimensions[d] for d in sorted(self.dimensions)], "sie_dimensions")


class _Stopwatch:
    """Wall and CPU seconds per reader stage, kept on the SieFile for the benchmark.

    CPU seconds (all threads) matter on a shared machine, where other jobs inflate wall time.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def restart(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def __call__(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        # Summed over a file's chunks: a stage runs once per chunk.
        self.seconds[name] = self.seconds.get(name, 0.0) + wall - self._wall
        self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + cpu - self._cpu
        self._wall, self._cpu = wall, cpu


class _Typed:
    """Vectorised text-to-type conversion; a bad value is a SieError naming its line.

    The checks are gathered while the column expressions are built and run by `select`, all
    in one pass over the frame: each group's cheap test (one regex that every good value
    matches) first; only when one fails are that group's checks run one by one, in the order
    they were made, so the error (its message and line) is the one a check-by-check run gives.
    """

    def __init__(self, reader: _SieReader, frame: pl.DataFrame) -> None:
        self.reader = reader
        self.frame = frame
        self._groups: list[tuple[pl.Expr, list[tuple[pl.Expr, str]]]] = []

    def _check(self, checks: list[tuple[pl.Expr, str]], quick: pl.Expr | None = None) -> None:
        """Register `checks` (bad-value test, problem); `quick` is true wherever any is."""
        if quick is None:
            quick = pl.any_horizontal([bad for bad, _ in checks])
        self._groups.append((quick, checks))

    def select(self, *names: str, **columns: pl.Expr | str) -> pl.DataFrame:
        """Run every check, then the select; raises the first bad value's SieError."""
        if self._groups:
            failed = self.frame.select(
                quick.fill_null(False).any().alias(f"g{number}")
                for number, (quick, _) in enumerate(self._groups)
            ).row(0)
            for did_fail, (_, checks) in zip(failed, self._groups, strict=True):
                if did_fail:
                    for bad, problem in checks:
                        self._fail_first(bad, problem)
        return self.frame.select(*names, **columns)

    def _fail_first(self, bad: pl.Expr, problem: str) -> None:
        offending = self.frame.filter(bad).select("line_no").head(1)
        if not offending.is_empty():
            raise self.reader.error(offending.item(), problem)

    def _present(self, column: str, what: str, *, required: bool) -> pl.Expr:
        value = pl.col(column)
        if required:
            self._check([(value.is_null() | (value == ""), f"the {what} is missing")])
        return pl.when(value == "").then(None).otherwise(value)

    def integer(
        self,
        column: str,
        what: str,
        *,
        required: bool,
        signed: bool = False,
        max_digits: int = 18,
    ) -> pl.Expr:
        value = self._present(column, what, required=required)
        pattern = _SIGNED_INTEGER if signed else _INTEGER
        good = rf"^{'-?' if signed else ''}[0-9]{{1,{max_digits}}}$"
        self._check(
            [
                (
                    value.is_not_null() & ~value.str.contains(pattern),
                    f"the {what} is not a whole number",
                ),
                (
                    value.str.strip_chars_start("-").str.len_chars() > max_digits,
                    f"the {what} is out of range (more than {max_digits} digits)",
                ),
            ],
            quick=value.is_not_null() & ~value.str.contains(good),
        )
        return value.cast(pl.Int64)

    def text(self, column: str, what: str, *, required: bool) -> pl.Expr:
        """Text exactly as written (account numbers): never parsed, so never altered."""
        return self._present(column, what, required=required)

    def date(self, column: str, what: str, *, required: bool) -> pl.Expr:
        value = self._present(column, what, required=required)
        parsed = value.str.strptime(pl.Date, "%Y%m%d", strict=False)
        self._check(
            [
                (
                    value.is_not_null() & (~value.str.contains(_DATE) | parsed.is_null()),
                    f"the {what} is not a date (YYYYMMDD)",
                )
            ]
        )
        return parsed

    def text_matching(self, column: str, pattern: str, what: str) -> pl.Expr:
        value = self._present(column, what, required=False)
        self._check([(value.is_not_null() & ~value.str.contains(pattern), f"bad {what}")])
        return value

    def decimal(
        self, column: str, what: str, arrow_type: pa.DataType, *, required: bool
    ) -> pl.Expr:
        """Exact decimals: a value that would need rounding is refused before polars casts it."""
        value = self._present(column, what, required=required)
        whole_digits = arrow_type.precision - arrow_type.scale
        exact = rf"^-?\d{{1,{whole_digits}}}(\.\d{{0,{arrow_type.scale}}}0*)?$"
        # Both checks at once: ASCII digits and a digit after any '.' (as _NUMBER), within the
        # type's digits (as `exact`).
        good = rf"^-?[0-9]{{1,{whole_digits}}}(\.[0-9]{{1,{arrow_type.scale}}}0*)?$"
        self._check(
            [
                (
                    value.is_not_null() & ~value.str.contains(_NUMBER),
                    f"the {what} is not a number with '.' as decimal point",
                ),
                (
                    value.is_not_null() & ~value.str.contains(exact),
                    f"the {what} has more decimals or digits than {arrow_type} holds",
                ),
            ],
            quick=value.is_not_null() & ~value.str.contains(good),
        )
        return value.cast(pl.Decimal(arrow_type.precision, arrow_type.scale))


_OBJECT_COLUMNS = ("objects", "cost_center", "project")
_OBJECTS = pl.List(pl.Struct({"dimension": pl.Int32, "object_id": pl.String}))


def _object_columns(pairs: list[tuple[int, str]]) -> dict[str, Any]:
    """A row's object list (dimension/object structs, null when empty), plus its cost centre
    (dimension 1) and project (dimension 6); when a dimension appears twice the first wins."""
    by_dimension = dict(reversed(pairs))
    return {
        "objects": [{"dimension": d, "object_id": o} for d, o in pairs] or None,
        "cost_center": by_dimension.get(COST_CENTER_DIMENSION),
        "project": by_dimension.get(PROJECT_DIMENSION),
    }


def _is_period(value: str | None) -> bool:
    return value is not None and re.fullmatch(r"[0-9]{4}(0[1-9]|1[0-2])", value) is not None


def _ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _objects_key(pairs: list[tuple[int, str]]) -> str:
    """A record's whole object list as one text, to tell duplicate balance records apart."""
    return " ".join(f"{dimension}:{object_id}" for dimension, object_id in pairs)


def account_order(account: str) -> tuple[int, int, str]:
    """Sort key for account text: numbers by value (`351` before `1930`), then the rest."""
    if _ascii_digits(account):
        return (0, int(account), account)
    return (1, 0, account)


def _empty_to_null(column: str) -> pl.Expr:
    value = pl.col(column)
    return pl.when(value == "").then(None).otherwise(value)


def _empty_frame(columns: Iterable[str]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {name: pl.String() for name in columns}
    schema["line_no"] = pl.Int64()
    return pl.DataFrame(schema=schema)


_SIGNED_INTEGER_RE = re.compile(_SIGNED_INTEGER)


def _integer(value: str | None) -> int | None:
    """A whole number in ASCII digits (Python's int() would also take `１２`), else None."""
    if value is None or _SIGNED_INTEGER_RE.fullmatch(value) is None:
        return None
    return int(value)


def _to_arrow(frame: pl.DataFrame, table: str) -> pa.Table:
    """A polars frame as an Arrow table with exactly the contract's columns (keys added later)."""
    fields = [f for f in SCHEMAS[table] if f.name in frame.columns]
    arrow = frame.select([f.name for f in fields]).to_arrow()
    return pa.Table.from_arrays(
        [arrow.column(f.name).cast(f.type) for f in fields], schema=pa.schema(fields)
    )


def _empty_table(table: str) -> pa.Table:
    fields = [f for f in SCHEMAS[table] if f.name not in KEY_COLUMNS]
    return pa.schema(fields).empty_table()


_VOUCHER_KEYS = pl.DataFrame(
    schema={
        "series": pl.String,
        "voucher_number": pl.Int64,
        "voucher_date": pl.Date,
        "line_no": pl.Int64,
    }
)


def _arrow_rows(records: list[dict[str, Any]], table: str) -> pa.Table:
    fields = [f for f in SCHEMAS[table] if f.name not in KEY_COLUMNS]
    return pa.Table.from_pylist(records, schema=pa.schema(fields))


def _findings_table(findings: list[Finding]) -> pa.Table:
    return _arrow_rows(
        [
            {
                "check": f.check,
                "subject": f.subject,
                "expected": f.expected,
                "actual": f.actual,
                "severity": f.severity,
                "message": f.message,
                "line_no": f.line_no,
            }
            for f in findings
        ],
        "sie_findings",
    )

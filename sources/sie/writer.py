"""The SIE 4 writer: rows in the SIE tables' schema in, a SIE 4 (type 4E) file's bytes out.

Whatever the rows came from (a Fortnox export, another program's file, the warehouse), the file
says the same thing when read back: the same vouchers and rows in the same order (#RTRANS and
#BTRANS kept as audit rows), the same accounts, dimensions, objects and balances, and a #KSUMMA
over its records (sie4.md §1.6). Texts are always quoted with `"` written `\\"` (the format's
only escape); bytes are CP437 (`#FORMAT PC8`), CRLF line ends.

Account numbers and object ids are written exactly as stored (text or integer), never
re-formatted, so a leading zero survives. Amounts are exact decimals, written without trailing
zeros. What the format cannot carry is replaced and counted in `SieWriteResult.notes`, never
dropped silently: a character CP437 lacks (U+FFFD from a lossy source becomes `?`), a control
character (a space), a text ending in a backslash inside quotes (a space is added: the format
has no escape for it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pyarrow as pa

from sources.sie.checksum import ksumma_crc

PROGRAM_NAME = "fortnox-pipeline"
LINE_END = "\r\n"
ENCODING = "cp437"
_BARE = re.compile(r"^[A-Za-z0-9_.\-]+$")  # safe to write unquoted
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RECORD_PREFIX = "#"
_BALANCE_WITH_OBJECTS = ("OIB", "OUB")
_PERIOD_BALANCES = ("PSALDO", "PBUDGET")
_PLAIN_BALANCES = ("IB", "UB", "RES")


class SieWriteError(ValueError):
    """The rows cannot make a SIE file (e.g. a period spanning two financial years)."""


@dataclass
class SieBooks:
    """One company's books for one period, in the SIE tables' columns (see `tables.py`).

    Frames may carry extra columns (warehouse keys, dlt columns); only the contract's are used.
    `years` is the #RAR list: year index -> (first day, last day).
    """

    company_name: str | None
    org_number: str | None
    fortnox_customer_id: str | None
    years: dict[int, tuple[date | None, date | None]]
    accounts: pl.DataFrame
    dimensions: pl.DataFrame
    objects: pl.DataFrame
    balances: pl.DataFrame
    vouchers: pl.DataFrame
    rows: pl.DataFrame
    source_files: list[str] = field(default_factory=list)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pa.Table | pl.DataFrame]) -> SieBooks:
        """Books from one file's tables (`SieFile.tables()`, or one file's warehouse rows).

        Args:
            tables: the SIE tables by name; `sie_files` must hold exactly one row.
        """
        frames = {name: _frame(table) for name, table in tables.items()}
        files = frames["sie_files"]
        if files.height != 1:
            raise SieWriteError(f"expected the rows of one SIE file, got {files.height} files")
        header = files.row(0, named=True)
        balances = frames["sie_balances"]
        years: dict[int, tuple[date | None, date | None]] = {}
        for index, start, end in (
            balances.filter(pl.col("year_start").is_not_null() | pl.col("year_end").is_not_null())
            .select("year_index", "year_start", "year_end")
            .unique()
            .iter_rows()
        ):
            years.setdefault(int(index), (start, end))
        if header.get("year_start") or header.get("year_end"):
            years[0] = (header.get("year_start"), header.get("year_end"))
        return cls(
            company_name=header.get("company_name"),
            org_number=header.get("org_number"),
            fortnox_customer_id=header.get("fortnox_customer_id"),
            years=years,
            accounts=_frame(frames["sie_accounts"]),
            dimensions=_frame(frames["sie_dimensions"]),
            objects=_frame(frames["sie_objects"]),
            balances=_frame(balances).sort("line_no"),
            vouchers=_frame(frames["sie_vouchers"]).sort("line_no"),
            rows=_frame(frames["sie_voucher_rows"]).sort("line_no"),
            source_files=[str(header.get("file_sha256"))],
        )

    def for_period(self, first_day: date, last_day: date) -> SieBooks:
        """The books of a period inside year 0: its vouchers, and balances as of its days.

        The whole year returns the books as they are (every balance record, years 0 and -1).
        A part of it: `#RAR 0` is the period, `#IB` the balance before its first day (year
        opening plus earlier #TRANS), `#UB` after its last day, `#RES` and `#PSALDO` its
        movements; earlier years' balances are left out (they belong to the year's file).

        Raises:
            SieWriteError: the period is not inside year 0 (or the books have no year 0).
        """
        year_start, year_end = self.years.get(0, (None, None))
        if (first_day, last_day) == (year_start, year_end):
            return self
        if first_day > last_day:
            raise SieWriteError(f"the period {first_day}..{last_day} ends before it starts")
        if year_start is None or year_end is None:
            raise SieWriteError("the books have no financial year (#RAR 0) to take a period of")
        if first_day < year_start or last_day > year_end:
            raise SieWriteError(
                f"the period {first_day}..{last_day} is not inside the financial year"
                f" {year_start}..{year_end}: write one file per financial year"
            )
        before = self._voucher_rows_where(pl.col("voucher_date") < first_day)
        inside = self._voucher_rows_where(pl.col("voucher_date").is_between(first_day, last_day))
        vouchers = self.vouchers.filter(pl.col("voucher_date").is_between(first_day, last_day))
        return SieBooks(
            company_name=self.company_name,
            org_number=self.org_number,
            fortnox_customer_id=self.fortnox_customer_id,
            years={0: (first_day, last_day)},
            accounts=self.accounts,
            dimensions=self.dimensions,
            objects=self.objects,
            balances=self._period_balances(before, inside, first_day, last_day),
            vouchers=vouchers,
            rows=inside,
            source_files=self.source_files,
        )

    def _voucher_rows_where(self, condition: pl.Expr) -> pl.DataFrame:
        """Rows of the vouchers meeting `condition` (on voucher columns), with `voucher_date`.

        A row belongs to the #VER before it in the file (series and number may be empty in
        4I files, so they cannot tie rows to vouchers).
        """
        vouchers = self.vouchers.select(
            voucher_line=pl.col("line_no"),
            voucher_date=pl.col("voucher_date"),
            wanted=condition,
        ).sort("voucher_line")
        tied = self.rows.sort("line_no").join_asof(
            vouchers, left_on="line_no", right_on="voucher_line", strategy="backward"
        )
        return tied.filter(pl.col("wanted")).drop("voucher_line", "wanted")

    def _period_balances(
        self, before: pl.DataFrame, inside: pl.DataFrame, first_day: date, last_day: date
    ) -> pl.DataFrame:
        amount_type = self.balances.schema.get("amount", pl.Decimal(18, 2))
        account_type = self.balances.schema.get(
            "account_number", self.rows.schema["account_number"]
        )
        opening = self.balances.filter(
            (pl.col("record") == "IB") & (pl.col("year_index") == 0) & pl.col("dimension").is_null()
        ).select("account_number", "amount")
        trans_before = before.filter(pl.col("row_type") == "TRANS").select(
            "account_number", "amount"
        )
        trans_inside = inside.filter(pl.col("row_type") == "TRANS")
        balance_accounts = self._balance_accounts()

        def summed(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.group_by("account_number").agg(pl.col("amount").sum())

        ib = summed(
            pl.concat(
                [opening.cast({"amount": amount_type}), trans_before.cast({"amount": amount_type})]
            )
        ).filter(pl.col("account_number").is_in(balance_accounts))
        movement = summed(trans_inside.select("account_number", "amount"))
        ub = summed(
            pl.concat(
                [ib, movement.filter(pl.col("account_number").is_in(balance_accounts))],
                how="vertical_relaxed",
            )
        )
        res = movement.filter(~pl.col("account_number").is_in(balance_accounts))
        psaldo = (
            trans_inside.group_by(
                period=pl.col("voucher_date").dt.strftime("%Y%m"), account_number="account_number"
            )
            .agg(pl.col("amount").sum())
            .sort("period", "account_number")
        )
        parts = [
            frame.filter(pl.col("amount") != 0)
            .sort("account_number")
            .select(
                record=pl.lit(record),
                year_index=pl.lit(0, pl.Int32),
                period=pl.lit(None, pl.String) if record != "PSALDO" else pl.col("period"),
                account_number=pl.col("account_number").cast(account_type),
                dimension=pl.lit(None, pl.Int32),
                object_id=pl.lit(None, pl.String),
                amount=pl.col("amount").cast(pl.Decimal(38, 2)),
                quantity=pl.lit(None, pl.Decimal(18, 4)),
            )
            for record, frame in (("IB", ib), ("UB", ub), ("RES", res), ("PSALDO", psaldo))
        ]
        combined = pl.concat(parts)
        return combined.with_row_index("line_no").with_columns(
            pl.col("line_no").cast(pl.Int64),
            year_start=pl.lit(first_day),
            year_end=pl.lit(last_day),
        )

    def _balance_accounts(self) -> pl.Series:
        """Accounts of the balance sheet: #KTYP T/S when declared, else BAS 1xxx-2xxx."""
        accounts = pl.concat(
            [
                self.accounts.select("account_number", "account_type"),
                self.rows.select("account_number", account_type=pl.lit(None, pl.String)),
                self.balances.select("account_number", account_type=pl.lit(None, pl.String)),
            ]
        ).unique("account_number", keep="first")
        typed = pl.col("account_type").str.to_uppercase()
        number = pl.col("account_number").cast(pl.String).str.slice(0, 1)
        is_balance = (
            pl.when(typed.is_in(["T", "S"]))
            .then(True)
            .when(typed.is_in(["K", "I"]))
            .then(False)
            .otherwise(
                number.is_in(["1", "2"])
                & (pl.col("account_number").cast(pl.String).str.len_chars() >= 4)
            )
        )
        return accounts.filter(is_balance).get_column("account_number")


@dataclass(frozen=True)
class SieWriteResult:
    """A written file and what the format could not carry exactly."""

    data: bytes
    notes: list[str]
    vouchers: int
    rows: int


class _Text:
    """Field formatting that counts every change the format forces on a text."""

    def __init__(self) -> None:
        self.unencodable = 0
        self.control = 0
        self.trailing_backslash = 0

    def clean(self, value: str) -> str:
        if _CONTROL.search(value):
            self.control += len(_CONTROL.findall(value))
            value = _CONTROL.sub(" ", value)
        encoded = value.encode(ENCODING, errors="replace")
        if b"?" in encoded and encoded.count(b"?") != value.count("?"):
            self.unencodable += encoded.count(b"?") - value.count("?")
            value = encoded.decode(ENCODING)
        return value

    def quoted(self, value: Any) -> str:
        """Any value as a quoted field; None is `""`."""
        if value is None:
            return '""'
        text = self.clean(str(value))
        if text.endswith("\\"):
            if _BARE.match(text.rstrip("\\") or "x") and " " not in text:
                return text  # unquoted, a backslash is plain text
            self.trailing_backslash += 1
            text += " "
        return '"' + text.replace('"', '\\"') + '"'

    def token(self, value: Any) -> str:
        """An identifier (account, series, number): bare when it can be, else quoted."""
        if value is None:
            return '""'
        text = str(value)
        return text if _BARE.match(text) else self.quoted(text)

    def notes(self) -> list[str]:
        notes = []
        if self.unencodable:
            notes.append(
                f"{self.unencodable} characters CP437 cannot hold were written as '?'"
                " (U+FFFD in a text means the source file had already lost them)"
            )
        if self.control:
            notes.append(f"{self.control} control characters in texts were written as spaces")
        if self.trailing_backslash:
            notes.append(
                f"{self.trailing_backslash} texts ending in a backslash got a trailing space"
                " (SIE has no escape for a backslash before the closing quote)"
            )
        return notes


def _frame(table: pa.Table | pl.DataFrame) -> pl.DataFrame:
    frame = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _ymd(day: date | None) -> str | None:
    return None if day is None else f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _number(value: Decimal | None) -> str | None:
    """An exact decimal as SIE writes it: `.` as decimal point, no trailing zeros, no `+`."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _line(label: str, fields: Iterable[str | None]) -> str:
    """One record; trailing missing fields left out, inner ones written `""`."""
    values = list(fields)
    while values and values[-1] is None:
        values.pop()
    return " ".join([label, *('""' if v is None else v for v in values)])


def _object_list(pairs: Any, text: _Text) -> str:
    if not pairs:
        return "{}"
    members = []
    for pair in pairs:
        members.append(f"{pair['dimension']} {text.quoted(pair['object_id'])}")
    return "{" + " ".join(members) + "}"


def _header(books: SieBooks, program_version: str, generated_on: date, text: _Text) -> list[str]:
    lines = [
        _line("#PROGRAM", [text.quoted(PROGRAM_NAME), text.token(program_version)]),
        "#FORMAT PC8",
        _line("#GEN", [_ymd(generated_on)]),
        "#SIETYP 4",
    ]
    if books.fortnox_customer_id:
        lines.append(_line("#FNR", [text.quoted(books.fortnox_customer_id)]))
    if books.org_number:
        lines.append(_line("#ORGNR", [text.token(books.org_number)]))
    lines.append(_line("#FNAMN", [text.quoted(books.company_name or "")]))
    for index in sorted(books.years, reverse=True):
        start, end = books.years[index]
        lines.append(_line("#RAR", [str(index), _ymd(start), _ymd(end)]))
    return lines


def _chart(books: SieBooks, text: _Text) -> list[str]:
    lines = []
    for row in books.dimensions.sort("dimension").iter_rows(named=True):
        if row.get("parent_dimension") is not None:
            lines.append(
                _line(
                    "#UNDERDIM",
                    [str(row["dimension"]), text.quoted(row["name"]), str(row["parent_dimension"])],
                )
            )
        else:
            lines.append(_line("#DIM", [str(row["dimension"]), text.quoted(row["name"])]))
    for row in books.objects.iter_rows(named=True):
        lines.append(
            _line(
                "#OBJEKT",
                [
                    str(row["dimension"]),
                    text.quoted(row["object_id"]),
                    text.quoted(row["object_name"]),
                ],
            )
        )
    for row in books.accounts.iter_rows(named=True):
        account = text.token(row["account_number"])
        if row.get("declared"):
            lines.append(_line("#KONTO", [account, text.quoted(row.get("account_name") or "")]))
        if row.get("account_type"):
            lines.append(_line("#KTYP", [account, text.token(row["account_type"])]))
        if row.get("unit"):
            lines.append(_line("#ENHET", [account, text.quoted(row["unit"])]))
        for code in (row.get("sru_codes") or "").split(","):
            if code:
                lines.append(_line("#SRU", [account, text.token(code)]))
    return lines


def _balances(books: SieBooks, text: _Text) -> list[str]:
    """One record per source line: a balance with several objects is one row per object in the
    tables (`object_no` 1, 2, ...) and goes back to one line with all its objects."""
    lines = []
    for group in _balance_lines(books.balances):
        row = group[0]
        record = row["record"]
        pairs = [member for member in group if member.get("dimension") is not None]
        objects = (
            "{"
            + " ".join(
                f"{member['dimension']} {text.quoted(member['object_id'])}" for member in pairs
            )
            + "}"
        )
        account = text.token(row["account_number"])
        year = str(row["year_index"])
        amount, quantity = _number(row["amount"]), _number(row.get("quantity"))
        if record in _PERIOD_BALANCES:
            fields = [year, row.get("period"), account, objects, amount, quantity]
        elif record in _BALANCE_WITH_OBJECTS or pairs:
            fields = [year, account, objects, amount, quantity]
        else:
            fields = [year, account, amount, quantity]
        lines.append(_line(f"#{record}", fields))
    return lines


def _balance_lines(balances: pl.DataFrame) -> list[list[dict[str, Any]]]:
    """Balance rows grouped by the line they came from (computed rows stand alone)."""
    groups: list[list[dict[str, Any]]] = []
    previous_line: Any = None
    for row in balances.iter_rows(named=True):
        line_no = row.get("line_no")
        if groups and line_no is not None and line_no == previous_line and row.get("object_no"):
            groups[-1].append(row)
        else:
            groups.append([row])
        previous_line = line_no
    return groups


def _vouchers(books: SieBooks, text: _Text) -> list[str]:
    """Every #VER block, rows under the voucher they follow in the source (by line number)."""
    vouchers = books.vouchers.select(
        "line_no",
        "series",
        "voucher_number",
        "voucher_date",
        "text",
        "registration_date",
        "signature",
    ).with_columns(kind=pl.lit(0))
    rows = books.rows.select(
        "line_no",
        "row_type",
        "account_number",
        "objects",
        "amount",
        "transaction_date",
        "text",
        "quantity",
        "signature",
    )
    lines: list[str] = []
    row_iter = rows.iter_rows(named=True)
    pending = next(row_iter, None)
    voucher_rows = vouchers.iter_rows(named=True)
    current = next(voucher_rows, None)
    while current is not None:
        following = next(voucher_rows, None)
        voucher_date = current["voucher_date"]
        lines.append(
            _line(
                "#VER",
                [
                    text.token(current["series"]),
                    text.token(current["voucher_number"]),
                    _ymd(voucher_date),
                    text.quoted(current["text"]) if current["text"] is not None else None,
                    _ymd(current["registration_date"]),
                    text.quoted(current["signature"]) if current["signature"] is not None else None,
                ],
            )
        )
        lines.append("{")
        limit = following["line_no"] if following is not None else None
        while pending is not None and (limit is None or pending["line_no"] < limit):
            if pending["line_no"] > current["line_no"]:
                transaction_date = pending["transaction_date"]
                lines.append(
                    _line(
                        f"#{pending['row_type']}",
                        [
                            text.token(pending["account_number"]),
                            _object_list(pending["objects"], text),
                            _number(pending["amount"]),
                            None if transaction_date == voucher_date else _ymd(transaction_date),
                            None if pending["text"] is None else text.quoted(pending["text"]),
                            _number(pending["quantity"]),
                            None
                            if pending["signature"] is None
                            else text.quoted(pending["signature"]),
                        ],
                    )
                )
            pending = next(row_iter, None)
        lines.append("}")
        current = following
    return lines


def write_sie4(
    books: SieBooks,
    *,
    generated_on: date,
    program_version: str = "0",
) -> SieWriteResult:
    """The SIE 4 (type 4E) file of `books`, with #KSUMMA.

    Args:
        books: what to write (a whole file's rows, or `SieBooks.for_period`).
        generated_on: the `#GEN` date; pass a fixed date for byte-identical output.
        program_version: the `#PROGRAM` version field.

    Returns:
        The file's bytes and what the format forced to change (see the module docstring).
    """
    text = _Text()
    records = [
        *_header(books, program_version, generated_on, text),
        *_chart(books, text),
        *_balances(books, text),
        *_vouchers(books, text),
    ]
    body = LINE_END.join(records) + LINE_END
    encoded = body.encode(ENCODING)  # every text was made CP437-safe by _Text.clean
    crc = ksumma_crc(encoded)
    data = (
        f"#FLAGGA 0{LINE_END}#KSUMMA{LINE_END}".encode(ENCODING)
        + encoded
        + f"#KSUMMA {crc}{LINE_END}".encode(ENCODING)
    )
    return SieWriteResult(
        data=data, notes=text.notes(), vouchers=books.vouchers.height, rows=books.rows.height
    )

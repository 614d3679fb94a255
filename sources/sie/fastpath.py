"""Vectorised reading of SIE lines with polars: split, classify, and capture the common records.

This is the fast path of `sie.py`. Patterns are deliberately strict (no backslashes, spec layout
only) so that whatever they claim reads exactly as the reference tokenizer would read it; any
line they do not claim goes to `sie_tokens.tokenize_record`.
"""

from __future__ import annotations

import polars as pl

# Fast path (Rust regex via polars). A field is a quoted string without backslashes or an
# unquoted run; a line with a backslash, odd quoting or extra fields is left to the tokenizer,
# which makes the two paths agree by construction.
_FIELD = r'("[^"\\]*"|[^ \t\r\n"{}\\]+)'


# The `{...}` body as plain runs and quoted strings: unambiguous (no two ways to split a run
# into members), which lets the regex engine capture in one pass; about 2.5x faster than
# matching member by member. The body is tokenized once per distinct value afterwards.
_OBJECT_LIST = r'[ \t]*\{([^{}"\\]*(?:"[^"\\]*"[^{}"\\]*)*)\}[ \t]*'


def _optional_fields(count: int) -> str:
    """Nested optional trailing fields: unambiguous, so the regex engine can run one-pass."""
    pattern = ""
    for _ in range(count):
        pattern = rf"(?:[ \t]+{_FIELD}" + pattern
    return pattern + ")?" * count


# Lines reach the patterns with trailing whitespace stripped; labels are matched
# case-insensitively by character classes, which is much cheaper than (?i).
ROW_PATTERN = (
    rf"^[ \t]*#([RBrb]?[Tt][Rr][Aa][Nn][Ss])[ \t]+{_FIELD}{_OBJECT_LIST}{_FIELD}"
    rf"{_optional_fields(4)}$"
)
VER_PATTERN = (
    rf"^[ \t]*#[Vv][Ee][Rr][ \t]+{_FIELD}[ \t]+{_FIELD}[ \t]+{_FIELD}{_optional_fields(3)}$"
)


def _label(*names: str) -> str:
    """A capture group matching any of `names` case-insensitively with plain classes."""
    spelled = ["".join(f"[{c.upper()}{c.lower()}]" for c in name) for name in names]
    return f"#({'|'.join(spelled)})"


# Balance records: #PSALDO/#PBUDGET (year, period, account, {objects}, amount, quantity),
# #OIB/#OUB (year, account, {objects}, amount, quantity), #IB/#UB/#RES (year, account, amount,
# quantity). Only the spec's layout is claimed; anything else goes to the tokenizer.
PERIOD_BALANCE_PATTERN = (
    rf"^[ \t]*{_label('PSALDO', 'PBUDGET')}[ \t]+{_FIELD}[ \t]+{_FIELD}[ \t]+{_FIELD}"
    rf"{_OBJECT_LIST}{_FIELD}{_optional_fields(1)}$"
)
OBJECT_BALANCE_PATTERN = (
    rf"^[ \t]*{_label('OIB', 'OUB')}[ \t]+{_FIELD}[ \t]+{_FIELD}"
    rf"{_OBJECT_LIST}{_FIELD}{_optional_fields(1)}$"
)
PLAIN_BALANCE_PATTERN = (
    rf"^[ \t]*{_label('IB', 'UB', 'RES')}[ \t]+{_FIELD}[ \t]+{_FIELD}[ \t]+{_FIELD}"
    rf"{_optional_fields(1)}$"
)
BALANCE_FIELDS = ("record", "year_index", "period", "account", "objects_raw", "amount", "quantity")
# ASCII digits only: Rust's and Python's \d also match other scripts' digits (１２５).
PERIOD_RE = r"^[0-9]{4}(0[1-9]|1[0-2])$"

# Line kinds, as small integers (cheaper than strings over millions of lines).
BLANK, OPEN, CLOSE, ROW, VER, RECORD, GARBAGE = range(7)

# A label ends at whitespace, a quote or a brace (as in the tokenizer). Anchored patterns stop
# after a few characters, cheaper than slicing off the line's head first.
_ROW_HEAD = r'^[ \t]*#[RBrb]?[Tt][Rr][Aa][Nn][Ss]([ \t"{]|$)'
_VER_HEAD = r'^[ \t]*#[Vv][Ee][Rr]([ \t"{]|$)'

_ROW_COLUMNS = ("row_type", "account", "objects_raw", "amount", "transdat", "text", "quantity")
ROW_FIELDS = (*_ROW_COLUMNS, "sign")
VER_FIELDS = ("series", "number", "date", "text", "regdate", "sign")


def split_lines(text: str, first_line_no: int = 1) -> pl.DataFrame:
    """One row per line (split on LF only, as the spec says), classified by what it starts with.

    Kinds: blank, open (`{`), close (`}`), row (#TRANS/#RTRANS/#BTRANS), ver, record (any other
    `#label`) and garbage (text that is no SIE record).
    """
    lines = (
        pl.DataFrame({"line": [text]})
        .select(pl.col("line").str.split("\n"))
        .explode("line")
        .with_row_index("line_no", offset=first_line_no)
    )
    bare = pl.col("line").str.strip_chars_start(" \t")
    kind = (
        pl.when(bare == "")
        .then(BLANK)
        .when(bare == "{")
        .then(OPEN)
        .when(bare == "}")
        .then(CLOSE)
        .when(pl.col("line").str.contains(_ROW_HEAD))
        .then(ROW)
        .when(pl.col("line").str.contains(_VER_HEAD))
        .then(VER)
        .when(bare.str.starts_with("#"))
        .then(RECORD)
        .otherwise(GARBAGE)
        .cast(pl.Int8)
    )
    # Lazy, so the stripped line (`bare`, used four times) is computed once (common
    # subexpression elimination): a third less time than the same expressions run eagerly.
    return (
        lines.lazy()
        .select(pl.col("line_no").cast(pl.Int64), pl.col("line").str.strip_chars_end(" \t\r"))
        .with_columns(kind.alias("kind"))
        .collect()
    )


def extract(lines: pl.DataFrame, pattern: str, names: tuple[str, ...]) -> pl.LazyFrame:
    """Capture groups of `pattern` as columns `names`; all null where the line does not match."""
    fields = pl.col("line").str.extract_groups(pattern).alias("fields")
    renames = {str(i + 1): name for i, name in enumerate(names)}
    return lines.lazy().select("line_no", "line", fields).unnest("fields").rename(renames)


def unquote(column: str) -> pl.Expr:
    """Fast-path fields: drop surrounding quotes (there are no escapes on this path)."""
    return pl.col(column).str.strip_chars('"')


def position_in_run(column: str) -> pl.Expr:
    """1-based position within runs of equal values (rows are in file order, so a voucher's
    rows form one run): a cumulative trick much cheaper than a window function."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    starts = pl.col(column) != pl.col(column).shift(1).fill_null(-1)
    return (index - pl.when(starts).then(index).forward_fill() + 1).cast(pl.Int32)

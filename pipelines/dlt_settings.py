"""dlt settings this project's runs default to, set before dlt reads its configuration."""

from __future__ import annotations

import os

DLT_DEFAULTS = {"data_writer.disable_compression": "true"}
"""dlt settings (dotted config keys) this project's runs default to; a value the user gave,
in the environment or in `.dlt/config.toml`, wins.

Without compression: dlt gzips the files it extracts, which its normalize step reads once
from the same disk and deletes; on a large company's first load the gzip writes were about
10 CPU s of 100 (the pipeline's process, measured). DuckDB's load files are Parquet, which
compresses by itself.
"""


def apply_dlt_defaults() -> None:
    """Set `DLT_DEFAULTS` (as environment variables) where the user's configuration does not
    (the command line does it at start)."""
    import dlt

    for key, value in DLT_DEFAULTS.items():
        if dlt.config.get(key) is None:
            os.environ.setdefault(key.upper().replace(".", "__"), value)

"""Exit codes of `fortnox-pipeline`, stable so that cron and CI jobs can act on them."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses; 2 is left to typer/click for usage errors."""

    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH_NEEDED = 3
    API_UNAVAILABLE = 4
    DATA_CHECK_FAILED = 5
    WAREHOUSE_BUSY = 6
    BAD_INPUT = 7
    NOT_FOUND = 8
    SCOPE_MISSING = 9

"""The source's warnings reach the stderr of the invocation that is running, never a closed one."""

import io
import logging
import sys

import pytest

from pipelines.cli.run import _show_source_warnings


def test_a_warning_after_stderr_was_swapped_goes_to_the_new_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    _show_source_warnings()
    first.close()  # the first invocation is over; its captured stderr is gone
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    _show_source_warnings()  # installed once: no second handler
    logging.getLogger("sources.fortnox.client").warning("GET %s: retry %d", "/3/prices", 1)
    assert second.getvalue().count("warning: GET /3/prices: retry 1") == 1

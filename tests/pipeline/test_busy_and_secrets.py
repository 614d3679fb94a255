"""Issue 5: a warehouse held open elsewhere fails the run before any request, with a clear
error; and nothing dlt keeps about a run (traces, state, packages) holds a secret."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dlt
import pytest

from pipelines.sandbox_session import SANDBOX_CLIENT_SECRET
from pipelines.warehouse import WarehouseBusyError
from tests.pipeline.conftest import LoadedCompany, Loader, api_requests, make_session

HOLD_WRITE_LOCK = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("CREATE TABLE IF NOT EXISTS analyst_notes (note TEXT)")
print("holding", flush=True)
time.sleep(120)
"""


@pytest.fixture
def held_warehouse(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A warehouse file with another process holding DuckDB's write lock on it."""
    path = tmp_path / "fortnox.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        yield path, holder.pid
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_held_warehouse_fails_fast_and_fetches_nothing(
    held_warehouse: tuple[Path, int], tmp_path: Path
) -> None:
    path, holder_pid = held_warehouse
    session = make_session()
    loader = Loader(session, session.tenants[0], tmp_path / "work", duckdb_path=path)
    client = loader.client  # logged in before the run: only the run's own requests count

    with pytest.raises(WarehouseBusyError) as raised:
        loader.run()

    assert raised.value.holder_pid == holder_pid
    assert str(path) in str(raised.value)
    assert api_requests(session) == {}
    assert client.stats.total_requests == 0
    pipeline_dir = loader.target.working_dir / f"fortnox_{loader.tenant}"
    assert not pipeline_dir.exists()  # no pipeline was even created


def secrets_of(loaded: LoadedCompany) -> dict[str, str]:
    """Every token the sandbox issued to the run's profile, and the client secret."""
    token_file = loaded.loader.token_dir / f"{loaded.loader.profile}.json"
    stored = json.loads(token_file.read_text(encoding="utf-8"))
    tokens = loaded.session.state.tokens
    issued = [*tokens._access_tokens, *tokens._refresh_tokens]  # the registry's own record
    found = {f"issued token {n}": token for n, token in enumerate(issued)}
    found.update(
        {
            "stored access token": stored["access_token"],
            "stored refresh token": stored["refresh_token"],
            "client secret": SANDBOX_CLIENT_SECRET,
        }
    )
    assert all(len(secret) >= 12 for secret in found.values())
    return found


def test_no_secret_in_dlt_traces_state_or_packages(small_load: LoadedCompany) -> None:
    secrets = secrets_of(small_load)
    pipelines_dir = small_load.loader.target.working_dir
    pipeline = dlt.attach(
        pipeline_name=f"fortnox_{small_load.loader.tenant}", pipelines_dir=str(pipelines_dir)
    )
    trace = pipeline.last_trace
    assert trace is not None
    texts = {
        "last_trace (str)": str(trace),
        "last_trace (asdict)": json.dumps(trace.asdict(), default=str),
        "pipeline state": json.dumps(pipeline.state, default=str),
    }
    files = [path for path in pipelines_dir.rglob("*") if path.is_file()]
    assert any(path.name == "trace.pickle" for path in files)
    leaks = [
        f"{what} in {where}"
        for where, text in texts.items()
        for what, secret in secrets.items()
        if secret in text
    ]
    leaks += [
        f"{what} in {path.relative_to(pipelines_dir)}"
        for path in files
        for what, secret in secrets.items()
        if secret.encode() in path.read_bytes()
    ]
    assert leaks == []

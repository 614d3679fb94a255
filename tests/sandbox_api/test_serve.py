"""`fortnox-pipeline sandbox serve` on loopback: ready line, OAuth, real requests, faults, stop."""

from __future__ import annotations

import base64
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

pytest.importorskip("sources.fortnox_sandbox.books")

READY_PREFIX = "sandbox listening on http://"
BASIC = {"Authorization": "Basic " + base64.b64encode(b"sandbox-client:sandbox-secret").decode()}


def _read_ready_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout).strip()
    except queue.Empty:
        pytest.fail(f"no ready line within {timeout} s")


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    command = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--vouchers-per-year",
        "60",
        "--fault-rate",
        "0.3",
        "--seed",
        "4",
        "--rate-limit",
        "1000/5",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = _read_ready_line(process, timeout=30)
        assert line.startswith(READY_PREFIX), line
        yield process, line.removeprefix("sandbox listening on ")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_serve_on_loopback(served: tuple[subprocess.Popen[str], str]) -> None:
    process, base_url = served
    assert urlsplit(base_url).hostname == "127.0.0.1" and urlsplit(base_url).port
    with httpx.Client(base_url=base_url, timeout=10) as http:
        consent = http.get(
            "/oauth-v1/auth",
            params={
                "client_id": "sandbox-client",
                "redirect_uri": "http://localhost/cb",
                "scope": "bookkeeping companyinformation",
                "state": "s1",
            },
        )
        assert consent.status_code == 302
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        tokens = http.post(
            "/oauth-v1/token",
            data={"grant_type": "authorization_code", "code": code},
            headers=BASIC,
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}

        outcomes: dict[str, int] = {}
        years = None
        for _ in range(40):
            try:
                response = http.get("/3/financialyears", headers=headers)
            except httpx.RemoteProtocolError:  # a dropped connection, as on a real network
                outcomes["drop"] = outcomes.get("drop", 0) + 1
                continue
            outcomes[str(response.status_code)] = outcomes.get(str(response.status_code), 0) + 1
            if response.status_code == 200:
                years = response.json()["FinancialYears"]
                assert response.headers["server"] == "Fortnox"
        assert years is not None and len(years) == 3
        assert "drop" in outcomes and outcomes["200"] >= 10
        assert set(outcomes) <= {"200", "500", "502", "503", "drop"}

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0

"""Issue 3 acceptance on the sandbox: login end to end, rotation, and two racing processes."""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sources.fortnox.client import FortnoxClient
from sources.fortnox.pacing import SlidingWindowLimiter
from sources.fortnox.token_store import TokenStore
from sources.fortnox_sandbox.app import create_app
from sources.fortnox_sandbox.state import STOCKHOLM, SandboxConfig
from tests.client.conftest import (
    REPO_ROOT,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    FakeClock,
    cli,
    login_without_browser,
    loopback,
    sandbox_auth,
    sandbox_env,
)


def _stats(base_url: str) -> dict[str, object]:
    return httpx.get(f"{base_url}/_sandbox/stats").json()


def test_login_end_to_end_then_ten_calls_rotate_the_refresh_token(tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(STOCKHOLM))
    app = create_app(SandboxConfig(access_token_ttl=1, rate_limit=None, clock=clock.now))
    token_dir = tmp_path / "tokens"
    store = TokenStore(token_dir)
    with loopback(app) as base_url:
        login = subprocess.Popen(
            [*cli(), "auth", "login", "--no-browser", "--profile", "e2e", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=sandbox_env(base_url, token_dir),
            cwd=tmp_path,
        )
        assert login.stdout is not None
        consent_url = ""
        for line in login.stdout:
            if line.startswith("http"):
                consent_url = line.strip()
                break
        assert consent_url.startswith(f"{base_url}/oauth-v1/auth?"), consent_url
        params = httpx.URL(consent_url).params
        assert params["access_type"] == "offline" and params["response_type"] == "code"
        assert len(params["state"]) >= 32
        # Play the user: the sandbox approves and redirects to the CLI's callback server.
        with httpx.Client(follow_redirects=True) as browser:
            landing = browser.get(consent_url)
        assert landing.status_code == 200 and "Logged in: profile e2e" in landing.text
        rest, errors = login.communicate(timeout=30)
        assert login.returncode == 0, errors
        assert "Logged in: profile e2e" in rest
        assert f"tenant: {app.state.sandbox.default_tenant}" in rest
        token_file = store.path_for("e2e")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

        status = subprocess.run(
            [*cli(), "auth", "status", "--profile", "e2e", "-o", "table"],
            capture_output=True,
            text=True,
            env=sandbox_env(base_url, token_dir),
            check=False,
        )
        assert status.returncode == 0 and "scopes: bookkeeping" in status.stdout
        stored = store.load("e2e")
        assert stored is not None
        assert stored.access_token not in status.stdout + status.stderr
        assert str(stored.refresh_token) not in status.stdout + status.stderr

        # Ten calls, each after the access token expired (the sandbox's clock and ours move).
        clock.advance(max(0.0, time.time() - clock.epoch()))
        auth = sandbox_auth(base_url, token_dir, profile="e2e", clock=clock.epoch)
        client = FortnoxClient(auth, base_url=base_url, limiter=SlidingWindowLimiter(100, 1.0))
        refresh_tokens = [stored.refresh_token]
        for _ in range(10):
            clock.advance(1.5)
            name = client.get_json("companyinformation")["CompanyInformation"]["CompanyName"]
            assert name
            current = store.load("e2e")
            assert current is not None
            refresh_tokens.append(current.refresh_token)
        client.close()
        assert len(set(refresh_tokens)) == 11
        stats = _stats(base_url)
        assert stats["token_requests"] == {"authorization_code": 1, "refresh_token": 10}
        assert stats["refresh_rejected"] == 0
        assert stats["statuses"] == {"200": 10}  # no 401 along the way: refreshed ahead of time

        # The sandbox rejects every old refresh token; the newest one still works.
        for old in refresh_tokens[:-1]:
            answer = httpx.post(
                f"{base_url}/oauth-v1/token",
                data={"grant_type": "refresh_token", "refresh_token": old},
                auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
            )
            assert answer.status_code == 400
            assert json.loads(answer.text)["error"] == "invalid_grant"
        assert _stats(base_url)["refresh_rejected"] == 10
        clock.advance(1.5)
        again = FortnoxClient(
            sandbox_auth(base_url, token_dir, profile="e2e", clock=clock.epoch),
            base_url=base_url,
            limiter=SlidingWindowLimiter(100, 1.0),
        )
        assert again.get_json("companyinformation")["CompanyInformation"]["CompanyName"] == name

        logout = subprocess.run(
            [*cli(), "auth", "logout", "--profile", "e2e"],
            capture_output=True,
            text=True,
            env=sandbox_env(base_url, token_dir),
            check=False,
        )
        assert logout.returncode == 0 and not token_file.exists()
        gone = subprocess.run(
            [*cli(), "auth", "status", "--profile", "e2e", "-o", "table"],
            capture_output=True,
            text=True,
            env=sandbox_env(base_url, token_dir),
            check=False,
        )
        assert gone.returncode == 3
        assert "auth login --profile e2e" in gone.stderr and "Traceback" not in gone.stderr


def _slow_token_endpoint(app: Any, delay_seconds: float) -> Any:
    """The app with a slow `/oauth-v1/token`, so that two refreshes would surely overlap."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/oauth-v1/token":
            await asyncio.sleep(delay_seconds)
        await app(scope, receive, send)

    return wrapped


def test_two_processes_after_expiry_both_succeed_with_exactly_one_refresh(tmp_path: Path) -> None:
    app = create_app(SandboxConfig(rate_limit=None))
    token_dir = tmp_path / "tokens"
    store = TokenStore(token_dir)
    with loopback(_slow_token_endpoint(app, 1.0)) as base_url:
        auth = sandbox_auth(base_url, token_dir)
        login_without_browser(auth)
        auth.close()
        stored = store.load("default")
        assert stored is not None
        stored.expires_at = stored.obtained_at = time.time() - 10  # expired an instant ago
        store.save("default", stored)
        httpx.post(f"{base_url}/_sandbox/stats/reset")

        env = sandbox_env(base_url, token_dir) | {"START_AT": str(time.time() + 2.5)}
        runs = [
            subprocess.Popen(
                [sys.executable, str(REPO_ROOT / "tests" / "client" / "_one_call.py")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=tmp_path,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=60) for run in runs]
        for run, (out, err) in zip(runs, outputs, strict=True):
            assert run.returncode == 0, err
            assert "company=" in out
        # One process refreshed; the other waited on the lock, re-read the store, spent nothing.
        spent = sorted(out.strip().rsplit("=", 1)[1] for out, _ in outputs)
        assert spent == ["0", "1"]
        stats = _stats(base_url)
        assert stats["token_requests"] == {"refresh_token": 1}
        assert stats["refresh_rejected"] == 0
        assert stats["requests"] == {"GET /3/companyinformation": 2}
        final = store.load("default")
        assert final is not None and final.refresh_token != stored.refresh_token

"""Benchmark whole-company loads: a first load and a repeat load, against the rate-limited sandbox.

    .venv/bin/python -m benchmarks.bench_pipeline [--scale medium large] [--seed 1]
        [--rate-limit 25/5] [--sandbox process|in-process]
        [--json benchmarks/out/bench_pipeline.json] [--keep DIR]

Each scale gets a fresh sandbox with Fortnox's rate limit on (25 requests per 5 s per tenant, as
production), a fresh DuckDB file and a fresh dlt working dir, and the real code path: the OAuth
login, the paced client, `run_company`. Reported per load: wall time, requests (the sandbox's own
count of `/3/` requests), 429s, rows loaded and rows/s, the rate-limit bound of the requests
(ceil(requests / 25) x 5 s) and the wall time's ratio to it, plus CPU seconds (a shared machine
shows up in wall time, not CPU time) and the machine's load average over the load.

By default (`--sandbox process`) the sandbox runs in a process of its own, served on loopback
(`fortnox-pipeline sandbox serve --port 0`), as Fortnox's servers are elsewhere: the pipeline's
CPU seconds are then its own, and the sandbox's (generating SIE exports and JSON pages, work
Fortnox does in production) are reported beside them. `--sandbox in-process` mounts the sandbox
in the pipeline's process (no port; both share one interpreter, and the CPU column counts both).

Per load, the pipeline's wall and CPU seconds are split by dlt step: extract (the requests, the
SIE exports parsed), normalize, load, and the rest (preparation, recording the run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dlt
import httpx

from pipelines.dlt_settings import apply_dlt_defaults
from pipelines.pipeline import WarehouseTarget, run_company
from pipelines.sandbox_session import (
    REDIRECT_URI,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SandboxSession,
)
from sources.fortnox.auth import FortnoxAuth
from sources.fortnox.client import FortnoxClient
from sources.fortnox.pacing import SlidingWindowLimiter
from sources.fortnox_sandbox.state import SandboxConfig

ROOT = Path(__file__).resolve().parents[1]
FORTNOX_RATE = (25, 5.0)
STEPS = ("extract", "normalize", "load")


@dataclass
class LoadMeasurement:
    """One load of one company, as the benchmark reports it."""

    scale: str
    load: str  # "first" or "repeat"
    wall_seconds: float
    cpu_seconds: float
    """CPU seconds of the pipeline's process (with `--sandbox in-process`, the sandbox's too)."""
    sandbox_cpu_seconds: float | None
    """CPU seconds of the sandbox's own process; None when it runs in the pipeline's."""
    requests: int
    rate_limited: int
    rows: int
    sie_requests: int
    bound_seconds: float
    load_average: tuple[float, ...]
    """The machine's 1, 5 and 15 minute load averages when the load finished (2 cores)."""
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    """dlt step -> wall and CPU seconds of the company's pipeline; `other` is the rest."""

    @property
    def rows_per_second(self) -> float:
        """Rows loaded per wall-clock second."""
        return self.rows / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def bound_ratio(self) -> float:
        """Wall time over the rate-limit bound of the requests (the target is 1.1 at most)."""
        return self.wall_seconds / self.bound_seconds if self.bound_seconds else 0.0


def rate_limit_bound(requests: int, rate: tuple[int, float] | None) -> float:
    """The least wall time `requests` can take under `rate`: ceil(requests / N) x T seconds."""
    window = rate or FORTNOX_RATE
    return math.ceil(requests / window[0]) * window[1]


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux `/proc/<pid>/stat`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def step_timings(pipeline_name: str) -> Iterator[dict[str, dict[str, float]]]:
    """Wall and CPU seconds of dlt's extract, normalize and load of one pipeline."""
    timings: dict[str, dict[str, float]] = {step: {"wall": 0.0, "cpu": 0.0} for step in STEPS}
    originals = {step: getattr(dlt.Pipeline, step) for step in STEPS}

    def timed(step: str) -> Any:
        original = originals[step]

        def method(self: dlt.Pipeline, *args: Any, **kwargs: Any) -> Any:
            if self.pipeline_name != pipeline_name:
                return original(self, *args, **kwargs)
            wall, cpu = time.perf_counter(), _own_cpu()
            try:
                return original(self, *args, **kwargs)
            finally:
                timings[step]["wall"] += time.perf_counter() - wall
                timings[step]["cpu"] += _own_cpu() - cpu

        return method

    for step in STEPS:
        setattr(dlt.Pipeline, step, timed(step))
    try:
        yield timings
    finally:
        for step, original in originals.items():
            setattr(dlt.Pipeline, step, original)


class ServedSandbox:
    """`fortnox-pipeline sandbox serve` in a process of its own, on a free loopback port."""

    def __init__(self, config: SandboxConfig, rate_limit: str) -> None:
        self.config = config
        self.process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "pipelines.cli", "sandbox", "serve", "--port", "0"),
                *("--scale", config.scale, "--seed", str(config.seed)),
                *("--rate-limit", rate_limit),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        match = re.search(r"http://[\d.]+:\d+", self.process.stdout.readline())
        if not match:
            self.close()
            raise RuntimeError("the sandbox did not start")
        self.url = match.group(0)
        self.http = httpx.Client(base_url=self.url, timeout=600)

    @property
    def tenants(self) -> list[int]:
        """The companies' DatabaseNumbers, in order."""
        return [int(tenant) for tenant in self.control("GET", "/_sandbox/truth")["tenants"]]

    def cpu_seconds(self) -> float:
        """CPU seconds the sandbox's process has used so far."""
        return _process_cpu(self.process.pid)

    def control(self, method: str, path: str, **params: Any) -> Any:
        """Call a sandbox-only endpoint (`/_sandbox/...`)."""
        response = self.http.request(method, path, params=params)
        response.raise_for_status()
        return response.json()

    def client(self, *, tenant: int, token_dir: Path, profile: str) -> FortnoxClient:
        """A production client over loopback, logged in by authorization code."""
        auth = FortnoxAuth(
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            profile=profile,
            auth_base_url=self.url,
            token_dir=token_dir,
        )
        consent = self.http.get(
            auth.authorization_url(
                redirect_uri=REDIRECT_URI, state="bench", extra_params={"tenant": str(tenant)}
            ),
            follow_redirects=False,
        )
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        auth.complete_login(code=code, redirect_uri=REDIRECT_URI)
        window = self.config.rate_limit or FORTNOX_RATE
        return FortnoxClient(
            auth, base_url=self.url, rate=window, limiter=SlidingWindowLimiter(*window)
        )

    def close(self) -> None:
        """Stop the sandbox's process."""
        with contextlib.suppress(AttributeError):
            self.http.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class InProcessSandbox:
    """The sandbox mounted in the pipeline's own process (`SandboxSession`)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.session = SandboxSession(config)
        self.tenants = self.session.tenants

    def cpu_seconds(self) -> float | None:
        """None: its CPU is the pipeline's process's."""
        return None

    def control(self, method: str, path: str, **params: Any) -> Any:
        """Call a sandbox-only endpoint (`/_sandbox/...`)."""
        return self.session.control(method, path, **params)

    def client(self, *, tenant: int, token_dir: Path, profile: str) -> FortnoxClient:
        """A production client over the in-process transport."""
        return self.session.client(tenant=tenant, token_dir=token_dir, profile=profile)

    def close(self) -> None:
        """Nothing to stop."""


def _api_requests(stats: dict[str, Any]) -> int:
    return sum(count for name, count in stats["requests"].items() if " /3/" in name)


def measure_scale(
    scale: str,
    *,
    seed: int,
    rate_limit: str,
    workdir: Path,
    sandbox_mode: str = "process",
) -> tuple[list[LoadMeasurement], float]:
    """A first and a repeat load of one company of `scale`; also the books' build time."""
    config = SandboxConfig(seed=seed, scale=scale, rate_limit=_rate_limit(rate_limit))
    started = time.perf_counter()
    sandbox: ServedSandbox | InProcessSandbox = (
        ServedSandbox(config, rate_limit) if sandbox_mode == "process" else InProcessSandbox(config)
    )
    build_seconds = time.perf_counter() - started
    try:
        tenant = sandbox.tenants[0]
        client = sandbox.client(tenant=tenant, token_dir=workdir / "tokens", profile="bench")
        target = WarehouseTarget(duckdb_path=workdir / "fortnox.duckdb")
        measurements: list[LoadMeasurement] = []
        for load in ("first", "repeat"):
            sandbox.control("POST", "/_sandbox/stats/reset")
            sandbox_cpu = sandbox.cpu_seconds()
            with step_timings(f"fortnox_{tenant}") as steps:
                wall, cpu = time.perf_counter(), _own_cpu()
                summary = run_company(
                    client, company_id=str(tenant), profile="bench", target=target
                )
                wall, cpu = time.perf_counter() - wall, _own_cpu() - cpu
            sandbox_cpu_after = sandbox.cpu_seconds()
            stats = sandbox.control("GET", "/_sandbox/stats")
            if summary.outcome != "completed":
                raise RuntimeError(f"{scale} {load} load ended {summary.outcome}: {summary.error}")
            requests = _api_requests(stats)
            steps["other"] = {
                "wall": wall - sum(steps[step]["wall"] for step in STEPS),
                "cpu": cpu - sum(steps[step]["cpu"] for step in STEPS),
            }
            measurements.append(
                LoadMeasurement(
                    scale=scale,
                    load=load,
                    wall_seconds=round(wall, 2),
                    cpu_seconds=round(cpu, 2),
                    sandbox_cpu_seconds=(
                        round(sandbox_cpu_after - sandbox_cpu, 2)
                        if sandbox_cpu is not None and sandbox_cpu_after is not None
                        else None
                    ),
                    requests=requests,
                    rate_limited=int(stats["rate_limited"]),
                    rows=summary.rows,
                    sie_requests=int(stats["requests"].get("GET /3/sie/{Type}", 0)),
                    bound_seconds=rate_limit_bound(requests, config.rate_limit),
                    load_average=tuple(round(value, 2) for value in os.getloadavg()),
                    steps={
                        step: {key: round(value, 2) for key, value in times.items()}
                        for step, times in steps.items()
                    },
                )
            )
        client.close()
    finally:
        sandbox.close()
    return measurements, build_seconds


def print_table(measurements: list[LoadMeasurement]) -> None:
    """The results as a fixed-width table, then each load's split by dlt step."""
    header = (
        f"{'scale':<8}{'load':<8}{'wall s':>8}{'cpu s':>8}{'sbx cpu':>8}{'requests':>10}"
        f"{'429s':>6}{'SIE':>5}{'rows':>10}{'rows/s':>8}{'bound s':>9}{'ratio':>7}{'load avg':>10}"
    )
    print(header)
    print("-" * len(header))
    for m in measurements:
        sandbox = "-" if m.sandbox_cpu_seconds is None else f"{m.sandbox_cpu_seconds:.1f}"
        print(
            f"{m.scale:<8}{m.load:<8}{m.wall_seconds:>8.1f}{m.cpu_seconds:>8.1f}{sandbox:>8}"
            f"{m.requests:>10}{m.rate_limited:>6}{m.sie_requests:>5}{m.rows:>10}"
            f"{m.rows_per_second:>8.0f}{m.bound_seconds:>9.0f}{m.bound_ratio:>7.2f}"
            f"{m.load_average[0]:>10.1f}"
        )
    print("\nwall / cpu seconds by dlt step")
    for m in measurements:
        split = "  ".join(
            f"{step} {times['wall']:.1f}/{times['cpu']:.1f}" for step, times in m.steps.items()
        )
        print(f"{m.scale:<8}{m.load:<8}{split}")


def _rate_limit(text: str) -> tuple[int, float] | None:
    if text.lower() == "off":
        return None
    requests, seconds = text.split("/")
    return int(requests), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", nargs="+", default=["medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limit", default="25/5", help="REQUESTS/SECONDS, or off")
    parser.add_argument(
        "--sandbox",
        choices=("process", "in-process"),
        default="process",
        help="the sandbox in a process of its own (default) or in the pipeline's",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("benchmarks/out/bench_pipeline.json"),
        help="where the measurements go as JSON (benchmarks/out/ is not committed)",
    )
    parser.add_argument("--keep", type=Path, help="keep warehouses under this directory")
    arguments = parser.parse_args()
    logging.getLogger("dlt").setLevel(logging.ERROR)  # one Arrow-hint warning per SIE table
    apply_dlt_defaults()  # as the command line does

    measurements: list[LoadMeasurement] = []
    builds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as scratch:
        root = arguments.keep or Path(scratch)
        for scale in arguments.scale:
            scale_measurements, builds[scale] = measure_scale(
                scale,
                seed=arguments.seed,
                rate_limit=arguments.rate_limit,
                workdir=root / scale,
                sandbox_mode=arguments.sandbox,
            )
            measurements.extend(scale_measurements)
            print(f"{scale}: books built in {builds[scale]:.1f} s", flush=True)
    print(
        f"sandbox rate limit: {arguments.rate_limit} (requests/seconds per tenant), "
        f"sandbox {arguments.sandbox}, {os.cpu_count()} cores"
    )
    print_table(measurements)
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "seed": arguments.seed,
        "rate_limit": arguments.rate_limit,
        "sandbox": arguments.sandbox,
        "book_build_seconds": builds,
        "loads": [
            {
                **asdict(m),
                "rows_per_second": round(m.rows_per_second),
                "bound_ratio": round(m.bound_ratio, 3),
            }
            for m in measurements
        ],
    }
    arguments.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {arguments.json}")


if __name__ == "__main__":
    main()

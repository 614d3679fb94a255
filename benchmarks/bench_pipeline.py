"""Benchmark whole-company loads: a first load and a repeat load, against the rate-limited sandbox.

    .venv/bin/python -m benchmarks.bench_pipeline [--scale medium large] [--seed 1]
        [--rate-limit 25/5] [--json benchmarks/out/bench_pipeline.json] [--keep DIR]

Each scale gets a fresh in-process sandbox with Fortnox's rate limit on (25 requests per 5 s
per tenant, as production), a fresh DuckDB file and a fresh dlt working dir, and the real code
path: the OAuth login, the paced client, `run_company`. Reported per load: wall time, requests
(the sandbox's own count of `/3/` requests), 429s, rows loaded and rows/s, plus CPU seconds (a
shared machine shows up in wall time, not CPU time). A repeat load straight after the first is
what a nightly run with nothing new costs.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipelines.pipeline import WarehouseTarget, run_company
from pipelines.sandbox_session import SandboxSession
from sources.fortnox_sandbox.state import SandboxConfig


@dataclass
class LoadMeasurement:
    """One load of one company, as the benchmark reports it."""

    scale: str
    load: str  # "first" or "repeat"
    wall_seconds: float
    cpu_seconds: float
    requests: int
    rate_limited: int
    rows: int
    sie_requests: int

    @property
    def rows_per_second(self) -> float:
        """Rows loaded per wall-clock second."""
        return self.rows / self.wall_seconds if self.wall_seconds else 0.0


def _api_requests(stats: dict[str, Any]) -> int:
    return sum(count for name, count in stats["requests"].items() if " /3/" in name)


def measure_scale(
    scale: str, *, seed: int, rate_limit: tuple[int, float] | None, workdir: Path
) -> tuple[list[LoadMeasurement], float]:
    """A first and a repeat load of one company of `scale`; also the books' build time."""
    started = time.perf_counter()
    session = SandboxSession(SandboxConfig(seed=seed, scale=scale, rate_limit=rate_limit))
    build_seconds = time.perf_counter() - started
    tenant = session.tenants[0]
    client = session.client(tenant=tenant, token_dir=workdir / "tokens", profile="bench")
    target = WarehouseTarget(duckdb_path=workdir / "fortnox.duckdb")
    measurements: list[LoadMeasurement] = []
    for load in ("first", "repeat"):
        session.control("POST", "/_sandbox/stats/reset")
        wall, cpu = time.perf_counter(), time.process_time()
        summary = run_company(client, company_id=str(tenant), profile="bench", target=target)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        stats = session.control("GET", "/_sandbox/stats")
        if summary.outcome != "completed":
            raise RuntimeError(f"{scale} {load} load ended {summary.outcome}: {summary.error}")
        measurements.append(
            LoadMeasurement(
                scale=scale,
                load=load,
                wall_seconds=round(wall, 2),
                cpu_seconds=round(cpu, 2),
                requests=_api_requests(stats),
                rate_limited=int(stats["rate_limited"]),
                rows=summary.rows,
                sie_requests=int(stats["requests"].get("GET /3/sie/{Type}", 0)),
            )
        )
    client.close()
    return measurements, build_seconds


def print_table(measurements: list[LoadMeasurement]) -> None:
    """The results as a fixed-width table."""
    header = (
        f"{'scale':<8}{'load':<8}{'wall s':>8}{'cpu s':>8}{'requests':>10}{'429s':>6}"
        f"{'SIE':>5}{'rows':>10}{'rows/s':>10}"
    )
    print(header)
    print("-" * len(header))
    for m in measurements:
        print(
            f"{m.scale:<8}{m.load:<8}{m.wall_seconds:>8.1f}{m.cpu_seconds:>8.1f}"
            f"{m.requests:>10}{m.rate_limited:>6}{m.sie_requests:>5}{m.rows:>10}"
            f"{m.rows_per_second:>10.0f}"
        )


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
        "--json",
        type=Path,
        default=Path("benchmarks/out/bench_pipeline.json"),
        help="where the measurements go as JSON (benchmarks/out/ is not committed)",
    )
    parser.add_argument("--keep", type=Path, help="keep warehouses under this directory")
    arguments = parser.parse_args()
    logging.getLogger("dlt").setLevel(logging.ERROR)  # one Arrow-hint warning per SIE table

    rate_limit = _rate_limit(arguments.rate_limit)
    measurements: list[LoadMeasurement] = []
    builds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as scratch:
        root = arguments.keep or Path(scratch)
        for scale in arguments.scale:
            scale_measurements, builds[scale] = measure_scale(
                scale, seed=arguments.seed, rate_limit=rate_limit, workdir=root / scale
            )
            measurements.extend(scale_measurements)
            print(f"{scale}: books built in {builds[scale]:.1f} s", flush=True)
    print(f"sandbox rate limit: {arguments.rate_limit} (requests/seconds per tenant)")
    print_table(measurements)
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "seed": arguments.seed,
        "rate_limit": arguments.rate_limit,
        "book_build_seconds": builds,
        "loads": [{**asdict(m), "rows_per_second": round(m.rows_per_second)} for m in measurements],
    }
    arguments.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {arguments.json}")


if __name__ == "__main__":
    main()

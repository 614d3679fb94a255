"""Benchmark a firm's portfolio: `run --all` against running the companies one by one.

    .venv/bin/python -m benchmarks.bench_portfolio [--companies 50] [--large-vouchers 20000]
        [--parallel 4] [--skip-one-by-one] [--json benchmarks/out/bench_portfolio.json]

A sandbox of `--companies` tenants is served on loopback as a user would start it
(`sandbox serve --companies N --vouchers-per-year L`: the first tenth at L vouchers a year, the
rest small, each tenant with Fortnox's limit of 25 requests per 5 s), one profile is logged in
per company, and then, each as its own process through the command line:

1. first load, `run --all` into one warehouse;
2. first load, one by one (`run --profile P` per company, the README's old cron loop) into
   another warehouse;
3. one day of business in every company (`/_sandbox/advance`);
4. the nightly incremental run, `run --all`, then one by one, each into its own warehouse.

Models are not built (`--no-models`) so that both sides do the same work. Reported per step:
wall time, peak memory of the process (the largest one for one by one), requests and 429s
(the sandbox's own counts), and for the largest company its first load's wall time against
its rate-limit bound (ceil(requests / 25) x 5 s).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
REDIRECT_URI = "http://127.0.0.1:48721/callback"
RATE_REQUESTS, RATE_SECONDS = 25, 5.0


@dataclass
class Step:
    """One measured step."""

    name: str
    wall_seconds: float
    peak_rss_mb: float
    requests: int
    rate_limited: int
    failed_companies: int


def serve(companies: int, large_vouchers: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    """Start the portfolio sandbox; its process and URL once it listens."""
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "pipelines.cli", "sandbox", "serve", "--port", "0"),
            *("--companies", str(companies), "--vouchers-per-year", str(large_vouchers)),
            *("--seed", str(seed)),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    match = re.search(r"http://[\d.]+:\d+", process.stdout.readline())
    if not match:
        process.kill()
        raise RuntimeError("the sandbox did not start")
    return process, match.group(0)


def login_all(url: str, token_dir: Path, tenants: list[int]) -> list[str]:
    """One profile per company, logged in by authorization code; the profile names."""
    from sources.fortnox.auth import FortnoxAuth

    profiles = []
    for index, tenant in enumerate(tenants):
        profile = f"company{index:02d}"
        auth = FortnoxAuth(
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            auth_base_url=url,
            token_dir=token_dir,
            profile=profile,
        )
        consent = httpx.get(
            auth.authorization_url(
                redirect_uri=REDIRECT_URI, state="s", extra_params={"tenant": str(tenant)}
            ),
            follow_redirects=False,
        )
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        auth.complete_login(code=code, redirect_uri=REDIRECT_URI)
        auth.close()
        profiles.append(profile)
    return profiles


def run_cli(arguments: list[str], environment: dict[str, str]) -> tuple[int, float, str]:
    """One `fortnox-pipeline` process: exit code, peak RSS in MB, stdout."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *arguments],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024, output


def sandbox_counts(url: str) -> tuple[int, int]:
    """(API requests, 429s) since the last reset, and reset the counters."""
    stats = httpx.get(f"{url}/_sandbox/stats", timeout=60).json()
    httpx.post(f"{url}/_sandbox/stats/reset", timeout=60)
    requests = sum(count for name, count in stats["requests"].items() if " /3/" in name)
    return requests, int(stats["rate_limited"])


def measure_all(
    name: str, url: str, environment: dict[str, str], warehouse: Path, parallel: int
) -> tuple[Step, dict[str, Any]]:
    """`run --all` into `warehouse`."""
    sandbox_counts(url)
    started = time.perf_counter()
    code, rss, output = run_cli(
        [
            *("run", "--all", "--parallel", str(parallel), "--duckdb", str(warehouse)),
            *("--no-models", "-o", "json"),
        ],
        environment,
    )
    wall = time.perf_counter() - started
    requests, throttled = sandbox_counts(url)
    document = json.loads(output)
    failed = sum(company["outcome"] != "completed" for company in document["companies"])
    if code != 0:
        print(f"{name}: exit {code}", file=sys.stderr)
    return Step(name, round(wall, 1), round(rss), requests, throttled, failed), document


def measure_one_by_one(
    name: str, url: str, environment: dict[str, str], profiles: list[str], folder: Path
) -> Step:
    """`run --profile P` for each company in turn (the old cron loop), each into `folder`."""
    sandbox_counts(url)
    started = time.perf_counter()
    peak, failed = 0.0, 0
    for profile in profiles:
        code, rss, _ = run_cli(
            [
                *("run", "--profile", profile, "--duckdb", str(folder / "one_by_one.duckdb")),
                *("--no-models", "-o", "json"),
            ],
            environment,
        )
        peak, failed = max(peak, rss), failed + (code != 0)
    wall = time.perf_counter() - started
    requests, throttled = sandbox_counts(url)
    return Step(name, round(wall, 1), round(peak), requests, throttled, failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--large-vouchers", type=int, default=20_000)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-one-by-one", action="store_true")
    parser.add_argument(
        "--copy-first-load",
        action="store_true",
        help="one by one: no first load of its own; the nightly run starts from a copy",
    )
    parser.add_argument("--json", type=Path, default=Path("benchmarks/out/bench_portfolio.json"))
    arguments = parser.parse_args()

    started = time.perf_counter()
    server, url = serve(arguments.companies, arguments.large_vouchers, arguments.seed)
    print(
        f"sandbox of {arguments.companies} companies ready in {time.perf_counter() - started:.0f} s"
    )
    steps: list[Step] = []
    try:
        tenants = httpx.get(f"{url}/_sandbox/truth", timeout=120).json()["tenants"]
        with tempfile.TemporaryDirectory(prefix="bench_portfolio_") as scratch:
            folder = Path(scratch)
            profiles = login_all(url, folder / "tokens", tenants)
            environment = {
                **os.environ,
                "SOURCES__FORTNOX__CLIENT_ID": "sandbox-client",
                "SOURCES__FORTNOX__CLIENT_SECRET": "sandbox-secret",
                "SOURCES__FORTNOX__BASE_URL": url,
                "SOURCES__FORTNOX__AUTH_BASE_URL": url,
                "FORTNOX_TOKEN_DIR": str(folder / "tokens"),
                "RUNTIME__LOG_LEVEL": "CRITICAL",
            }
            # Each side its own dlt working folders: a pipeline's local state belongs to the
            # warehouse it loaded.
            all_environment = {**environment, "DLT_DATA_DIR": str(folder / "dlt_all")}
            environment = {**environment, "DLT_DATA_DIR": str(folder / "dlt_one_by_one")}
            first, first_document = measure_all(
                "first load, run --all",
                url,
                all_environment,
                folder / "all.duckdb",
                arguments.parallel,
            )
            steps.append(first)
            print(first, flush=True)
            if arguments.copy_first_load:
                # The one-by-one side starts its nightly run from a copy of the first load
                # (warehouse and dlt working folders): the same state, one first load less.
                shutil.copyfile(folder / "all.duckdb", folder / "one_by_one.duckdb")
                for source, copy in (
                    ("dlt_all", "dlt_one_by_one"),
                    ("all.duckdb.work", "one_by_one.duckdb.work"),
                ):
                    if (folder / source).is_dir():
                        shutil.copytree(folder / source, folder / copy)
            elif not arguments.skip_one_by_one:
                steps.append(
                    measure_one_by_one("first load, one by one", url, environment, profiles, folder)
                )
                print(steps[-1], flush=True)
            httpx.post(f"{url}/_sandbox/advance", params={"days": 1}, timeout=600)
            steps.append(
                measure_all(
                    "nightly, run --all",
                    url,
                    all_environment,
                    folder / "all.duckdb",
                    arguments.parallel,
                )[0]
            )
            print(steps[-1], flush=True)
            if not arguments.skip_one_by_one:
                steps.append(
                    measure_one_by_one("nightly, one by one", url, environment, profiles, folder)
                )
                print(steps[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    largest = max(first_document["companies"], key=lambda company: company["requests"])
    bound = math.ceil(largest["requests"] / RATE_REQUESTS) * RATE_SECONDS
    print(
        f"\n{arguments.companies} companies ({math.ceil(arguments.companies / 10)} at "
        f"{arguments.large_vouchers:,} vouchers/year, the rest small), --parallel "
        f"{arguments.parallel}, machine load {os.getloadavg()[0]:.1f} (1 min average, 2 cores)"
    )
    print(f"{'step':<26}{'wall s':>9}{'peak MB':>9}{'requests':>10}{'429s':>6}{'failed':>8}")
    for step in steps:
        print(
            f"{step.name:<26}{step.wall_seconds:>9.1f}{step.peak_rss_mb:>9.0f}"
            f"{step.requests:>10}{step.rate_limited:>6}{step.failed_companies:>8}"
        )
    by_name = {step.name: step for step in steps}
    for load in ("first load", "nightly"):
        if f"{load}, one by one" in by_name:
            ratio = (
                by_name[f"{load}, one by one"].wall_seconds
                / by_name[f"{load}, run --all"].wall_seconds
            )
            print(f"{load}: run --all is {ratio:.1f}x faster than one by one")
    print(
        f"largest company ({largest['profile']}): first load {largest['seconds']:.1f} s for "
        f"{largest['requests']} requests, rate-limit bound {bound:.0f} s, "
        f"ratio {largest['seconds'] / bound:.2f}, {largest['throttled']} x 429"
    )
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(
        json.dumps(
            {
                "arguments": {k: str(v) for k, v in vars(arguments).items()},
                "steps": [asdict(step) for step in steps],
                "largest_company": {**largest, "rate_limit_bound_seconds": bound},
                "load_average": os.getloadavg(),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {arguments.json}")


if __name__ == "__main__":
    main()

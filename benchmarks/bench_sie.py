"""Benchmark `sie load`: speed against a plain reader, peak memory, and re-loading the same file.

    .venv/bin/python -m benchmarks.bench_sie                  # the speed file and the re-loads
    .venv/bin/python -m benchmarks.bench_sie --trans 540000 --reload-vouchers 1000 200000
    .venv/bin/python -m benchmarks.bench_sie --file books.se  # a file of your own

The speed file comes from the sandbox generator (`generate_books` + `write_sie`, one complete
financial year) sized to about `--trans` #TRANS rows. Reported, each as the median of `--repeat`
runs on this machine (say how loaded it was, `uptime`, when quoting):

- plain reference: reading the file line by line in Python and splitting each line's fields;
- parse alone: `read_sie` in this process (MB/s);
- `sie load` end to end: the real command in a fresh process (imports included), wall time and
  peak RSS, into a fresh warehouse;
- re-load: the same file loaded again into the same warehouse, peak RSS against the first load,
  for each `--reload-vouchers` size (synthetic Fortnox-shaped files);
- big file: peak RSS of `sie load` of a synthetic file of `--big-vouchers` vouchers (1,000,000
  is about 200 MB; 0 skips it).

Peak RSS is measured by a small wrapper process around each command (`ru_maxrss` of its only
child), so no external `time` tool is needed. Figures go to `benchmarks/out/bench_sie.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sources.sie.reader import read_sie

MB = 1_000_000
_PEAK_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - started\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'{code} {wall} {peak}')\n"
)


def sandbox_file(trans_rows: int) -> bytes:
    """A sandbox company's SIE 4 export of one year with about `trans_rows` #TRANS rows."""
    from sources.fortnox_sandbox.books import generate_books
    from sources.fortnox_sandbox.sie_writer import write_sie

    # The sandbox writes about 4.4 #TRANS rows per voucher (measured: 434,600 at 98,182).
    vouchers = max(100, round(trans_rows / 4.4))
    [company] = generate_books(seed=1, vouchers_per_year=vouchers)
    return write_sie(company, 8)


def plain_reference(data: bytes) -> float:
    """Seconds to read the file line by line in Python and split every line's fields."""
    started = time.perf_counter()
    fields = 0
    for line in data.decode("cp437").splitlines():
        fields += len(line.split())
    return time.perf_counter() - started


def run_measured(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one command run in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_WRAPPER, *command],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    code, wall, peak_kb = int(out[0]), float(out[1]), int(out[2])
    if code != 0:
        raise RuntimeError(f"{command} exited {code}")
    return wall, peak_kb * 1024


def sie_load(path: Path, warehouse: Path) -> list[str]:
    executable = Path(sys.executable).with_name("fortnox-pipeline")
    return [str(executable), "sie", "load", str(path), "--duckdb", str(warehouse), "-o", "json"]


def speed(data: bytes, folder: Path, repeat: int) -> dict[str, Any]:
    path = folder / "speed.se"
    path.write_bytes(data)
    plain = statistics.median(plain_reference(data) for _ in range(repeat))
    parses = []
    for _ in range(repeat):
        started = time.perf_counter()
        sie_file = read_sie(data, path.name)
        parses.append(time.perf_counter() - started)
    parse = statistics.median(parses)
    loads = []
    for number in range(repeat):
        loads.append(run_measured(sie_load(path, folder / f"speed{number}.duckdb")))
    load_wall = statistics.median(wall for wall, _ in loads)
    return {
        "file_mb": len(data) / MB,
        "trans_rows": sie_file.trans_rows,
        "vouchers": sie_file.voucher_count,
        "plain_reference_s": plain,
        "parse_s": parse,
        "parse_mb_per_s": len(data) / MB / parse,
        "sie_load_s": load_wall,
        "sie_load_peak_mb": max(peak for _, peak in loads) / MB,
        "load_vs_plain_speedup": plain / load_wall,
    }


def reload(vouchers: int, folder: Path) -> dict[str, Any]:
    from benchmarks.synthetic_sie import synthetic_sie

    path = folder / f"reload_{vouchers}.se"
    path.write_bytes(synthetic_sie(vouchers))
    warehouse = folder / f"reload_{vouchers}.duckdb"
    first_wall, first_peak = run_measured(sie_load(path, warehouse))
    second_wall, second_peak = run_measured(sie_load(path, warehouse))
    return {
        "vouchers": vouchers,
        "file_mb": path.stat().st_size / MB,
        "first_s": first_wall,
        "first_peak_mb": first_peak / MB,
        "second_s": second_wall,
        "second_peak_mb": second_peak / MB,
        "second_over_first": second_peak / first_peak,
    }


def big_file(vouchers: int, folder: Path) -> dict[str, Any]:
    from benchmarks.synthetic_sie import synthetic_sie

    path = folder / "big.se"
    path.write_bytes(synthetic_sie(vouchers))
    wall, peak = run_measured(sie_load(path, folder / "big.duckdb"))
    figures = {
        "vouchers": vouchers,
        "file_mb": path.stat().st_size / MB,
        "sie_load_s": wall,
        "peak_mb": peak / MB,
    }
    path.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trans", type=int, default=540_000)
    parser.add_argument("--file", type=Path, help="measure this SIE file for speed instead")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reload-vouchers", type=int, nargs="*", default=[1_000, 200_000])
    parser.add_argument("--big-vouchers", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/out/bench_sie.json"))
    arguments = parser.parse_args()

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sie-") as scratch:
        folder = Path(scratch)
        data = arguments.file.read_bytes() if arguments.file else sandbox_file(arguments.trans)
        results["speed"] = figures = speed(data, folder, arguments.repeat)
        print(
            f"speed file: {figures['file_mb']:.1f} MB, {figures['trans_rows']:,} #TRANS; "
            f"plain reader {figures['plain_reference_s']:.2f} s; parse "
            f"{figures['parse_s']:.2f} s ({figures['parse_mb_per_s']:.0f} MB/s); sie load "
            f"{figures['sie_load_s']:.2f} s, peak {figures['sie_load_peak_mb']:.0f} MB; "
            f"load vs plain reader: {figures['load_vs_plain_speedup']:.2f}x"
        )
        results["reload"] = []
        for vouchers in arguments.reload_vouchers:
            figures = reload(vouchers, folder)
            results["reload"].append(figures)
            print(
                f"re-load {vouchers:,} vouchers ({figures['file_mb']:.1f} MB): first "
                f"{figures['first_s']:.2f} s / {figures['first_peak_mb']:.0f} MB, second "
                f"{figures['second_s']:.2f} s / {figures['second_peak_mb']:.0f} MB "
                f"({figures['second_over_first']:.2f}x)"
            )
        if arguments.big_vouchers:
            results["big"] = figures = big_file(arguments.big_vouchers, folder)
            print(
                f"big file: {figures['file_mb']:.0f} MB, sie load {figures['sie_load_s']:.1f} s, "
                f"peak {figures['peak_mb']:.0f} MB"
            )
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written: {arguments.json}")


if __name__ == "__main__":
    main()

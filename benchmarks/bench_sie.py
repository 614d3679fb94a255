"""Benchmark the SIE reader and `sie load` on a SIE 4 file of at least a million #TRANS rows.

    .venv/bin/python -m benchmarks.bench_sie [--vouchers 250000] [--synthetic] [--keep DIR]
    .venv/bin/python -m benchmarks.bench_sie --file DIR/benchmark.se   # reuse a kept file

The file comes from the sandbox (`generate_books` + `write_sie`, financial year 8, a complete
year) unless `--synthetic` is given or the sandbox generator cannot be imported; then
`benchmarks/synthetic_sie.py` writes a Fortnox-shaped file instead. Reports MB/s and rows/s for
parsing alone (best of `--repeat` runs, with the reader's per-stage split) and for the whole
`load_sie_files` into a fresh DuckDB file, plus CPU seconds (other jobs on a shared machine
show up as wall time, not CPU time).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sources.sie.load import load_sie_files
from sources.sie.reader import read_sie

MILLION = 1_000_000


def build_file(vouchers: int, *, synthetic: bool) -> tuple[bytes, str]:
    """The benchmark file's bytes and a description of where they came from."""
    if not synthetic:
        try:
            from sources.fortnox_sandbox.books import generate_books
            from sources.fortnox_sandbox.sie_writer import write_sie
        except ImportError:
            synthetic = True
        else:
            [company] = generate_books(seed=1, vouchers_per_year=vouchers)
            return write_sie(company, 8), f"sandbox generate_books(seed=1, {vouchers}/year), FY 8"
    from benchmarks.synthetic_sie import synthetic_sie

    return synthetic_sie(vouchers), f"benchmarks/synthetic_sie.py ({vouchers} vouchers)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vouchers", type=int, default=250_000)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the file and warehouse here")
    parser.add_argument("--file", type=Path, help="benchmark this SIE file instead of building one")
    arguments = parser.parse_args()

    started = time.perf_counter()
    if arguments.file:
        data, origin = arguments.file.read_bytes(), str(arguments.file)
    else:
        data, origin = build_file(arguments.vouchers, synthetic=arguments.synthetic)
    megabytes = len(data) / MILLION
    print(f"file: {origin}: {megabytes:.1f} MB, built in {time.perf_counter() - started:.1f} s")

    best = None
    for _ in range(arguments.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        sie_file = read_sie(data, "benchmark.se")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if best is None or wall < best[0]:
            best = (wall, cpu, sie_file.stage_seconds, sie_file.stage_cpu_seconds)
    assert best is not None
    rows = sie_file.trans_rows + sie_file.rtrans_rows + sie_file.btrans_rows
    print(
        f"rows: {sie_file.voucher_count} vouchers, {sie_file.trans_rows} #TRANS, "
        f"{sie_file.rtrans_rows} #RTRANS, {sie_file.btrans_rows} #BTRANS; "
        f"findings: {len(sie_file.findings)}"
    )
    if sie_file.trans_rows < MILLION:
        print("WARNING: fewer than 1,000,000 #TRANS rows; raise --vouchers")
    wall, cpu, stages, cpu_stages = best
    print(
        f"parse: {wall:.2f} s wall ({cpu:.2f} s CPU): {megabytes / wall:.1f} MB/s, "
        f"{rows / wall:,.0f} rows/s"
    )
    print(
        "  stages, wall/CPU s: "
        + ", ".join(
            f"{name} {seconds:.2f}/{cpu_stages[name]:.2f}" for name, seconds in stages.items()
        )
    )

    with tempfile.TemporaryDirectory() as scratch:
        folder = arguments.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "benchmark.se"
        path.write_bytes(data)
        wall, cpu = time.perf_counter(), time.process_time()
        summary = load_sie_files([path], duckdb_path=folder / "benchmark.duckdb")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"sie load end to end: {wall:.2f} s wall ({cpu:.2f} s CPU; parse "
        f"{summary.parse_seconds:.2f} s, dlt {summary.load_seconds:.2f} s): "
        f"{megabytes / wall:.1f} MB/s, {rows / wall:,.0f} rows/s; "
        f"voucher rows loaded: {summary.table_rows.get('sie_voucher_rows')}"
    )


if __name__ == "__main__":
    main()

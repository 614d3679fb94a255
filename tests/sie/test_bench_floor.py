"""The SIE benchmark's floor measurement runs and measures the file it is given."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_sie import library_floor, sandbox_file
from sources.sie.reader import SieStream


def test_library_floor_measures_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "speed.se"
    path.write_bytes(sandbox_file(2_000))
    stream = SieStream(path, path.name)
    rows = sum(table.num_rows for name, table in stream.body() if name == "sie_voucher_rows")
    stream.finish()

    floor = library_floor(path, repeat=1)

    assert floor["write_rows"] == rows > 1_000
    for figure in ("import_cpu_s", "tokenise_s", "tokenise_cpu_s", "write_cpu_s"):
        assert floor[figure] > 0, figure
    assert floor["tokenise_mb_per_s"] == path.stat().st_size / 1_000_000 / floor["tokenise_s"]
    assert list(tmp_path.iterdir()) == [path]  # the floor's warehouses are removed

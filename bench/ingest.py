"""Ingest benchmark: 1,000,000 job-board rows read, normalized, validated (Great Expectations) and staged.

Prints wall time, rows/s, peak memory (this process and its phone-parsing workers), and the ratio
to a plain DuckDB `read_csv` -> table baseline measured in the same run on the same file.
Usage: python bench/ingest.py [--rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks import PROJECT_ROOT  # noqa: E402
from tasks.generate import generate_board_rows  # noqa: E402
from tasks.ingest import ingest  # noqa: E402
from tasks.settings import Settings  # noqa: E402
from tasks.warehouse import connect, run_checks, writer  # noqa: E402


def peak_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest child, in MiB."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="candor-bench-"))
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(PROJECT_ROOT / "data" / "config", home / "config")
    csv_path = home / "inbox" / "stackjobs" / "bench.csv"
    csv_path.parent.mkdir(parents=True)

    t0 = time.perf_counter()
    generate_board_rows(csv_path, args.rows, seed=11)
    gen_s = time.perf_counter() - t0
    size_mb = csv_path.stat().st_size / 1e6
    print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {gen_s:.1f} s")

    base = connect(work / "baseline.duckdb")
    t0 = time.perf_counter()
    base.execute("create or replace table t as select * from read_csv(?, all_varchar = true)", [str(csv_path)])
    baseline_s = time.perf_counter() - t0
    base.close()
    (work / "baseline.duckdb").unlink()
    print(f"baseline DuckDB read_csv -> table: {baseline_s:.2f} s ({args.rows / baseline_s:,.0f} rows/s)")

    settings = Settings(home=home)
    t0 = time.perf_counter()
    with writer(settings) as con:
        report = ingest(con, settings, only=["stackjobs"])
        candor_s = time.perf_counter() - t0
        run_checks(con)
    f = report.files[0]
    self_mib, child_mib = peak_mib()
    print(f"candor ingest: {candor_s:.2f} s ({f.rows_read / candor_s:,.0f} rows/s): read {f.rows_read:,}, "
          f"staged {f.rows_staged:,}, quarantined {f.rows_quarantined:,} ({dict(f.rules.most_common(4))})")
    total = self_mib + 2 * child_mib  # two phone-parsing workers run at once; ru_maxrss keeps the largest
    print(f"peak memory: {self_mib:,.0f} MiB (process) + 2 x {child_mib:,.0f} MiB (workers) <= {total:,.0f} MiB")
    print(f"ratio candor / baseline: {candor_s / baseline_s:.1f}x")
    print(f"target: <= 60 s and <= 3072 MiB -> {'met' if candor_s <= 60 and total <= 3072 else 'NOT met'}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

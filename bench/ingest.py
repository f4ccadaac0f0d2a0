"""Ingest benchmark: 1,000,000 job-board rows read, normalized, validated (Great Expectations) and staged.

Each phase runs in its own process so figures do not mix: the feed is generated first, then a plain
DuckDB `read_csv` -> table baseline and the Candor ingest run on the same file. Peak memory is the
largest summed resident memory of the ingest process and its phone-parsing workers, sampled every
50 ms from /proc (Linux), so it counts what the run really holds at once.
Usage: python bench/ingest.py [--rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks import PROJECT_ROOT  # noqa: E402
from tasks.sources.registry import make_inbox_folders  # noqa: E402

TARGET_S, TARGET_MIB = 60, 3072


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (0 once it has exited)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration):
            continue
    return total


def _run_phase(phase: str, home: Path, rows: int) -> tuple[dict, float]:
    """Runs one phase in a child process; returns its JSON result and its peak tree memory in MiB."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--phase", phase, "--home", str(home), "--rows", str(rows)],
        stdout=subprocess.PIPE, text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(child.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    done.set()
    sampler.join()
    if child.returncode:
        raise SystemExit(f"phase {phase} failed with exit code {child.returncode}")
    return json.loads(out.strip().splitlines()[-1]), peak / 1024


def _phase(phase: str, home: Path, rows: int) -> dict:
    """The work of one phase, timed inside its own process."""
    csv_path = home / "inbox" / "stackjobs" / "bench.csv"
    if phase == "generate":
        from tasks.generate import generate_board_rows

        csv_path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        generate_board_rows(csv_path, rows, seed=11)
        return {"seconds": time.perf_counter() - t0, "mb": csv_path.stat().st_size / 1e6}
    if phase == "baseline":
        import duckdb

        db = home / "baseline.duckdb"
        t0 = time.perf_counter()
        con = duckdb.connect(str(db))
        con.execute("create table t as select * from read_csv(?, all_varchar = true)", [str(csv_path)])
        con.close()
        seconds = time.perf_counter() - t0
        db.unlink()
        return {"seconds": seconds}
    from tasks.ingest import ingest
    from tasks.settings import Settings
    from tasks.warehouse import run_checks, writer

    settings = Settings(home=home)
    t0 = time.perf_counter()
    with writer(settings) as con:
        report = ingest(con, settings, only=["stackjobs"])
        seconds = time.perf_counter() - t0
        run_checks(con)
    f = report.files[0]
    return {"seconds": seconds, "read": f.rows_read, "staged": f.rows_staged,
            "quarantined": f.rows_quarantined, "rules": dict(f.rules.most_common(4))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    parser.add_argument("--phase", choices=["generate", "baseline", "candor"], help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.phase, args.home, args.rows)))
        return

    work = args.keep or Path(tempfile.mkdtemp(prefix="candor-bench-"))
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(PROJECT_ROOT / "data" / "config", home / "config")
    make_inbox_folders(home / "config", home / "inbox")  # the other sources' folders stay empty
    print(f"machine: {os.cpu_count()} cores; rows: {args.rows:,}")

    gen, _ = _run_phase("generate", home, args.rows)
    print(f"generated {args.rows:,} rows ({gen['mb']:.0f} MB) in {gen['seconds']:.1f} s")
    base, base_mib = _run_phase("baseline", home, args.rows)
    print(f"baseline DuckDB read_csv -> table: {base['seconds']:.2f} s "
          f"({args.rows / base['seconds']:,.0f} rows/s), peak {base_mib:,.0f} MiB")
    run, run_mib = _run_phase("candor", home, args.rows)
    print(f"candor ingest: {run['seconds']:.2f} s ({run['read'] / run['seconds']:,.0f} rows/s): "
          f"read {run['read']:,}, staged {run['staged']:,}, quarantined {run['quarantined']:,} ({run['rules']})")
    print(f"peak memory (ingest process + workers): {run_mib:,.0f} MiB")
    print(f"ratio candor / baseline: {run['seconds'] / base['seconds']:.1f}x time, {run_mib / base_mib:.1f}x memory")
    met = run["seconds"] <= TARGET_S and run_mib <= TARGET_MIB
    print(f"target: <= {TARGET_S} s and <= {TARGET_MIB} MiB -> {'met' if met else 'NOT met'}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

"""Identity resolution benchmark: ~1M staged records resolved from scratch, then 10,000 new records.

Feeds come from the generator (with ground truth) and are ingested first (not timed). A random
10,000 staged records are held back; the full run resolves the rest from an empty identity state,
then the held-back records are put back and an incremental run resolves them against everything.
Each phase runs in its own process, so peak memory is that phase's own.
Prints wall time, peak memory, pairwise precision/recall against the truth, and the incremental/full ratio.
Usage: python bench/resolve.py [--candidates 570000] [--new 10000] [--seed 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks import PROJECT_ROOT  # noqa: E402
from tasks.settings import Settings  # noqa: E402

def _phase(home: Path, name: str, args: argparse.Namespace) -> dict:
    """Runs one phase in a child process and returns what it printed as JSON."""
    cmd = [sys.executable, __file__, "--phase", name, "--home", str(home), "--seed", str(args.seed),
           "--candidates", str(args.candidates), "--new", str(args.new), "--memory", args.memory]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _quality(con, home: Path, seed: int) -> tuple[float, float]:
    import pandas as pd

    from tasks.identity.quality import pairwise_quality

    return pairwise_quality(con, pd.read_csv(home / "inbox" / "truth" / f"truth_{seed}.csv", dtype=str))


def run_phase(name: str, home: Path, args: argparse.Namespace) -> dict:
    """One phase in this process: prepare (generate + ingest + hold back), full, or incremental."""
    from tasks.identity.resolve import resolve
    from tasks.warehouse import writer

    settings = Settings(home=home, duckdb_memory_limit=args.memory)
    t0 = time.perf_counter()
    out: dict = {}
    if name == "prepare":
        from tasks.generate import generate
        from tasks.ingest import ingest

        generate(home / "inbox", args.candidates, args.seed)
        out["generate_s"] = time.perf_counter() - t0
        with writer(settings) as con:
            ingest(con, settings)
            con.execute("create table main.bench_held as select * from staging.candidate_records "
                        f"using sample reservoir({int(args.new)} rows) repeatable (7)")
            con.execute("delete from staging.candidate_records where source_name || ':' || source_record_id in "
                        "(select source_name || ':' || source_record_id from main.bench_held)")
            out["staged"] = con.execute("select count(*) from staging.candidate_records").fetchall()[0][0]
            out["held"] = con.execute("select count(*) from main.bench_held").fetchall()[0][0]
    else:
        with writer(settings) as con:
            if name == "incremental":
                con.execute("insert into staging.candidate_records select * from main.bench_held")
            t0 = time.perf_counter()
            result = resolve(con, settings)
            out["wall_s"] = time.perf_counter() - t0
            out.update(records=result.records_total, persons=result.persons_total, scored=result.records_scored,
                       merges=result.merges, links=result.links_by_rule)
            out["precision"], out["recall"] = _quality(con, home, args.seed)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["phase_s"] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=570_000, help="true persons to generate (~1.75 records each: ~1M records)")
    parser.add_argument("--new", type=int, default=10_000, help="records held back for the incremental run")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--memory", default="6GB", help="DuckDB memory_limit for the runs")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.home, args)))
        return

    work = args.keep or Path(tempfile.mkdtemp(prefix="candor-bench-resolve-"))
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(PROJECT_ROOT / "data" / "config", home / "config")
    prep = _phase(home, "prepare", args)
    print(f"prepared: {prep['staged']:,} staged records (+{prep['held']:,} held back) from {args.candidates:,} "
          f"persons; generate+ingest {prep['phase_s']:.0f} s (not timed below)")
    full = _phase(home, "full", args)
    print(f"full run:        {full['wall_s']:7.1f} s, peak {full['peak_mib']:,.0f} MiB, {full['records']:,} records -> "
          f"{full['persons']:,} persons, precision {full['precision']:.4f}, recall {full['recall']:.4f}")
    print(f"                 links by rule {full['links']}")
    inc = _phase(home, "incremental", args)
    print(f"incremental run: {inc['wall_s']:7.1f} s, peak {inc['peak_mib']:,.0f} MiB, scored {inc['scored']:,} new "
          f"records, {inc['merges']} merges, precision {inc['precision']:.4f}, recall {inc['recall']:.4f}")
    ratio = inc["wall_s"] / full["wall_s"]
    print(f"ratio incremental / full: {ratio:.3f}")
    ok = full["wall_s"] <= 300 and full["peak_mib"] <= 8192 and ratio <= 0.05
    print(f"targets: full <= 300 s and <= 8192 MiB, incremental <= 5% of full -> {'met' if ok else 'NOT met'}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

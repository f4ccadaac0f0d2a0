"""Identity resolution benchmark: ~1M staged records resolved from scratch, then 10,000 new records.

Feeds come from the generator (with ground truth). Before anything is ingested, 10,000 records
picked at random across the candidate feeds are moved out into late files of the same format; the
rest is ingested and resolved from an empty identity state (the full run), then the late files are
dropped into the inbox, ingested, and resolved against everything (the incremental run). Ingest is
not timed. A run's time is resolve() plus the checkpoint that writes its changes into the database
file (DuckDB would otherwise do it at the next commit or on close); the data checks the flow runs
afterwards are timed separately. Each phase runs in its own process, so peak memory is that phase's own.
Each timed run is repeated (--repeat, default 3) on a fresh copy of the same starting state, and
the medians are compared: single runs on a shared 2-core machine vary by 15% or more.
Prints wall time, peak memory, pairwise precision/recall against the truth, and the incremental/full ratio.
Disk: the work folder holds the state and a snapshot of it at once (971 MB each at 1M records);
with --keep it keeps both starting states as well (before_full, before_incremental).
Usage: python bench/resolve.py [--candidates 570000] [--new 10000] [--seed 5] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks import PROJECT_ROOT  # noqa: E402
from tasks.settings import Settings  # noqa: E402

FEEDS = ("stackjobs", "eurotalent", "indeed", "referrals", "ats_export", "resumes")  # candidate feeds, not ATS status


def hold_back(inbox: Path, late: Path, total: int, seed: int) -> int:
    """Moves `total` records, drawn at random across the candidate feeds, out of inbox into late files.

    CSV and JSONL feeds hold one record per line after the header; the JSON feed is an array with
    one element per line. Returns the number of records moved.
    """
    rnd = random.Random(seed)
    files = sorted(p for feed in FEEDS for p in (inbox / feed).glob("*.*"))
    lines = {p: p.read_bytes().split(b"\n") for p in files}
    head = {p: 1 if p.suffix in (".csv", ".json") else 0 for p in files}
    body = {p: [i for i in range(head[p], len(lines[p])) if lines[p][i].strip() not in (b"", b"]")] for p in files}
    slots = [(p, i) for p in files for i in body[p]]
    picked: dict[Path, set[int]] = {p: set() for p in files}
    for p, i in rnd.sample(slots, min(total, len(slots))):
        picked[p].add(i)
    moved = 0
    for p in files:
        if not picked[p]:
            continue
        if any(lines[p][i].count(b'"') % 2 for i in picked[p]) and p.suffix == ".csv":
            raise SystemExit(f"{p}: a picked CSV record spans lines; cannot split this feed by line")
        keep = [lines[p][i] for i in body[p] if i not in picked[p]]
        out = [lines[p][i] for i in sorted(picked[p])]
        target = late / p.parent.name / f"{p.stem}_late{p.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if p.suffix == ".json":  # re-join the array elements of each file
            def array(items: list[bytes]) -> bytes:
                return b"[\n" + b",\n".join(x.rstrip().rstrip(b",") for x in items) + b"\n]\n"
            p.write_bytes(array(keep))
            target.write_bytes(array(out))
        else:
            header = lines[p][:head[p]]
            p.write_bytes(b"\n".join(header + keep) + b"\n")
            target.write_bytes(b"\n".join(header + out) + b"\n")
        moved += len(out)
    return moved


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


def _timed_resolve(settings: Settings, home: Path, seed: int) -> dict:
    """resolve() plus the checkpoint that lands its writes, then the data checks, each timed."""
    import tasks.journey.consent  # noqa: F401  (see below)
    from tasks.identity.resolve import resolve
    from tasks.warehouse import run_checks, writer

    # resolve() imports the consent module on its first call (0.085 s: phonenumbers and the journey
    # code), which the resolve flow's process has loaded with its tasks (tasks/prefect_tasks.py): a
    # process start-up cost, not the run's
    with writer(settings) as con:
        con.execute("checkpoint")  # what ingest left in the write-ahead log is not this run's cost
        t0 = time.perf_counter()
        result = resolve(con, settings)
        con.execute("checkpoint")
        out = {"wall_s": time.perf_counter() - t0}
        t1 = time.perf_counter()
        run_checks(con)
        out["checks_s"] = time.perf_counter() - t1
        out.update(records=result.records_total, persons=result.persons_total, scored=result.records_scored,
                   merges=result.merges, links=result.links_by_rule)
        out["precision"], out["recall"] = _quality(con, home, seed)
    return out


def run_phase(name: str, home: Path, args: argparse.Namespace) -> dict:
    """One phase in this process: prepare (generate, hold back, ingest), full, arrive (ingest the late files), or incremental."""
    from tasks.ingest import ingest
    from tasks.warehouse import scalar, writer

    settings = Settings(home=home, duckdb_memory_limit=args.memory)
    t0 = time.perf_counter()
    out: dict = {}
    if name == "prepare":
        from tasks.generate import generate

        generate(home / "inbox", args.candidates, args.seed)
        out["held"] = hold_back(home / "inbox", home / "late", args.new, args.seed)
        with writer(settings) as con:
            ingest(con, settings)
            out["staged"] = scalar(con, "select count(*) from staging.candidate_records")
    elif name == "arrive":  # the late files reach the inbox and are ingested
        for late in (home / "late").glob("*/*"):
            late.rename(home / "inbox" / late.parent.name / late.name)
        with writer(settings) as con:
            out["files"] = [r.rows_staged for r in ingest(con, settings).files if r.rows_staged]
    else:
        out.update(_timed_resolve(settings, home, args.seed))
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["phase_s"] = time.perf_counter() - t0
    return out


def _repeated(home: Path, snapshot: Path, name: str, args: argparse.Namespace) -> dict:
    """Runs a timed phase --repeat times, each on a fresh copy of the same starting state; medians.

    The copy is flushed to disk first (os.sync), or the run's first checkpoint would pay for
    writing back the copied file. Every repetition must produce the same links.
    """
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(home, snapshot)
    runs = []
    for _ in range(args.repeat):
        shutil.rmtree(home)
        shutil.copytree(snapshot, home)
        os.sync()
        runs.append(_phase(home, name, args))
    if not args.keep:  # kept, it is the state a later run can be timed on again (--phase, --home)
        shutil.rmtree(snapshot)
    if len({(r["records"], r["persons"], r["merges"], r["precision"], r["recall"]) for r in runs}) > 1:
        raise SystemExit(f"{name}: repetitions disagree: {runs}")
    out = dict(runs[-1])
    out["walls"] = [r["wall_s"] for r in runs]
    out["wall_s"] = statistics.median(out["walls"])
    out["checks_s"] = statistics.median(r["checks_s"] for r in runs)
    out["peak_mib"] = max(r["peak_mib"] for r in runs)
    return out


def _times(run: dict) -> str:
    walls = run["walls"]
    return (f"{run['wall_s']:6.2f} s" + (f" (median of {len(walls)}: " + ", ".join(f"{w:.2f}" for w in walls) + ")"
                                         if len(walls) > 1 else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=570_000, help="true persons to generate (~1.75 records each: ~1M records)")
    parser.add_argument("--new", type=int, default=10_000, help="records held back for the incremental run")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--memory", default="6GB", help="DuckDB memory_limit for the runs")
    parser.add_argument("--keep", type=Path, help="work folder to keep, with the states the timed runs started "
                        "from (before_full, before_incremental; default: a temp folder, deleted)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of each kind, each on a copy of the same state; medians are reported")
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
    print(f"prepared: {prep['staged']:,} staged records ({prep['held']:,} more held back in late files) from "
          f"{args.candidates:,} persons; generate+ingest {prep['phase_s']:.0f} s (not timed below)")
    full = _repeated(home, work / "before_full", "full", args)
    print(f"full run:        {_times(full)}, peak {full['peak_mib']:,.0f} MiB, {full['records']:,} records -> "
          f"{full['persons']:,} persons, precision {full['precision']:.4f}, recall {full['recall']:.4f}; "
          f"checks {full['checks_s']:.1f} s")
    print(f"                 links by rule {full['links']}")
    arrive = _phase(home, "arrive", args)
    print(f"late files ingested: {sum(arrive['files']):,} records staged ({arrive['phase_s']:.0f} s, not timed)")
    inc = _repeated(home, work / "before_incremental", "incremental", args)
    print(f"incremental run: {_times(inc)}, peak {inc['peak_mib']:,.0f} MiB, scored {inc['scored']:,} new "
          f"records, {inc['merges']} merges, precision {inc['precision']:.4f}, recall {inc['recall']:.4f}; "
          f"checks {inc['checks_s']:.1f} s")
    ratio = inc["wall_s"] / full["wall_s"]
    with_checks = (inc["wall_s"] + inc["checks_s"]) / (full["wall_s"] + full["checks_s"])
    print(f"ratio incremental / full (medians): {ratio:.3f}; per repetition: "
          f"{', '.join(f'{i / f:.3f}' for i, f in zip(inc['walls'], full['walls']))}; "
          f"with the data checks after each run: {with_checks:.3f}")
    ok = full["wall_s"] <= 300 and full["peak_mib"] <= 8192 and ratio <= 0.05
    print(f"targets: full <= 300 s and <= 8192 MiB, incremental <= 5% of full -> {'met' if ok else 'NOT met'}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

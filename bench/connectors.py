"""Connector benchmark: pull 200,000 candidates from the fake Greenhouse (per_page 500) into a fresh warehouse.

The fake runs in its own process (so it does not share this process's GIL). Prints the wall time
and records/s of the full load, then of a second full scan over the unchanged source (the periodic
deletion check), each with its ratio to a baseline that only fetches and parses the same pages
with httpx (the transfer cost every connector pays).
Usage: python bench/connectors.py [--candidates N] [--per-page N] [--land-rows N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from tasks import PROJECT_ROOT  # noqa: E402
from tasks.ingest import ingest  # noqa: E402
from tasks.settings import Settings  # noqa: E402
from tasks.warehouse import run_checks, writer  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def landed(report) -> str:
    """The pages a run landed, and in how many batches (Settings.api_land_rows)."""
    loaded = [f for f in report.files if f.status == "loaded"]
    return f"{sum(f.pages for f in loaded)} pages landed in {len(loaded)} batches"


def serve(candidates: int, ready, stop) -> None:
    """Child process: builds the payloads, serves them until told to stop."""
    from tests.fakes.greenhouse import FakeGreenhouse
    from tests.fakes.payloads import greenhouse_candidates

    t0 = time.perf_counter()
    with FakeGreenhouse(greenhouse_candidates(candidates, seed=11, now=NOW)) as gh:
        ready.send((gh.url, gh.api_key, time.perf_counter() - t0))
        stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=200_000)
    parser.add_argument("--per-page", type=int, default=500)
    parser.add_argument("--land-rows", type=int, default=Settings.model_fields["api_land_rows"].default,
                        help="CANDOR_API_LAND_ROWS: records per landed batch of pages (--land-rows 1: page by page)")
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    ready_recv, ready_send = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    server = ctx.Process(target=serve, args=(args.candidates, ready_send, stop), daemon=True)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="candor-bench-connectors-"))
    try:
        url, key, gen_s = ready_recv.recv()
        print(f"fake Greenhouse with {args.candidates:,} candidates built in {gen_s:.1f} s at {url}")

        t0 = time.perf_counter()
        pages = fetched = 0
        with httpx.Client(auth=(key, ""), timeout=60) as http:
            next_url, params = f"{url}/v1/candidates", {"per_page": args.per_page}
            while next_url:
                response = http.get(next_url, params=params)
                fetched += len(response.json())
                pages += 1
                next_url, params = response.links.get("next", {}).get("url"), None
        baseline_s = time.perf_counter() - t0
        print(f"baseline fetch + parse only: {pages} pages, {fetched:,} candidates in {baseline_s:.1f} s "
              f"({fetched / baseline_s:,.0f} records/s)")

        home = work / "home"
        (home / "config").mkdir(parents=True)
        (home / "config" / "sources.yaml").write_text(f"""sources:
  - name: greenhouse
    kind: greenhouse
    channel: ats
    base_url: {url}/v1
    api_key_env: CANDOR_BENCH_GREENHOUSE_KEY
    per_page: {args.per_page}
    reconcile_every_h: 0
""")
        os.environ["CANDOR_BENCH_GREENHOUSE_KEY"] = key
        settings = Settings(home=home, now=NOW + timedelta(hours=1), api_land_rows=args.land_rows)
        t0 = time.perf_counter()
        with writer(settings) as con:
            report = ingest(con, settings)
            candor_s = time.perf_counter() - t0
            run_checks(con)
            staged, stages, raw = con.execute(
                "select (select count(*) from staging.candidate_records), (select count(*) from staging.stage_changes), "
                "(select count(*) from raw.source_records)").fetchall()[0]
        row = report.summary_rows()[0]
        assert not report.failures, report.failures
        print(f"candor full load: {landed(report)} in {candor_s:.1f} s wall "
              f"({fetched / candor_s:,.0f} candidates/s, {row['read'] / candor_s:,.0f} records/s incl. stage rows)")
        print(f"  read {row['read']:,} (candidates + stage rows), staged {row['staged']:,}, quarantined {row['quarantined']:,}; "
              f"staging: {staged:,} candidates, {stages:,} stage rows; raw: {raw:,} rows")
        print(f"ratio candor / fetch-only baseline: {candor_s / baseline_s:.1f}x")

        # The periodic full scan that finds deletions, over unchanged data: fetch, skip, note ids.
        settings = Settings(home=home, now=NOW + timedelta(hours=2), api_land_rows=args.land_rows)
        t0 = time.perf_counter()
        with writer(settings) as con:
            report = ingest(con, settings)
            rescan_s = time.perf_counter() - t0
        row = report.summary_rows()[0]
        assert not report.failures, report.failures
        print(f"full scan of the unchanged source (deletion check): {landed(report)} in {rescan_s:.1f} s "
              f"({fetched / rescan_s:,.0f} candidates/s; {row['quarantined']:,} quarantined before re-checked, "
              f"deleted {row['deleted']:,}); ratio to baseline {rescan_s / baseline_s:.1f}x")
    finally:
        stop.set()
        server.join(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

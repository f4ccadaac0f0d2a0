"""The journey end to end on the bundled demo samples: ingest -> resolve -> consent, stages, segments."""

from __future__ import annotations

import shutil

import pytest

from tasks import PROJECT_ROOT
from tasks.warehouse import run_checks, writer

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_nightly_places_every_sample_person_and_fills_segments(settings, home):
    from flows.nightly import nightly_flow
    from flows.segment import segment_flow

    samples = PROJECT_ROOT / "data" / "samples"
    for path in samples.rglob("*"):
        if path.is_file() and "truth" not in path.parts:
            target = home / "inbox" / path.relative_to(samples)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    result = nightly_flow()
    assert result["stages"] == []                               # every sample ATS row mapped and matched
    sizes = {row["segment"]: row["size"] for row in result["segments"]}
    with writer(settings) as con:
        run_checks(con)
        persons, discovered, placed = con.execute(
            "select (select count(*) from core.persons), "
            "(select count(distinct person_id) from core.stage_events where stage = 'discovered'), "
            "(select count(*) from core.person_stages)").fetchone()
        assert persons > 100 and discovered == placed == persons
        ats_rows, matched = con.execute(
            "select (select count(*) from staging.stage_changes), "
            "(select count(*) from core.stage_events where source = 'ats')").fetchone()
        assert matched == ats_rows > 0
        hired = con.execute("select count(distinct ats_person_id) from staging.stage_changes where stage = 'Hired'").fetchone()[0]
        assert sizes["hired_alumni"] == hired
        silver = con.execute("select count(*) from core.segment_people where is_silver_medalist and is_email_allowed").fetchone()[0]
        assert sizes["silver_medalists"] == silver > 0
        assert con.execute("select count(*) from core.segment_memberships").fetchone()[0] == sum(sizes.values())

    again = segment_flow()
    assert all(row["entered"] == row["exited"] == 0 for row in again["segments"])
    assert {row["segment"]: row["size"] for row in again["segments"]} == sizes

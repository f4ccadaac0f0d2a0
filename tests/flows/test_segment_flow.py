"""The segment flow end to end under the Prefect harness: dry run writes nothing, a real run records memberships."""

from __future__ import annotations

import pytest

from tasks.warehouse import run_checks, writer
from tests.journey_fixtures import at, person, record, stage_change

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_segment_flow_dry_run_then_run(settings, home, monkeypatch):
    from prefect.artifacts import Artifact

    from flows.segment import segment_flow

    monkeypatch.setenv("CANDOR_NOW", at(60).isoformat())
    with writer(settings) as con:
        person(con, 1, country="US", skills=["python"])
        record(con, 1, "GH-1", source_name="ats_export", ats_person_id="GH-1", staged_at=at(0))
        stage_change(con, "EV-1", "Onsite", at(5), ats_person_id="GH-1")
        stage_change(con, "EV-2", "Rejected", at(9), ats_person_id="GH-1")
        stage_change(con, "EV-3", "Coffee Chat", at(9), ats_person_id="GH-1")
        person(con, 2, country="DE")
        record(con, 2, "SJ-2", staged_at=at(0))
    (home / "config" / "segments.yaml").write_text(
        "segments:\n  silver:\n    silver_medalist: true\n  dach:\n    country: {in: [DE, AT]}\n")

    preview = segment_flow(dry_run=True)
    assert preview["segments"] == [{"segment": "silver", "size": 1, "entered": 1, "exited": 0},
                                   {"segment": "dach", "size": 1, "entered": 1, "exited": 0}]
    assert preview["stages"] == [{"source": "ats_status", "issue": "unmapped_stage", "stage": "Coffee Chat", "rows": 1}]
    with writer(settings) as con:
        assert con.execute("select count(*) from core.segment_memberships").fetchone()[0] == 0
        assert con.execute("select count(*) from duckdb_tables() where table_name = 'segment_people'").fetchone()[0] == 0

    result = segment_flow()
    assert result["segments"] == preview["segments"]
    assert {"channel": "email", "is_allowed": True, "reason": "not_opted_out", "persons": 2} in result["consent"]
    assert "silver" in str(Artifact.get("segment-summary").data)
    with writer(settings) as con:
        run_checks(con)
        stays = con.execute("select segment, person_id, entered_at from core.segment_memberships order by 1").fetchall()
        assert [(s, p) for s, p, _ in stays] == [("dach", 2), ("silver", 1)]
        assert all(entered == at(60) for _, _, entered in stays)
    assert segment_flow()["segments"][0] == {"segment": "silver", "size": 1, "entered": 0, "exited": 0}


def test_a_bad_segments_file_stops_the_segment_flow_before_consent_and_stages_are_written(settings, home):
    from flows.segment import segment_flow
    from tasks.config import ConfigError

    with writer(settings) as con:
        person(con, 1, country="US")
        record(con, 1, "SJ-1", staged_at=at(0))
    (home / "config" / "segments.yaml").write_text("segments:\n  warm:\n    where: no_such_column > 1\n")

    with pytest.raises(ConfigError) as err:
        segment_flow()
    assert "segments.yaml:3: segments.warm.where" in str(err.value)
    with writer(settings) as con:  # the steps before segments (consent, stages, funnel) did not run either
        assert con.execute("select count(*) from duckdb_tables() where schema_name = 'core' "
                           "and table_name in ('person_stages', 'stage_events')").fetchone()[0] == 0

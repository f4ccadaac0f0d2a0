"""ATS API sources inside the ingest flow and `candor ingest --source`, key from a Prefect Secret."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from tasks.warehouse import run_checks, writer
from tests.fakes.greenhouse import FakeGreenhouse
from tests.fakes.payloads import greenhouse_candidates

pytestmark = pytest.mark.usefixtures("prefect_harness")

HEADER = ("applicant_id,first_name,last_name,email,phone,city,state,zip,country,current_title,"
          "current_company,linkedin,skills,job_id,job_title,applied_at,email_opt_in")


def test_api_source_runs_after_files_in_the_ingest_flow_and_from_the_cli(settings, home):
    from prefect.blocks.system import Secret

    from flows.cli import app
    from flows.ingest import ingest_flow

    now = datetime.now(timezone.utc) - timedelta(days=1)
    with FakeGreenhouse(greenhouse_candidates(30, seed=5, now=now)) as gh:
        Secret(value=gh.api_key).save("candor-test-greenhouse", overwrite=True)
        (home / "config" / "sources.yaml").write_text((home / "config" / "sources.yaml").read_text() + f"""
  - name: greenhouse
    kind: greenhouse
    channel: ats
    base_url: {gh.url}/v1
    api_key_secret: candor-test-greenhouse
    per_page: 20
""")
        result = CliRunner().invoke(app, ["ingest", "--source", "greenhouse"])
        assert result.exit_code == 0, result.output
        assert "greenhouse" in result.output and "stackjobs" not in result.output
        assert len(gh.data_requests("/v1/candidates")) == 2

        folder = home / "inbox" / "stackjobs"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "a.csv").write_text(HEADER + "\nSJ-1,Ann,Lee,ann@x.io,,LA,CA,90001,US,Eng,Y,,go,J-3,Eng,2026-01-01,\n")
        summary = ingest_flow()
        assert [row["source"] for row in summary if row["loaded"]] == ["stackjobs", "greenhouse"]   # files, then APIs
        assert summary[-1]["source"] == "greenhouse" and summary[1]["note"].startswith("no file matches")  # eurotalent
        assert summary[0].keys() == summary[1].keys()
        assert summary[-1]["loaded"] == 1 and summary[-1]["failed"] == 0         # incremental: one page
        assert [q.get("updated_after") is not None for q in gh.data_requests("/v1/candidates")] == [False, False, True, True]  # listed again: what did its pages miss?
    with writer(settings) as con:
        assert con.execute("select count(*) from staging.candidate_records where source_name = 'greenhouse'").fetchone()[0] > 25
        run_checks(con)


def test_a_secret_block_that_does_not_exist_is_named_with_how_to_save_one():
    from tasks.sources.http import ApiAuthError, api_key
    from tasks.sources.registry import SourceConfig

    source = SourceConfig(name="lever", kind="lever", channel="ats", base_url="https://api.lever.co/v1",
                          api_key_secret="candor-test-never-saved")
    with pytest.raises(ApiAuthError) as raised:
        api_key(source)
    message = str(raised.value)
    assert "lever: cannot read Prefect Secret 'candor-test-never-saved' (api_key_secret): no Secret block" in message
    assert "save one there: Secret(value=...).save('candor-test-never-saved')" in message, message

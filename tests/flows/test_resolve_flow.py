"""The resolve flow and CLI on the bundled samples, under the session Prefect harness."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tasks.warehouse import run_checks, writer
from tests.flows.test_ingest_flow import copy_samples
from tests.unit.test_ingest import HEADER, write

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_nightly_resolves_samples_and_explain_shows_the_evidence(settings, home):
    from flows.cli import app
    from flows.nightly import nightly_flow

    copy_samples(home)
    result = nightly_flow()
    (summary,) = result["resolve"]
    with writer(settings) as con:
        run_checks(con)
        staged = con.execute("select count(*) from staging.candidate_records").fetchall()[0][0]
        person_id, n = con.execute("select person_id, record_count from core.persons "
                                   "where 'splink' in (select rule from core.identity_links l where l.person_id = core.persons.person_id) "
                                   "order by record_count desc, person_id limit 1").fetchall()[0]
    assert summary["records"] == staged and 0 < summary["persons"] < staged
    assert "splink" in summary["links by rule"] and "email" in summary["links by rule"]

    out = CliRunner().invoke(app, ["explain", str(person_id)])
    assert out.exit_code == 0, out.output
    assert "records" in out.output and "splink" in out.output and "name +" in out.output
    # a rule link has no score: an empty cell, not "nan"; sources read as a list, not an array repr
    assert "nan" not in out.output and "['" not in out.output
    missing = CliRunner().invoke(app, ["explain", "999999"])
    assert missing.exit_code == 1 and "no person 999999" in missing.output

    # compare: the two records of a Splink edge, then a record of another person
    with writer(settings) as con:
        a, b = con.execute("select record_key_l, record_key_r from core.identity_edges where rule = 'splink' "
                           "order by score desc limit 1").fetchall()[0]
        other = con.execute("select record_key from core.identity_links where person_id <> "
                            "(select person_id from core.identity_links where record_key = ?) order by record_key limit 1",
                            [a]).fetchall()[0][0]
    out = CliRunner().invoke(app, ["compare", a, b])
    assert out.exit_code == 0, out.output
    assert "blocking rules whose keys they share" in out.output and "True" in out.output and "name +" in out.output
    apart = CliRunner().invoke(app, ["compare", a, other])
    assert apart.exit_code == 0 and "False" in apart.output and "nan" not in apart.output, apart.output
    unknown = CliRunner().invoke(app, ["compare", a, "nosuch:1"])
    assert unknown.exit_code == 1 and "no current record nosuch:1" in unknown.output

    again = CliRunner().invoke(app, ["resolve"])
    assert again.exit_code == 0, again.output
    with writer(settings) as con:
        assert con.execute("select records_scored from meta.identity_runs order by run_id desc limit 1").fetchall() == [(0,)]

    # model versions: listed, an unknown one named with the known ones, and going back to one
    listed = CliRunner().invoke(app, ["models"])
    assert listed.exit_code == 0 and "default" in listed.output and "yes" in listed.output, listed.output
    unknown_model = CliRunner().invoke(app, ["resolve", "--use-model", "7"])
    assert unknown_model.exit_code == 1 and "no identity model version 7; the warehouse has versions 1" in unknown_model.output
    both = CliRunner().invoke(app, ["resolve", "--train", "--use-model", "1"])
    assert both.exit_code == 2 and "exclude each other" in both.output
    bogus = CliRunner().invoke(app, ["resolve", "--use-model", "latest"])
    assert bogus.exit_code == 2 and "a version number or 'shipped', not 'latest'" in bogus.output
    # this release's default is current already: nothing new is stored
    shipped = CliRunner().invoke(app, ["resolve", "--use-model", "shipped"])
    assert shipped.exit_code == 0, shipped.output
    trained = CliRunner().invoke(app, ["resolve", "--train"])
    assert trained.exit_code == 0, trained.output
    back = CliRunner().invoke(app, ["resolve", "--use-model", "1", "--rescore"])
    assert back.exit_code == 0, back.output
    listed = CliRunner().invoke(app, ["models"])
    assert "restored (copy of 1)" in listed.output and "trained" in listed.output, listed.output
    with writer(settings) as con:
        assert con.execute("select version, origin, copied_from from meta.identity_models order by version").fetchall() == [
            (1, "default", None), (2, "trained", None), (3, "restored", 1)]
        # links were made with version 1 (--train alone rescored nothing): a rescore with its copy changes nobody
        assert con.execute("select model_version, merges, splits from meta.identity_runs "
                           "order by run_id desc limit 1").fetchall() == [(3, 0, 0)]


def good_and_bad(home, bad_name: str, bad_bytes: bytes) -> None:
    """A stackjobs drop with one good file of one row and one unreadable file."""
    write(home, "stackjobs", "good.csv", HEADER + "\nSJ-1,Ann,Lee,ann@x.io,,LA,CA,90001,US,Eng,Y,,go,J-3,Eng,2026-01-01,\n")
    write(home, "stackjobs", bad_name, bad_bytes)


def test_nightly_still_resolves_good_rows_when_a_file_is_bad(settings, home):
    from flows.ingest import IngestFailed
    from flows.nightly import nightly_flow

    good_and_bad(home, "bad.csv", b"\x00\x01\x02 not a csv")
    with pytest.raises(IngestFailed, match="bad.csv") as failed:
        nightly_flow()
    with writer(settings) as con:
        assert con.execute("select count(*) from core.identity_links").fetchall() == [(1,)]
    # the failure still carries what the night did: every stage's summary
    assert {"ingest", "resolve", "funnel", "segments"} <= set(failed.value.results)
    assert failed.value.results["ingest"][0]["staged"] == 1


def test_cli_shows_what_loaded_then_the_precise_reason(settings, home):
    from flows.cli import app

    good_and_bad(home, "latin1.csv", HEADER.encode() + b"\nSJ-2,J\xfcrgen,Ek,j@x.de,,,,,DE,,,,,,,,\n")
    out = CliRunner().invoke(app, ["ingest"])
    assert out.exit_code == 1
    assert "stackjobs" in out.output and "ingest failed" in out.output
    assert "latin1.csv:2:" in out.output and "not valid utf-8" in out.output


def test_a_resolve_run_leaves_senders_the_addresses_of_the_persons_it_made(settings, home):
    from datetime import timedelta

    from flows.resolve import resolve_flow
    from tasks.journey.consent import may_contact, refresh_consent
    from tests.unit.test_identity import T0, person_of, stage

    (home / "config" / "do_not_contact.csv").write_text("address\nkp@work.example\n")
    with writer(settings) as con:
        stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@gmail.com", "phone": "+14155550101"},
              {"key": "b:1", "first": "kim", "last": "park", "email": "kp@work.example", "at": T0 + timedelta(hours=1)})
    resolve_flow()
    with writer(settings) as con:
        refresh_consent(con, settings)
        ids = person_of(con)
        assert may_contact(con, [ids["a:1"], ids["b:1"]], "email") == {ids["a:1"]: (True, "not_opted_out"),
                                                                      ids["b:1"]: (False, "do_not_contact")}
        # a record joins the two: the listed address is now the (older) survivor's, not its golden email
        stage(con, {"key": "c:1", "first": "kim", "last": "park", "email": "kp@work.example", "phone": "+14155550101",
                    "at": T0 + timedelta(days=1)})
    resolve_flow()
    with writer(settings) as con:   # a sender between this run and the next segment run
        assert set(person_of(con).values()) == {ids["a:1"]}
        assert may_contact(con, [ids["a:1"]], "email") == {ids["a:1"]: (False, "do_not_contact")}


def test_nightly_with_a_bad_config_file_stops_before_writing_anything(settings, home):
    from flows.nightly import nightly_flow
    from tasks.config import ConfigError

    good_and_bad(home, "also-good.csv", HEADER.encode() + b"\nSJ-2,Bo,Ray,bo@x.io,,,,,US,,,,,,,,\n")
    (home / "config" / "segments.yaml").write_text("segments:\n  silver:\n    wher: \"stage = 'offered'\"\n")
    (home / "config" / "stages.yaml").write_text("stages:\n  hired: [Hired]\n  hierd: [Offer accepted]\n")
    # read by resolve only, after ingest had committed
    (home / "config" / "identity_overrides.yaml").write_text("must_link:\n  - [stackjobs:SJ-2, SJ-3]\n")
    with pytest.raises(ConfigError) as failed:
        nightly_flow()
    assert "segments.yaml:3" in str(failed.value) and "stages.yaml:3" in str(failed.value)
    assert "identity_overrides.yaml:2: must_link.0.1: Value error, not source_name:source_record_id" in str(failed.value)
    assert not settings.warehouse_path.exists()  # not even opened: no ingest, no resolve

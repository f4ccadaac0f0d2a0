"""Segments: every condition and operator on a tiny population, membership history, config errors."""

from __future__ import annotations

import textwrap

import pytest

from tasks.config import ConfigError
from tasks.journey.consent import refresh_consent
from tasks.journey.pipeline import segments_step, stages_step
from tasks.journey.segments import SENIORITY, ClockBehindHistory, load_segments
from tasks.warehouse import run_checks, transaction
from tests.journey_fixtures import at, event, moved, person, record, stage_change, warehouse

NOW = at(200)


@pytest.fixture
def population(settings, home):
    """Five persons: 1 silver medalist, 2 engaged referral, 3 hired, 4 in process, 5 on the do-not-contact list."""
    con = warehouse()
    person(con, 1, current_title="Senior Data Engineer", skills=["python", "sql"], tags=["remote-ok"], country="US",
           region="CA", city="San Francisco", sources=["stackjobs"], channels=["job_board"])
    record(con, 1, "SJ-1", staged_at=at(0), ats_person_id="GH-1")
    stage_change(con, "EV-1a", "Phone Screen", at(10), ats_person_id="GH-1")
    stage_change(con, "EV-1b", "Rejected", at(20), ats_person_id="GH-1")
    person(con, 2, current_title="Engineering Manager", skills=["java"], tags=["senior", "relocation"], country="DE",
           region="Berlin", city="Berlin", sources=["referrals"], channels=["referral"], is_referred=True,
           phone="+14155550102", phone_type="mobile")
    record(con, 2, "REF-2", source_name="referrals", source_kind="referrals", staged_at=at(0))
    record(con, 2, "AX-2", source_name="ats_export", consent_sms=True, staged_at=at(0))
    event(con, "c2", "clicked", at(190), person_id=2)
    person(con, 3, current_title="Junior Developer", skills=["python", "go"], country="GB", region="England",
           city="London", sources=["ats_export", "stackjobs"], channels=["ats", "job_board"])
    record(con, 3, "GH-3", source_name="ats_export", ats_person_id="GH-3", staged_at=at(0))
    stage_change(con, "EV-3a", "Onsite", at(5), ats_person_id="GH-3")
    stage_change(con, "EV-3b", "Hired", at(30), ats_person_id="GH-3")
    person(con, 4, current_title=None, country="AT", city="Wien", sources=["eurotalent"], channels=["job_board"])
    record(con, 4, "GH-4", source_name="ats_export", ats_person_id="GH-4", staged_at=at(0))
    stage_change(con, "EV-4", "Application Review", at(50), ats_person_id="GH-4")
    event(con, "r4", "replied", at(100), person_id=4, body="Sounds good")
    person(con, 5, current_title="Staff Engineer", skills=["rust"], country="US", region="NY", city="New York",
           sources=["stackjobs"], channels=["job_board"])
    record(con, 5, "SJ-5", staged_at=at(0))
    (home / "config" / "do_not_contact.csv").write_text("address\np5@example.com\n")
    refresh_consent(con, settings)
    stages_step(con, settings)
    yield con
    con.close()


def run(con, settings, home, segments: str) -> list[dict]:
    (home / "config" / "segments.yaml").write_text(textwrap.dedent(segments))
    return segments_step(con, settings.model_copy(update={"now": NOW}))


def members(con, segment: str = "s") -> set[int]:
    return {p for (p,) in con.execute("select person_id from core.segment_memberships "
                                      "where segment = ? and exited_at is null", [segment]).fetchall()}


CONDITIONS = [
    ("skills: {any: [python]}", {1, 3}),
    ("skills: {any: [PYTHON, rust]}", {1, 3, 5}),
    ("skills: {all: [python, sql]}", {1}),
    ("tags: {any: [senior, remote-ok]}", {1, 2}),
    ("tags: {all: [senior, relocation]}", {2}),
    ("title: {any: [engineer]}", {1, 2, 5}),
    ("title: {all: [data, engineer]}", {1}),
    ("seniority: {in: [senior]}", {1}),
    ("seniority: {in: [manager, junior, staff]}", {2, 3, 5}),
    ("seniority: {not_in: [senior, manager]}", {3, 4, 5}),
    ("country: {in: [us]}", {1, 5}),
    ("country: {not_in: [US]}", {2, 3, 4}),
    ("region: {in: [ca, england]}", {1, 3}),
    ("city: {in: [berlin, Wien]}", {2, 4}),
    ("city: {not_in: [berlin]}", {1, 3, 4, 5}),
    ("source: {in: [stackjobs]}", {1, 3, 5}),
    ("source: {not_in: [stackjobs]}", {2, 4}),
    ("channel: {in: [referral, ats]}", {2, 3}),
    ("stage: {in: [rejected, hired]}", {1, 3}),
    ("stage: {in: [do_not_contact]}", {5}),
    ("stage: {not_in: [applied, engaged]}", {1, 3, 5}),
    ("furthest_stage: {in: [hired]}", {3}),
    ("furthest_stage: {not_in: [hired, discovered]}", {1, 2, 4}),
    ("furthest_stage: {at_least: interviewing}", {1, 3}),
    ("furthest_stage: {at_most: engaged}", {2, 5}),
    ("engaged_within_days: 30", {2}),
    ("engaged_within_days: 150", {2, 4}),
    ("not_engaged_for_days: 30", {1, 3, 4, 5}),
    ("referred: true", {2}),
    ("referred: false", {1, 3, 4, 5}),
    ("silver_medalist: true", {1}),
    ("silver_medalist: false", {2, 3, 4, 5}),
    ("hired_alumni: true", {3}),
    ("contactable: email", {1, 2, 3, 4}),
    ("contactable: sms", {2}),
    ("where: \"engagement_score > 0 and country <> 'DE'\"", {4}),
    ("all: [{country: {in: [US]}}, {skills: {any: [python]}}]", {1}),
    ("any: [{country: {in: [DE]}}, {hired_alumni: true}]", {2, 3}),
    ("not: {country: {in: [US]}}", {2, 3, 4}),
    ("not: {seniority: {in: [senior]}}", {2, 3, 4, 5}),      # unknown seniority is "not senior"
    ("all: [{any: [{city: {in: [london]}}, {city: {in: [berlin]}}]}, {not: {referred: true}}]", {3}),
]


@pytest.mark.parametrize("condition, expected", CONDITIONS, ids=[c for c, _ in CONDITIONS])
def test_every_condition_and_operator(population, settings, home, condition, expected):
    run(population, settings, home, f"segments:\n  s:\n    {condition}\n")
    assert members(population) == expected


def test_segment_people_fields(population, settings, home):
    run(population, settings, home, "segments: {}\n")
    rows = {r[0]: r[1:] for r in population.execute(
        "select person_id, seniority, current_stage, furthest_stage, engagement_score, engagements_90d "
        "from core.segment_people").fetchall()}
    assert rows[1] == ("senior", "rejected", "interviewing", 0.0, 0)
    assert rows[2] == ("manager", "engaged", "engaged", 0.79, 1)            # click 10 days ago: 1 * 0.5 ** (10/30)
    assert rows[4] == (None, "applied", "applied", 0.3, 0)                  # reply 100 days ago: 3 * 0.5 ** (100/30)
    assert {r[0] for r in rows.values()} <= {None, *SENIORITY}


def test_memberships_keep_history_and_reruns_change_nothing(population, settings, home):
    spec = "segments:\n  recent:\n    engaged_within_days: 30\n  us:\n    country: {in: [US]}\n"
    first = run(population, settings, home, spec)
    assert first == [{"segment": "recent", "size": 1, "entered": 1, "exited": 0},
                     {"segment": "us", "size": 2, "entered": 2, "exited": 0}]
    before = population.execute("select * from core.segment_memberships order by all").fetchall()
    assert run(population, settings, home, spec) == [{"segment": "recent", "size": 1, "entered": 0, "exited": 0},
                                                      {"segment": "us", "size": 2, "entered": 0, "exited": 0}]
    assert population.execute("select * from core.segment_memberships order by all").fetchall() == before

    later = settings.model_copy(update={"now": at(230)})                  # the click is now 40 days old
    (home / "config" / "segments.yaml").write_text("segments:\n  recent:\n    engaged_within_days: 30\n")
    assert segments_step(population, later) == [{"segment": "recent", "size": 0, "entered": 0, "exited": 1},
                                                {"segment": "us", "size": 0, "entered": 0, "exited": 2}]
    stays = population.execute("select segment, person_id, entered_at, exited_at from core.segment_memberships "
                               "where segment = 'recent'").fetchall()
    assert stays == [("recent", 2, NOW, at(230))]
    population.execute("insert into raw.provider_events (provider_event_id, provider, person_id, channel, event_kind, "
                       "occurred_at, received_at) values ('c2b', 'sendgrid', 2, 'email', 'clicked', ?, ?)",
                       [at(229), at(229)])
    stages_step(population, later)
    segments_step(population, later)
    entered_this_week = population.execute(
        "select person_id from core.segment_memberships where segment = 'recent' and entered_at > ?", [at(223)]
    ).fetchall()
    assert entered_this_week == [(2,)]
    assert population.execute("select count(*) from core.segment_memberships where segment = 'recent'").fetchone()[0] == 2


def test_a_run_whose_clock_is_behind_the_recorded_history_changes_nothing(population, settings, home):
    # a replay of an earlier day (CANDOR_NOW) on the live warehouse dated exits before their entries: the
    # stays ran backwards, and assert_segment_memberships_open_once failed every resolve run after it
    run(population, settings, home, "segments:\n  s:\n    where: \"person_id <= 2\"\n")
    history = population.execute("select * from core.segment_memberships order by all").fetchall()
    (home / "config" / "segments.yaml").write_text("segments:\n  s:\n    where: \"person_id = 1\"\n")
    # the consent and stages steps before it commit on their own: "nothing was written" was not so (helper-59)
    with pytest.raises(ClockBehindHistory, match="before the last recorded segment change .* the segments step wrote "
                                                 "nothing"):
        segments_step(population, settings.model_copy(update={"now": at(199)}))
    assert population.execute("select * from core.segment_memberships order by all").fetchall() == history
    run_checks(population, "assert_segment_memberships")


def test_a_merge_is_neither_an_exit_nor_an_entry(population, settings, home):
    spec = "segments:\n  us:\n    country: {in: [US]}\n"
    assert run(population, settings, home, spec) == [{"segment": "us", "size": 2, "entered": 2, "exited": 0}]
    # identity resolution merges person 5 into person 1 (same human, found by a new record)
    population.execute("delete from core.persons where person_id = 5")
    population.execute("update core.identity_links set person_id = 1 where person_id = 5")
    moved(population, 5, 1, "merge", at(199), record_count=2)
    refresh_consent(population, settings)
    stages_step(population, settings)
    assert run(population, settings, home, spec) == [{"segment": "us", "size": 1, "entered": 0, "exited": 0}]
    assert population.execute("select person_id, entered_at, exited_at from core.segment_memberships").fetchall() == [
        (1, NOW, None)]


@pytest.mark.parametrize("body, message", [
    ("  a:\n    all:\n      - skils: {any: [go]}\n", "segments.yaml:4: segments.a.all.0.skils: Extra inputs are not permitted"),
    ("  a:\n    skills: {some: [go]}\n", "segments.yaml:3: segments.a.skills.some: Extra inputs are not permitted"),
    ("  a:\n    description: x\n    stage: {in: [interviewed]}\n", "segments.yaml:4: segments.a.stage.in.0: Input should be"),
    ("  a:\n    furthest_stage: {at_least: rejected}\n", "segments.yaml:3: segments.a.furthest_stage.at_least: Input should be"),
    ("  a:\n    seniority: {in: [ninja]}\n", "segments.yaml:3: segments.a.seniority.in.0: Input should be"),
    ("  a:\n    country: {in: [US]}\n    referred: true\n", "segments.yaml:3: segments.a: Value error, a condition needs exactly one"),
    ("  a:\n    skills:\n", "segments.yaml:3: segments.a: Value error, a condition needs exactly one"),
    ("  a:\n    description: only words\n", "segments.yaml:3: segments.a: Value error, a condition needs exactly one"),
    ("  a:\n    where: \"1=1; drop table core.persons\"\n", "segments.yaml:3: segments.a.where: Value error"),
    # a where: is one predicate over core.segment_people's columns: it cannot close the parenthesis it is put in,
    # nor read another table or a file (staging and raw hold every address; read_text a server's files)
    # two names a dashboard or a person reads as one (`segment = 'warm'` finds one of them): one typo'd copy
    ("  Warm:\n    referred: true\n  warm:\n    referred: false\n",
     "segments.yaml:5: segments.warm: the same name as segments.Warm"),
    ("  warm:\n    referred: true\n  ｗａｒｍ:\n    referred: false\n",
     "segments.yaml:5: segments.ｗａｒｍ: the same name as segments.warm"),
    ("  a:\n    where: \"true) or (true\"\n", "segments.yaml:3: segments.a.where: Value error, must be one SQL predicate"),
    ("  a:\n    where: \"person_id in (select person_id from staging.records where email like '%x%')\"\n",
     "segments.yaml:3: segments.a.where: Value error, reads only the columns of core.segment_people"),
    ("  a:\n    where: \"exists (select * from read_text('/etc/passwd'))\"\n",
     "segments.yaml:3: segments.a.where: Value error, reads only the columns of core.segment_people"),
])
def test_config_errors_name_file_line_and_segment(home, body, message):
    (home / "config" / "segments.yaml").write_text("segments:\n" + body)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_segments(home / "config")


def test_a_where_predicate_cannot_add_members_to_another_segment(population, settings, home):
    # the predicate was pasted into `where (...)`: closing the parenthesis let a union insert any person id
    # into any segment (here 12345, no person at all, into `warm`), and the check before the run let it through
    where = "false) union all by name (select 12345 as person_id, 'warm' as \\\"$1\\\""
    with pytest.raises(ConfigError, match="segments.yaml:5: segments.hostile.where: Value error"):
        run(population, settings, home, f"segments:\n  warm:\n    referred: true\n  hostile:\n    where: \"{where}\"\n")
    assert population.execute("select count(*) from core.segment_memberships").fetchone()[0] == 0


@pytest.mark.parametrize("where", ["nextval('meta.person_id_seq') > 0", "random() < 0.1", "sleep_ms(1000) is null",
                                   "gen_random_uuid()::varchar < '8'"])
def test_a_where_predicate_calling_a_volatile_function_is_refused(population, settings, home, where):
    # nextval drew a person id per person per run (ids are never reused), random() < 0.1 as a holdout group
    # moved a tenth of everyone in and out of the segment every night, sleep_ms held the writer for hours
    seq = "select nextval('meta.person_id_seq')"
    before = population.execute(seq).fetchone()[0]
    with pytest.raises(ConfigError, match="segments.yaml:3: segments.s.where: Value error, calls"):
        run(population, settings, home, f"segments:\n  s:\n    where: \"{where}\"\n")
    assert population.execute(seq).fetchone()[0] == before + 1


@pytest.mark.parametrize("where", ["1", "display_name", "engagement_score"])
def test_a_where_predicate_that_is_not_a_boolean_names_file_line_and_segment(population, settings, home, where):
    # DuckDB casts a where's value to boolean: `1` made everyone a member, a text column failed on the data
    with pytest.raises(ConfigError) as info:
        run(population, settings, home, f"segments:\n  ok:\n    referred: true\n  warm:\n    where: \"{where}\"\n")
    assert f"{home / 'config' / 'segments.yaml'}:5: segments.warm.where: segment 'warm': invalid where predicate: " \
        "it is a " in str(info.value) and "not a boolean" in str(info.value)
    assert population.execute("select count(*) from core.segment_memberships").fetchone()[0] == 0


def test_a_comment_at_the_end_of_a_where_predicate_is_only_a_comment(population, settings, home):
    run(population, settings, home, "segments:\n  s:\n    where: \"engagement_score > 0 -- warm ones\"\n"
                                    "  t:\n    where: \"engagement_score > 0\"\n")
    assert members(population, "s") == members(population, "t") == {2, 4}


def test_the_nightly_preflight_refuses_a_where_naming_an_unknown_column(settings, home):
    # preflight read segments.yaml but bound no where: a typo failed the night at its last step, after
    # ingest, resolve, consent and stages had committed
    from tasks.preflight import check_config

    (home / "config" / "segments.yaml").write_text(
        "segments:\n  ok:\n    where: \"engagement_score > 3 and now() - last_engaged_at < interval 9 day\"\n"
        "  warm:\n    where: \"engagment > 3\"\n")
    with pytest.raises(ConfigError) as info:
        check_config(settings)
    assert f"{home / 'config' / 'segments.yaml'}:5: segments.warm.where: segment 'warm': invalid where predicate: " \
        in str(info.value) and "segment 'ok'" not in str(info.value)
    assert not settings.warehouse_path.exists()  # checked without the warehouse: nothing opened, nothing written


def test_bad_where_predicate_names_file_line_and_segment(population, settings, home):
    with pytest.raises(ConfigError) as info:
        run(population, settings, home, "segments:\n  ok:\n    referred: true\n  warm:\n    where: \"engagment > 3\"\n")
    assert f"{home / 'config' / 'segments.yaml'}:5: segments.warm.where: segment 'warm': invalid where predicate" in str(info.value)
    assert population.execute("select count(*) from core.segment_memberships").fetchone()[0] == 0


@pytest.mark.parametrize("where", ["cast(city as integer) > 3", "regexp_matches(city, '(')"])
def test_a_where_predicate_failing_only_on_the_data_names_file_line_and_segment(population, settings, home, where):
    with pytest.raises(ConfigError) as info:
        run(population, settings, home, f"segments:\n  ok:\n    referred: true\n  warm:\n    where: \"{where}\"\n")
    assert f"{home / 'config' / 'segments.yaml'}:5: segments.warm.where: segment 'warm': its condition fails on the data:" \
        in str(info.value)
    assert population.execute("select count(*) from core.segment_memberships").fetchone()[0] == 0


def test_a_where_predicate_failing_on_the_data_inside_the_steps_transaction_names_its_segment(population, settings, home):
    # run_step runs the step in one transaction, which the failed statement aborts: running each segment
    # again to find the failing one named the first segment and "Current transaction is aborted"
    (home / "config" / "segments.yaml").write_text(
        "segments:\n  ok:\n    referred: true\n  warm:\n    where: \"cast(city as integer) > 3\"\n")
    with pytest.raises(ConfigError) as info, transaction(population):
        segments_step(population, settings.model_copy(update={"now": NOW}))
    assert f"{home / 'config' / 'segments.yaml'}:5: segments.warm.where: segment 'warm': its condition fails on the data: " \
        "Conversion Error: Could not convert string '***' to INT32" in str(info.value)
    assert population.execute("select count(*) from core.segment_memberships").fetchone()[0] == 0


@pytest.mark.parametrize("where", ["cast(display_name as integer) > 3", "display_name::date > now()",
                                   "strptime(display_name, '%Y') > now()", "json_extract(display_name, '$.a') is null"])
def test_a_where_predicate_failing_on_a_persons_value_does_not_repeat_the_value(population, settings, home, where):
    # DuckDB quotes the value a cast or parse failed on; the error reaches stderr, logs and Prefect's state message
    population.execute("update core.persons set display_name = 'Zelda Quixote' where person_id = 1")
    with pytest.raises(ConfigError) as info:
        run(population, settings, home, f"segments:\n  warm:\n    where: \"{where}\"\n")
    assert "Zelda" not in str(info.value) and "Quixote" not in str(info.value)
    assert f"{home / 'config' / 'segments.yaml'}:3: segments.warm.where: segment 'warm': its condition fails on the data:" \
        in str(info.value)


def test_a_value_with_a_line_break_is_not_repeated_either(population, settings, home):
    # a title pasted from a resume keeps its line break; the error's first line ended inside the quotes,
    # so the masking (a quoted string) found no closing quote and let the value's first line through
    population.execute("update core.persons set current_title = 'Zelda Quixote\nQuixote Holdings' where person_id = 1")
    with pytest.raises(ConfigError) as info:
        run(population, settings, home, "segments:\n  warm:\n    where: \"cast(title as integer) > 3\"\n")
    assert "Zelda" not in str(info.value) and "Quixote" not in str(info.value)
    assert "its condition fails on the data: Conversion Error: Could not convert string '***" in str(info.value)


def test_values_are_bound_not_formatted(population, settings, home):
    run(population, settings, home, "segments:\n  s:\n    city: {in: [\"x') or true or ('\"]}\n")
    assert members(population) == set()


def test_default_segments_load_and_run(population, settings, home):
    from tasks import PROJECT_ROOT

    (home / "config" / "segments.yaml").write_text((PROJECT_ROOT / "data" / "config" / "segments.yaml").read_text())
    sizes = {r["segment"]: r["size"] for r in segments_step(population, settings.model_copy(update={"now": NOW}))}
    assert len(sizes) >= 10
    assert (sizes["silver_medalists"], sizes["hired_alumni"], sizes["active_pipeline"], sizes["dach_talent"]) == (1, 1, 1, 2)


@pytest.mark.parametrize("where", ["last_engaged_at >= now() - interval 30 day",
                                   "last_engaged_at >= current_timestamp - interval 30 day",
                                   "last_engaged_at::date >= current_date - 30", "last_engaged_at::date >= today() - 30"])
def test_a_where_predicate_reads_now_from_the_runs_clock(population, settings, home, where):
    # a test or a replay moves the clock (CANDOR_NOW): "engaged in the last 30 days" written as SQL must move with it
    run(population, settings, home, f"segments:\n  s:\n    where: \"{where}\"\n  t:\n    engaged_within_days: 30\n")
    assert members(population, "s") == members(population, "t") == {2}
    assert population.execute("select now() > ?::timestamptz + interval 30 day", [NOW]).fetchone()[0]  # the machine's again


@pytest.mark.parametrize("condition, expected", [
    ("country: {in: [UK, Germany]}", {2, 3}),
    ("country: {in: [usa, DEU]}", {1, 2, 5}),
    ("country: {not_in: [USA]}", {2, 3, 4}),
    ("all: [{not: {country: {in: [United Kingdom]}}}, {channel: {in: [job_board]}}]", {1, 4, 5}),
])
def test_a_segments_country_is_read_as_staging_reads_a_records(population, settings, home, condition, expected):
    # staging stores a record's `UK`, `Germany`, `USA` as GB, DE, US; a segment's were compared as written, so
    # `in: [UK]` held nobody and `not_in: [USA]` everyone, Americans included, without a word
    run(population, settings, home, f"segments:\n  s:\n    {condition}\n")
    assert members(population) == expected


@pytest.mark.parametrize("body, message", [
    ("  a:\n    country: {in: [US, Atlantis]}\n",
     "segments.yaml:3: segments.a.country.in.1: Value error, 'Atlantis' is no country"),
    ("  a:\n    all:\n      - country:\n          not_in:\n            - EU\n",
     "segments.yaml:6: segments.a.all.0.country.not_in.0: Value error, 'EU' is no country"),
    ("  a:\n    channel: {in: [referrals]}\n", "segments.yaml:3: segments.a.channel.in.0: Input should be 'job_board', "),
    ("  a:\n    not:\n      channel: {not_in: [Job Board]}\n", "segments.yaml:4: segments.a.not.channel.not_in.0: Input should be"),
])
def test_a_country_or_channel_no_record_can_hold_names_file_line_and_field(home, body, message):
    # staging quarantines a country that is no ISO 3166 one and a source's channel is one of six words: such a
    # value matched no person, an `in:` segment stayed empty and a `not_in:` one held everyone, without a word
    (home / "config" / "segments.yaml").write_text("segments:\n" + body)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_segments(home / "config")


def test_the_nightly_preflight_refuses_a_channel_no_source_has(settings, home):
    from tasks.preflight import check_config

    (home / "config" / "segments.yaml").write_text("segments:\n  refs:\n    channel: {in: [employee_referral]}\n")
    with pytest.raises(ConfigError) as info:
        check_config(settings)
    assert str(info.value).startswith(f"{home / 'config' / 'segments.yaml'}:3: segments.refs.channel.in.0: Input should be")
    assert not settings.warehouse_path.exists()


def test_the_nightly_preflight_names_a_bad_where_beside_another_files_fault(settings, home):
    # the where: check ran only when every file had read cleanly: a night with a typo in sources.yaml and one in a
    # where: named the first, and once that was fixed the next night failed on the second
    from tasks.preflight import check_config

    sources = home / "config" / "sources.yaml"
    sources.write_text(sources.read_text().replace("    channel: job_board\n", "    channel: job_board\n    delimter: ';'\n", 1))
    (home / "config" / "segments.yaml").write_text("segments:\n  warm:\n    where: \"engagment > 3\"\n")
    with pytest.raises(ConfigError) as info:
        check_config(settings)
    assert "sources.yaml:" in str(info.value) and ".delimter: Extra inputs are not permitted" in str(info.value)
    assert f"{home / 'config' / 'segments.yaml'}:3: segments.warm.where: segment 'warm': invalid where predicate" \
        in str(info.value)
    assert not settings.warehouse_path.exists()


def test_a_source_no_persons_records_come_from_is_a_warning_naming_file_line_and_field(population, settings, home, caplog):
    # a source's name is sources.yaml's, and one it no longer names may still hold records, so a value is not
    # refused; but `source: {in: [stakjobs]}` matched nobody and `not_in` excluded nobody without a word
    segments = home / "config" / "segments.yaml"
    with caplog.at_level("WARNING", logger="tasks.journey.segments"):
        run(population, settings, home, """\
            segments:
              typo:
                source: {in: [stakjobs, referrals]}
              fine:
                all:
                  - not:
                      source: {not_in: [StackJobs, ats_exprot]}
            """)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    held = "(sources held: ats_export, eurotalent, referrals, stackjobs)"
    assert warnings == [
        f"{segments}:3: segments.typo.source: segment 'typo': no person's records come from source 'stakjobs', "
        f"so it matches nobody {held}",
        f"{segments}:7: segments.fine.all.0.not.source: segment 'fine': no person's records come from source "
        f"'ats_exprot', so it excludes nobody {held}"]
    assert members(population, "typo") == {2}

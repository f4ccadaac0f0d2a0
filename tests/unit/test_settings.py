"""Settings: CANDOR_* from the environment and .env, typos and bad values rejected with the name."""

from __future__ import annotations

import pytest

from tasks.config import ConfigError
from tasks.settings import SettingsError, load_settings
from tasks.sources.registry import load_sources


def test_env_file_and_environment(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("CANDOR_MAX_BAD_FRACTION=0.3  # inline comment\nPREFECT_API_URL=http://127.0.0.1:1/api\n")
    assert load_settings(env_file=env).max_bad_fraction == 0.3
    monkeypatch.setenv("CANDOR_MAX_BAD_FRACTION", "0.5")
    assert load_settings(env_file=env).max_bad_fraction == 0.5


def test_a_frozen_now_with_an_offset_is_the_same_instant_in_utc(tmp_path, monkeypatch):
    from tasks.clock import utcnow

    monkeypatch.setenv("CANDOR_NOW", "2026-03-01T09:00:00+01:00")
    assert utcnow(load_settings(env_file=tmp_path / "none.env")).isoformat() == "2026-03-01T08:00:00+00:00"
    monkeypatch.setenv("CANDOR_NOW", "2026-03-01T09:00:00")  # no offset: UTC
    assert utcnow(load_settings(env_file=tmp_path / "none.env")).isoformat() == "2026-03-01T09:00:00+00:00"


def test_misspelt_setting_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("CANDOR_MAX_BAD_FRACTON", "0.1")
    with pytest.raises(SettingsError, match="unknown setting.*CANDOR_MAX_BAD_FRACTON"):
        load_settings(env_file=tmp_path / "missing.env")


@pytest.mark.parametrize("name, value", [("CANDOR_LOCK_TIMEOUT_S", "soon"), ("CANDOR_DUCKDB_MEMORY_LIMIT", "lots"),
                                         ("CANDOR_DEFAULT_REGION", "Britain"), ("CANDOR_ORG_TIMEZONE", "Berlin"),
                                         ("CANDOR_DUCKDB_MEMORY_LIMIT", "6")])
def test_invalid_value_names_the_variable(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings(env_file=tmp_path / "missing.env")


def test_a_memory_limit_takes_duckdbs_units_and_the_deploy_folder_is_no_misspelling(tmp_path, monkeypatch):
    monkeypatch.setenv("CANDOR_DUCKDB_MEMORY_LIMIT", "4GiB")
    monkeypatch.setenv("CANDOR_PROJECT_DIR", str(tmp_path))  # prefect.yaml reads it
    assert load_settings(env_file=tmp_path / "missing.env").duckdb_memory_limit == "4GiB"


def test_a_home_that_is_no_folder_is_an_error_saying_how_to_start_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "typo"))
    with pytest.raises(SettingsError, match=r"CANDOR_HOME .*typo is not a folder; .*cp -r .*data/config"):
        load_settings(env_file=tmp_path / "missing.env")
    assert not (tmp_path / "typo").exists()


def test_sources_yaml_errors_name_file_line_and_field(tmp_path):
    (tmp_path / "sources.yaml").write_text(
        "sources:\n"
        "  - name: board\n"
        "    kind: csv\n"
        "    channel: job_board\n"
        "    path: 'b/*.csv'\n"
        "    mapping:\n"
        "      source_record_id: id\n"
        "      emial: Email\n"
    )
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path)
    assert f"{tmp_path / 'sources.yaml'}:8: sources.0.mapping.emial.[key]: Input should be" in str(err.value)


@pytest.mark.parametrize("body", ["sources: []\n", "sources:\n", "sources:\n  # - name: board\nretired: [old]\n"])
def test_a_sources_yaml_listing_no_source_is_an_error_naming_file_line_and_field(tmp_path, body):
    # `sources: []` was accepted: every ingest and nightly run read nothing and exited 0, a whole config lost
    # (a bad merge, every entry commented out) without a word; an empty `sources:` said only "Input should be a valid list"
    (tmp_path / "sources.yaml").write_text("# Candor sources\n" + body)
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'sources.yaml'}:2: sources: ")
    assert "lists no source" in str(err.value)


@pytest.mark.parametrize("entry, message", [
    ("kind: csv\n    channel: job_board\n    path: 'stackjobs/'\n    mapping: {source_record_id: id}",
     "sources.0: Value error, path 'stackjobs/' names a folder; give a glob of its files, e.g. 'stackjobs/*.csv'"),
    ("kind: greenhouse\n    channel: ats\n    base_url: 127.0.0.1:8000/v1\n    api_key_env: GH_KEY",
     "sources.0: Value error, base_url '127.0.0.1:8000/v1' must start with https:// (or http://) and a host"),
    ("kind: jsonl\n    channel: job_board\n    path: 'i/*.jsonl'\n    mapping: {source_record_id: id, email: 'applicant.emails[x]'}",
     "sources.0: Value error, mapping.email: 'applicant.emails[x]' is no JSON path: 'emails[x]' is neither a key nor key[n]"),
    ("kind: greenhouse\n    channel: ats\n    base_url: https://h.example/v1\n    api_key_env: GH_KEY\n    mapping: {city: 'addresses..value'}",
     "sources.0: Value error, mapping.city: 'addresses..value' is no JSON path: '' is neither a key"),
])
def test_a_folder_for_path_a_base_url_without_scheme_or_a_bad_json_path_is_an_error_naming_the_line(tmp_path, entry, message):
    (tmp_path / "sources.yaml").write_text(f"sources:\n  - name: board\n    {entry}\n")
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path)
    assert f"{tmp_path / 'sources.yaml'}:2: {message}" in str(err.value)


@pytest.mark.parametrize("key, value", [("reconcile_every_h", ".inf"), ("reconcile_every_h", ".nan"),
                                        ("max_delete_share", ".nan")])
def test_a_number_in_sources_yaml_that_is_not_finite_is_refused_as_such(tmp_path, key, value):
    # reconcile_every_h: .inf passed and the run after the first full scan failed on timedelta(hours=inf)
    # (OverflowError); .nan was refused as 'Input should be greater than or equal to 0'
    (tmp_path / "sources.yaml").write_text("sources:\n  - name: board\n    kind: greenhouse\n    channel: ats\n"
                                           "    base_url: https://h.example/v1\n    api_key_env: GH_KEY\n"
                                           f"    {key}: {value}\n")
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path)
    assert str(err.value) == f"{tmp_path / 'sources.yaml'}:7: sources.0.{key}: Input should be a finite number"


@pytest.mark.parametrize("base_url", ["https://gh-9f3KEY:@harvest.greenhouse.io/v1", "gh-9f3KEY@harvest.greenhouse.io/v1",
                                      "https://user:gh-9f3KEY@harvest.greenhouse.io/v1"])
def test_a_base_url_holding_the_key_is_refused_without_repeating_it(tmp_path, base_url):
    # `curl -u KEY: …` habits: a key in the URL would go to every log line, error, page label and cursor naming the URL
    (tmp_path / "sources.yaml").write_text(f"sources:\n  - name: greenhouse\n    kind: greenhouse\n    channel: ats\n"
                                           f"    base_url: {base_url}\n    api_key_env: GH_KEY\n")
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path)
    assert "9f3KEY" not in str(err.value)
    assert f"{tmp_path / 'sources.yaml'}:2: sources.0: Value error, base_url holds credentials (user:key@)" in str(err.value)


def test_files_are_read_in_natural_name_order_under_the_inbox_or_an_absolute_glob(tmp_path):
    drop = tmp_path / "sftp" / "board"
    drop.mkdir(parents=True)
    for name in ("c_2026-10-01.csv", "c_2026-9-30.csv", "c_2026-10-1b.csv", "notes.txt"):
        (drop / name).write_text("x")
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - name: board\n    kind: csv\n    channel: job_board\n    path: '{drop}/*.csv'\n"
        "    mapping: {source_record_id: id}\n  - name: inboxed\n    kind: csv\n    channel: job_board\n"
        "    path: 'board/*.csv'\n    mapping: {source_record_id: id}\n")
    absolute, relative = load_sources(tmp_path)
    assert [p.name for p in absolute.files(tmp_path / "inbox")] == ["c_2026-9-30.csv", "c_2026-10-01.csv", "c_2026-10-1b.csv"]
    assert [p.name for p in relative.files(tmp_path / "sftp")] == ["c_2026-9-30.csv", "c_2026-10-01.csv", "c_2026-10-1b.csv"]


def test_a_misspelt_key_holding_a_block_is_named_on_its_own_line(tmp_path):
    # the error named the line of the key's first item, the line after the typo
    from tasks.identity.overrides import read_overrides

    (tmp_path / "identity_overrides.yaml").write_text("# reviewed 2026-11-27\nmust_links:\n  - [a:1, b:2]\n")
    with pytest.raises(ConfigError) as err:
        read_overrides(tmp_path)
    assert str(err.value) == f"{tmp_path / 'identity_overrides.yaml'}:2: must_links: Extra inputs are not permitted"
    (tmp_path / "sources.yaml").write_text("sources:\n  - name: board\n    kind: csv\n    channel: job_board\n"
                                           "    path: 'b/*.csv'\n    mapings:\n      source_record_id: id\n")
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path)
    assert f"{tmp_path / 'sources.yaml'}:6: sources.0.mapings: Extra inputs are not permitted" in str(err.value)


def test_invalid_yaml_names_the_line(tmp_path):
    (tmp_path / "sources.yaml").write_text("sources:\n  - name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"sources\.yaml:\d+:\d+: invalid YAML"):
        load_sources(tmp_path)


def test_a_home_without_config_says_how_to_start_one(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path / "config")
    assert str(err.value) == (f"{tmp_path / 'config' / 'sources.yaml'}: file not found ({tmp_path / 'config'} does not "
                              f"exist: a new CANDOR_HOME starts with a copy of the project's data/config, "
                              f"cp -r data/config {tmp_path}/)")
    (tmp_path / "config").mkdir()
    with pytest.raises(ConfigError, match=r"sources\.yaml: file not found; "):
        load_sources(tmp_path / "config")


def test_a_home_made_before_a_config_file_existed_is_told_where_the_default_is(home):
    from tasks import PROJECT_ROOT
    from tasks.journey.stages import load_stage_map

    # a CANDOR_HOME copied from Candor's first version, which had no stages.yaml, upgraded in place
    (home / "config" / "stages.yaml").unlink()
    with pytest.raises(ConfigError) as err:
        load_stage_map(home / "config")
    assert str(err.value) == (f"{home / 'config' / 'stages.yaml'}: file not found; this Candor version reads it "
                              f"(a home made by an earlier version may lack it): start from the project's default, "
                              f"cp {PROJECT_ROOT / 'data' / 'config' / 'stages.yaml'} {home / 'config'}/")


def test_default_config_loads():
    from tasks import PROJECT_ROOT

    names = [s.name for s in load_sources(PROJECT_ROOT / "data" / "config")]
    assert names == ["stackjobs", "eurotalent", "indeed_apply", "referrals", "ats_status", "ats_export", "career_site"]


@pytest.mark.parametrize("name, value, says", [("CANDOR_DUCKDB_MEMORY_LIMIT", "6", "a number and a unit (500MB, 6GB, 4GiB)"),
                                               ("CANDOR_DUCKDB_MEMORY_LIMIT", "0GB", "'0GB' leaves DuckDB no memory at all"),
                                               ("CANDOR_DUCKDB_MEMORY_LIMIT", "0.0 MiB", "'0.0 MiB' leaves DuckDB no memory"),
                                               ("CANDOR_DEFAULT_REGION", "Britain", "(ISO 3166 alpha-2)")])
def test_a_value_of_the_wrong_form_is_explained_in_words_not_as_a_regular_expression(tmp_path, monkeypatch, name, value,
                                                                                      says):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=tmp_path / "missing.env")
    assert says in str(raised.value) and "should match pattern" not in str(raised.value), str(raised.value)


def test_a_setting_from_an_old_env_file_is_rejected_naming_the_file_and_line(tmp_path, monkeypatch):
    # a .env kept across upgrades: a value a later version validates, a name it does not know
    env = tmp_path / ".env"
    env.write_text("# Candor\nCANDOR_MAX_BAD_FRACTION=0.3\nexport CANDOR_DEFAULT_REGION=us   # as the old .env.example\n")
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=env)
    assert str(raised.value).startswith(f"invalid settings: CANDOR_DEFAULT_REGION ({env}:3): 'us' is not of the form")
    env.write_text("CANDOR_MAX_BAD_FRACTION=0.3\n\nCANDOR_MATCH_THRESHOLD=0.8\n")
    monkeypatch.setenv("CANDOR_LOCK_TIMOUT_S", "5")
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=env)
    assert str(raised.value).startswith(f"unknown setting(s) CANDOR_LOCK_TIMOUT_S (environment), "
                                        f"CANDOR_MATCH_THRESHOLD ({env}:3); known: ")


@pytest.mark.parametrize("name", ["CANDOR_IDENTITY_MATCH_THRESHOLD", "CANDOR_MAX_BAD_FRACTION", "CANDOR_LOCK_TIMEOUT_S",
                                  "CANDOR_API_TIMEOUT_S", "CANDOR_API_BACKOFF_BASE_S", "CANDOR_API_REQUEST_MAX_S"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_number_setting_that_is_not_a_finite_number_says_so_quoting_the_value(tmp_path, monkeypatch, name, value):
    # nan was 'Input should be less than 1' (or 'greater than or equal to 0'): it is neither, it is no number;
    # inf passed for the timeouts and waits (CANDOR_API_BACKOFF_MAX_S=inf with CANDOR_API_BACKOFF_BASE_S=inf:
    # a retry's sleep Python refuses with an OverflowError, mid-run)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=tmp_path / "missing.env")
    assert str(raised.value) == f"invalid settings: {name} (environment): {value!r} is not a finite number"


def test_a_number_out_of_range_is_quoted_with_the_range(tmp_path, monkeypatch):
    monkeypatch.setenv("CANDOR_IDENTITY_MATCH_THRESHOLD", "1.5")
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=tmp_path / "missing.env")
    assert str(raised.value) == ("invalid settings: CANDOR_IDENTITY_MATCH_THRESHOLD (environment): '1.5': "
                                 "Input should be less than 1")


def test_an_empty_home_or_a_thread_count_no_machine_has_is_refused(tmp_path, monkeypatch):
    # CANDOR_HOME= (a unit's `CANDOR_HOME=${UNSET}`) made the working folder the home; CANDOR_DUCKDB_THREADS=100000
    # passed and `candor status` spun at 100% of a core for 39 minutes before it was killed
    monkeypatch.setenv("CANDOR_HOME", "")
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=tmp_path / "missing.env")
    assert str(raised.value) == "invalid settings: CANDOR_HOME (environment): '': an empty home; set it to a folder"
    monkeypatch.delenv("CANDOR_HOME")
    monkeypatch.setenv("CANDOR_DUCKDB_THREADS", "100000")
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=tmp_path / "missing.env")
    assert str(raised.value) == ("invalid settings: CANDOR_DUCKDB_THREADS (environment): '100000': "
                                 "Input should be less than or equal to 1024")

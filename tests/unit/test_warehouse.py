"""The one writer path: lock queueing with a clear timeout, idempotent migrations, data checks."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import textwrap
import time

import pytest

from tasks.identity.resolve import KEY_HASH_COLUMNS
from tasks.pii import mask_text
from tasks.warehouse import CheckFailed, WarehouseBusy, migrate, migrations, run_checks, scalar, writer
from tests.upgrades import as_before_migration


def test_a_warehouse_migrated_by_the_last_landed_release_opens_and_takes_the_new_migrations(settings):
    """A warehouse records migrations by file name and refuses to open under code that lacks one it
    ran (as from a newer Candor): a landed migration keeps its name, and each number is used once."""
    with writer(settings) as con:  # as main at stop 27 (3c473cb) left it: migrations up to 067, and 069
        con.execute("delete from meta.schema_migrations where version >= '068'")
        con.execute("insert into meta.schema_migrations (version, checksum) values ('069_identity_splink_sql', "
                    "'7542b3224ce91ba50b6c9c16776f08f3059959bf7a60c2c524aed17d36028c90')")
        as_before_migration(con, "068_consent_dates", staging__candidate_records=("consent_email_at", "consent_sms_at"))
        as_before_migration(con, "070_deleted_record_consents", staging__deleted_records=(
            "consent_email", "consent_sms", "consent_email_at", "consent_sms_at"))
        as_before_migration(con, "073_identity_key_hashes", core__identity_keys=KEY_HASH_COLUMNS)
        as_before_migration(con, "075_staging_first_sent_at", staging__candidate_records=("first_sent_at",))
        assert migrate(con) == ["068_consent_dates", "070_deleted_record_consents", "071_identity_record_moves",
                                "072_uncompressed_identifiers", "073_identity_key_hashes", "074_identity_key_hash_probe",
                                "075_staging_first_sent_at"]
        assert scalar(con, "select count(*) from meta.identity_splink_sql") == 0
    numbers = [path.stem[:3] for path in migrations()]
    assert len(numbers) == len(set(numbers)), sorted(n for n in numbers if numbers.count(n) > 1)


def test_migrations_apply_once_and_are_recorded(settings):
    with writer(settings) as con:
        recorded = [v for (v,) in con.execute("select version from meta.schema_migrations order by 1").fetchall()]
        assert recorded == [p.stem for p in migrations()]
        assert migrate(con) == []
        schemas = {s for (s,) in con.execute("select schema_name from information_schema.schemata").fetchall()}
        assert {"raw", "staging", "core", "marts", "meta"} <= schemas


def test_second_writer_waits_then_gives_up_with_the_holder_named(settings, caplog):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from tasks.settings import Settings
            from tasks.warehouse import writer
            with writer(Settings(home=Path({str(settings.home)!r}))):
                print("locked", flush=True)
                time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        impatient = settings.model_copy(update={"lock_timeout_s": 1.0})
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="tasks.warehouse"):
            with pytest.raises(WarehouseBusy, match=rf"gave up after 1 s .*held by pid {holder.pid}"):
                with writer(impatient):
                    pass
        assert time.monotonic() - started >= 1.0
        assert f"locked by pid {holder.pid}" in caplog.text and "waiting up to 1 s" in caplog.text
    finally:
        holder.kill()
        holder.wait()
    with writer(settings) as con:  # released when the holder died
        assert con.execute("select 1").fetchone() == (1,)


def test_writer_waits_for_a_duckdb_session_outside_candor_then_names_it(settings, caplog):
    with writer(settings):
        pass  # the file exists, migrated
    holder = subprocess.Popen(  # a DuckDB shell or notebook reading the live file takes no Candor lock
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            import duckdb
            con = duckdb.connect({str(settings.warehouse_path)!r}, read_only=True)
            print("open", flush=True)
            time.sleep(float(sys.stdin.readline()))
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        impatient = settings.model_copy(update={"lock_timeout_s": 1.0})
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="tasks.warehouse"):
            with pytest.raises(WarehouseBusy, match=rf"gave up after 1 s waiting for .*candor.duckdb: it is open in "
                                                    rf".*\(pid {holder.pid}\), which is not a Candor writer.*open a copy of the file"):
                with writer(impatient):
                    pass
        assert time.monotonic() - started >= 1.0
        assert f"(pid {holder.pid}), which is not a Candor writer; waiting up to 1 s" in caplog.text
        # a session closed while a writer waits lets it in
        holder.stdin.write("0.5\n")
        holder.stdin.flush()
        patient = settings.model_copy(update={"lock_timeout_s": 30.0})
        with writer(patient) as con:
            assert con.execute("select count(*) from meta.schema_migrations").fetchone()[0] == len(migrations())
    finally:
        holder.kill()
        holder.wait()


def test_failing_check_names_itself(settings):
    with writer(settings) as con:
        con.execute("insert into meta.ingested_files (file_sha256, source_name, file_path, batch_id, started_at, status, "
                    "rows_read, rows_staged, rows_quarantined) values ('x', 's', 'f', 'b', now(), 'loaded', 3, 1, 1)")
        with pytest.raises(CheckFailed, match="assert_file_conservation: 1 row"):
            run_checks(con)


def test_logs_mask_emails_and_phones(caplog):
    log = logging.getLogger("tasks.something")
    with caplog.at_level(logging.INFO, logger="tasks.something"):
        log.info("mailing %s at %s", "Jane.Doe@example.com", "+1 415 555 2671")
    assert "Jane.Doe" not in caplog.text and "555" not in caplog.text
    assert "J***@e***.com" in caplog.text and "***71" in caplog.text
    assert mask_text("read 1000000 rows") == "read 1000000 rows"
    # national numbers with their trunk 0, as the sample feeds write them
    assert mask_text("0175 2737226, 030/12345678 and 07700 900123") == "***26, ***78 and ***23"
    assert mask_text("at 2026-11-26 15:40, 12 of 0001 234") == "at 2026-11-26 15:40, 12 of 0001 234"
    assert mask_text("ana@café.fr, jürgen@müller.de") == "a***@c***.fr, j***@m***.de"


def test_a_warehouse_that_cannot_be_opened_is_named_not_a_traceback(settings):
    from tasks.warehouse import WarehouseUnavailable

    # the database copied to where its folder belongs (`cp candor.duckdb $CANDOR_HOME/warehouse`)
    settings.warehouse_dir.write_text("a copy of candor.duckdb")
    with pytest.raises(WarehouseUnavailable, match=rf"cannot write in the warehouse folder {settings.warehouse_dir}: "):
        with writer(settings):
            pass
    settings.warehouse_dir.unlink()
    settings.warehouse_dir.mkdir()
    settings.warehouse_path.write_text("not a database")
    with pytest.raises(WarehouseUnavailable, match="candor.duckdb could not be opened as a DuckDB database: IO Error"):
        with writer(settings):
            pass


def test_running_out_of_memory_names_candors_setting_not_duckdbs_sql(settings):
    with writer(settings):
        pass  # migrated under the default limit
    small = settings.model_copy(update={"duckdb_memory_limit": "8MB"})
    with pytest.raises(RuntimeError, match=r"DuckDB ran out of memory under CANDOR_DUCKDB_MEMORY_LIMIT=8MB \(Out of Memory "
                                           r"Error: .*\); raise CANDOR_DUCKDB_MEMORY_LIMIT") as raised:
        with writer(small) as con:
            con.execute("select string_agg(i::varchar, ',') from range(5000000) t(i)").fetchall()
    assert type(raised.value).__name__ == "WarehouseOutOfMemory" and raised.value.expected
    with writer(settings) as con:  # the lock is released
        assert con.execute("select 1").fetchone() == (1,)


def test_a_warehouse_migrated_by_a_newer_candor_is_refused_naming_the_file_and_both_versions(settings):
    from tasks.warehouse import WarehouseUnavailable

    with writer(settings) as con:  # as a later checkout leaves it: one migration this code does not have
        con.execute("insert into meta.schema_migrations (version, checksum) values ('999_from_the_future', 'x')")
        con.execute("create table core.from_the_future (x int)")
    newest = migrations()[-1].stem
    with pytest.raises(WarehouseUnavailable, match=rf"{settings.warehouse_path} was migrated by a newer Candor: .*"
                                                   rf"999_from_the_future.* this code's newest is {newest}"):
        with writer(settings):
            pass
    from tasks.warehouse import connect

    con = connect(settings.warehouse_path)  # the refusal changed nothing
    assert con.execute("select count(*) from meta.schema_migrations").fetchone() == (len(migrations()) + 1,)
    con.close()


# the columns migration 072 stores uncompressed, by table
UNCOMPRESSED = {"staging.candidate_records": ("source_record_id", "email", "phone", "linkedin_url"),
                "core.identity_keys": ("record_key", "email", "phone", "linkedin_url", "full_name_key"),
                "core.identity_links": ("record_key",), "core.identity_edges": ("record_key_l", "record_key_r")}


def _resolved(settings) -> None:
    """A warehouse with generated records ingested and resolved by this release."""
    from tasks.generate import generate
    from tasks.identity.resolve import resolve
    from tasks.ingest import ingest

    generate(settings.home / "inbox", 80, seed=3)
    with writer(settings) as con:
        ingest(con, settings)
        resolve(con, settings)


def test_migration_072_writes_the_identifier_tables_again_uncompressed_with_every_row(settings):
    """A resolved warehouse from before 072 keeps every row of the four tables it writes again, and what
    it stores of the listed columns from then on is uncompressed (other columns compress as before)."""
    _resolved(settings)
    with writer(settings) as con:  # as before 072: each table written with DuckDB's default compression
        as_before_migration(con, "073_identity_key_hashes", core__identity_keys=KEY_HASH_COLUMNS)
        as_before_migration(con, "075_staging_first_sent_at", staging__candidate_records=("first_sent_at",))
        for table in UNCOMPRESSED:
            con.execute(f"create table {table}__old as select * from {table}")
            con.execute(f"drop table {table}")
            con.execute(f"alter table {table}__old rename to {table.split('.')[1]}")
        as_before_migration(con, "072_uncompressed_identifiers")
        before = {t: con.execute(f"select * from {t} order by all").fetchall() for t in UNCOMPRESSED}
        assert "USING COMPRESSION" not in scalar(con, "select sql from duckdb_tables() where table_name = 'identity_keys'")
    with writer(settings) as con:
        assert scalar(con, "select count(*) from meta.schema_migrations where version = '072_uncompressed_identifiers'") == 1
        added = {"core.identity_keys": f"exclude ({', '.join(KEY_HASH_COLUMNS)})",  # 073 adds them (empty until a run)
                 "staging.candidate_records": "exclude (first_sent_at)"}  # and 075 this
        assert {t: con.execute(f"select * {added.get(t, '')} from {t} order by all").fetchall()
                for t in UNCOMPRESSED} == before
        assert all(before.values())
        con.execute("checkpoint")
        for table, columns in UNCOMPRESSED.items():
            stored = dict(con.execute(f"select column_name, string_agg(distinct compression) from pragma_storage_info('{table}') "
                                      "where segment_type = 'VARCHAR' group by all").fetchall())
            assert {c: stored[c] for c in columns} == {c: "Uncompressed" for c in columns}, table
            assert {c for c, kind in stored.items() if kind == "Uncompressed"} <= set(columns), (table, stored)


def test_upgrading_a_warehouse_says_which_migrations_it_applies_before_the_long_ones_run(settings, caplog):
    with writer(settings):
        pass
    with caplog.at_level(logging.INFO, logger="tasks.warehouse"):
        with writer(settings) as con:  # as a warehouse an older checkout wrote, before migrations 034 and 044
            con.execute("delete from meta.schema_migrations where version in "
                        "('034_payload_keys_sorted', '044_email_address_full_stop')")
        with writer(settings):
            pass
    lines = [r.getMessage() for r in caplog.records if r.name == "tasks.warehouse"]
    assert lines[0] == (f"warehouse {settings.warehouse_path}: applying 2 migration(s) (034_payload_keys_sorted, "
                        f"044_email_address_full_stop); other Candor commands wait for it")
    assert re.fullmatch(rf"warehouse {re.escape(str(settings.warehouse_path))}: migrated to "
                        rf"{migrations()[-1].stem} in \d+\.\d s", lines[1])
    assert len(lines) == 2


def test_a_warehouse_that_applied_013_and_018_as_first_written_is_caught_up_and_not_warned_about(settings, caplog):
    with writer(settings) as con:  # as one made by 0893704..1cf8d39 and 5e8d3ea..5b8373e holds it: both files were
        # edited after release (013 gained staging.deleted_records, 018 its second delete); these are the
        # sha256 of their first texts, which is what such a warehouse recorded
        con.execute("drop table staging.deleted_records")
        con.execute("update meta.schema_migrations set checksum = ? where version = '013_identity_incremental'",
                    ["4d4394170f8da7261c9d48069d6cb087050d3e7c198f7f2fa8e5c50b09857b7a"])
        con.execute("update meta.schema_migrations set checksum = ? where version = '018_identity_keys_once'",
                    ["d720852354163013ced4d13eb74e9ac02edc4d48ff29f2a903f769720cf01e5f"])
        con.execute("delete from meta.schema_migrations where version = '047_edited_migrations_caught_up'")
        con.execute("insert into core.identity_keys (record_key, source_name, source_record_id) "
                    "values ('board:left-by-a-training', 'board', 'left-by-a-training')")
    with caplog.at_level(logging.WARNING, logger="tasks.warehouse"):
        with writer(settings) as con:
            assert con.execute("select count(*) from staging.deleted_records").fetchone() == (0,)
            assert con.execute("select count(*) from core.identity_keys").fetchone() == (0,)
        with writer(settings):
            pass
    assert [r.getMessage() for r in caplog.records if r.name == "tasks.warehouse"] == []


def test_migration_073_adds_the_key_hashes_empty_and_the_next_run_makes_every_record_s(settings, caplog):
    """A resolved warehouse from before 073 gets the hash columns empty: a pair comparison refuses until a
    run has made them (its neighbour scan joins on them), and the next run makes every record's, as
    core.identity_key_hashes gives them, without scoring any record again."""
    from tasks.identity.explain import compare
    from tasks.identity.resolve import KEY_HASHES, KeyHashesNotCurrent, key_hashes_current, resolve

    _resolved(settings)
    with writer(settings) as con:
        made = con.execute(f"select record_key, {', '.join(KEY_HASH_COLUMNS)} from core.identity_keys order by all").fetchall()
        as_before_migration(con, "073_identity_key_hashes", core__identity_keys=KEY_HASH_COLUMNS)
        con.execute("delete from meta.identity_key_hash_probe")  # none before 074, which comes after 073
    with writer(settings) as con:
        assert scalar(con, f"select count(*) from core.identity_keys where coalesce({', '.join(KEY_HASH_COLUMNS)}) is not null") == 0
        assert not key_hashes_current(con)
        a, b = [k for (k,) in con.execute("select record_key from core.identity_keys order by 1 limit 2").fetchall()]
        with pytest.raises(KeyHashesNotCurrent, match="candor resolve"):
            compare(con, settings, a, b)
        with caplog.at_level("INFO", logger="tasks.identity.resolve"):
            result = resolve(con, settings)
        assert result.records_scored == 0 and "hashed the match keys of every record again" in caplog.text
        assert key_hashes_current(con)
        assert con.execute(f"select record_key, {', '.join(KEY_HASH_COLUMNS)} from core.identity_keys order by all").fetchall() == made
        assert scalar(con, f"select count(*) from core.identity_keys where {KEY_HASHES} "
                           f"is distinct from struct_pack({', '.join(KEY_HASH_COLUMNS)})") == 0
        assert scalar(con, "select count(hash_name) from core.identity_keys") > 0
        compare(con, settings, a, b)


def test_a_run_hashes_the_match_keys_again_when_the_stored_probe_is_not_what_this_duckdb_gives(settings, caplog):
    """The probe a run stores (migration 074) stands for the stored hashes: one that this DuckDB's hash() and
    core.identity_key_hashes() no longer give (another DuckDB release, the macro defined anew) makes the next
    run hash every record's keys again and store the probe it gives; a current one makes it read no key."""
    from tasks.identity.resolve import KEY_HASH_PROBE, key_hashes_current, resolve

    _resolved(settings)
    with writer(settings) as con:
        probe = scalar(con, "select probe from meta.identity_key_hash_probe")
        assert probe == scalar(con, f"select {KEY_HASH_PROBE}") and key_hashes_current(con)
        made = con.execute(f"select record_key, {', '.join(KEY_HASH_COLUMNS)} from core.identity_keys order by all").fetchall()
        # as another DuckDB would have left them: other hashes, and the probe its hash() gave
        con.execute("update core.identity_keys set hash_name = hash_name + 1 where hash_name is not null")
        con.execute("update meta.identity_key_hash_probe set probe = probe + 1")
        assert not key_hashes_current(con)
        with caplog.at_level("INFO", logger="tasks.identity.resolve"):
            resolve(con, settings)
        assert "hashed the match keys of every record again" in caplog.text
        assert con.execute(f"select record_key, {', '.join(KEY_HASH_COLUMNS)} from core.identity_keys order by all").fetchall() == made
        assert con.execute("select probe from meta.identity_key_hash_probe").fetchall() == [(probe,)]
        caplog.clear()
        with caplog.at_level("INFO", logger="tasks.identity.resolve"):
            resolve(con, settings)
        assert "hashed the match keys" not in caplog.text


def test_migration_075_stamps_each_staged_record_with_when_its_source_first_sent_it(settings):
    """Ingest stamps every staged record with the earliest ingest of any version raw.source_records holds of it;
    a warehouse from before 075 gets the same from raw, and a record raw holds no version of gets none."""
    _resolved(settings)
    first_sent = ("select s.source_name, s.source_record_id, min(r.ingested_at) from staging.candidate_records as s "
                  "left join raw.source_records as r on r.source_name = s.source_name "
                  "and r.source_record_id = s.source_record_id and r.op = 'upsert' group by all order by all")
    stamped = ("select source_name, source_record_id, first_sent_at from staging.candidate_records "
               "order by all")
    with writer(settings) as con:
        expected = con.execute(first_sent).fetchall()
        assert expected and all(at is not None for *_, at in expected)
        assert con.execute(stamped).fetchall() == expected
        # a record staged without its raw version (written outside ingest): none to say
        source, record = expected[0][:2]
        con.execute("delete from raw.source_records where source_name = ? and source_record_id = ?", [source, record])
        expected = con.execute(first_sent).fetchall()
        assert expected[0][2] is None
        as_before_migration(con, "075_staging_first_sent_at", staging__candidate_records=("first_sent_at",))
    with writer(settings) as con:
        assert con.execute(stamped).fetchall() == expected

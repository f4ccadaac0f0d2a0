"""Ingest of file drops on a real DuckDB file: conservation, idempotency, bad files, formats."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tasks.config import ConfigError
from tasks.identity.resolve import resolve
from tasks.ingest import FileResult, IngestReport, ingest
from tasks.preflight import check_config
from tasks.sources.registry import load_sources
from tasks.status import files_by_status, quarantine_by_rule
from tasks.warehouse import run_checks, scalar, writer
from tests.upgrades import as_before_migration

HEADER = ("applicant_id,first_name,last_name,email,phone,city,state,zip,country,current_title,"
          "current_company,linkedin,skills,job_id,job_title,applied_at,email_opt_in")
GOOD = [
    "SJ-1,José,Núñez, Jose.Nunez@Gmail.com ,(415) 555-2671,SF,CA,94103,United States,Engineer,Acme,linkedin.com/in/JoseN/,python; SQL,J-1,Eng,2026-03-04T10:22:00+01:00,yes",
    "SJ-2,Ann,Lee,ann@x.io,,LA,CA,90001,US,Eng,Y,,go,J-3,Eng,2026-01-01,",
    "SJ-3,,,,+44 7911 123456,,,,GB,,,,,,,,no",
]


def write(home: Path, folder: str, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
    path = home / "inbox" / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def counts(con) -> tuple[int, int, int]:
    return tuple(scalar(con, f"select count(*) from {t}")
                 for t in ("raw.source_records", "staging.candidate_records", "staging.quarantine"))


def test_good_rows_are_normalized(settings, home):
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [f.status for f in report.files] == ["loaded"]
        row = con.execute(
            "select email, email_raw, phone, phone_type, first_name_key, last_name_key, full_name, country, "
            "linkedin_url, skills, applied_at, consent_email from staging.candidate_records where source_record_id = 'SJ-1'"
        ).fetchone()
        assert row[0] == "jose.nunez@gmail.com" and row[1] == "Jose.Nunez@Gmail.com"
        assert row[2] == "+14155552671"
        assert (row[4], row[5], row[6], row[7]) == ("jose", "nunez", "José Núñez", "US")
        assert row[8] == "https://www.linkedin.com/in/josen"
        assert row[9] == ["python", "sql"]
        assert row[10].isoformat() == "2026-03-04T09:22:00+00:00"
        assert row[11] is True
        uk = con.execute("select phone, country, consent_email from staging.candidate_records where source_record_id='SJ-3'").fetchone()
        assert uk == ("+447911123456", "GB", False)
        run_checks(con)


def test_reingesting_the_same_file_adds_nothing(settings, home):
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        before = counts(con)
        report = ingest(con, settings)
        # the skip leaves no half-read result on the connection: the next stage can run on it
        assert resolve(con, settings).records_total == before[1]
        assert [f.status for f in report.files] == ["skipped"]
        assert counts(con) == before
    # The same rows in a new file (a nightly full export): no new raw versions, and staging keeps
    # its rows as they were (same batch, staging time and change sequence), so the next resolve run
    # scores none of them; the file still counts its rows as read and staged.
    staged = "select source_record_id, file_path, staged_at, change_seq from staging.candidate_records order by 1"
    with writer(settings) as con:
        rows_before = con.execute(staged).fetchall()
    write(home, "stackjobs", "b.csv", "\n".join([HEADER, *GOOD]) + "\n\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert sorted(f.status for f in report.files) == ["loaded", "skipped"]
        assert counts(con) == before
        assert con.execute(staged).fetchall() == rows_before
        assert con.execute("select rows_read, rows_staged, rows_quarantined from meta.ingested_files "
                           "where file_path like '%b.csv'").fetchall() == [(3, 3, 0)]
        assert resolve(con, settings).records_scored == 0
    # the next export changes one row: only that row is staged again and scored
    write(home, "stackjobs", "c.csv", "\n".join([HEADER, GOOD[0], GOOD[1].replace("ann@x.io", "ann.lee@y.io"), GOOD[2]]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert [r[0] for r in con.execute(staged).fetchall() if r not in rows_before] == ["SJ-2"]
        assert resolve(con, settings).records_scored == 1
        run_checks(con)
    # the next export adds a column the mapping does not read: every row is a new version and staged
    # again, but no match key moved, so the resolve run scores none of them
    write(home, "stackjobs", "d.csv", "\n".join([HEADER + ",recruiter_note",
                                                 *(row + ",seen" for row in (GOOD[0], GOOD[1].replace("ann@x.io", "ann.lee@y.io"), GOOD[2]))]) + "\n")
    with writer(settings) as con:
        assert [f.rows_staged for f in ingest(con, settings).files if f.status == "loaded"] == [3]
        result = resolve(con, settings)
        assert (result.records_scored, result.records_refreshed, result.merges, result.splits) == (0, 3, 0, 0)
        run_checks(con)


def reorder(lines: list[str], order: list[int]) -> list[str]:
    return [",".join(line.split(",")[i] for i in order) for line in lines]


def test_an_export_with_its_columns_reordered_stages_nothing_again_before_or_after_migration_034(settings, home):
    """The payload (and its hash) is the row's content, not the file's column order."""
    from tasks.warehouse import migrate

    header = HEADER.split(",")
    order = list(reversed(range(len(header))))
    tricky = GOOD[1].replace("Lee", 'Lee "Jr"').replace("Eng,Y", "Eng,Ünïcode\\Co")  # quoting, escapes, UTF-8
    rows = [GOOD[0].replace('(415) 555-2671', '"(415) 555-2671"'), tricky, GOOD[2]]
    staged = "select source_record_id, batch_id, staged_at, change_seq, payload_sha256 from staging.candidate_records order by 1"
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        resolve(con, settings)
        # as the reader before migration 034 left them: keys in the file's column order
        con.execute(f"""
            create temp table old_payloads as
            select payload_sha256 as sha, json_object({', '.join(f"'{h}', payload->>'{h}'" for h in header)})::varchar as old
            from raw.source_records""")
        for table in ("raw.source_records", "staging.candidate_records", "core.identity_links"):
            con.execute(f"update {table} t set payload_sha256 = sha256(o.old) from old_payloads o where t.payload_sha256 = o.sha")
        con.execute("update raw.source_records r set payload = o.old::json from old_payloads o "
                    "where r.payload_sha256 = sha256(o.old)")
        assert scalar(con, "select count(*) from raw.source_records where json_keys(payload)[1] = 'applicant_id'") == 3
        con.execute("delete from meta.schema_migrations where version = '034_payload_keys_sorted'")
        assert migrate(con) == ["034_payload_keys_sorted"]
        assert scalar(con, "select count(*) from raw.source_records where json_keys(payload) = list_sort(json_keys(payload)) "
                           "and payload_sha256 = sha256(payload::varchar)") == 3
        before = (counts(con), con.execute(staged).fetchall())
        assert resolve(con, settings).records_scored == 0
        run_checks(con)
    # the same rows again, then with the columns in another order: nothing restaged, nothing re-scored
    write(home, "stackjobs", "b.csv", "\n".join([HEADER, *rows]) + "\n\n")
    write(home, "stackjobs", "c.csv", "\n".join(reorder([HEADER, *rows], order)) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [f.rows_staged for f in report.files if f.status == "loaded"] == [3, 3]
        assert (counts(con), con.execute(staged).fetchall()) == before
        assert resolve(con, settings).records_scored == 0


def test_changed_record_is_a_new_version_and_replaces_staging(settings, home):
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    changed = GOOD[1].replace("ann@x.io", "ann.lee@y.io")
    write(home, "stackjobs", "b.csv", "\n".join([HEADER, changed]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select count(*) from raw.source_records where source_record_id='SJ-2'").fetchone()[0] == 2
        assert con.execute("select email from staging.candidate_records where source_record_id='SJ-2'").fetchall() == [("ann.lee@y.io",)]
        run_checks(con)


def test_broken_rows_are_quarantined_with_rule_row_and_value(settings, home):
    rows = [
        HEADER,
        GOOD[0],
        "SJ-9,Bob,Smith,bob@,12345,NYC,NY,10001,Narnia,Eng,X,notaurl,,J-2,Eng,2030-01-01,maybe",
        "SJ-10,too,many,fields,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o",
        "SJ-11,No,Contact,,,LA,CA,90001,US,Eng,Y,,go,J-3,Eng,someday,",
        ",No,Id,x@y.io,,LA,CA,90001,US,Eng,Y,,go,J-3,Eng,,",
    ]
    write(home, "stackjobs", "bad.csv", "\n".join(rows) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        f = report.files[0]
        assert (f.rows_read, f.rows_staged, f.rows_quarantined) == (5, 1, 4)
        got = set(con.execute("select row_number, rule, value from staging.quarantine").fetchall())
        assert {(3, "email_syntax", "bob@"), (3, "phone_valid", "12345"), (3, "country_code_valid", "NARNIA"),
                (3, "applied_at_not_future", "2030-01-01"), (3, "consent_value", "maybe"),
                (3, "linkedin_url_format", "notaurl"), (5, "contact_present", None),
                (5, "applied_at_parseable", "someday"), (6, "record_id_present", None)} <= got
        assert any(r == 4 and rule == "malformed_row" for r, rule, _ in got)
        run_checks(con)
    assert report.failures and "4 of 5 rows quarantined" in report.failures[0]
    assert "email_syntax 1" in report.failures[0]


def test_a_run_fails_on_a_batch_over_the_bad_share_once_it_quarantined_enough_rows():
    def page(n: int, read: int, bad: int, run: str | None = "run of 2026-11-20T12:00:00+00:00") -> FileResult:
        return FileResult("greenhouse" if run else "stackjobs", f"p{n}", "loaded", read, read - bad, bad,
                          Counter({"email_syntax": bad}), run=run)

    def failures(*files: FileResult) -> list[str]:
        return IngestReport(list(files), max_bad_fraction=0.2, min_bad_rows=2).failures

    assert failures(page(1, 1, 1, run=None)) == []               # one mistyped email in a one-row drop
    assert failures(page(1, 3, 2, run=None)) == ["p1: 2 of 3 rows quarantined (67% > CANDOR_MAX_BAD_FRACTION 20%); "
                                                 "rules: email_syntax 2"]
    # an API run's pages together: its last page holding the one bad record of 51 is no broken feed
    assert failures(page(1, 25, 0), page(2, 25, 1), page(3, 1, 1)) == []
    assert failures(page(1, 25, 20), page(2, 25, 1), page(3, 1, 1)) == [
        "greenhouse (run of 2026-11-20T12:00:00+00:00, 3 page(s)): 22 of 51 rows quarantined (43% > "
        "CANDOR_MAX_BAD_FRACTION 20%); rules: email_syntax 22"]


def test_duplicate_ids_in_one_file_are_all_quarantined(settings, home):
    write(home, "stackjobs", "d.csv", "\n".join([HEADER, GOOD[1], GOOD[1].replace("ann@", "ann2@")]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select list(row_number order by row_number) from staging.quarantine where rule='record_id_unique'").fetchone()[0] == [2, 3]
        assert counts(con)[1] == 0
    # also when one of the two is the version staged already: which one is current is still unknown
    write(home, "stackjobs", "e.csv", "\n".join([HEADER, GOOD[1]]) + "\n")
    write(home, "stackjobs", "f.csv", "\n".join([HEADER, GOOD[1], GOOD[1].replace("ann@", "ann3@")]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        # both count as quarantined; d.csv's line 2 quarantined that same version under that rule already
        assert con.execute("select rows_read, rows_staged, rows_quarantined, rows_quarantined_before from meta.ingested_files "
                           "where file_path like '%f.csv'").fetchall() == [(2, 0, 2, 1)]
        assert con.execute("select right(file_path, 5), row_number from staging.quarantine "
                           "where rule = 'record_id_unique' order by all").fetchall() == [
            ("d.csv", 2), ("d.csv", 3), ("f.csv", 3)]
        assert con.execute("select email from staging.candidate_records").fetchall() == [("ann@x.io",)]
        run_checks(con)


def test_unreadable_file_writes_nothing_and_others_still_load(settings, home):
    bad = ("\n".join([HEADER, GOOD[0]]) + "\n").encode("latin-1", errors="replace")
    bad = bad.replace(b"Jos?", "José".encode("latin-1"))
    write(home, "stackjobs", "1_latin1.csv", bad)
    write(home, "stackjobs", "2_missing.csv", "applicant_id,first_name\nX,Y\n")
    write(home, "stackjobs", "3_empty.csv", "")
    write(home, "stackjobs", "4_good.csv", "\n".join([HEADER, GOOD[1]]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        by_file = {Path(f.file).name: f for f in report.files}
        assert by_file["4_good.csv"].status == "loaded"
        enc = by_file["1_latin1.csv"]
        assert enc.status == "failed" and "1_latin1.csv:2:" in enc.error and "not valid utf-8" in enc.error
        missing = by_file["2_missing.csv"]
        assert missing.status == "failed" and "'email' (for email)" in missing.error
        assert by_file["3_empty.csv"].status == "failed" and "empty file" in by_file["3_empty.csv"].error
        assert counts(con) == (1, 1, 0)
        assert con.execute("select count(*) from meta.ingested_files where status='failed'").fetchone()[0] == 3
    assert len(report.failures) == 3


def test_a_source_declared_latin1_refuses_utf8_and_windows_1252_files_and_cp1252_reads_them(settings, home):
    header = "Kandidat-ID;Name;E-Mail;Telefon;Ort;PLZ;Land;Position;Kenntnisse;Beworben am\n"
    write(home, "eurotalent", "1_utf8.csv", header + "ET-1;Müller, Jürgen;j@web.de;;Köln;50667;DE;Dev;;2026-02-01\n")
    write(home, "eurotalent", "2_windows.csv", header + "ET-2;O’Brien, Seán;s@web.de;;Köln;50667;DE;Senior – Data;;2026-02-01\n",
          encoding="cp1252")
    with writer(settings) as con:
        by_file = {Path(f.file).name: f for f in ingest(con, settings).files}
    assert by_file["1_utf8.csv"].status == "failed"
    assert "1_utf8.csv:2:7: declared latin-1, but the file is UTF-8" in by_file["1_utf8.csv"].error
    assert by_file["2_windows.csv"].status == "failed"
    assert "2_windows.csv:2:7: byte 0x92 is a control character in latin-1" in by_file["2_windows.csv"].error
    assert "set `encoding: cp1252`" in by_file["2_windows.csv"].error
    config = home / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("encoding: latin-1", "encoding: cp1252"))
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select last_name, first_name, current_title from staging.candidate_records "
                           "where source_record_id = 'ET-2'").fetchall() == [("O’Brien", "Seán", "Senior – Data")]


def test_latin1_semicolon_and_bom_sources(settings, home):
    write(home, "eurotalent", "e.csv",
          "Kandidat-ID;Name;E-Mail;Telefon;Ort;PLZ;Land;Position;Kenntnisse;Beworben am\n"
          "ET-1;Müller, Jürgen;j.mueller@web.de;0151 23456789;München;80331;Deutschland;Entwickler;Java,Kotlin;2026-02-01\n"
          "ET-2;Dr. Anna Berg, MBA;anna@berg.de;;Köln;50667;Deutschland;CTO;;2026-02-01\n"
          "ET-3;Dr. Berg;berg@berg.de;;Köln;50667;Deutschland;CTO;;2026-02-01\n",
          encoding="latin-1")
    write(home, "stackjobs", "bom.csv", "\ufeff" + "\n".join([
        HEADER, GOOD[1], "SJ-9,Dr. Anna,Berg Jr.,anna@b.io,,,,,,,,,,,,,"]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert {f.status for f in report.files} == {"loaded"}
        row = con.execute("select first_name, last_name, last_name_key, phone, country, skills from staging.candidate_records "
                          "where source_record_id = 'ET-1'").fetchone()
        assert row == ("Jürgen", "Müller", "muller", "+4915123456789", "DE", ["java", "kotlin"])
        # a title and a suffix are kept in the name as given, left out of the name parts and keys
        assert con.execute("select full_name, first_name, last_name, full_name_key from staging.candidate_records "
                           "where source_record_id = 'ET-2'").fetchone() == ("Dr. Anna Berg, MBA", "Anna", "Berg", "anna berg")
        # a title before one name leaves a surname, not a first name "Dr."
        assert con.execute("select first_name, last_name, first_name_key, last_name_key, full_name_key "
                           "from staging.candidate_records where source_record_id = 'ET-3'").fetchone() == \
            (None, "Berg", None, "berg", "berg")
        assert con.execute("select count(*) from staging.candidate_records where source_name='stackjobs'").fetchone()[0] == 2
        # separate name fields too: shown as given, keyed without the title and the suffix
        assert con.execute("select first_name, last_name, first_name_key, last_name_key, full_name_key "
                           "from staging.candidate_records where source_record_id = 'SJ-9'").fetchone() == \
            ("Dr. Anna", "Berg Jr.", "anna", "berg", "anna berg")


def test_jsonl_and_json_resume(settings, home):
    lines = [
        {"id": "IN-1", "appliedOnMillis": 1767225600000, "job": {"jobId": "J-1", "jobTitle": "Eng"},
         "applicant": {"fullName": "Zoë Adams", "email": "zoe@x.io", "phoneNumber": "415-555-2671"}},
        {"id": "IN-2", "applicant": {"firstName": "Kim"}},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n{not json\n"
    write(home, "indeed", "i.jsonl", text)
    resume = [{"meta": {"id": "CS-1"}, "basics": {"name": "Ada Lovelace", "email": "ada@x.io",
               "location": {"city": "London", "countryCode": "GB"},
               "profiles": [{"network": "LinkedIn", "url": "https://uk.linkedin.com/in/ada"}]},
               "work": [{"name": "Analytical", "position": "Engineer"}],
               "skills": [{"name": "Math"}, {"name": "Engines"}]}]
    write(home, "resumes", "r.json", json.dumps(resume))
    with writer(settings) as con:
        report = ingest(con, settings)
        indeed = next(f for f in report.files if "i.jsonl" in f.file)
        assert (indeed.rows_read, indeed.rows_staged, indeed.rows_quarantined) == (3, 1, 2)
        assert set(indeed.rules) == {"contact_present", "malformed_json"}
        zoe = con.execute("select first_name, last_name, applied_at::varchar, phone from staging.candidate_records where source_record_id='IN-1'").fetchone()
        assert zoe == ("Zoë", "Adams", "2026-01-01 00:00:00+00", "+14155552671")
        ada = con.execute("select linkedin_url, skills, current_title, country from staging.candidate_records where source_record_id='CS-1'").fetchone()
        assert ada == ("https://www.linkedin.com/in/ada", ["math", "engines"], "Engineer", "GB")
        run_checks(con)


def test_jsonl_lines_end_at_newlines_only_and_a_lone_surrogate_becomes_a_replacement_character(settings, home):
    # a headline holding U+2028 (a line separator to str.splitlines) and one holding a \ud83d escape that
    # pairs with nothing (no character, not storable as UTF-8): both records are staged, lines stay right
    lines = ['{"id": "IN-1", "headline": "Dev\u2028Ops", "applicant": {"fullName": "Ann Lee", "email": "ann@x.io"}}',
             '{"id": "IN-2", "headline": "Dev \\ud83d", "applicant": {"fullName": "Bo Kim \\ud83d", "email": "bo@x.io"}}',
             '{not json']
    write(home, "indeed", "i.jsonl", "\n".join(lines) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        indeed = report.files[0]
        assert indeed.status == "loaded" and (indeed.rows_read, indeed.rows_staged, indeed.rows_quarantined) == (3, 2, 1)
        assert con.execute("select row_number from staging.quarantine").fetchall() == [(3,)]
        assert con.execute("select source_record_id, last_name from staging.candidate_records order by 1").fetchall() == [
            ("IN-1", "Lee"), ("IN-2", "Kim \ufffd")]
        assert con.execute("select payload->>'headline' from raw.source_records where source_record_id = 'IN-2'"
                           ).fetchall() == [("Dev \ufffd",)]
        run_checks(con)


def test_json_nested_too_deeply_is_a_quarantined_record_naming_its_depth_and_other_records_still_load(settings, home):
    """A JSON document holding a record nested deeper than Python's reader takes failed the whole file as
    'r.json: could not be read: RecursionError: maximum recursion depth exceeded while decoding a JSON array
    from a unicode string' (and a traceback in the log): it named neither the record nor what was wrong, and the
    file's good records were lost with it. It is now that record quarantined, as a JSONL line is."""
    deep = "[" * 100_000 + "]" * 100_000
    write(home, "indeed", "i.jsonl", '{"id": "IN-1", "applicant": {"email": "a@x.io"}}\n' + deep + "\n")
    records = [{"meta": {"id": f"CS-{i}"}, "basics": {"name": "Ada Lovelace", "email": f"ada{i}@x.io"}} for i in (1, 2, 3)]
    text = json.dumps(records, indent=1).replace('"CS-2"', '"CS-2", "x": ' + deep)
    write(home, "resumes", "r.json", text)
    cut = json.dumps(records[:1]).replace("}]", "}, " + deep + "] x")
    write(home, "resumes", "s.json", cut)
    write(home, "stackjobs", "s.csv", "\n".join([HEADER, GOOD[1]]) + "\n")
    message = "nested {:,} levels deep (arrays or objects inside each other), more than the JSON reader takes"
    with writer(settings) as con:
        by_file = {Path(f.file).name: f for f in ingest(con, settings).files}
        quarantined = con.execute("select file_path, row_number, rule, message, value from staging.quarantine order by 1").fetchall()
        assert [(Path(f).name, n, rule, m.split(";")[0]) for f, n, rule, m, _ in quarantined] == [
            ("i.jsonl", 2, "malformed_json", message.format(100_000)),
            ("r.json", 2, "malformed_json", message.format(100_002))]  # in `meta`, in the record
        assert quarantined[1][4].startswith('{\n  "meta": {\n   "id": "CS-2"')
        assert con.execute("select source_record_id from staging.candidate_records order by 1").fetchall() == [
            ("CS-1",), ("CS-3",), ("IN-1",), ("SJ-2",)]
        run_checks(con)
    assert [(f.status, f.rows_read, f.rows_staged) for f in (by_file["i.jsonl"], by_file["r.json"], by_file["s.csv"])] == [
        ("loaded", 2, 1), ("loaded", 3, 2), ("loaded", 1, 1)]
    # invalid JSON after the deep record still fails the file, naming line and column
    assert by_file["s.json"].status == "failed" and by_file["s.json"].error.endswith(f"s.json:1:{cut.index(' x') + 2}: invalid JSON: Extra data")


def test_header_names_differing_only_in_case_and_a_missing_header_row_are_errors_naming_no_values(settings, home):
    write(home, "stackjobs", "1_case.csv", HEADER.replace(",email,", ",Email,EMAIL,") + "\n")
    write(home, "stackjobs", "2_no_header.csv", "\n".join(GOOD) + "\n")
    with writer(settings) as con:
        by_file = {Path(f.file).name: f for f in ingest(con, settings).files}
    case = by_file["1_case.csv"]
    assert case.status == "failed" and "1_case.csv:1:5: duplicate column name 'EMAIL' (same as 'Email' but for case)" in case.error
    headerless = by_file["2_no_header.csv"]
    assert headerless.status == "failed" and "its first row looks like a record" in headerless.error
    assert "2671" not in headerless.error and "Gmail" not in headerless.error


def test_a_missing_header_row_whose_first_record_has_no_address_or_number_names_no_value_either(settings, home):
    # no email, no phone, no date: only a name and a place, which no pattern can tell from column names;
    # in the second file the surname is also the company (a repeated value read as a repeated column name)
    write(home, "stackjobs", "1_no_header.csv", "SJ-9,Zelda,Quixote,,,Graz,Steiermark,,AT,Eng,Acme,,go,J-1,,,\n")
    write(home, "stackjobs", "2_no_header.csv", "SJ-8,Yara,Plumtree,,,Linz,,,AT,Dev,Plumtree,,go,J-1,,,\n")
    with writer(settings) as con:
        first, second = ingest(con, settings).files
    for result, values in ((first, ("Zelda", "Quixote", "Graz")), (second, ("Yara", "Plumtree", "Linz"))):
        assert result.status == "failed"
        assert not [v for v in values if v in result.error]
        assert "no_header.csv:1:1: missing mapped column(s) 'applicant_id' (for source_record_id)" in result.error
        assert "is the header row missing?" in result.error


def test_two_digit_years_are_this_century_and_a_year_before_1900_or_a_word_is_unparseable(settings, home):
    rows = [GOOD[1].replace("SJ-2", f"SJ-{n}").replace("2026-01-01", when)
            for n, when in ((4, "03/15/26 09:30"), (5, "15.03.26"), (6, "26-03-15"), (7, "0001-01-01"), (8, "epoch"),
                            (9, "1/2/3"), (10, "5.3.6 10:00"), (11, "3/5/2026"))]
    write(home, "stackjobs", "y.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, applied_at::varchar from staging.candidate_records order by 1"
                           ).fetchall() == [("SJ-11", "2026-03-05 00:00:00+00"), ("SJ-4", "2026-03-15 09:30:00+00"),
                                            ("SJ-5", "2026-03-15 00:00:00+00")]
        # a one-digit year (migration 066) was read as 20x: `1/2/3` was staged as 2003-01-02
        assert con.execute("select row_number, rule, value from staging.quarantine order by 1").fetchall() == [
            (4, "applied_at_parseable", "26-03-15"), (5, "applied_at_parseable", "0001-01-01"),
            (6, "applied_at_parseable", "epoch"), (7, "applied_at_parseable", "1/2/3"),
            (8, "applied_at_parseable", "5.3.6 10:00")]


def test_epoch_seconds_and_milliseconds_with_a_fraction_are_times(settings, home):
    # a JSON feed's float (Python's time.time(), 1.7723592E12 read back) is written with a fraction: it
    # was quarantined as applied_at_parseable, while the same value without it was a time
    when = {4: "1772359200.5", 5: "1772359200123.0", 6: "1772359200", 7: "1772359200.", 8: "17723592.5"}
    rows = [GOOD[1].replace("SJ-2", f"SJ-{n}").replace("2026-01-01", text) for n, text in when.items()]
    write(home, "stackjobs", "epoch.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, applied_at::varchar from staging.candidate_records order by 1"
                           ).fetchall() == [("SJ-4", "2026-03-01 10:00:00.5+00"), ("SJ-5", "2026-03-01 10:00:00.123+00"),
                                            ("SJ-6", "2026-03-01 10:00:00+00")]
        assert con.execute("select row_number, rule from staging.quarantine order by 1").fetchall() == [
            (5, "applied_at_parseable"), (6, "applied_at_parseable")]


def test_a_source_sets_the_order_of_slashed_dates_and_a_date_impossible_in_that_order_is_unparseable(settings, home):
    when = {4: "05/03/2026", 5: "15/03/2026 09:30", 6: "03/15/2026", 7: "15.03.26"}
    rows = [GOOD[1].replace("SJ-2", f"SJ-{n}").replace("2026-01-01", text) for n, text in when.items()]
    write(home, "stackjobs", "us.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:  # the default, mdy
        ingest(con, settings)
        assert con.execute("select source_record_id, applied_at::date::varchar from staging.candidate_records order by 1"
                           ).fetchall() == [("SJ-4", "2026-05-03"), ("SJ-6", "2026-03-15"), ("SJ-7", "2026-03-15")]
        assert con.execute("select row_number, rule from staging.quarantine").fetchall() == [(3, "applied_at_parseable")]
    config = home / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("    encoding: utf-8\n", "    encoding: utf-8\n    date_order: dmy\n", 1))
    write(home, "stackjobs", "uk.csv", "\n".join([HEADER, *(r.replace("SJ-", "UK-") for r in rows)]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, applied_at::varchar from staging.candidate_records "
                           "where source_record_id like 'UK-%' order by 1").fetchall() == [
            ("UK-4", "2026-03-05 00:00:00+00"), ("UK-5", "2026-03-15 09:30:00+00"), ("UK-7", "2026-03-15 00:00:00+00")]
        assert con.execute("select row_number, rule, value from staging.quarantine where source_record_id like 'UK-%'"
                           ).fetchall() == [(4, "applied_at_parseable", "03/15/2026")]


def test_a_source_sets_the_time_zone_of_times_written_without_an_offset(settings, home):
    # an export from an org in India writes local times: read as UTC they were 5h30 late, and those of
    # the last 5h30 before the run (local midnight is 18:30 UTC the day before) quarantined as future
    when = {4: "2026-11-27 03:00", 5: "2026-11-27", 6: "27.11.2026 03:00", 7: "2026-11-27T03:00:00Z",
            8: "2026-11-27T03:00:00-08:00", 9: "1795728600000", 10: "2026-11-26 10:00 PM"}
    rows = [GOOD[1].replace("SJ-2", f"SJ-{n}").replace("2026-01-01", text) for n, text in when.items()]
    config = home / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("    encoding: utf-8\n", "    encoding: utf-8\n    timezone: Asia/Kolkata\n", 1))
    write(home, "stackjobs", "in.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        ingest(con, settings.model_copy(update={"now": datetime(2026, 11, 26, 22, 0, tzinfo=timezone.utc)}))
        assert con.execute("select source_record_id, applied_at::varchar from staging.candidate_records order by 1"
                           ).fetchall() == [("SJ-4", "2026-11-26 21:30:00+00"), ("SJ-5", "2026-11-26 18:30:00+00"),
                                            ("SJ-6", "2026-11-26 21:30:00+00"), ("SJ-9", "2026-11-26 21:30:00+00")]
        assert con.execute("select row_number, rule from staging.quarantine order by 1").fetchall() == [
            (5, "applied_at_not_future"), (6, "applied_at_not_future"),  # an offset given is kept; epoch ms are UTC
            (8, "applied_at_parseable")]  # as in UTC: DuckDB's timestamp cast would read 10:00 PM as 10:00


def test_a_source_time_zone_that_is_no_iana_name_is_an_error_naming_file_and_line(settings, home):
    from tasks.config import ConfigError
    from tasks.sources.registry import load_sources

    config = home / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("    encoding: utf-8\n", "    encoding: utf-8\n    timezone: IST\n", 1))
    line = config.read_text().splitlines().index("    timezone: IST") + 1
    with pytest.raises(ConfigError, match=rf"sources.yaml:{line}: sources.0.timezone: .*'IST' is not an IANA time zone"):
        load_sources(settings.config_dir)


def test_a_local_time_in_a_dst_change_is_read_at_the_standard_offset(settings, home):
    # 02:30 on 8 March does not exist in New York (clocks jump 02:00 -> 03:00); 01:30 on 1 November
    # happens twice (EDT, then EST): both are read at the offset of standard time (EST, -05:00)
    when = {4: "03/08/2026 01:59", 5: "03/08/2026 02:30", 6: "03/08/2026 03:00", 7: "11/01/2026 00:59",
            8: "11/01/2026 01:30", 9: "11/01/2026 02:00"}
    rows = [GOOD[1].replace("SJ-2", f"SJ-{n}").replace("2026-01-01", text) for n, text in when.items()]
    config = home / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("    encoding: utf-8\n", "    encoding: utf-8\n    timezone: America/New_York\n", 1))
    write(home, "stackjobs", "ny.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, applied_at::varchar from staging.candidate_records order by 1"
                           ).fetchall() == [("SJ-4", "2026-03-08 06:59:00+00"), ("SJ-5", "2026-03-08 07:30:00+00"),
                                            ("SJ-6", "2026-03-08 07:00:00+00"), ("SJ-7", "2026-11-01 04:59:00+00"),
                                            ("SJ-8", "2026-11-01 06:30:00+00"), ("SJ-9", "2026-11-01 07:00:00+00")]


def test_a_source_naming_no_phone_region_reads_phones_in_the_default_region(settings, home):
    config = home / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("    phone_region: US\n", "", 1))  # stackjobs names none now
    write(home, "stackjobs", "gb.csv", "\n".join([HEADER, GOOD[1].replace("ann@x.io,", "ann@x.io,020 7946 0018")]) + "\n")
    with writer(settings) as con:
        ingest(con, settings.model_copy(update={"default_region": "GB"}))
        assert con.execute("select phone, phone_country from staging.candidate_records").fetchall() == [("+442079460018", "GB")]


def test_a_national_number_invalid_in_the_source_region_is_read_in_the_records_own_country(settings, home):
    write(home, "stackjobs", "abroad.csv", "\n".join([
        HEADER,
        "SJ-1,Amy,Lo,amy@x.io,07911 123456,London,,,United Kingdom,,,,,,,,",  # a UK mobile on a US board
        "SJ-2,Ben,Ho,ben@x.io,030 12345678,Berlin,,,DE,,,,,,,,",
        "SJ-3,Cy,Wu,cy@x.io,(415) 555-2671,London,,,GB,,,,,,,,",  # valid in the source region: read there
        "SJ-4,Di,Ng,di@x.io,07911 123456,Austin,,,US,,,,,,,,",  # no other country to try: invalid
        "SJ-5,Ed,Ma,ed@x.io,07911 123456,Paris,,,France,,,,,,,,",  # invalid in the record's country too
        # placeholders valid somewhere (+43 12345, +49 555 2255), but not written as a national number there
        "SJ-6,Fa,Li,fa@x.io,12345,Wien,,,AT,,,,,,,,",
        "SJ-7,Gu,Ro,gu@x.io,555-CALL,Berlin,,,DE,,,,,,,,",
    ]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        staged = dict(con.execute("select source_record_id, phone from staging.candidate_records").fetchall())
        assert staged == {"SJ-1": "+447911123456", "SJ-2": "+493012345678", "SJ-3": "+14155552671"}
        assert con.execute("select source_record_id, rule from staging.quarantine order by 1").fetchall() == \
            [(f"SJ-{i}", "phone_valid") for i in (4, 5, 6, 7)]


def test_an_email_field_holding_several_addresses_or_a_name_stages_its_first_address(settings, home):
    write(home, "stackjobs", "many.csv", "\n".join([
        HEADER,
        "SJ-1,Amy,Lo,amy@x.io; Amy.Lo@Work.com,,,,,US,,,,,,,,",
        'SJ-2,Ben,Ho,"ben@x.io, ben@y.io",,,,,US,,,,,,,,',
        "SJ-3,Cy,Wu,cy@x.io / cy@y.io,,,,,US,,,,,,,,",
        'SJ-4,Di,Ng,"""Di Ng"" <Di.Ng@x.io>",,,,,US,,,,,,,,',  # a mail client's copy: name and address
        "SJ-5,Ed,Ma,mailto:ed@x.io (home),,,,,US,,,,,,,,",
        "SJ-6,Fa,Li,fa at x dot io,,,,,US,,,,,,,,",  # no address in it: still quarantined
        "SJ-7,Gu,Ro,gu@x.io; not-an-address,,,,,US,,,,,,,,",
        "SJ-8,Hu,Vo,hu vo@x.io,,,,,US,,,,,,,,",  # an address after a word is a typo, not vo@x.io
    ]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        staged = {r[0]: r[1:] for r in con.execute("select source_record_id, email, email_raw from staging.candidate_records").fetchall()}
        assert {k: v[0] for k, v in staged.items()} == {"SJ-1": "amy@x.io", "SJ-2": "ben@x.io", "SJ-3": "cy@x.io",
                                                       "SJ-4": "di.ng@x.io", "SJ-5": "ed@x.io", "SJ-7": "gu@x.io"}
        assert staged["SJ-1"][1] == "amy@x.io; Amy.Lo@Work.com"  # the field as given is kept
        assert con.execute("select source_record_id, rule from staging.quarantine order by 1").fetchall() == \
            [("SJ-6", "email_syntax"), ("SJ-8", "email_syntax")]


def test_a_linkedin_profile_copied_from_the_address_bar_is_the_profile_typed_with_its_letters(settings, home):
    # a broken escape (a copy cut after %C3, a %00) is kept as written: url_decode raised, and the whole file failed
    write(home, "stackjobs", "li.csv", "\n".join([
        HEADER,
        "SJ-1,José,Núñez,j1@x.io,,,,,US,,,https://www.linkedin.com/in/jos%C3%A9-n%C3%BA%C3%B1ez/,,,,,",  # a browser's copy
        "SJ-2,José,Núñez,j2@x.io,,,,,US,,,de.linkedin.com/in/José-Núñez,,,,,",
        "SJ-3,Zoë,Li,z@x.io,,,,,US,,,linkedin.com/in/ZO%C3%8B-li-100%25?trk=x,,,,,",
        "SJ-4,José,Núñez,j4@x.io,,,,,US,,,https://www.linkedin.com/in/jos%C3,,,,,",
        "SJ-5,Ann,Lee,a@x.io,,,,,US,,,linkedin.com/in/ann%00lee,,,,,",
        "SJ-6,Bo,Li,b@x.io,,,,,US,,,linkedin.com/in/bo-li,,,,,",
    ]) + "\n")
    with writer(settings) as con:
        assert [f.status for f in ingest(con, settings).files] == ["loaded"]
        assert dict(con.execute("select source_record_id, linkedin_url from staging.candidate_records").fetchall()) == {
            "SJ-1": "https://www.linkedin.com/in/josé-núñez", "SJ-2": "https://www.linkedin.com/in/josé-núñez",
            "SJ-3": "https://www.linkedin.com/in/zoë-li-100%", "SJ-4": "https://www.linkedin.com/in/jos%c3",
            "SJ-5": "https://www.linkedin.com/in/ann%00lee", "SJ-6": "https://www.linkedin.com/in/bo-li"}


def test_status_counts_a_file_tried_every_night_and_a_record_quarantined_every_night_once(settings, home):
    bad_record = GOOD[1].replace("SJ-2,Ann,Lee,ann@x.io", "SJ-4,No,Contact,")
    for night in range(3):
        write(home, "stackjobs", f"full_{night}.csv", "\n".join([HEADER, GOOD[1], bad_record]) + "\n" * (night + 1))
        write(home, "stackjobs", "broken.csv", "applicant_id,first_name\nX,Y\n")
        with writer(settings) as con:
            ingest(con, settings)
    with writer(settings) as con:
        assert files_by_status(con) == [("stackjobs", "failed", 1), ("stackjobs", "loaded", 3)]
        assert quarantine_by_rule(con) == [("stackjobs", "contact_present", 1)]
        assert scalar(con, "select count(*) from staging.quarantine") == 1   # the same version, once per rule
        run_checks(con)
    # the source fixes the record: quarantine no longer holds it back
    write(home, "stackjobs", "full_3.csv", "\n".join([HEADER, GOOD[1], bad_record.replace("No,Contact,", "No,Contact,no@x.io")]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert quarantine_by_rule(con) == []


def test_a_version_quarantined_before_migration_040_is_not_quarantined_again_after_it(settings, home):
    from tasks.warehouse import migrate

    bad_record = GOOD[1].replace("SJ-2,Ann,Lee,ann@x.io", "SJ-4,No,Contact,")
    write(home, "stackjobs", "full_0.csv", "\n".join([HEADER, GOOD[1], bad_record]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        # as a warehouse from before migration 040 holds it
        as_before_migration(con, "040_quarantine_once", staging__quarantine=("payload_sha256",),
                            meta__ingested_files=("rows_quarantined_before",))
        assert migrate(con) == ["040_quarantine_once"]
        assert scalar(con, "select count(*) from staging.quarantine where payload_sha256 is not null") == 1
    write(home, "stackjobs", "full_1.csv", "\n".join([HEADER, GOOD[1], bad_record]) + "\n\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(f.rows_read, f.rows_staged, f.rows_quarantined) for f in report.files if f.status == "loaded"] == [(2, 1, 1)]
        assert scalar(con, "select count(*) from staging.quarantine") == 1
        run_checks(con)


def test_records_staged_before_migration_068_keep_the_dates_their_consent_statements_had(settings, home):
    from tasks.warehouse import migrate

    dates = "select source_record_id, consent_email, consent_email_at from staging.candidate_records order by 1"
    day0 = settings.model_copy(update={"now": datetime(2026, 11, 1, tzinfo=timezone.utc)})
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    with writer(day0) as con:
        ingest(con, day0)
        # as a warehouse from before migration 068 holds it
        as_before_migration(con, "068_consent_dates", staging__candidate_records=("consent_email_at", "consent_sms_at"))
        assert migrate(con) == ["068_consent_dates"]
        # the application's date, else the staging time: what core.consents dated them by before
        assert con.execute(dates).fetchall() == [("SJ-1", True, datetime(2026, 3, 4, 9, 22, tzinfo=timezone.utc)),
                                                 ("SJ-2", None, None),
                                                 ("SJ-3", False, datetime(2026, 11, 1, tzinfo=timezone.utc))]
        before = con.execute(dates).fetchall()
    # a week later the board sends SJ-3 again with a city: the same "no", the same date
    write(home, "stackjobs", "b.csv", "\n".join([HEADER, GOOD[2].replace("+44 7911 123456,,", "+44 7911 123456,Leeds,")]) + "\n")
    day7 = settings.model_copy(update={"now": datetime(2026, 11, 8, tzinfo=timezone.utc)})
    with writer(day7) as con:
        assert ingest(con, day7).files[-1].rows_staged == 1
        assert con.execute(dates).fetchall() == before
        run_checks(con)


def test_referrals_need_a_referrer_and_ats_status_stages(settings, home):
    write(home, "referrals", "r.csv",
          "referral_id,candidate_name,candidate_email,candidate_phone,candidate_company,candidate_linkedin,job_id,"
          "referrer_email,referrer_name,referrer_employee_id,relationship,note,submitted_at\n"
          "R-1,Sam Doe,sam@corp.io,,Corp,,J-1,Ann@Acme.example,Ann,E1,former colleague,great,2026-05-01\n"
          "R-2,Kim Roe,kim@corp.io,,Corp,,J-1,,,,,,2026-05-01\n")
    write(home, "ats_status", "s.csv",
          "event_id,candidate_id,candidate_email,job_id,stage,changed_at\n"
          "E-1,GH-1,,J-1,Phone Screen,2026-05-02T10:00:00Z\n"
          "E-2,,,J-1,Offer,2026-05-03\n"
          "E-3,GH-2,,J-1,,not a date\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert {Path(f.file).name: (f.rows_staged, f.rows_quarantined) for f in report.files} == {"r.csv": (1, 1), "s.csv": (1, 2)}
        assert con.execute("select referrer_email, channel from staging.candidate_records").fetchone() == ("ann@acme.example", "referral")
        assert con.execute("select ats_person_id, stage from staging.stage_changes").fetchone() == ("GH-1", "Phone Screen")
        rules = {r for (r,) in con.execute("select distinct rule from staging.quarantine").fetchall()}
        assert {"referrer_present", "person_key_present", "stage_present", "changed_at_parseable"} <= rules


def test_a_referrer_of_only_invisible_characters_is_no_referrer(settings, home):
    """A referrer name or employee id of zero-width spaces or a byte-order mark, and no referrer email, staged the
    referral as referred (credit to an invisible name); one with visible text keeps it, without the invisible edges."""
    write(home, "referrals", "r.csv",
          "referral_id,candidate_name,candidate_email,candidate_phone,candidate_company,candidate_linkedin,job_id,"
          "referrer_email,referrer_name,referrer_employee_id,relationship,note,submitted_at\n"
          "R-1,Ann Lee,ann@x.io,,,,J-1,,\u200b,,,,2026-01-01\n"
          "R-2,Bo Lin,bo@x.io,,,,J-1,,,\ufeff\u200b,,,2026-01-01\n"
          "R-3,Cy Ong,cy@x.io,,,,J-1,,\u200bDee Fox\u00a0,\ufeffE7,,,2026-01-01\n")
    with writer(settings) as con:
        [f] = ingest(con, settings).files
        assert con.execute("select source_record_id, referrer_name, referrer_employee_id from staging.candidate_records"
                           ).fetchall() == [("R-3", "Dee Fox", "E7")]
        assert con.execute("select source_record_id, rule from staging.quarantine order by all").fetchall() == [
            ("R-1", "referrer_present"), ("R-2", "referrer_present")]
        assert (f.rows_read, f.rows_staged, f.rows_quarantined) == (3, 1, 2)
        run_checks(con)


def test_an_address_keeps_nothing_a_spreadsheet_left_around_it_in_every_field_that_holds_one(settings, home):
    """A tab, line break, zero-width space or byte-order mark around an address is dropped, as spaces are."""
    write(home, "stackjobs", "a.csv", "\n".join([
        HEADER, GOOD[1].replace("ann@x.io", '"ann@x.io\t"'), GOOD[1].replace("SJ-2", "SJ-4").replace("ann@x.io", "\ufeffmailto:Bo@X.io\u200b")
    ]) + "\n")
    write(home, "referrals", "r.csv",
          "referral_id,candidate_name,candidate_email,candidate_phone,candidate_company,candidate_linkedin,job_id,"
          "referrer_email,referrer_name,referrer_employee_id,relationship,note,submitted_at\n"
          "R-1,Sam Doe,sam@corp.io\u2028,,Corp,,J-1,Ann@Acme.example\x0b,Ann,E1,former colleague,great,2026-05-01\n")
    write(home, "ats_status", "s.csv", "event_id,candidate_id,candidate_email,job_id,stage,changed_at\n"
                                       "E-1,,\u00a0Kim@Corp.io\x85,J-1,Offer,2026-05-03\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert scalar(con, "select count(*) from staging.quarantine") == 0
        assert con.execute("select source_record_id, email, referrer_email from staging.candidate_records order by 1").fetchall() == [
            ("R-1", "sam@corp.io", "ann@acme.example"), ("SJ-2", "ann@x.io", None), ("SJ-4", "bo@x.io", None)]
        assert con.execute("select email from staging.stage_changes").fetchall() == [("kim@corp.io",)]


def test_an_address_keeps_no_invisible_character_inside_it_either(settings, home):
    """A zero-width space, word joiner, byte-order mark or soft hyphen inside an address (copied from a web page
    or a spreadsheet cell) quarantined its row as email_syntax: without a phone, the record lost its only contact."""
    rows = [GOOD[1].replace("ann@x.io", "ann\u200b@x.io"), GOOD[1].replace("SJ-2", "SJ-4").replace("ann@x.io", "bo@x\u2060.io"),
            GOOD[1].replace("SJ-2", "SJ-5").replace("ann@x.io", "c\u00ady@x.io"), GOOD[1].replace("SJ-2", "SJ-6").replace("ann@x.io", "d\ufeff@x.io")]
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select rule, value from staging.quarantine").fetchall() == []
        assert con.execute("select source_record_id, email from staging.candidate_records order by 1").fetchall() == [
            ("SJ-2", "ann@x.io"), ("SJ-4", "bo@x.io"), ("SJ-5", "cy@x.io"), ("SJ-6", "d@x.io")]


def test_both_csv_readers_skip_a_blank_looking_line_and_take_a_long_field(settings, home):
    """DuckDB's fast reader and the exact one (taken when a field spans lines) agree on a file's rows."""
    cv = "x" * 3_000_000  # a pasted CV over DuckDB's default 2 MB line limit
    # Excel's empty rows under a sheet's last one are as wide as the header: read as rows of nulls, quarantined
    # as record_id_present and contact_present (and counted against max_bad_fraction) until 2026-11-29
    as_wide = "," * HEADER.count(",")
    rows = [GOOD[1], " \t ", ",,, ", as_wide, " " + as_wide.replace(",", " ,\t"),
            GOOD[1].replace("SJ-2", "SJ-4").replace(",go,", f",{cv},"), as_wide]
    write(home, "stackjobs", "fast.csv", "\n".join([HEADER, *rows]) + "\n")
    spanning = GOOD[1].replace("SJ-2", "SJ-5").replace(",Eng,", ',"Eng\nLead",', 1)
    write(home, "stackjobs", "exact.csv", "\n".join([HEADER, *(r.replace("SJ-", "EX-") for r in rows), spanning]) + "\n")
    with writer(settings) as con:
        by_file = {Path(f.file).name: (f.rows_read, f.rows_staged, f.rows_quarantined) for f in ingest(con, settings).files}
        assert by_file == {"exact.csv": (3, 3, 0), "fast.csv": (2, 2, 0)}
        assert con.execute("select count(*) from staging.quarantine").fetchall() == [(0,)]
        assert con.execute("select source_record_id, length(skills[1]) from staging.candidate_records "
                           "where source_record_id like '%-4' order by 1").fetchall() == [("EX-4", 3_000_000), ("SJ-4", 3_000_000)]
        run_checks(con)


def test_unknown_source_name_is_an_error(settings):
    with writer(settings) as con, pytest.raises(ValueError, match="unknown source"):
        ingest(con, settings, only=["nope"])


def test_chunked_validation_finds_exactly_what_one_pass_finds(settings, home):
    """Repeated ids in different chunks and row-wise rules give the same quarantine at any chunk size."""
    from tasks.clock import utcnow
    from tasks.sources.files import read_file
    from tasks.sources.registry import load_sources
    from tasks.staging import stage
    from tasks.validate import validate_batch

    rows = [*GOOD, "SJ-1,Dup,Licate,dup@x.io,,,,,US,,,,,,,,",
            "SJ-9,Bad,Mail,not-an-email,,,,,XX,,,,,,,2999-01-01,maybe"]
    path = write(home, "stackjobs", "a.csv", "\n".join([HEADER, *rows]) + "\n")
    source = next(s for s in load_sources(settings.config_dir) if s.name == "stackjobs")
    with writer(settings) as con:
        read_file(con, path, source)
        stage(con, source, utcnow(settings), settings.default_region)
        whole = validate_batch(con, source.kind, utcnow(settings), chunk_rows=1000)
        chunked = validate_batch(con, source.kind, utcnow(settings), chunk_rows=2)

    def key(frame):
        return sorted(map(tuple, frame[["row_number", "rule", "value"]].astype(str).to_numpy()))

    assert key(chunked) == key(whole)
    found = {(r, rule) for r, rule in zip(whole["row_number"], whole["rule"])}
    # SJ-1 is on lines 2 and 5, in different chunks of two rows.
    assert {(2, "record_id_unique"), (5, "record_id_unique")} <= found
    assert {(6, "email_syntax"), (6, "country_code_valid"), (6, "applied_at_not_future"), (6, "consent_value")} <= found


def test_a_file_moved_away_or_unreadable_after_the_inbox_was_listed_does_not_stop_the_run(settings, home, caplog):
    from tasks.ingest import ingest_file
    from tasks.sources.registry import load_sources, select_sources

    source = select_sources(load_sources(settings.config_dir), ["stackjobs"], settings.config_dir)[0]
    kept = write(home, "stackjobs", "b.csv", "\n".join([HEADER, *GOOD]) + "\n")
    archived = home / "inbox" / "stackjobs" / "a.csv"   # listed, then moved to an archive before it was read
    unreadable = home / "inbox" / "stackjobs" / "c.csv"
    unreadable.mkdir()                                   # stands in for a file this user may not read
    with writer(settings) as con:
        results = [ingest_file(con, source, path, settings) for path in (archived, kept, unreadable)]
        assert [r.status for r in results] == ["skipped", "loaded", "failed"]
        assert f"{archived}: no longer there" in caplog.text
        assert results[2].error.startswith(f"{unreadable}: could not be read: IsADirectoryError")
        assert IngestReport(results, settings.max_bad_fraction).failures == [results[2].error]
        assert counts(con) == (3, 3, 0)
        run_checks(con)


def test_a_failed_runs_message_naming_a_file_called_after_a_candidate_is_masked(settings, home):
    # career sites save one file per applicant, named by address; the flow's exception message is kept
    # by Prefect as the run's state message (and pickled) outside any log
    import pickle

    from flows.ingest import IngestFailed

    write(home, "indeed", "jane.doe@example.com.jsonl", '{"id": "IN-1"}\n{"id": "IN-2"}\n')
    with writer(settings) as con:
        report = ingest(con, settings)
    failed = IngestFailed("ingest finished with problems:\n- " + "\n- ".join(report.failures), report.summary_rows())
    assert "jane.doe" not in str(failed) and b"jane.doe" not in pickle.dumps(failed)
    assert "inbox/indeed/j***@e***.jsonl: 2 of 2 rows quarantined" in str(failed)


def test_a_stray_quote_quarantines_its_own_line_and_the_lines_after_it_are_still_rows(settings, home):
    """A quote opened and never closed made Python's csv reader read the rest of the file as one field:
    one malformed row stood for every later line, and with one bad row the run did not even fail."""
    rows = [GOOD[1].replace("SJ-2", f"SJ-{i}").replace("ann@", f"ann{i}@") for i in range(10, 16)]
    rows[1] = rows[1].replace(",Ann,", ',"Ann,')  # line 3
    spanning = GOOD[1].replace("SJ-2", "SJ-20").replace(",Eng,", ',"Eng\nLead",', 1)  # lines 8-9: a good field spanning lines
    write(home, "stackjobs", "q.csv", "\n".join([HEADER, *rows, spanning]) + "\n")
    write(home, "stackjobs", "r.csv", "\n".join([HEADER, *(r.replace("SJ-", "R-") for r in rows)]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(f.rows_read, f.rows_staged, f.rows_quarantined) for f in report.files] == [(7, 6, 1), (6, 5, 1)]
        assert con.execute("select right(file_path, 5), row_number, rule, value from staging.quarantine order by 1").fetchall() == [
            ("q.csv", 3, "malformed_row", rows[1]), ("r.csv", 3, "malformed_row", rows[1].replace("SJ-", "R-"))]
        assert con.execute("select row_number from staging.candidate_records where file_path like '%q.csv' order by 1").fetchall() == [
            (2,), (4,), (5,), (6,), (7,), (8,)]
        assert scalar(con, "select current_title from staging.candidate_records where source_record_id = 'SJ-20'") == "Eng\nLead"
        run_checks(con)


def test_a_slashed_date_with_a_two_digit_year_is_read_in_the_sources_order(settings, home):
    """DuckDB's cast reads `01/02/26` as year 1, February 26th; the year-1900 floor then made it
    unparseable before the source's mm/dd/yy (or dd/mm/yy) was tried."""
    rows = [GOOD[1].replace("SJ-2", f"SJ-{n}").replace("2026-01-01", when)
            for n, when in ((4, "01/02/26"), (5, "1/2/26 9:30"), (6, "12/11/10"))]
    write(home, "stackjobs", "us.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, applied_at::varchar from staging.candidate_records order by 1").fetchall() == [
            ("SJ-4", "2026-01-02 00:00:00+00"), ("SJ-5", "2026-01-02 09:30:00+00"), ("SJ-6", "2010-12-11 00:00:00+00")]
        assert scalar(con, "select count(*) from staging.quarantine") == 0
        assert con.execute("select staging.parse_time('01/02/26', true)::varchar").fetchone() == ("2026-02-01 00:00:00+00",)


def test_a_file_with_a_utf16_byte_order_mark_is_read_as_utf16(settings, home):
    """Excel's "Unicode Text" and some ATS exports are UTF-16 with a byte-order mark: its NUL bytes made
    the file 'binary content (NUL byte); not a text file'."""
    text = "\n".join([HEADER, GOOD[0], GOOD[1]]) + "\n"
    write(home, "stackjobs", "le.csv", b"\xff\xfe" + text.encode("utf-16-le"))
    write(home, "stackjobs", "be.csv", b"\xfe\xff" + text.replace("SJ-", "BE-").encode("utf-16-be"))
    write(home, "indeed", "i.jsonl", json.dumps({"id": "IN-1", "applicant": {"fullName": "Zoë Adams", "email": "zoe@x.io"}}),
          encoding="utf-16")
    write(home, "stackjobs", "odd.csv", b"\xff\xfe" + text.encode("utf-16-le")[:-1])  # cut in the middle of a character
    with writer(settings) as con:
        by_file = {Path(f.file).name: f for f in ingest(con, settings).files}
        assert {n: (f.status, f.rows_read, f.rows_staged) for n, f in by_file.items() if n != "odd.csv"} == {
            "be.csv": ("loaded", 2, 2), "le.csv": ("loaded", 2, 2), "i.jsonl": ("loaded", 1, 1)}
        assert by_file["odd.csv"].status == "failed" and "not valid UTF-16" in by_file["odd.csv"].error
        assert con.execute("select source_record_id, first_name, last_name, email from staging.candidate_records "
                           "where source_record_id in ('SJ-1', 'BE-1', 'IN-1') order by 1").fetchall() == [
            ("BE-1", "José", "Núñez", "jose.nunez@gmail.com"), ("IN-1", "Zoë", "Adams", "zoe@x.io"),
            ("SJ-1", "José", "Núñez", "jose.nunez@gmail.com")]


def test_names_are_staged_without_the_invisible_characters_around_them(settings, home):
    write(home, "stackjobs", "z.csv", "\n".join([HEADER, GOOD[1].replace(",Ann,Lee,", ",\u200bAnn,Lee\ufeff,"),
                                                 GOOD[1].replace("SJ-2", "SJ-5").replace(",Ann,Lee,", ",\u200b,Lee,")]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, first_name, last_name, full_name, full_name_key from staging.candidate_records "
                           "order by 1").fetchall() == [("SJ-2", "Ann", "Lee", "Ann Lee", "ann lee"), ("SJ-5", None, "Lee", "Lee", "lee")]


def test_a_json_object_where_a_field_expects_text_is_quarantined_not_staged_as_json_text(settings, home):
    """`"fullName": {"first": "José"}` was staged as the name '{"first": "José"}' (keyed 'first jose'),
    and being the newest record it became the golden record's display name."""
    lines = [{"id": "IN-1", "applicant": {"fullName": {"first": "José"}, "email": "jose@x.io"}},
             {"id": "IN-2", "applicant": {"fullName": "Zoë Adams", "email": "zoe@x.io"}, "job": {"jobTitle": [{"en": "Eng"}]}},
             {"id": "IN-3", "applicant": {"fullName": "Kim Lee", "email": "kim@x.io"}, "job": {"jobTitle": ["Eng", "Lead"]}}]
    write(home, "indeed", "i.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    with writer(settings) as con:
        [f] = ingest(con, settings).files
        assert (f.rows_read, f.rows_staged, f.rows_quarantined) == (3, 1, 2)
        assert con.execute("select source_record_id, row_number, rule, field, value from staging.quarantine order by 1").fetchall() == [
            ("IN-1", 1, "field_type", "full_name", '{"first": "José"}'), ("IN-2", 2, "field_type", "job_title", '{"en": "Eng"}')]
        assert con.execute("select source_record_id, job_title from staging.candidate_records").fetchall() == [("IN-3", "Eng;Lead")]
        run_checks(con)


def test_a_json_record_repeating_a_key_is_quarantined_not_read_with_its_last_value(settings, home):
    """json.loads keeps the last of two equal keys: `{"id": "IN-1", "id": "IN-1b"}` staged IN-1b and
    `"email"` given twice lost the first address, without a word."""
    write(home, "indeed", "i.jsonl", '{"id": "IN-1", "id": "IN-1b", "applicant": {"email": "a@x.io"}}\n'
                                     '{"id": "IN-2", "applicant": {"email": "b@x.io", "email": "c@x.io"}}\n'
                                     '{"id": "IN-3", "applicant": {"email": "d@x.io"}}\n')
    write(home, "resumes", "r.json", '[{"meta": {"id": "CS-1"}, "basics": {"email": "e@x.io", "email": "f@x.io"}},'
                                     ' {"meta": {"id": "CS-2"}, "basics": {"email": "g@x.io"}}]')
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select right(file_path, 7), row_number, rule, message from staging.quarantine order by all").fetchall() == [
            ("/r.json", 1, "malformed_json", "key 'basics.email' given twice"),
            ("i.jsonl", 1, "malformed_json", "key 'id' given twice"),
            ("i.jsonl", 2, "malformed_json", "key 'applicant.email' given twice")]
        assert con.execute("select source_record_id from staging.candidate_records order by 1").fetchall() == [("CS-2",), ("IN-3",)]
        run_checks(con)


def test_a_header_differing_from_the_mapping_in_case_or_by_a_byte_order_mark_still_names_its_column(settings, home):
    """`Email` for the mapped `email`, or a header after two byte-order marks (a tool that added its own
    to a file that had one), failed the whole file as 'missing mapped column'."""
    write(home, "stackjobs", "case.csv", "\n".join([HEADER.replace(",email,", ", Email ,").replace("applicant_id", "Applicant_ID"),
                                                    GOOD[1]]) + "\n")
    write(home, "stackjobs", "bom.csv", "\ufeff\ufeff" + "\n".join([HEADER, GOOD[1].replace("SJ-2", "SJ-5")]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(Path(f.file).name, f.status, f.rows_staged) for f in report.files] == [("bom.csv", "loaded", 1), ("case.csv", "loaded", 1)]
        assert con.execute("select source_record_id, email from staging.candidate_records order by 1").fetchall() == [
            ("SJ-2", "ann@x.io"), ("SJ-5", "ann@x.io")]
        assert scalar(con, "select payload->>'Email' from raw.source_records where source_record_id = 'SJ-2'") == "ann@x.io"


def test_a_utf8_file_cut_off_in_the_middle_of_a_character_says_so(settings, home):
    """The last bytes of a cut-off file are half of a character: the error advised declaring latin-1,
    which would read every ö of the file as mojibake."""
    data = ("\n".join([HEADER, GOOD[1], GOOD[0]])).encode()
    write(home, "stackjobs", "cut.csv", data[: data.index("Jos".encode()) + 4])
    with writer(settings) as con:
        [f] = ingest(con, settings).files
    assert f.status == "failed" and "cut.csv:3:9: the file ends in the middle of a character" in f.error
    assert "latin-1" not in f.error


def test_columns_named_like_the_readers_own_columns_are_read_as_any_other(settings, home):
    """A `rowid` column (SQLite and Oracle exports) shadowed DuckDB's rowid in the fast reader: no row
    matched its line, and the conservation check ended the whole run with an AssertionError. A
    `row_number` column made the exact reader fail the file ('cannot insert row_number')."""
    header = HEADER + ",rowid,row_number,idx"
    rows = [GOOD[1] + ",17,x,y", GOOD[0] + ",18,z,w"]
    write(home, "stackjobs", "fast.csv", "\n".join([header, *rows]) + "\n")
    spanning = GOOD[1].replace("SJ-2", "SJ-5").replace(",Eng,", ',"Eng\nLead",', 1) + ",19,v,u"
    write(home, "stackjobs", "exact.csv", "\n".join([header, *(r.replace("SJ-", "EX-") for r in rows), spanning]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(Path(f.file).name, f.status, f.rows_read, f.rows_staged) for f in report.files] == [
            ("exact.csv", "loaded", 3, 3), ("fast.csv", "loaded", 2, 2)]
        assert con.execute("select source_record_id, row_number, payload->>'rowid', payload->>'row_number' from raw.source_records "
                           "where source_record_id like '%-2' order by 1").fetchall() == [("EX-2", 2, "17", "x"), ("SJ-2", 2, "17", "x")]
        run_checks(con)


def test_a_file_whose_counts_do_not_add_up_is_rolled_back_and_failed_and_the_others_still_load(settings, home, monkeypatch):
    """The conservation check raised out of ingest: one file's broken counts ended the whole run (and
    every later file and ATS source) with a traceback."""
    import tasks.ingest as ingest_module

    real = ingest_module.drop_unchanged
    monkeypatch.setattr(ingest_module, "drop_unchanged",
                        lambda con, source: real(con, source) + (source.name == "stackjobs"))  # one row counted twice
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, GOOD[1]]) + "\n")
    write(home, "eurotalent", "e.csv", "Kandidat-ID;Name;E-Mail;Telefon;Ort;PLZ;Land;Position;Kenntnisse;Beworben am\n"
                                       "ET-1;Anna Berg;anna@berg.de;;Köln;50667;DE;CTO;;2026-02-01\n", encoding="latin-1")
    with writer(settings) as con:
        report = ingest(con, settings)
        by_file = {Path(f.file).name: f for f in report.files}
        assert by_file["e.csv"].status == "loaded"
        assert by_file["a.csv"].status == "failed" and "a.csv: conservation broken: read 1 != staged 2 + quarantined 0" in by_file["a.csv"].error
        assert counts(con) == (1, 1, 0)  # e.csv's row; nothing of a.csv
        assert con.execute("select status from meta.ingested_files where file_path like '%a.csv'").fetchall() == [("failed",)]
    assert any("conservation broken" in reason for reason in report.failures)


def test_nan_and_infinity_in_a_json_feed_are_missing_values_not_text(settings, home):
    """Python's json reads NaN and Infinity (pandas-made exports write NaN for a missing value):
    `"firstName": NaN` was staged as the name 'Nan' ('Nan Lee', key 'nan'), Infinity as the phone 'inf'."""
    write(home, "indeed", "a.jsonl", '{"id": "IN-1", "applicant": {"firstName": NaN, "lastName": "Lee", "email": "a@x.io", '
                                     '"phoneNumber": Infinity}}\n')
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select first_name, full_name, first_name_key, phone_raw from staging.candidate_records").fetchall() == [
            (None, "Lee", None, None)]
        assert scalar(con, "select count(*) from staging.quarantine") == 0


def test_a_file_holding_only_a_byte_order_mark_is_an_empty_file(settings, home):
    """Its message read 'no header row ()'."""
    write(home, "stackjobs", "bom.csv", "\ufeff\r\n")
    with writer(settings) as con:
        [f] = ingest(con, settings).files
    assert f.status == "failed" and f.error.endswith("bom.csv:1:1: empty file")


def test_skills_and_tags_keep_no_invisible_character_a_spreadsheet_left_in_them(settings, home):
    """`SQL` with a zero-width space after it was the skill 'sql\u200b', which no segment on `sql` matches."""
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, GOOD[1].replace(",go,", ',"Python\u00a0; SQL\u200b|\ufeffKafka ",')]) + "\n")
    write(home, "ats_export", "t.csv", "candidate_id,First,Last,Email Address,Mobile,City,Country,Title,Company,Tags,Email Consent,SMS Consent\n"
                                      "GH-1,Ann,Lee,ann@x.io,,,,,,\"remote-ok\u200b,\u2060senior\",,\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select skills, tags from staging.candidate_records order by source_record_id").fetchall() == [
            (None, ["remote-ok", "senior"]), (["python", "sql", "kafka"], None)]


def test_an_address_copied_with_the_full_stop_of_its_sentence_is_that_address(settings, home):
    """`ann@x.io.` (copied from 'write to ann@x.io.') was quarantined as email_syntax."""
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, GOOD[1].replace("ann@x.io", "Ann@X.io. ")]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select email, email_raw from staging.candidate_records").fetchall() == [("ann@x.io", "Ann@X.io.")]
        assert scalar(con, "select count(*) from staging.quarantine") == 0


def test_a_long_file_says_which_step_it_is_at(settings, home, monkeypatch, caplog):
    # A file logged one line, after its last step: a 1,000,000-row export was 90 s of silence on the
    # 2-core machine (and a 230,000-row one 61 s under load). Steps of STEP_LOG_MIN_S or more are
    # logged as they end; here every step is.
    monkeypatch.setattr("tasks.ingest.STEP_LOG_MIN_S", 0.0, raising=False)
    path = write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    with caplog.at_level(logging.INFO, logger="tasks.ingest"), writer(settings) as con:
        ingest(con, settings)
    lines = [r.getMessage() for r in caplog.records if r.name == "tasks.ingest"]
    steps = [line.removeprefix(f"{path}: ").split(" done in ")[0] for line in lines if " done in " in line]
    assert steps == ["read 3 rows (0 unchanged)", "normalize", "validate", "write"], lines
    assert [line for line in lines if line.startswith(str(path))][-1].startswith(f"{path}: read 3, staged 3")


def full_export(home: Path, share: float | None = None) -> None:
    """Declares stackjobs a full-export source in the home's sources.yaml."""
    config = home / "config" / "sources.yaml"
    extra = "    full_export: true\n" + (f"    max_delete_share: {share}\n" if share is not None else "")
    config.write_text(config.read_text().replace("    encoding: utf-8\n", "    encoding: utf-8\n" + extra, 1))


def test_a_record_left_out_of_a_full_export_is_deleted_and_comes_back_when_listed_again(settings, home):
    full_export(home)
    write(home, "stackjobs", "2026-11-01.csv", "\n".join([HEADER, *GOOD]) + "\n")
    write(home, "stackjobs", "2026-11-02.csv", "\n".join([HEADER, GOOD[0], GOOD[2]]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(f.status, f.rows_deleted) for f in report.files] == [("loaded", 0), ("loaded", 1)]
        assert report.summary_rows()[0]["deleted"] == 1
        assert con.execute("select source_record_id from staging.candidate_records order by 1").fetchall() == [
            ("SJ-1",), ("SJ-3",)]
        assert con.execute("select source_record_id from staging.deleted_records").fetchall() == [("SJ-2",)]
        resolve(con, settings)
        assert scalar(con, "select count(*) from core.identity_links where source_record_id = 'SJ-2'") == 0
        assert scalar(con, "select count(*) from core.persons") == 2
        run_checks(con)
    # the next day's export lists SJ-2 again, unchanged: staged again, and raw says so after its delete
    write(home, "stackjobs", "2026-11-03.csv", "\n".join([HEADER, *GOOD]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert scalar(con, "select count(*) from staging.candidate_records where source_record_id = 'SJ-2'") == 1
        assert con.execute("select op from raw.source_records where source_record_id = 'SJ-2' "
                           "order by ingested_at, op desc").fetchall() == [("upsert",), ("delete",), ("upsert",)]
        resolve(con, settings)
        assert scalar(con, "select count(*) from core.identity_links where source_record_id = 'SJ-2'") == 1
        assert scalar(con, "select count(*) from core.persons") == 3
        run_checks(con)


def test_a_record_back_after_a_delete_keeps_its_consent_date_and_one_deleted_before_migration_070_is_dated_anew(
        settings, home):
    from tasks.warehouse import migrate

    full_export(home)
    dated = "select consent_email, consent_email_at from staging.candidate_records where source_record_id = 'SJ-1'"
    day = [settings.model_copy(update={"now": datetime(2026, 11, d, tzinfo=timezone.utc)}) for d in range(1, 6)]
    for i, rows in enumerate([GOOD, GOOD[1:], GOOD, GOOD[1:], GOOD]):  # SJ-1 left out on days 2 and 4
        write(home, "stackjobs", f"{i}.csv", "\n".join([HEADER, *rows]) + "\n" * (i + 1))
        with writer(day[i]) as con:
            ingest(con, day[i])
            if i == 1:  # as a warehouse from before migration 070 holds its delete
                as_before_migration(con, "070_deleted_record_consents", staging__deleted_records=(
                    "consent_email", "consent_sms", "consent_email_at", "consent_sms_at"))
                assert migrate(con) == ["070_deleted_record_consents"]
            if i == 2:  # its consent then was not kept: dated when it came back, as a changed value
                assert con.execute(dated).fetchall() == [(True, datetime(2026, 11, 3, tzinfo=timezone.utc))]
            run_checks(con)
    with writer(day[4]) as con:
        # deleted again on day 4 and back on day 5 with the same "yes": the date it had
        assert con.execute(dated).fetchall() == [(True, datetime(2026, 11, 3, tzinfo=timezone.utc))]
        assert con.execute("select deleted_at, consent_email, consent_email_at from staging.deleted_records "
                           "order by deleted_at").fetchall() == [
            (datetime(2026, 11, 2, tzinfo=timezone.utc), None, None),
            (datetime(2026, 11, 4, tzinfo=timezone.utc), True, datetime(2026, 11, 3, tzinfo=timezone.utc))]


def test_a_full_export_missing_most_records_fails_and_one_with_unreadable_rows_or_older_deletes_nothing(
        settings, home, caplog):
    full_export(home)
    write(home, "stackjobs", "2026-11-01.csv", "\n".join([HEADER, *GOOD]) + "\n")
    write(home, "stackjobs", "2026-11-02.csv", "\n".join([HEADER, GOOD[0]]) + "\n")  # cut short
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [f.status for f in report.files] == ["loaded", "failed"]
        assert "2026-11-02.csv" in report.files[1].error
        assert "2 of 3 staged records of stackjobs are not in this full export" in report.files[1].error
        assert scalar(con, "select count(*) from staging.candidate_records") == 3
        assert scalar(con, "select count(*) from raw.source_records where op = 'delete'") == 0
    config = home / "config" / "sources.yaml"  # the user says the deletions are right: the file is tried again
    config.write_text(config.read_text().replace("full_export: true\n", "full_export: true\n    max_delete_share: 1\n"))
    with writer(settings) as con:
        report = ingest(con, settings, ["stackjobs"])
        assert [(f.status, f.rows_deleted) for f in report.files] == [("skipped", 0), ("loaded", 2)]
        assert con.execute("select source_record_id from staging.candidate_records").fetchall() == [("SJ-1",)]
    write(home, "stackjobs", "2026-11-03.csv", "\n".join([HEADER, GOOD[1], "SJ-9,too,few,fields"]) + "\n")
    with writer(settings) as con:
        ingest(con, settings, ["stackjobs"])
        assert con.execute("select source_record_id from staging.candidate_records order by 1").fetchall() == [
            ("SJ-1",), ("SJ-2",)]
        assert "1 row(s) could not be read: no record absent from it is deleted" in caplog.text
    # an export older than the current list (by name), read late, deletes none and brings back none of the
    # records a newer list left out (SJ-3): it is skipped (it added them until 2026-11-27)
    write(home, "stackjobs", "2026-10-31.csv", "\n".join([HEADER, GOOD[2]]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings, ["stackjobs"])
        assert [f.status for f in report.files] == ["skipped"] * 4
        assert con.execute("select source_record_id from staging.candidate_records order by 1").fetchall() == [
            ("SJ-1",), ("SJ-2",)]
        run_checks(con)


def test_a_full_export_older_than_the_current_list_read_late_neither_undoes_its_updates_nor_brings_back_what_it_left_out(
        settings, home, caplog):
    """A failed export fixed and dropped again after a newer one was read as the list was loaded: its older
    versions replaced the newer ones in staging, and the records the newer list had left out were staged again."""
    full_export(home)
    write(home, "stackjobs", "2026-11-01.csv", "\n".join([HEADER.replace(",", ";"), *GOOD]) + "\n")  # fails: delimiter
    changed = GOOD[0].replace("Jose.Nunez@Gmail.com", "jose@new.io")
    write(home, "stackjobs", "2026-11-02.csv", "\n".join([HEADER, changed, GOOD[2]]) + "\n")
    staged = "select source_record_id, email from staging.candidate_records order by 1"
    with writer(settings) as con:
        assert [f.status for f in ingest(con, settings).files] == ["failed", "loaded"]
        current = con.execute(staged).fetchall()
    assert current == [("SJ-1", "jose@new.io"), ("SJ-3", None)]
    write(home, "stackjobs", "2026-11-01.csv", "\n".join([HEADER, *GOOD]) + "\n")  # fixed, dropped again
    (home / "inbox" / "stackjobs" / "2026-11-02.csv").unlink()  # archived: the late one is alone in the inbox
    with writer(settings) as con:
        assert [f.status for f in ingest(con, settings).files] == ["skipped"]
        assert con.execute(staged).fetchall() == current
        assert "2026-11-01.csv: older than 2026-11-02.csv, read as the current list of stackjobs" in caplog.text
        run_checks(con)
    # said once, and kept where `candor status` shows it: the warning came again on every run while the file stayed
    caplog.clear()
    with writer(settings) as con:
        assert [f.status for f in ingest(con, settings).files] == ["skipped"]
        assert "older than" not in caplog.text
        assert files_by_status(con) == [("stackjobs", "failed", 1), ("stackjobs", "loaded", 1), ("stackjobs", "superseded", 1)]
        assert con.execute(staged).fetchall() == current
        run_checks(con)


def test_a_full_export_replacing_every_record_fails_however_many_new_records_it_brings(settings, home):
    """The share counted the file's own new records as staged: an export of another board or account
    (new ids only) as long as the old one deleted every old record within the 50% default."""
    full_export(home)
    write(home, "stackjobs", "2026-11-01.csv", "\n".join([HEADER, *GOOD]) + "\n")
    other = [row.replace("SJ-", "XX-", 1) for row in GOOD]
    write(home, "stackjobs", "2026-11-02.csv", "\n".join([HEADER, *other]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [f.status for f in report.files] == ["loaded", "failed"]
        assert "3 of 3 staged records of stackjobs are not in this full export (100%" in report.files[1].error
        assert con.execute("select source_record_id from staging.candidate_records order by 1").fetchall() == [
            ("SJ-1",), ("SJ-2",), ("SJ-3",)]


def test_a_quarantined_record_a_full_export_no_longer_lists_is_no_longer_held_back(settings, home):
    """A full export deleted only staged records: one held in quarantine (never staged) that the source's
    current list left out went on counting in `candor status` as held back, night after night."""
    full_export(home)
    bad = GOOD[1].replace("SJ-2,Ann,Lee,ann@x.io", "SJ-4,No,Contact,")
    write(home, "stackjobs", "2026-11-01.csv", "\n".join([HEADER, *GOOD, bad]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert quarantine_by_rule(con) == [("stackjobs", "contact_present", 1)]
    write(home, "stackjobs", "2026-11-02.csv", "\n".join([HEADER, *GOOD]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(f.status, f.rows_deleted) for f in report.files] == [("skipped", 0), ("loaded", 0)]  # none staged
        assert quarantine_by_rule(con) == []
        assert con.execute("select op, payload->>'absent_from' from raw.source_records where source_record_id = 'SJ-4' "
                           "order by ingested_at").fetchall() == [("upsert", None), ("delete", "2026-11-02.csv")]
        run_checks(con)
    # another list without it deletes it no second time; a list naming it again holds it back again
    write(home, "stackjobs", "2026-11-03.csv", "\n".join([HEADER, *GOOD]) + "\n\n")
    write(home, "stackjobs", "2026-11-04.csv", "\n".join([HEADER, *GOOD, bad]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select op from raw.source_records where source_record_id = 'SJ-4' "
                           "order by ingested_at").fetchall() == [("upsert",), ("delete",), ("upsert",)]
        assert quarantine_by_rule(con) == [("stackjobs", "contact_present", 1)]
        run_checks(con)


def test_status_counts_a_row_without_an_id_that_every_export_sends_again_once(settings, home):
    """A row without an id was counted once per file and line: a nightly export sending the same broken row
    counted one more record held back every night."""
    noid = GOOD[1].replace("SJ-2,", ",", 1)
    for day in (1, 2, 3):
        write(home, "stackjobs", f"2026-11-0{day}.csv", "\n".join([HEADER, GOOD[0], noid] + [GOOD[2]] * (day == 3)) + "\n")
    write(home, "stackjobs", "2026-11-04.csv", "\n".join([HEADER, GOOD[0], noid.replace("ann@x.io", "ann@y.io")]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert quarantine_by_rule(con) == [("stackjobs", "record_id_present", 2)]  # two different rows


def test_status_shows_a_file_failed_then_loaded_as_loaded_under_a_frozen_clock(settings, home):
    """files_by_status picked each file's latest attempt by started_at alone: under CANDOR_NOW (a test,
    a replay) every attempt has the same time, and a cut export loaded after raising the share showed failed."""
    frozen = settings.model_copy(update={"now": datetime(2026, 11, 2, tzinfo=timezone.utc)})
    full_export(home)
    write(home, "stackjobs", "2026-11-01.csv", "\n".join([HEADER, *GOOD]) + "\n")
    write(home, "stackjobs", "2026-11-02.csv", "\n".join([HEADER, GOOD[0]]) + "\n")
    with writer(frozen) as con:
        assert [f.status for f in ingest(con, frozen).files] == ["loaded", "failed"]
    config = home / "config" / "sources.yaml"  # the deletions are right: the file loads on the next run
    config.write_text(config.read_text().replace("full_export: true\n", "full_export: true\n    max_delete_share: 1\n"))
    with writer(frozen) as con:
        assert [f.status for f in ingest(con, frozen).files] == ["skipped", "loaded"]
        assert files_by_status(con) == [("stackjobs", "loaded", 2)]


def test_full_export_is_for_file_sources_of_candidates(home):
    from tasks.config import ConfigError
    from tasks.sources.registry import load_sources

    config = home / "config" / "sources.yaml"
    text = config.read_text()
    config.write_text(text.replace("    path: \"ats_status/*.csv\"\n", "    path: \"ats_status/*.csv\"\n    full_export: true\n"))
    with pytest.raises(ConfigError, match="full_export is for file sources of candidates .*, not ats_status"):
        load_sources(home / "config")


def test_format_is_for_referrals_and_ats_status_files(home):
    """`kind: csv` with `format: jsonl` was accepted and the files read as CSV (format ignored)."""
    from tasks.config import ConfigError
    from tasks.sources.registry import load_sources

    config = home / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("    kind: csv\n", "    kind: csv\n    format: jsonl\n", 1))
    with pytest.raises(ConfigError, match="sources.yaml:[0-9]+: sources.0: .*format is for referrals and ats_status"):
        load_sources(home / "config")


GREENHOUSE = ("  - name: gh\n    kind: greenhouse\n    channel: ats\n    base_url: https://harvest.greenhouse.io/v1\n"
              "    api_key_env: GH_KEY\n")


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("    kind: csv\n", "    kind: csv\n    per_page: 100\n", 1),
     "sources.0: .*per_page: only API sources .greenhouse, lever. read it; a csv source does not"),
    (lambda t: t + GREENHOUSE + "    path: \"gh/*.json\"\n    encoding: latin-1\n",
     "sources.[0-9]+: .*encoding, path: only file sources read them; a greenhouse source does not"),
    (lambda t: t.replace("    kind: csv\n", "    kind: jsonl\n", 1),
     "sources.0: .*delimiter is for CSV files; this source's files are jsonl"),
])
def test_a_key_the_source_kind_never_reads_is_an_error_not_ignored(home, change, message):
    """per_page on a CSV source, a path on an API source, a delimiter on JSON lines were accepted and ignored."""
    from tasks.config import ConfigError
    from tasks.sources.registry import load_sources

    config = home / "config" / "sources.yaml"
    config.write_text(change(config.read_text()))
    with pytest.raises(ConfigError, match=message):
        load_sources(home / "config")


def test_placeholder_values_are_missing_values_not_text_or_broken_rows(settings, home, caplog):
    caplog.set_level(logging.INFO)
    rows = ["P1,Ann,Lee,N/A,(415) 555-2671,n/a,-,none,US,N/A,--,N/A,N/A,J1,Eng,2026-01-01,N/A",
            "P2,Bob,N/A,bob@x.io,#N/A,SF,CA,94103,Unknown,Eng,Acme,,,J1,Eng,TBD,",
            "P3,Cy,Do,-,?,,,,,,,,,J1,Eng,,",
            "P4,None,Null,nil@x.io,,,,,,,,,,J1,Eng,,"]  # Null is a surname; None is read as missing
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *rows]) + "\n")
    write(home, "indeed", "i.jsonl", json.dumps({"id": "IN-1", "applicant": {
        "fullName": "Zoë Adams", "email": " n/a ", "phoneNumber": "415-555-2671"}, "job": {"jobLocation": "-"}}) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select email, phone, city from staging.candidate_records where source_name = 'indeed_apply'"
                           ).fetchall() == [(None, "+14155552671", None)]
        assert con.execute(
            "select source_record_id, email, phone, first_name, last_name, city, region, postal_code, country, "
            "current_title, current_company, linkedin_url, skills, applied_at, consent_email "
            "from staging.candidate_records where source_name = 'stackjobs' order by 1").fetchall() == [
            ("P1", None, "+14155552671", "Ann", "Lee", None, None, None, "US", None, None, None, None,
             con.execute("select '2026-01-01'::timestamptz").fetchone()[0], None),
            ("P2", "bob@x.io", None, "Bob", None, "SF", "CA", "94103", None, "Eng", "Acme", None, None, None, None),
            ("P4", "nil@x.io", None, None, "Null", None, None, None, None, None, None, None, None, None, None)]
        assert con.execute("select source_record_id, rule from staging.quarantine").fetchall() == [("P3", "contact_present")]
        # the raw payload keeps what the file said
        assert scalar(con, "select payload->>'email' from raw.source_records where source_record_id = 'P1'") == "N/A"
        run_checks(con)
    assert "a.csv: 4 row(s) hold placeholders (N/A, -, none, unknown …), read as missing values" in caplog.text


def test_a_nul_byte_in_a_row_quarantines_that_row_and_a_binary_file_still_fails(settings, home):
    text = "\n".join([HEADER, GOOD[0], GOOD[1].replace("Ann", "An\x00n"), GOOD[2]]) + "\n"
    write(home, "stackjobs", "a.csv", text + "\x00" * 40)  # a row, and padding a crashed writer left at the end
    write(home, "indeed", "i.jsonl", '{"id": "IN-1", "applicant": {"email": "a@x.io"}}\n'
                                     '{"id": "IN-2", "applicant": {"email": "b\x00@x.io"}}\n')
    write(home, "resumes", "cv.json", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4)  # a zip, misnamed
    with writer(settings) as con:
        report = ingest(con, settings)
        by_file = {Path(f.file).name: f for f in report.files}
        assert (by_file["a.csv"].status, by_file["a.csv"].rows_read, by_file["a.csv"].rows_staged) == ("loaded", 4, 2)
        assert con.execute("select row_number, rule, message from staging.quarantine where source_name = 'stackjobs' "
                           "order by 1").fetchall() == [(3, "malformed_row", "a NUL byte in the line (binary content)"),
                                                        (5, "malformed_row", "a NUL byte in the line (binary content)")]
        assert con.execute("select source_record_id from staging.candidate_records where source_name = 'stackjobs' "
                           "order by 1").fetchall() == [("SJ-1",), ("SJ-3",)]
        assert (by_file["i.jsonl"].status, by_file["i.jsonl"].rows_staged, by_file["i.jsonl"].rows_quarantined) == (
            "loaded", 1, 1)
        assert con.execute("select row_number, rule from staging.quarantine where source_name = 'indeed_apply'"
                           ).fetchall() == [(2, "malformed_json")]
        assert by_file["cv.json"].status == "failed" and "cv.json:1:1: a zip archive (an .xlsx workbook is one), not text" in by_file["cv.json"].error
        run_checks(con)


def test_an_address_typed_in_full_width_characters_is_the_ascii_address_it_spells(settings, home):
    rows = [GOOD[1].replace("ann@x.io", "ａｎｎ．ｌｅｅ＠ｅｘａｍｐｌｅ。ｃｏｍ"),
            GOOD[0].replace("SJ-1", "SJ-4").replace(" Jose.Nunez@Gmail.com ", "　Ｊｏｓｅ＠ｘ．ｉｏ　")]
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, email from staging.candidate_records order by 1").fetchall() == [
            ("SJ-2", "ann.lee@example.com"), ("SJ-4", "jose@x.io")]
        assert scalar(con, "select count(*) from staging.quarantine") == 0


def test_a_source_renamed_in_sources_yaml_is_named_in_a_warning_while_staging_still_holds_its_old_name(settings, home, caplog):
    # a rename (or a removal) was silent: the records staged under the old name stayed contactable, updated and
    # deleted by nothing, and the renamed source staged them all again (docs/operations.md, Renaming a source)
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
    config = home / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("- name: stackjobs", "- name: stack_jobs"))
    caplog.set_level(logging.WARNING, logger="tasks.ingest")
    with writer(settings) as con:
        ingest(con, settings, ["stack_jobs"])
    [warning] = [r.getMessage() for r in caplog.records if "stackjobs" in r.getMessage()]
    assert "staging holds 3 record(s) of source stackjobs, which sources.yaml no longer names" in warning
    caplog.clear()
    config.write_text(config.read_text().replace("- name: stack_jobs", "- name: stackjobs"))   # renamed back
    with writer(settings) as con:
        ingest(con, settings)
    assert [r.getMessage() for r in caplog.records if "no longer names" in r.getMessage()] == [
        "staging holds 3 record(s) of source stack_jobs, which sources.yaml no longer names: renamed or removed? "
        "They stay staged and contactable, updated and deleted by nothing; a renamed source says `renamed_from: "
        "stack_jobs` in sources.yaml (docs/operations.md, Renaming a source), a removed one is retired as "
        "docs/operations.md says (Removing a source)"]


def test_a_full_name_written_last_name_first_is_keyed_in_the_order_of_separate_name_fields(settings, home):
    """"Müller, Zoë" was keyed "muller zoe": never the exact name of Zoë Müller's other records (Splink
    took them for a nickname), and a rare full name among the comma writers, which weighed more."""
    write(home, "eurotalent", "e.csv",
          "Kandidat-ID;Name;E-Mail;Telefon;Ort;PLZ;Land;Position;Kenntnisse;Beworben am\n"
          "ET-1;Müller, Zoë;zm@web.de;;Köln;50667;Deutschland;;;2026-02-01\n"
          "ET-2;Dr. Müller, Zoë;zm2@web.de;;Köln;50667;Deutschland;;;2026-02-01\n"
          "ET-3;da Silva, Ana Maria;ams@web.de;;Köln;50667;Deutschland;;;2026-02-01\n"
          "ET-4;Dr. Berg;berg@berg.de;;Köln;50667;Deutschland;;;2026-02-01\n",
          encoding="latin-1")
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, "SJ-1,Zoë,Müller,zm3@x.io,,,,,,,,,,,,,"]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        keys = dict(con.execute("select source_record_id, full_name_key from staging.candidate_records").fetchall())
        assert keys == {"ET-1": "zoe muller", "ET-2": "zoe muller", "ET-3": "ana maria da silva", "ET-4": "berg",
                        "SJ-1": "zoe muller"}
        assert con.execute("select full_name, first_name, last_name from staging.candidate_records "
                           "where source_record_id = 'ET-3'").fetchall() == [("da Silva, Ana Maria", "Ana Maria", "da Silva")]


def rename_in_config(home: Path, *renames: tuple[str, str]) -> None:
    """Renames sources in the home's sources.yaml, each `- name: OLD` to `- name: NEW` with `renamed_from: OLD`."""
    config = home / "config" / "sources.yaml"
    text = config.read_text()
    for old, new in renames:  # through a placeholder: a swap renames each name once
        text = text.replace(f"  - name: {old}\n", f"  - name: @{new}\n    renamed_from: {old}\n", 1)
    config.write_text(text.replace("- name: @", "- name: "))


def source_rows(con) -> list[tuple]:
    """(table, source name, rows) for every table keyed by source name, and the record keys the identity tables hold."""
    tables = ("raw.source_records", "staging.candidate_records", "staging.stage_changes", "staging.quarantine",
              "staging.deleted_records", "meta.ingested_files", "meta.watermarks", "core.identity_links", "core.identity_keys")
    rows = [(t, *r) for t in tables for r in con.execute(f"select source_name, count(*) from {t} group by 1 order by 1").fetchall()]
    keys = con.execute("select split_part(k, ':', 1), count(*) from (select record_key as k from core.identity_links union all "
                       "select record_key from core.identity_keys union all select ats_person_id from core.identity_keys "
                       "union all select unnest([record_key_l, record_key_r]) from core.identity_edges) "
                       "where k is not null group by 1 order by 1").fetchall()
    return rows + [("record keys", *k) for k in keys]


def test_a_source_renamed_with_renamed_from_keeps_its_records_persons_files_quarantine_and_cursors(settings, home):
    """A rename made the source a new one: every record staged twice, files read again, cursors and
    quarantine left behind under the old name, records of the old name updated by nothing."""
    bad = GOOD[1].replace("SJ-2,Ann,Lee,ann@x.io", "SJ-4,No,Contact,")
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD, bad]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        con.execute("insert into meta.watermarks values ('stackjobs', 'watermark', '2026-11-01T00:00:00+00:00', now())")
        resolve(con, settings)
        persons = con.execute("select source_record_id, person_id from core.identity_links order by 1").fetchall()
        # the same export sent again is one more file, and nothing more
        before = [(t, n.replace("stackjobs", "stack_jobs"), c + (t == "meta.ingested_files")) for t, n, c in source_rows(con)]
        sources = con.execute("select person_id, sources from core.persons order by 1").fetchall()
    rename_in_config(home, ("stackjobs", "stack_jobs"))
    write(home, "stackjobs", "b.csv", "\n".join([HEADER, *GOOD, bad]) + "\n\n")  # the same export again
    with writer(settings) as con:
        ingest(con, settings)
        assert source_rows(con) == before  # nothing staged twice, nothing left under the old name
        assert con.execute("select source_name, value from meta.watermarks").fetchall() == [
            ("stack_jobs", "2026-11-01T00:00:00+00:00")]
        assert quarantine_by_rule(con) == [("stack_jobs", "contact_present", 1)]
        assert files_by_status(con) == [("stack_jobs", "loaded", 2)]
        result = resolve(con, settings)
        assert (result.records_scored, result.records_removed, result.persons_created) == (0, 0, 0)
        assert con.execute("select source_record_id, person_id from core.identity_links order by 1").fetchall() == persons
        assert con.execute("select person_id, sources from core.persons order by 1").fetchall() == [
            (p, ["stack_jobs"]) for p, s in sources]
        assert con.execute("select old_name, new_name from meta.source_renames").fetchall() == [("stackjobs", "stack_jobs")]
        run_checks(con)
        after = source_rows(con)
    with writer(settings) as con:  # a second run changes nothing
        ingest(con, settings)
        assert source_rows(con) == after
        assert scalar(con, "select count(*) from meta.source_renames") == 1


def test_a_record_deleted_before_its_source_was_renamed_comes_back_under_the_new_name_with_its_person(settings, home):
    from tasks.sources.api import apply_deletes
    from tasks.sources.registry import SourceConfig

    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        resolve(con, settings)
        persons = con.execute("select source_record_id, person_id from core.identity_links order by 1").fetchall()
        source = SourceConfig(name="stackjobs", kind="greenhouse", channel="ats", base_url="http://127.0.0.1:9", api_key_env="X")
        apply_deletes(con, source, [{"id": "SJ-1"}], "deleted", settings)
        assert resolve(con, settings).retired == 1
    rename_in_config(home, ("stackjobs", "stack_jobs"))
    write(home, "stackjobs", "b.csv", "\n".join([HEADER, GOOD[0]]) + "\n")  # José's record is back
    with writer(settings) as con:
        ingest(con, settings)
        result = resolve(con, settings)
        assert (result.revived, result.persons_created) == (1, 0)
        assert con.execute("select source_record_id, person_id from core.identity_links order by 1").fetchall() == persons
        assert scalar(con, "select count(*) from core.identity_gone_links") == 0
        run_checks(con)


def test_a_source_renamed_onto_a_retired_name_gives_its_new_records_no_person_of_the_retired_one(settings, home):
    """stackjobs is retired (its records deleted, their persons retired), and a feed ingested as jobs2 is
    later renamed to stackjobs: a record new under the name must not get the person id the retired
    source's record of the same id held (core.identity_gone_links: only a record coming back gets it)."""
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    config = home / "config" / "sources.yaml"
    original = config.read_text()
    entry = "  - name: stackjobs\n" + original.split("  - name: stackjobs\n", 1)[1].split("\n\n", 1)[0] + "\n\n"
    jobs2 = entry.replace("name: stackjobs", "name: jobs2").replace('"stackjobs/', '"jobs2/')
    with writer(settings) as con:
        ingest(con, settings)
        resolve(con, settings)
        retired = scalar(con, "select person_id from core.identity_links where source_record_id = 'SJ-2'")
    config.write_text(original.replace(entry, jobs2) + "retired: [stackjobs]\n")
    write(home, "jobs2", "a.csv", "\n".join([HEADER, "SJ-9,Zed,Quinn,zq@example.net,,,,,,,,,,,,,"]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        resolve(con, settings)
        assert scalar(con, "select count(*) from core.identity_gone_links where source_name = 'stackjobs'") == 3
    config.write_text(original.replace(entry, jobs2.replace("name: jobs2", "name: stackjobs\n    renamed_from: jobs2")))
    write(home, "jobs2", "b.csv", "\n".join([HEADER, "SJ-2,Una,Vale,una@example.net,,,,,,,,,,,,,"]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        result = resolve(con, settings)
        assert (result.revived, result.persons_created) == (0, 1)
        assert scalar(con, "select person_id from core.identity_links where record_key = 'stackjobs:SJ-2'") != retired
        assert scalar(con, "select count(*) from core.identity_gone_links") == 0
        run_checks(con)


def test_renames_back_swapped_or_onto_a_name_holding_data_and_overrides_naming_the_old_name(settings, home):
    config = home / "config" / "sources.yaml"
    stackjobs = config.read_text().split("  - name: stackjobs\n", 1)[1].split("\n\n", 1)[0]
    config.write_text(config.read_text() + "\n  - name: boardtwo\n" + stackjobs.replace("stackjobs/", "boardtwo/") + "\n")
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    write(home, "boardtwo", "a.csv", "\n".join([HEADER, GOOD[0].replace("SJ-1", "BT-1")]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        resolve(con, settings)
        persons = con.execute("select source_record_id, person_id from core.identity_links order by 1").fetchall()
        rows = source_rows(con)
    staged = "select source_name, count(*) from staging.candidate_records group by 1 order by 1"
    original = config.read_text()
    rename_in_config(home, ("stackjobs", "boardtwo"), ("boardtwo", "stackjobs"))  # swapped in one change
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute(staged).fetchall() == [("boardtwo", 3), ("stackjobs", 1)]
        assert scalar(con, "select source_name from staging.candidate_records where source_record_id = 'BT-1'") == "stackjobs"
        ingest(con, settings)  # the same sources.yaml again: swapped once, not back
        assert con.execute(staged).fetchall() == [("boardtwo", 3), ("stackjobs", 1)]
        assert resolve(con, settings).records_scored == 0
        run_checks(con)
    swapped = config.read_text()
    config.write_text(swapped.replace("    renamed_from: stackjobs\n", "").replace("    renamed_from: boardtwo\n", ""))
    with writer(settings) as con:  # renamed_from dropped once the swap is done: nothing changes
        ingest(con, settings)
        assert con.execute(staged).fetchall() == [("boardtwo", 3), ("stackjobs", 1)]
    rename_in_config(home, ("boardtwo", "stackjobs"), ("stackjobs", "boardtwo"))  # and swapped back
    with writer(settings) as con:
        ingest(con, settings)
        assert source_rows(con) == rows
        assert con.execute("select source_record_id, person_id from core.identity_links order by 1").fetchall() == persons
    config.write_text(original)
    with writer(settings) as con:
        ingest(con, settings)
    # renaming onto a name that holds data of its own: an error naming both, nothing renamed
    config.write_text(original.replace("  - name: boardtwo\n", "  - name: boardtwo\n    renamed_from: stackjobs\n")
                      .replace("  - name: stackjobs\n", "  - name: gone_board\n"))
    with writer(settings) as con, pytest.raises(ConfigError, match="cannot rename stackjobs to boardtwo: the warehouse "
                                                                   r"still holds boardtwo's own data \(2 record\(s\) staged, held back or linked, 1 file"):
        ingest(con, settings)
    with writer(settings) as con:
        assert source_rows(con) == rows
    # a source renamed while it is still configured, or renamed to two: errors naming file and line
    config.write_text(original.replace("  - name: boardtwo\n", "  - name: boardtwo\n    renamed_from: stackjobs\n"))
    with pytest.raises(ConfigError, match=r"sources.yaml:\d+: sources.7.renamed_from: stackjobs is still a source"):
        load_sources(settings.config_dir)
    rename_in_config(home, ("stackjobs", "stack_jobs"))
    with pytest.raises(ConfigError, match=r"sources.yaml:\d+: sources.0.renamed_from: stackjobs is renamed to two "
                                          r"sources \(stack_jobs, boardtwo\)"):
        load_sources(settings.config_dir)
    # a pair of identity_overrides.yaml naming the old name: an error naming file and line, before anything is renamed
    config.write_text(original)
    rename_in_config(home, ("stackjobs", "stack_jobs"))
    (home / "config" / "identity_overrides.yaml").write_text("must_link:\n  - [stackjobs:SJ-1, boardtwo:BT-1]\n")
    with writer(settings) as con, pytest.raises(ConfigError, match=r"identity_overrides.yaml:2: must_link.0: stackjobs:SJ-1 "
                                                                   "names source stackjobs, renamed to stack_jobs in "
                                                                   "sources.yaml: write stack_jobs:SJ-1"):
        ingest(con, settings)
    with pytest.raises(ConfigError, match="write stack_jobs:SJ-1"):
        check_config(settings)
    with writer(settings) as con:
        assert source_rows(con) == rows


def test_a_retired_source_leaves_nothing_held_or_counted_and_added_back_loads_its_files_again(settings, home):
    """Retired by hand (docs/operations.md: staging rows deleted), a source went on counting its files and
    quarantine in `candor status`, and added back under its name it skipped its files as loaded: no record came back."""
    bad = GOOD[1].replace("SJ-2,Ann,Lee,ann@x.io", "SJ-4,No,Contact,")
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD, bad]) + "\n")
    config = home / "config" / "sources.yaml"
    original = config.read_text()
    with writer(settings) as con:
        ingest(con, settings)
        resolve(con, settings)
        raw = scalar(con, "select count(*) from raw.source_records")
    entry = "  - name: stackjobs\n" + original.split("  - name: stackjobs\n", 1)[1].split("\n\n", 1)[0] + "\n\n"
    config.write_text(original.replace(entry, "") + "retired: [stackjobs]\n")
    for _ in range(2):  # the second run finds nothing left to retire
        with writer(settings) as con:
            ingest(con, settings)
            assert [t for t, n, c in source_rows(con) if n == "stackjobs" and t.startswith(("staging", "meta"))] == [
                "staging.quarantine", "staging.deleted_records"]  # quarantine keeps what it held, no longer held back
            assert (files_by_status(con), quarantine_by_rule(con)) == ([], [])
            assert scalar(con, "select count(*) from raw.source_records where op = 'delete'") == 4  # 3 staged, 1 held back
            result = resolve(con, settings)
            assert scalar(con, "select count(*) from core.identity_links") == 0
            run_checks(con)
    assert (result.records_removed, result.retired) == (0, 0)
    with pytest.raises(ConfigError, match=r"sources.yaml:\d+: retired: stackjobs is a source of sources.yaml"):
        config.write_text(original + "retired: [stackjobs]\n")
        load_sources(settings.config_dir)
    config.write_text(original)  # added back: its file is read again, its records staged and held back again
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select count(*) from staging.candidate_records").fetchone()[0] == 3
        assert quarantine_by_rule(con) == [("stackjobs", "contact_present", 1)]
        assert files_by_status(con) == [("stackjobs", "loaded", 1)]
        assert scalar(con, "select count(*) from raw.source_records") == raw + 4 + 4  # 4 delete rows, 4 listed again
        assert resolve(con, settings).records_total == 3
        run_checks(con)
    # renamed without renamed_from, a run stages every record twice; retiring the new name for one run, then
    # renaming, leaves each record staged once under the new name
    config.write_text(original.replace("- name: stackjobs\n", "- name: stack_jobs\n"))
    with writer(settings) as con:
        ingest(con, settings)
        assert scalar(con, "select count(*) from staging.candidate_records") == 6
        resolve(con, settings)
    config.write_text(original + "retired: [stack_jobs]\n")
    with writer(settings) as con:
        ingest(con, settings)
    rename_in_config(home, ("stackjobs", "stack_jobs"))
    config.write_text(config.read_text().replace("retired: [stack_jobs]\n", ""))
    # its links go with the next resolve: renamed onto before, the renamed records' links would go with them
    with writer(settings) as con, pytest.raises(ConfigError, match=r"still holds stack_jobs's own data \(3 record\(s\) "
                                                                   r"staged, held back or linked"):
        ingest(con, settings)
    with writer(settings) as con:
        resolve(con, settings)
        ingest(con, settings)
        assert con.execute("select source_name, count(*) from staging.candidate_records group by 1").fetchall() == [
            ("stack_jobs", 3)]
        assert quarantine_by_rule(con) == [("stack_jobs", "contact_present", 1)]
        resolve(con, settings)
        assert con.execute("select source_name, count(*) from core.identity_links group by 1").fetchall() == [
            ("stack_jobs", 3)]
        run_checks(con)


def test_an_address_at_an_internationalised_domain_is_staged_in_its_idna_form_and_links_its_ascii_spelling(settings, home):
    # anna@müller.de was quarantined as email_syntax, while anna@xn--mller-kva.de (the same mailbox, as mail
    # servers and most forms write it) was staged: one person's two applications could never link
    write(home, "stackjobs", "idn.csv", "\n".join([
        HEADER,
        "SJ-1,Anna,Müller,anna@müller.de,,,,,DE,,,,,,,,",
        "SJ-2,Anna,Müller,Anna@XN--MLLER-KVA.DE,,,,,DE,,,,,,,,",
        'SJ-3,Anna,Müller,"Anna <anna@MÜLLER.de>",,,,,DE,,,,,,,,',
        "SJ-4,Zoë,Lang,zoë@example.com,,,,,FR,,,,,,,,",  # a non-ASCII local part needs SMTPUTF8: still quarantined
        "SJ-5,Ivan,Petrov,ivan@пример.рф,,,,,RU,,,,,,,,",  # an internationalised top-level domain too
    ]) + "\n")
    write(home, "ats_status", "s.csv", "event_id,candidate_id,candidate_email,job_id,stage,changed_at\n"
                                       "E-1,,Anna@Müller.DE,J-1,Offer,2026-05-03\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, email from staging.candidate_records order by 1").fetchall() == [
            ("SJ-1", "anna@xn--mller-kva.de"), ("SJ-2", "anna@xn--mller-kva.de"), ("SJ-3", "anna@xn--mller-kva.de"),
            ("SJ-5", "ivan@xn--e1afmkfd.xn--p1ai")]
        assert con.execute("select source_record_id, rule from staging.quarantine").fetchall() == [("SJ-4", "email_syntax")]
        assert con.execute("select email from staging.stage_changes").fetchall() == [("anna@xn--mller-kva.de",)]
        resolve(con, settings)
        assert scalar(con, "select count(distinct person_id) from core.identity_links") == 2
        run_checks(con)


def test_two_sources_whose_paths_match_the_same_file_are_refused_before_anything_is_written(settings, home):
    """A second source whose glob also matched stackjobs' files staged each of their records twice, once
    under each name (two persons' worth of records for one person), without a word."""
    config = home / "config" / "sources.yaml"
    text = config.read_text()
    stackjobs = text[text.index("  - name: stackjobs\n"):text.index("  - name: eurotalent\n")]
    config.write_text(text + stackjobs.replace("name: stackjobs", "name: stackjobs_all").replace(
        '"stackjobs/*.csv"', '"**/*.csv"'))
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    line = next(i for i, row in enumerate(config.read_text().splitlines(), start=1) if row.strip() == 'path: "**/*.csv"')
    with writer(settings) as con:
        with pytest.raises(ConfigError, match=rf"sources.yaml:{line}: sources.7.path: .*stackjobs/a.csv is matched by "
                                              rf"stackjobs \(line 16\) too"):
            ingest(con, settings)
        assert counts(con) == (0, 0, 0)
    # a candidate source and an ats_status source reading one export (candidates and their stages) is no overlap
    config.write_text(text + stackjobs.replace("name: stackjobs", "name: stackjobs_all").replace(
        '"stackjobs/*.csv"', '"ats_status/*.csv"'))
    write(home, "ats_status", "s.csv", "\n".join([HEADER + ",event_id,candidate_id,candidate_email,stage,changed_at",
                                                  GOOD[1] + ",E-1,SJ-2,ann@x.io,Screen,2026-01-02"]) + "\n")
    with writer(settings) as con:
        assert sorted((f.source, f.status) for f in ingest(con, settings).files) == [
            ("ats_status", "loaded"), ("stackjobs", "loaded"), ("stackjobs_all", "loaded")]


def test_a_json_document_wrapping_its_records_in_an_object_fails_naming_the_list_not_one_quarantined_row(settings, home):
    """`{"results": [five resumes]}` was read as one record without an id: read 1, quarantined 1 (no
    record id, no contact), one bad row is under CANDOR_MIN_BAD_ROWS, so the run passed with exit 0 and
    the five candidates were in no count. A single record in its own file still loads."""
    resumes = [{"meta": {"id": f"CS-{i}"}, "basics": {"name": f"Ann Lee {i}", "email": f"c{i}@x.io"}} for i in range(1, 6)]
    write(home, "resumes", "a_wrapped.json", json.dumps({"results": resumes, "count": 5}))
    write(home, "resumes", "b_single.json", json.dumps(resumes[0]))
    with writer(settings) as con:
        report = ingest(con, settings)
        wrapped, single = report.files
        assert wrapped.status == "failed", (wrapped.rows_read, wrapped.rows_quarantined)
        assert "a_wrapped.json:1:1: " in wrapped.error and "'results' holds a list of 5 objects" in wrapped.error
        assert report.failures and wrapped.error in report.failures[0]
        assert (single.status, single.rows_staged) == ("loaded", 1)
        assert counts(con) == (1, 1, 0)
    write(home, "resumes", "a_wrapped.json", json.dumps(resumes))  # exported again as the array itself
    with writer(settings) as con:
        assert [(f.status, f.rows_staged) for f in ingest(con, settings).files] == [("loaded", 5), ("skipped", 0)]


def test_a_json_array_or_pretty_printed_json_dropped_for_a_jsonl_source_fails_saying_so(settings, home):
    """Each line of a JSON array (or of objects printed over several lines) was a quarantined row of its
    own: 5 records became `read 37, quarantined 37` of `Extra data` / `Expecting value`; an array on one
    line was one quarantined row, under CANDOR_MIN_BAD_ROWS, so the run passed. JSON Lines with a broken
    line still quarantine only that line."""
    records = [{"id": f"IN-{i}", "applicant": {"fullName": f"Ann Lee {i}", "email": f"a{i}@x.io"}} for i in range(1, 6)]
    write(home, "indeed", "a_array.jsonl", json.dumps(records, indent=2))
    write(home, "indeed", "b_one_line.jsonl", json.dumps(records[:2]) + "\n")
    write(home, "indeed", "c_pretty.jsonl", "\n".join(json.dumps(r, indent=2) for r in records[2:]) + "\n")
    write(home, "indeed", "d_lines.jsonl", "\n".join([json.dumps(records[0]), '{"id": "IN-9",', '[1, 2]', ""]))
    with writer(settings) as con:
        report = ingest(con, settings)
        by_name = {Path(f.file).name: f for f in report.files}
        for name in ("a_array.jsonl", "b_one_line.jsonl", "c_pretty.jsonl"):
            assert by_name[name].status == "failed", (name, by_name[name].rows_read, by_name[name].rows_quarantined)
            assert f"{name}:1:1: " in by_name[name].error and "not JSON Lines" in by_name[name].error
        assert "one JSON array of 5 objects over" in by_name["a_array.jsonl"].error
        assert "3 JSON values written over" in by_name["c_pretty.jsonl"].error
        lines = by_name["d_lines.jsonl"]
        assert (lines.status, lines.rows_read, lines.rows_staged, lines.rows_quarantined) == ("loaded", 3, 1, 2)
        assert len(report.failures) == 4


def test_a_field_over_the_limit_quarantines_its_row_in_both_csv_readers_not_the_whole_file(settings, home):
    """Python's csv reader (taken when a field spans lines) raised `field larger than field limit` on an
    11 MB field: the whole file failed and none of its good rows loaded, where DuckDB's reader
    quarantined only that row."""
    huge = "x" * (11 * 1024 * 1024)
    rows = [GOOD[1], GOOD[1].replace("SJ-2", "SJ-4").replace(",go,", f',"{huge}",'), GOOD[1].replace("SJ-2", "SJ-6")]
    write(home, "stackjobs", "fast.csv", "\n".join([HEADER, *rows]) + "\n")
    spanning = GOOD[1].replace("SJ-2", "SJ-5").replace(",Eng,", ',"Eng\nLead",', 1)
    write(home, "stackjobs", "exact.csv", "\n".join([HEADER, *(r.replace("SJ-", "EX-") for r in rows), spanning]) + "\n")
    with writer(settings) as con:
        by_file = {Path(f.file).name: (f.status, f.rows_read, f.rows_staged, f.rows_quarantined) for f in ingest(con, settings).files}
        assert by_file == {"exact.csv": ("loaded", 4, 3, 1), "fast.csv": ("loaded", 3, 2, 1)}
        exact = con.execute("select row_number, rule, left(value, 8), message from staging.quarantine "
                            "where file_path like '%exact.csv'").fetchall()
        assert exact == [(3, "malformed_row", "EX-4,Ann", "column 'skills' holds 11.0 MB, over the 10 MB a field may hold")]
        run_checks(con)


def test_an_email_of_only_blanks_or_dots_and_no_phone_is_quarantined_as_no_contact_not_staged(settings, home):
    """An email cell holding a tab, a zero-width space or a lone dot reads as no address (staging.email_address),
    but contact_present tested the cell as given: the row was staged with neither email nor phone."""
    rows = [GOOD[1].replace("ann@x.io", "\t").replace(",,LA,", ',"\t",LA,').replace("SJ-2", "T1"),
            GOOD[1].replace("ann@x.io", "\u200b").replace("SJ-2", "T2"),
            GOOD[1].replace("ann@x.io", ".").replace("SJ-2", "T3"),
            GOOD[1].replace("ann@x.io", ".").replace(",,LA,", ",(415) 555-2671,LA,").replace("SJ-2", "T4"),
            GOOD[1]]
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *rows]) + "\n")
    with writer(settings) as con:
        [f] = ingest(con, settings).files
        assert con.execute("select source_record_id, email, phone from staging.candidate_records order by 1").fetchall() == [
            ("SJ-2", "ann@x.io", None), ("T4", None, "+14155552671")]
        assert con.execute("select source_record_id, rule from staging.quarantine order by all").fetchall() == [
            ("T1", "phone_valid"), ("T2", "contact_present"), ("T3", "contact_present")]
        assert (f.rows_read, f.rows_staged, f.rows_quarantined) == (5, 2, 3)
        run_checks(con)


def test_a_symbolic_link_in_the_inbox_is_read_and_one_pointing_nowhere_fails_the_run_naming_it(settings, home):
    """A link whose target is gone (a share not mounted, an export moved) matched the glob but was no
    file: it was left out without a word, and the run passed with the export unread."""
    target = home / "exports" / "today.csv"
    target.parent.mkdir()
    target.write_text("\n".join([HEADER, GOOD[1]]) + "\n")
    (home / "inbox" / "stackjobs").mkdir(exist_ok=True)
    (home / "inbox" / "stackjobs" / "a_linked.csv").symlink_to(target)
    (home / "inbox" / "stackjobs" / "b_dangling.csv").symlink_to(home / "mnt" / "gone.csv")
    with writer(settings) as con:
        report = ingest(con, settings)
        by_name = {Path(f.file).name: f for f in report.files}
        assert (by_name["a_linked.csv"].status, by_name["a_linked.csv"].rows_staged) == ("loaded", 1)
        dangling = by_name.get("b_dangling.csv")
        assert dangling is not None and dangling.status == "failed"
        assert dangling.error == (f"{home}/inbox/stackjobs/b_dangling.csv: could not be read: a symbolic link to "
                                  f"{home}/mnt/gone.csv, which is not there")
        assert report.failures == [dangling.error]
        assert counts(con) == (1, 1, 0)


def test_status_no_longer_counts_the_cut_row_of_an_export_read_while_written_once_its_complete_version_loads(settings, home):
    """A file read while still being written has its last row cut off (malformed_row, no id); its complete
    version, same name, loads that record. `candor status` went on counting the cut row as a record
    quarantine holds back, for good: nothing could clear it."""
    text = "\n".join([HEADER, *GOOD]) + "\n"
    write(home, "stackjobs", "today.csv", text[:-12])
    write(home, "stackjobs", "other.csv", "\n".join([HEADER, GOOD[0].replace("SJ-1", "SJ-9")[:-12]]) + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert quarantine_by_rule(con) == [("stackjobs", "malformed_row", 2)]
    write(home, "stackjobs", "today.csv", text)
    with writer(settings) as con:
        assert [f.status for f in ingest(con, settings).files] == ["skipped", "loaded"]
        assert scalar(con, "select count(*) from staging.candidate_records") == 3
        assert scalar(con, "select count(*) from staging.quarantine") == 2  # kept, as the raw rows are
        assert quarantine_by_rule(con) == [("stackjobs", "malformed_row", 1)]  # other.csv's, not replaced
    write(home, "stackjobs", "today.csv", text[:-12] + "\n")  # cut again: its cut row is held back again
    with writer(settings) as con:
        ingest(con, settings)
        assert quarantine_by_rule(con) == [("stackjobs", "malformed_row", 2)]


def test_text_after_a_closing_quote_is_a_malformed_row_in_both_csv_readers(settings, home):
    """`"Eng" Lead` was quarantined by DuckDB's reader ('unquoted value') and staged as `Eng Lead` by
    Python's (taken when any field of the file spans lines): one row, two outcomes, by an unrelated row."""
    rows = [GOOD[1].replace("SJ-2", f"SJ-{i}").replace("ann@", f"ann{i}@") for i in range(1, 6)]
    rows[1] = rows[1].replace(",Eng,Y,", ',"Eng" Lead,Y,')                 # line 3: malformed
    rows[2] = rows[2].replace(",Eng,Y,", ',"Eng"  ,Y,')                    # blanks after the quote: both readers take it
    rows[3] = rows[3].replace(",Ann,Lee,", ',Dwayne "The Rock",Johnson,')  # a quote inside a field: literal
    spanning = GOOD[1].replace("SJ-2", "SJ-20").replace(",Eng,", ',"Eng\nLead",', 1)
    write(home, "stackjobs", "fast.csv", "\n".join([HEADER, *rows]) + "\n")
    write(home, "stackjobs", "slow.csv", "\n".join([HEADER, *(r.replace("SJ-", "EX-") for r in rows), spanning]) + "\n")
    # a header is read leniently, as before: an unmapped `"notes" x` is the column `notes x`
    write(home, "stackjobs", "z_header.csv", "\n".join([HEADER + ',"notes" x', spanning.replace("SJ-20", "H-1") + ",n"]) + "\n")
    with writer(settings) as con:
        by_file = {Path(f.file).name: (f.rows_read, f.rows_staged, f.rows_quarantined) for f in ingest(con, settings).files}
        assert by_file == {"fast.csv": (5, 4, 1), "slow.csv": (6, 5, 1), "z_header.csv": (1, 1, 0)}
        assert con.execute("select right(file_path, 8), row_number, rule from staging.quarantine order by 1").fetchall() == [
            ("fast.csv", 3, "malformed_row"), ("slow.csv", 3, "malformed_row")]
        assert con.execute("select source_record_id, first_name, current_title from staging.candidate_records "
                           "where source_record_id in ('SJ-3', 'EX-3', 'SJ-4', 'EX-4') order by 1").fetchall() == [
            ("EX-3", "Ann", "Eng"), ("EX-4", 'Dwayne "The Rock"', "Eng"), ("SJ-3", "Ann", "Eng"), ("SJ-4", 'Dwayne "The Rock"', "Eng")]
        run_checks(con)


def test_a_file_whose_name_is_not_utf8_loads_under_a_readable_name_and_the_run_goes_on(settings, home):
    """A name written in Latin-1 (`Bewerbungen_M\\xe4rz.csv`, from a zip made on Windows) reached DuckDB as a
    str with a lone surrogate: `cannot encode str as UTF-8` crashed the whole run with a traceback, and the
    files after it were not read."""
    folder = home / "inbox" / "stackjobs"
    folder.mkdir(exist_ok=True)
    (folder / "a.csv").write_text("\n".join([HEADER, GOOD[0]]) + "\n")
    with open(os.fsencode(folder) + b"/b_M\xe4rz.csv", "wb") as fh:
        fh.write(("\n".join([HEADER, GOOD[1]]) + "\n").encode())
    (folder / "c.csv").write_text("\n".join([HEADER, GOOD[2]]) + "\n")
    with writer(settings) as con:
        assert [(Path(f.file).name, f.status) for f in ingest(con, settings).files] == [
            ("a.csv", "loaded"), ("b_M\\xe4rz.csv", "loaded"), ("c.csv", "loaded")]
        assert scalar(con, "select file_path from staging.candidate_records where source_record_id = 'SJ-2'") == (
            f"{folder}/b_M\\xe4rz.csv")
        assert [f.status for f in ingest(con, settings).files] == ["skipped"] * 3
        assert counts(con) == (3, 3, 0)
        run_checks(con)


def test_a_row_shifted_by_an_unquoted_delimiter_is_malformed_in_both_readers_unless_every_row_ends_with_one(settings, home):
    """DuckDB's reader took a row with one field too many when that field was an empty last one: `go, sql`
    written without quotes, in a row whose last fields were empty, was staged shifted (skills `go`, job id
    `sql`), where Python's reader quarantined it (`expected 17 fields, found 18`). A file whose every row
    ends with a delimiter the header lacks is a style, and both readers take it."""
    shifted = "SJ-5,Ann,Lee,ann5@x.io,,LA,CA,90001,US,Eng,Acme,,go, sql,,,,"
    rows = [GOOD[1].replace("SJ-2", f"SJ-{i}").replace("ann@", f"ann{i}@") for i in range(1, 4)] + [shifted]
    spanning = GOOD[1].replace("SJ-2", "SJ-20").replace(",Eng,", ',"Eng\nLead",', 1)
    write(home, "stackjobs", "a_fast.csv", "\n".join([HEADER, *rows]) + "\n")
    write(home, "stackjobs", "b_slow.csv", "\n".join([HEADER, *(r.replace("SJ-", "EX-") for r in rows), spanning]) + "\n")
    style = [r.replace("SJ-", "ST-") + "," for r in rows[:3]]
    write(home, "stackjobs", "c_style.csv", "\n".join([HEADER, *style]) + "\n")
    write(home, "stackjobs", "d_style_slow.csv", "\n".join([HEADER, *(r.replace("ST-", "SS-") for r in style), spanning.replace("SJ-", "SS-") + ","]) + "\n")
    with writer(settings) as con:
        by_file = {Path(f.file).name: (f.rows_read, f.rows_staged, f.rows_quarantined) for f in ingest(con, settings).files}
        assert by_file == {"a_fast.csv": (4, 3, 1), "b_slow.csv": (5, 4, 1), "c_style.csv": (3, 3, 0), "d_style_slow.csv": (4, 4, 0)}
        assert con.execute("select right(file_path, 10), row_number, rule, message from staging.quarantine order by 1").fetchall() == [
            ("a_fast.csv", 5, "malformed_row", "expected 17 fields, found 18"),
            ("b_slow.csv", 5, "malformed_row", "expected 17 fields, found 18")]
        assert scalar(con, "select count(*) from staging.candidate_records where job_id = 'sql'") == 0
        run_checks(con)
    # a line of delimiters only, one more than the header has, is no row in either reader
    dots = "," * 17
    write(home, "stackjobs", "e_fast.csv", "\n".join([HEADER, rows[0].replace("SJ-", "E-"), dots]) + "\n")
    write(home, "stackjobs", "f_slow.csv", "\n".join([HEADER, rows[0].replace("SJ-", "F-"), dots, spanning.replace("SJ-", "F-")]) + "\n")
    with writer(settings) as con:
        by_file = {Path(f.file).name: (f.rows_read, f.rows_staged, f.rows_quarantined) for f in ingest(con, settings).files}
        assert (by_file["e_fast.csv"], by_file["f_slow.csv"]) == ((1, 1, 0), (2, 2, 0))


def test_status_counts_a_broken_line_that_every_nightly_export_sends_again_once(settings, home):
    """A line that could not be read (a ragged row, a JSONL line that is no JSON) has no id and no payload: it
    was counted once per file and line, so a nightly export repeating it counted one more held-back record
    every night. It counts once per content now, as a row without an id does."""
    ragged = GOOD[1].replace("SJ-2,", "SJ-2,extra,", 1) + ",x"
    for day in (1, 2, 3):
        write(home, "stackjobs", f"2026-11-0{day}.csv", "\n".join([HEADER, GOOD[0].replace("Engineer", f"Eng {day}"), ragged]) + "\n")
        write(home, "indeed", f"2026-11-0{day}.jsonl", '{"id": "IN-1", "applicant": {"email": "a@x.io"}}\n{not json\n'
                                                      + ('{"id": "IN-2"\n' if day == 3 else ""))
    with writer(settings) as con:
        ingest(con, settings)
        assert scalar(con, "select count(*) from staging.quarantine where rule like 'malformed%'") == 6
        assert quarantine_by_rule(con) == [("indeed_apply", "malformed_json", 2), ("stackjobs", "malformed_row", 1)]


def test_both_csv_readers_say_how_many_fields_a_ragged_row_has(settings, home):
    """DuckDB's reader said only `missing columns` / `too many columns` where Python's said `expected 17
    fields, found 14`: a cut-off export's last row gave no hint of where it stopped."""
    rows = [GOOD[1].replace("SJ-2", f"SJ-{i}") for i in range(1, 4)]
    rows[1] = rows[1].rsplit(",", 3)[0]            # 14 fields
    rows[2] = rows[2] + ",x,y"                     # 19 fields
    spanning = GOOD[1].replace("SJ-2", "SJ-20").replace(",Eng,", ',"Eng\nLead",', 1)
    write(home, "stackjobs", "a_fast.csv", "\n".join([HEADER, *rows]) + "\n")
    write(home, "stackjobs", "b_slow.csv", "\n".join([HEADER, *rows, spanning]).replace("SJ-", "EX-") + "\n")
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select right(file_path, 10), row_number, message from staging.quarantine order by 1, 2").fetchall() == [
            ("a_fast.csv", 3, "expected 17 fields, found 14"), ("a_fast.csv", 4, "expected 17 fields, found 19"),
            ("b_slow.csv", 3, "expected 17 fields, found 14"), ("b_slow.csv", 4, "expected 17 fields, found 19")]


def test_a_compressed_export_or_a_workbook_dropped_as_csv_fails_saying_what_it_is(settings, home):
    """A gzip export, or a workbook saved under .csv, failed as `binary content (NUL byte); not a text file`:
    no word of what the file was or what to do with it."""
    import gzip
    import zipfile

    text = "\n".join([HEADER, GOOD[1]]) + "\n"
    write(home, "stackjobs", "a.csv", gzip.compress(text.encode(), mtime=1_700_000_001))
    workbook = home / "inbox" / "stackjobs" / "b.csv"
    with zipfile.ZipFile(workbook, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    write(home, "indeed", "c.jsonl", gzip.compress(b'{"id": "IN-1", "applicant": {"email": "a@x.io"}}\n', mtime=1_700_000_001))
    with writer(settings) as con:
        errors = {Path(f.file).name: f.error for f in ingest(con, settings).files}
    assert errors["a.csv"].endswith("a.csv:1:1: gzip-compressed, not text: decompress it (gunzip) before it is dropped")
    assert errors["b.csv"].endswith("b.csv:1:1: a zip archive (an .xlsx workbook is one), not text: export the sheet as CSV")
    assert errors["c.jsonl"].endswith("c.jsonl:1:1: gzip-compressed, not text: decompress it (gunzip) before it is dropped")


def test_a_source_whose_folder_is_not_there_fails_the_run_and_one_whose_glob_matches_nothing_is_noted(settings, home, caplog):
    # `candor ingest` exited 0 without a word when a source's folder was not there (a typo in `path`, a share not
    # mounted) or its glob matched no file: the run summary did not even list the source
    import shutil

    from tasks.sources.registry import SourceConfig

    shutil.rmtree(home / "inbox" / "eurotalent", ignore_errors=True)
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *GOOD]) + "\n")
    yaml_path = home / "config" / "sources.yaml"
    line = yaml_path.read_text().splitlines().index('    path: "eurotalent/*.csv"') + 1
    with writer(settings) as con, caplog.at_level(logging.WARNING):
        report = ingest(con, settings)
        assert report.failures == [
            f"{yaml_path}:{line}: sources.1.path: source eurotalent reads {home}/inbox/eurotalent/*.csv, but "
            f"{home}/inbox/eurotalent is not there: a typo in `path`, a share not mounted, or a feed that has never "
            f"delivered (then create the folder); nothing of it was read"]
        rows = {row["source"]: row for row in report.summary_rows()}
        assert list(rows) == ["stackjobs", "eurotalent", "indeed_apply", "referrals", "ats_status", "ats_export", "career_site"]
        assert (rows["eurotalent"]["failed"], rows["eurotalent"]["note"]) == (1, f"no folder {home}/inbox/eurotalent")
        assert (rows["indeed_apply"]["failed"], rows["indeed_apply"]["note"]) == (0, f"no file matches {home}/inbox/indeed/*.jsonl")
        assert (rows["stackjobs"]["loaded"], rows["stackjobs"]["note"]) == (1, "")
        assert f"indeed_apply: no file matches {home}/inbox/indeed/*.jsonl ({yaml_path}:" in caplog.text
        # the folder back, still empty: a feed with nothing tonight is a note, no failure
        (home / "inbox" / "eurotalent").mkdir()
        again = ingest(con, settings)
        assert again.failures == [] and [r["note"] for r in again.summary_rows()][:2] == [
            "", f"no file matches {home}/inbox/eurotalent/*.csv"]
    # the folder a glob lists in: its steps up to the first wildcard, under the inbox or from the root
    def folder(path: str) -> Path:
        return SourceConfig(name="x", kind="csv", channel="job_board", path=path,
                            mapping={"source_record_id": "id"}).folder(home / "inbox")
    assert folder("a/b/*.csv") == home / "inbox" / "a" / "b"
    assert folder("**/*.csv") == home / "inbox"
    assert folder("/mnt/drop/2026-*/x.csv") == Path("/mnt/drop")


def test_a_file_named_with_glob_characters_is_read_as_itself(settings, home):
    """DuckDB's read_csv takes its path as a glob: `c[1].csv` was read as c1.csv, whose row (staged already, so
    counted as unchanged) stood in for the file's own: SJ-4 was lost without a word, its file 'loaded, 1 staged'.
    `a*.csv` and `q?.csv` read their neighbours too (the line count then sent them to the exact reader)."""
    files = {"c1.csv": "SJ-1", "c[1].csv": "SJ-4", "ab.csv": "SJ-5", "a*.csv": "SJ-6", "qq.csv": "SJ-7", "q?.csv": "SJ-8"}
    for name, rid in files.items():
        write(home, "stackjobs", name, "\n".join([HEADER, GOOD[1].replace("SJ-2", rid).replace("ann@", f"{rid}@")]) + "\n")
    with writer(settings) as con:
        report = ingest(con, settings)
        assert sorted((Path(f.file).name, f.status, f.rows_read, f.rows_staged) for f in report.files) == sorted(
            (name, "loaded", 1, 1) for name in files)
        assert dict(con.execute("select file_path, source_record_id from raw.source_records").fetchall()) == {
            str(home / "inbox" / "stackjobs" / name): rid for name, rid in files.items()}
        assert scalar(con, "select count(*) from staging.candidate_records") == len(files)
        run_checks(con)


def test_a_name_without_a_letter_is_staged_as_no_name_and_neither_names_a_person_nor_links_one(settings, home, caplog):
    """'@' and '0001-01-01' (a form filled with junk, a date in the name column) were staged as the name
    '@ 0001-01-01', and the golden record took the longest name its records had: Ann Lee's person was
    called '@ 0001-01-01', the name every message to her opens with."""
    rows = [GOOD[1].replace(",Ann,Lee,", ",@,0001-01-01,"),                                  # Ann Lee's address
            GOOD[1].replace("SJ-2", "SJ-4").replace(",Ann,Lee,", ",@,0001-01-01,").replace("ann@", "bo@"),
            GOOD[1].replace("SJ-2", "SJ-5").replace(",Ann,Lee,", ",...,Kim,").replace("ann@", "kim@")]
    write(home, "stackjobs", "a.csv", "\n".join([HEADER, *rows]) + "\n")
    write(home, "eurotalent", "e.csv", "Kandidat-ID;Name;E-Mail;Telefon;Ort;PLZ;Land;Position;Kenntnisse;Beworben am\n"
                                       "ET-1;Ann Lee;ann@x.io;;LA;;US;;;\nET-2;12345;cy@x.io;;LA;;US;;;\n"
                                       "ET-3;Dee 0001-01-01;dee@x.io;;LA;;US;;;\n", encoding="latin-1")
    with caplog.at_level("WARNING", logger="tasks.ingest"), writer(settings) as con:
        report = ingest(con, settings)
        assert [(f.rows_read, f.rows_staged) for f in report.files] == [(3, 3), (3, 3)]
        staged = con.execute("select source_record_id, first_name, last_name, full_name, first_name_key, last_name_key "
                             "from staging.candidate_records order by 1").fetchall()
        assert staged == [("ET-1", "Ann", "Lee", "Ann Lee", "ann", "lee"), ("ET-2", None, None, None, None, None),
                          ("ET-3", "Dee", None, "Dee 0001-01-01", "dee", None),
                          ("SJ-2", None, None, None, None, None), ("SJ-4", None, None, None, None, None),
                          ("SJ-5", None, "Kim", "Kim", None, "kim")]
        assert scalar(con, "select payload->>'first_name' from raw.source_records where source_record_id = 'SJ-2'") == "@"
        resolve(con, settings)
        persons = con.execute("select display_name, count(*) from core.persons p join core.identity_links l using (person_id) "
                              "group by person_id, display_name order by 1, 2").fetchall()
        assert persons == [("Ann Lee", 2), ("Dee", 1), ("Kim", 1), (None, 1), (None, 1)]
    assert [m for m in caplog.messages if "without a letter" in m] == [
        f"{home / 'inbox' / 'stackjobs' / 'a.csv'}: 3 row(s) hold a name without a letter (@, 0001-01-01, 12345 …): staged "
        "without that name (rule name_has_letter), matched on no name, the raw payload keeps it",
        f"{home / 'inbox' / 'eurotalent' / 'e.csv'}: 1 row(s) hold a name without a letter (@, 0001-01-01, 12345 …): staged "
        "without that name (rule name_has_letter), matched on no name, the raw payload keeps it"]


def test_a_line_in_another_encoding_in_a_utf8_file_is_quarantined_and_the_rest_loads(settings, home):
    """A UTF-8 export with one line appended in Latin-1 ('Jos\\xe9') failed as a whole, none of its candidates
    loaded, and the advice, `encoding: latin-1`, would read every UTF-8 line as mojibake (José as JosÃ©). The line
    is now quarantined naming byte and column; a file Latin-1 throughout still fails with the fix."""
    lines = [HEADER.encode(), GOOD[0].encode(), GOOD[1].replace("Ann", "Jos\xe9").encode("latin-1"), GOOD[2].encode()]
    write(home, "stackjobs", "mixed.csv", b"\r\n".join(lines) + b"\r\n")
    write(home, "stackjobs", "latin1.csv", b"\n".join([HEADER.encode(), GOOD[1].replace("Ann", "Jos\xe9").encode("latin-1")]))
    jsonl = ['{"id": "IN-1", "applicant": {"fullName": "Zoë Adams", "email": "zoe@x.io"}}'.encode(),
             '{"id": "IN-2", "applicant": {"fullName": "José Ruiz", "email": "jr@x.io"}}'.encode("latin-1")]
    write(home, "indeed", "i.jsonl", b"\n".join(jsonl) + b"\n")
    with writer(settings) as con:
        by_file = {Path(f.file).name: f for f in ingest(con, settings).files}
        assert [(f.status, f.rows_read, f.rows_staged, f.rows_quarantined) for f in (by_file["mixed.csv"], by_file["i.jsonl"])] == [
            ("loaded", 3, 2, 1), ("loaded", 2, 1, 1)]
        assert con.execute("select regexp_extract(file_path, '[^/]+$'), row_number, rule, value, message from staging.quarantine "
                           "order by 1").fetchall() == [
            ("i.jsonl", 2, "malformed_json", '{"id": "IN-2", "applicant": {"fullName": "Jos\ufffd Ruiz", "email": "jr@x.io"}}',
             "not valid utf-8 (byte 0xe9 at column 46) where the rest of the file is UTF-8: a line written in another "
             "encoding (Latin-1?)"),
            ("mixed.csv", 3, "malformed_row", GOOD[1].replace("Ann", "Jos\ufffd"),
             "not valid utf-8 (byte 0xe9 at column 9) where the rest of the file is UTF-8: a line written in another "
             "encoding (Latin-1?)")]
        assert con.execute("select source_record_id from staging.candidate_records order by 1").fetchall() == [
            ("IN-1",), ("SJ-1",), ("SJ-3",)]
        run_checks(con)
    assert by_file["latin1.csv"].status == "failed" and "latin1.csv:2:9: not valid utf-8 (byte 0xe9)" in by_file["latin1.csv"].error


def test_a_utf16_file_without_its_byte_order_mark_is_named_as_such(settings, home):
    """It failed as 'binary content (NUL byte); not a text file', which sent the operator after a corrupt file."""
    text = "\n".join([HEADER, GOOD[1]]) + "\n"
    write(home, "stackjobs", "le.csv", text.encode("utf-16-le"))
    write(home, "stackjobs", "be.csv", text.encode("utf-16-be"))
    write(home, "stackjobs", "bin.csv", HEADER.encode() + b"\n" + bytes(1000))  # a crashed writer's padding
    with writer(settings) as con:
        by_file = {Path(f.file).name: f.error for f in ingest(con, settings).files}
    fix = "without a byte-order mark, by its bytes (every other one is NUL): export it as UTF-8, or as UTF-16 with its byte-order mark"
    assert by_file["le.csv"].endswith(f"le.csv:1:1: UTF-16 (little-endian) {fix}, which is read as UTF-16")
    assert by_file["be.csv"].endswith(f"be.csv:1:1: UTF-16 (big-endian) {fix}, which is read as UTF-16")
    assert by_file["bin.csv"].endswith("bin.csv:2:1: binary content (NUL byte); not a text file")


def test_a_duplicate_header_name_fails_its_file_naming_both_columns_and_whether_it_is_mapped(settings, home):
    """The error said only "duplicate column name 'notes'": not which columns, nor why a column nothing reads
    fails the file (the raw payload keeps every column under its name), nor what to do."""
    write(home, "stackjobs", "mapped.csv", HEADER + ",first_name\n" + GOOD[1] + ",Bo\n")
    write(home, "stackjobs", "unmapped.csv", HEADER + ",notes,Notes\n" + GOOD[1] + ",x,y\n")
    with writer(settings) as con:
        by_file = {Path(f.file).name: f.error for f in ingest(con, settings).files}
    assert by_file["mapped.csv"].endswith(
        "mapped.csv:1:18: duplicate column name 'first_name': columns 2 and 18, mapped to first_name: which of the two "
        "holds it is unknown; rename or remove one in the export")
    assert by_file["unmapped.csv"].endswith(
        "unmapped.csv:1:19: duplicate column name 'Notes' (same as 'notes' but for case): columns 18 and 19, not mapped, "
        "but the raw payload keeps every column under its name; rename or remove one in the export")

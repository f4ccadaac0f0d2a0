"""Journey benchmark: 1,000,000 persons, 20 segments -> consent, stages, segments and membership history.

Persons, their source records and identity links, ATS stage changes and provider events are
synthesized straight into the warehouse with SQL (identity resolution is not measured here). Then
the three journey steps run as the segment flow runs them, and the segments run a second time
(nothing changes: the idempotent re-run), and a sender's may_contact for 1,000 persons. Target: the three steps together in <= 30 s.
The baseline is one plain DuckDB pass copying core.persons. Usage: python bench/segment.py [--persons N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks import PROJECT_ROOT  # noqa: E402
from tasks.journey.consent import may_contact, refresh_consent  # noqa: E402
from tasks.journey.pipeline import segments_step, stages_step  # noqa: E402
from tasks.settings import Settings  # noqa: E402
from tasks.warehouse import scalar, transaction, writer  # noqa: E402

TARGET_S = 30
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)

EXTRA_SEGMENTS = """
  python_people:
    skills: {any: [python]}
  cloud_all_three:
    skills: {all: [aws, docker, kubernetes]}
  remote_ok:
    tags: {any: [remote-ok]}
  managers_de:
    all: [{seniority: {in: [manager, director]}}, {country: {in: [DE]}}]
  bay_area:
    city: {in: [san francisco, oakland, palo alto]}
  from_job_boards:
    channel: {in: [job_board]}
  not_stackjobs:
    source: {not_in: [stackjobs]}
  rejected_recently:
    all: [{stage: {in: [rejected]}}, {where: "rejected_at > timestamptz '2026-08-01'"}]
  offer_stage_reached:
    furthest_stage: {in: [offered, hired]}
"""


def synthesize(con, persons: int) -> None:
    """Writes persons, records, links, ATS stage changes and provider events with set-based SQL."""
    con.execute("select setseed(0.42)")
    con.execute("""
        insert into core.persons (person_id, display_name, email, phone, phone_type, city, region, country,
                                  current_title, skills, tags, sources, channels, record_count, first_seen_at,
                                  last_seen_at, is_referred, updated_at)
        select i, 'Person ' || i, 'p' || i || '@example.com',
               if(i % 5 < 3, '+1415' || lpad((1000000 + i)::varchar, 7, '0'), null),
               if(i % 5 < 3, if(i % 17 = 0, 'fixed_line', 'mobile'), null),
               ['San Francisco', 'Berlin', 'London', 'Wien', 'New York', 'Oakland', 'München'][1 + i % 7],
               ['CA', 'Berlin', 'England', 'Wien', 'NY', 'CA', 'Bayern'][1 + i % 7],
               ['US', 'DE', 'GB', 'AT', 'US', 'US', 'DE'][1 + i % 7],
               ['Senior Software Engineer', 'Data Engineer', 'Engineering Manager', 'Junior Developer',
                'Staff Engineer', 'Tech Lead', 'Product Manager', 'Director of Engineering'][1 + i % 8],
               list_distinct([['python', 'sql', 'aws', 'docker', 'kubernetes', 'go', 'java', 'rust', 'spark',
                               'dbt', 'react', 'terraform'][1 + ((i * k) % 12)::int] for k in range(1, 2 + i % 5)]),
               if(i % 3 = 0, ['remote-ok'], ['senior', 'relocation']),
               [['stackjobs', 'eurotalent', 'indeed_apply', 'referrals', 'ats_export'][1 + i % 5]],
               [['job_board', 'job_board', 'job_board', 'referral', 'ats'][1 + i % 5]],
               1, timestamptz '2026-01-01' + to_minutes(i % 400000), timestamptz '2026-06-01',
               i % 5 = 3, timestamptz '2026-10-01'
        from range(1, ? + 1) t(i)
    """, [persons])
    con.execute("""
        insert into staging.candidate_records (source_name, source_record_id, source_kind, channel, batch_id,
                                               payload_sha256, staged_at, email, phone, applied_at, ats_person_id,
                                               consent_email, consent_sms, consent_email_at, consent_sms_at)
        select p.sources[1], 'R' || p.person_id, if(p.sources[1] = 'referrals', 'referrals', 'csv'), p.channels[1],
               'bench', 'sha', p.first_seen_at, p.email, p.phone, p.first_seen_at - interval 1 day,
               if(p.person_id % 10 < 3, 'A' || p.person_id, null),
               case p.person_id % 7 when 0 then false when 1 then true end,
               case p.person_id % 4 when 0 then true when 1 then false end,
               if(p.person_id % 7 < 2, p.first_seen_at - interval 1 day, null),   -- as ingest dates a first version
               if(p.person_id % 4 < 2, p.first_seen_at - interval 1 day, null)
        from core.persons p
    """)
    con.execute("""
        insert into core.identity_links (source_name, source_record_id, person_id, rule, score, linked_at)
        select source_name, source_record_id, substr(source_record_id, 2)::bigint, 'singleton', null, staged_at
        from staging.candidate_records
    """)
    # ATS: 30% apply; of those some reach interviews, offers, hires; rejections and withdrawals on the way.
    con.execute("""
        insert into staging.stage_changes (source_name, source_record_id, batch_id, payload_sha256, staged_at,
                                           ats_person_id, job_id, stage, changed_at)
        select 'ats_status', 'E' || person_id || '-' || n, 'bench', 'sha', t, 'A' || person_id, 'J-' || (person_id % 26),
               stage, t
        from (
            select person_id, n, stage, timestamptz '2026-02-01' + to_days(person_id % 200 + 5 * n) as t
            from (select person_id from core.persons where person_id % 10 < 3) p,
                 lateral (select unnest(range(1, 1 + 1 + (person_id * 7) % 5)) as n),
                 lateral (select ['Application Review', 'Phone Screen', 'Onsite', 'Offer', 'Hired'][n] as stage)
            union all
            select person_id, 9, if(person_id % 3 = 0, 'Withdrawn', 'Rejected'),
                   timestamptz '2026-02-01' + to_days(person_id % 200 + 40)
            from core.persons where person_id % 10 < 3 and (person_id * 7) % 5 between 1 and 3 and person_id % 11 < 6
        )
    """)
    con.execute("""
        insert into raw.provider_events (provider_event_id, provider, person_id, channel, address, event_kind,
                                         body, occurred_at, received_at)
        select 'ev' || person_id || '-' || kind, if(channel = 'sms', 'twilio', 'sendgrid'),
               if(channel = 'sms', null, person_id), channel, address, kind, body, t, t
        from (
            select person_id, 'email' as channel, email as address, 'delivered' as kind, null as body,
                   timestamptz '2026-09-01' + to_hours(person_id % 1500) as t
            from core.persons where person_id % 2 = 0
            union all
            select person_id, 'email', email, 'clicked', null, timestamptz '2026-09-02' + to_hours(person_id % 1400)
            from core.persons where person_id % 7 = 0
            union all
            select person_id, 'email', email, 'replied', 'interested', timestamptz '2026-09-03' + to_hours(person_id % 900)
            from core.persons where person_id % 20 = 0
            union all
            select person_id, 'email', email, 'unsubscribed', null, timestamptz '2026-09-04'
            from core.persons where person_id % 100 = 2
            union all
            select person_id, 'email', email, 'bounced_hard', null, timestamptz '2026-09-04'
            from core.persons where person_id % 200 = 4
            union all
            select person_id, 'sms', phone, 'inbound_sms', if(person_id % 3 = 0, 'STOP', 'sounds great'),
                   timestamptz '2026-09-05' + to_hours(person_id % 700)
            from core.persons where phone is not null and person_id % 50 = 1
        )
    """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="candor-bench-segment-"))
    try:
        shutil.copytree(PROJECT_ROOT / "data" / "config", home / "config")
        segments = (home / "config" / "segments.yaml").read_text().rstrip("\n") + "\n" + EXTRA_SEGMENTS
        (home / "config" / "segments.yaml").write_text(segments)
        (home / "config" / "do_not_contact.csv").write_text(
            "address\n" + "".join(f"p{i}@example.com\n" for i in range(5, args.persons, 997)))
        settings = Settings(home=home, now=NOW)
        with writer(settings) as con:
            started = time.perf_counter()
            synthesize(con, args.persons)
            print(f"synthesized {args.persons:,} persons in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            con.execute("create table bench_copy as select * from core.persons")
            baseline = time.perf_counter() - started

            figures, results = {}, {}
            for name, step in (("consent", refresh_consent), ("stages", stages_step), ("segments", segments_step)):
                started = time.perf_counter()
                with transaction(con):  # as the segment flow runs each step
                    results[name] = step(con, settings)
                figures[name] = time.perf_counter() - started
            started = time.perf_counter()
            with transaction(con):
                rerun = segments_step(con, settings)
            figures["segments re-run"] = time.perf_counter() - started
            started = time.perf_counter()
            decided = may_contact(con, list(range(1, args.persons + 1, args.persons // 1000 + 1)), "sms")
            figures["may_contact 1000"] = time.perf_counter() - started
            events = scalar(con, "select count(*) from core.stage_events")
            stays = scalar(con, "select count(*) from core.segment_memberships")

        total = figures["consent"] + figures["stages"] + figures["segments"]
        print(f"{len(results['segments'])} segments over {args.persons:,} persons; {events:,} stage events; "
              f"{stays:,} membership rows")
        for row in results["segments"]:
            print(f"  {row['segment']:<22} {row['size']:>9,}")
        for name, seconds in figures.items():
            print(f"{name:<16} {seconds:6.1f} s   {seconds / baseline:6.1f}x baseline")
        print(f"baseline: plain DuckDB copy of core.persons {baseline:.2f} s")
        print(f"journey total (consent + stages + segments): {total:.1f} s (target <= {TARGET_S} s) "
              f"{'OK' if total <= TARGET_S else 'OVER'}; re-run changed "
              f"{sum(r['entered'] + r['exited'] for r in rerun)} memberships; may_contact allowed "
              f"{sum(ok for ok, _ in decided.values())} of {len(decided)} for sms")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Local fake provider servers (loopback only) with fault injection, and realistic payloads."""


def warehouse_state(con) -> dict:
    """What an API load leaves behind; an uninterrupted and a resumed run must agree on all of it."""
    return {
        "raw": con.execute("select source_record_id, op, payload_sha256 from raw.source_records order by all").fetchall(),
        "staged": con.execute("select source_record_id, payload_sha256, email, phone from staging.candidate_records order by all").fetchall(),
        "stages": con.execute("select source_record_id, ats_person_id, stage, changed_at from staging.stage_changes order by all").fetchall(),
        "quarantine": con.execute("select source_record_id, rule from staging.quarantine order by all").fetchall(),
    }


def uninterrupted_state(tmp_path, configure, url: str) -> dict:
    """The warehouse state of one straight run (page size 10) into a fresh home, to compare a resumed run with."""
    import shutil

    from tasks import PROJECT_ROOT
    from tasks.ingest import ingest
    from tasks.warehouse import writer

    other = tmp_path / "other"
    shutil.copytree(PROJECT_ROOT / "data" / "config", other / "config")   # a new home starts with the project's config
    straight = configure(other, url, per_page=10)
    with writer(straight) as con:
        ingest(con, straight)
        return warehouse_state(con)


def ingest_through_stages(con, settings) -> None:
    """Ingest, identity resolution, consent and the journey stages, as a night runs them, on an open warehouse."""
    from tasks.identity.resolve import resolve
    from tasks.ingest import ingest
    from tasks.journey.consent import refresh_consent
    from tasks.journey.stages import build_stages, load_stage_map

    ingest(con, settings)
    resolve(con, settings)
    refresh_consent(con, settings)
    build_stages(con, load_stage_map(settings.config_dir))


def failure_of_a_garbled_lookup(home, configure, fake, now, unlist, caplog) -> str:
    """Two full scans (reconcile_every_h 0); `unlist()` between them stops listing a staged record, so the
    second asks the API for it by id, and gets fakes.server.GARBLED. Checks the garbled body reached neither
    the run's failure nor the log; returns the failure."""
    import logging
    from datetime import timedelta

    from tasks.ingest import ingest
    from tasks.warehouse import writer

    first = configure(home, fake.url, reconcile_every_h=0)
    with writer(first) as con:
        ingest(con, first)
    unlist()
    fake.garbled_lookups = True
    caplog.set_level(logging.INFO)
    second = configure(home, fake.url, now=now + timedelta(hours=1), reconcile_every_h=0)
    with writer(second) as con:
        [failure] = ingest(con, second).failures
    assert "Zelda" not in failure and "Zelda" not in caplog.text
    return failure

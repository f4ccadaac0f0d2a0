"""Renames sources in the warehouse as sources.yaml's `renamed_from` says, once, in one transaction, and
retires the sources its `retired` list names.

A source's name is part of its records' keys (`name:id`): raw, staging, quarantine, files, cursors,
identity links, match keys and edges. Ingest applies each pending rename before it reads any source,
under the warehouse lock, one UPDATE per table, so a renamed source keeps its records, persons, files,
cursors and quarantine instead of staging everything again under its new name. meta.source_renames
notes each rename applied: leaving `renamed_from` in sources.yaml changes nothing on later runs.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import duckdb

from tasks.clock import utcnow
from tasks.config import ConfigError, line_of, read_yaml
from tasks.identity.overrides import FILE_NAME as OVERRIDES_FILE
from tasks.identity.overrides import read_overrides
from tasks.settings import Settings
from tasks.sources.registry import SourceConfig
from tasks.staging import DELETED_COLUMNS
from tasks.warehouse import scalar, sql_text, transaction

log = logging.getLogger(__name__)

# tables with a source_name column
NAMED_TABLES = ("raw.source_records", "staging.candidate_records", "staging.stage_changes", "staging.quarantine",
                "staging.deleted_records", "meta.ingested_files", "meta.watermarks", "meta.api_seen_ids",
                "core.identity_links", "core.identity_keys", "core.identity_gone_links", "core.identity_record_moves")
# columns holding record keys `source_name:source_record_id` (an identity key's ATS id is `source_name:ats id`)
KEY_COLUMNS = {"core.identity_links": ("record_key",), "core.identity_keys": ("record_key", "ats_person_id"),
               "core.identity_gone_links": ("record_key",), "core.identity_record_moves": ("record_key",)}
# record key pairs stored least first
PAIR_TABLES = ("core.identity_edges", "meta.identity_overrides_applied")

_RENAMED = "map($old, $new)[{0}]"
_RENAMED_KEY = "coalesce(map($old, $new)[split_part({0}, ':', 1)] || substr({0}, strpos({0}, ':')), {0})"


def pending_renames(con: duckdb.DuckDBPyConnection, sources: list[SourceConfig]) -> list[tuple[str, str]]:
    """The (old, new) renames sources.yaml declares that the last ingest run's did not
    (meta.source_renames_declared): a rename left in sources.yaml is applied once."""
    return sorted({(s.renamed_from, s.name) for s in sources if s.renamed_from}
                  - set(con.execute("select old_name, new_name from meta.source_renames_declared").fetchall()),
                  key=lambda r: r[1])


def check_overrides_renamed(config_dir: Path, sources: list[SourceConfig]) -> None:
    """Raises ConfigError naming file and line for each identity_overrides.yaml record of a source sources.yaml
    renames (renamed_from) and no longer has: after the rename no record has that key."""
    names = {s.name for s in sources}
    gone = {s.renamed_from: s.name for s in sources if s.renamed_from and s.renamed_from not in names}
    path = config_dir / OVERRIDES_FILE
    if not gone or not path.exists():
        return
    overrides, (_, node) = read_overrides(config_dir), read_yaml(path)
    problems = [f"{path}:{line_of(node, (kind, i)) or 1}: {kind}.{i}: {key} names source {key.split(':')[0]}, "
                f"renamed to {gone[key.split(':')[0]]} in sources.yaml: write {gone[key.split(':')[0]]}:{key.split(':', 1)[1]}"
                for kind in ("must_link", "cannot_link") for i, pair in enumerate(getattr(overrides, kind))
                for key in pair if key.split(":")[0] in gone]
    if problems:
        raise ConfigError("\n".join(problems))


def apply_renames(con: duckdb.DuckDBPyConnection, sources: list[SourceConfig], config_dir: Path,
                  settings: Settings) -> list[tuple[str, str]]:
    """Applies the pending renames (pending_renames) to every table keyed by source name, in one transaction;
    returns them. A new name that still holds data of its own (not renamed away in the same change) is a
    ConfigError naming both, and nothing is renamed."""
    check_overrides_renamed(config_dir, sources)
    declared = [(s.renamed_from, s.name) for s in sources if s.renamed_from]
    with transaction(con):
        renames = pending_renames(con, sources)
        if set(declared) != set(con.execute("select old_name, new_name from meta.source_renames_declared").fetchall()):
            con.execute("delete from meta.source_renames_declared")
            con.execute("insert into meta.source_renames_declared select unnest($old::varchar[]), unnest($new::varchar[])",
                        {"old": [o for o, _ in declared], "new": [n for _, n in declared]})
        if not renames:
            return []
        params = {"old": [o for o, _ in renames], "new": [n for _, n in renames]}
        leaving = set(params["old"])
        holding = {n for (n,) in con.execute("select distinct source_name from meta.ingested_files where list_contains($old, source_name) "
                                              "union select distinct source_name from raw.source_records where list_contains($old, source_name)",
                                              {"old": params["old"]}).fetchall()}
        # a rename whose old name holds nothing (applied before, the key removed and written again) moves nothing
        for old, new in renames:
            if old not in holding:
                log.warning("sources.yaml renames %s to %s, but the warehouse holds nothing of %s: nothing to move "
                            "(misspelt, or renamed before)", old, new, old)
        taken = [(old, new, rows, files) for old, new in renames if new not in leaving and old in holding
                 for rows, files in [con.execute(
                     f"select (select count(*) from staging.candidate_records where source_name = $source) "
                     f"+ (select count(*) from staging.stage_changes where source_name = $source) "
                     f"+ (select count(*) from ({sql_text('staging/held_back_records')})) "
                     f"+ (select count(*) from core.identity_links where source_name = $source), "
                     f"(select count(*) from meta.ingested_files where source_name = $source) "
                     f"+ (select count(*) from meta.watermarks where source_name = $source)", {"source": new}).fetchone()]
                 if rows or files]
        if taken:  # raw keeps a retired source's rows (append-only): they are history, not data of its own
            raise ConfigError("\n".join(
                f"sources.yaml: cannot rename {old} to {new}: the warehouse still holds {new}'s own data ({rows} "
                f"record(s) staged, held back or linked, {files} file(s) and cursor(s)); retire {new} first (one "
                f"ingest with {old}'s entry as it was and `retired: [{new}]`, then `candor resolve`: docs/operations.md, "
                f"Removing a source), "
                f"or give {new} a renamed_from too if the two names are swapped" for old, new, rows, files in taken))
        seq = scalar(con, "select coalesce(max(seq), 0) + 1 from meta.source_renames")
        # a new name's own history (a source retired under it: raw versions and deletes, quarantine) is put under
        # another name first: its deletes would otherwise read as deletions of the renamed source's records
        targets = [new for old, new in renames if new not in leaving and old in holding]
        for table in ("raw.source_records", "staging.quarantine"):
            con.execute(f"update {table} set source_name = source_name || ' (retired before rename ' || $seq || ')' "
                        f"where list_contains($targets, source_name)", {"targets": targets, "seq": seq})
        # and the persons its deleted records held are not given to the renamed source's new records, nor
        # their moves taken as those of the renamed source's records (core.person_successors)
        for table in ("core.identity_gone_links", "core.identity_record_moves"):
            con.execute(f"delete from {table} where list_contains($targets, source_name)", {"targets": targets})
        records = dict(con.execute("select source_name, count(*) from staging.candidate_records "
                                   "where list_contains($old, source_name) group by all", {"old": params["old"]}).fetchall())
        for table in NAMED_TABLES:
            keys = "".join(f", {c} = {_RENAMED_KEY.format(c)}" for c in KEY_COLUMNS.get(table, ()))
            con.execute(f"update {table} set source_name = {_RENAMED.format('source_name')}{keys} "
                        f"where list_contains($old, source_name)", params)
        for table in PAIR_TABLES:
            left, right = _RENAMED_KEY.format("record_key_l"), _RENAMED_KEY.format("record_key_r")
            con.execute(f"update {table} set record_key_l = least({left}, {right}), record_key_r = greatest({left}, {right}) "
                        f"where list_contains($old, split_part(record_key_l, ':', 1)) "
                        f"or list_contains($old, split_part(record_key_r, ':', 1))", params)
        con.execute("update core.persons set sources = list_sort(list_distinct("
                    "list_transform(sources, lambda s: coalesce(map($old, $new)[s], s)))) "
                    "where list_has_any(sources, $old)", params)
        con.execute("insert into meta.source_renames select ?, unnest(?::varchar[]), unnest(?::varchar[]), "
                    "unnest(?::bigint[]), ?", [seq, params["old"], params["new"],
                                               [records.get(o, 0) for o in params["old"]], utcnow(settings)])
    for old, new in renames:
        log.info("source %s renamed to %s: its %d staged record(s), files, cursors, quarantine and identity links "
                 "go by the new name", old, new, records.get(old, 0))
    return renames


def retire_sources(con: duckdb.DuckDBPyConnection, names: list[str], settings: Settings) -> dict[str, int]:
    """Deletes what the warehouse still holds of the sources sources.yaml retires, in one transaction; returns
    the staged records deleted per source. Each staged record and stage row, and each record quarantine holds
    back, gets a raw op='delete' row (payload {"id", "source_retired": true}); staged records go through
    staging.deleted_records, so the next resolve takes them out of their persons; the source's files, cursors and
    seen ids are forgotten, so a source added back under the name reads its files (or its API) again."""
    if not names:
        return {}
    params = {"names": names}
    with transaction(con):
        con.execute("""
            create or replace temp table retired_ids as
            select source_name, source_record_id from staging.candidate_records where list_contains($names, source_name)
            union
            select source_name, source_record_id from staging.stage_changes where list_contains($names, source_name)
        """, params)
        for name in names:  # a source at a time (a retirement names a few), its held-back records at once
            con.execute(f"insert into retired_ids select $source, source_record_id from "
                        f"({sql_text('staging/held_back_records')}) except select * from retired_ids", {"source": name})
        if not scalar(con, "select count(*) from retired_ids") and not scalar(
                con, "select (select count(*) from meta.ingested_files where list_contains($names, source_name)) "
                     "+ (select count(*) from meta.watermarks where list_contains($names, source_name))", params):
            return {}
        con.execute("""
            insert into raw.source_records
                (source_name, source_record_id, op, payload, payload_sha256, file_path, row_number, batch_id, ingested_at)
            select source_name, source_record_id, 'delete', payload::json, sha256(payload), 'sources.yaml (retired)', null,
                   $batch, $now
            from (select *, json_object('id', source_record_id, 'source_retired', true)::varchar as payload from retired_ids)
        """, {"batch": str(uuid.uuid4()), "now": utcnow(settings)})
        con.execute(f"insert into staging.deleted_records ({DELETED_COLUMNS}, deleted_at) "
                    f"select {DELETED_COLUMNS}, $now from staging.candidate_records "
                    "where list_contains($names, source_name)", {**params, "now": utcnow(settings)})
        staged = dict(con.execute("select source_name, count(*) from staging.candidate_records "
                                  "where list_contains($names, source_name) group by all", params).fetchall())
        for table in ("staging.candidate_records", "staging.stage_changes", "meta.ingested_files", "meta.watermarks",
                      "meta.api_seen_ids"):
            con.execute(f"delete from {table} where list_contains($names, source_name)", params)
    for name in names:
        log.info("source %s retired: its %d staged record(s) deleted (the next resolve takes them out of their persons), "
                 "its stage rows and held-back records too; its files and cursors forgotten", name, staged.get(name, 0))
    return staged

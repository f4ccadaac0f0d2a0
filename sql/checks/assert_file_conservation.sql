-- Every loaded file: rows read = rows staged + rows quarantined (distinct rows), and the
-- quarantine table really holds the rows the load recorded (all but those quarantined before with
-- the same payload under the same rules, migration 040). Returns offending batches.
with quarantined as (
    select batch_id, count(distinct row_number) as n
    from staging.quarantine
    group by batch_id
)
select f.source_name, f.file_path, f.batch_id, f.rows_read, f.rows_staged, f.rows_quarantined, q.n
from meta.ingested_files as f
left join quarantined as q using (batch_id)
where f.status = 'loaded'
  and (f.rows_read <> f.rows_staged + f.rows_quarantined
       or coalesce(q.n, 0) <> f.rows_quarantined - coalesce(f.rows_quarantined_before, 0))

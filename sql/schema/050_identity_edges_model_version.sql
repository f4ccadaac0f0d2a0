-- A Splink edge names the model version that scored it (null for the rule and override edges), so
-- `candor explain` says which model its weights come from after a --train or --use-model. Edges
-- stored before take the version of the run that made them, where one run alone started when the
-- edge was made (a run stamps its edges with its start time); otherwise they stay null.
alter table core.identity_edges add column model_version integer;
update core.identity_edges as e set model_version = r.model_version
from (select started_at, any_value(model_version) as model_version from meta.identity_runs
      group by started_at having count(*) = 1) as r
where e.rule = 'splink' and r.started_at = e.created_at;

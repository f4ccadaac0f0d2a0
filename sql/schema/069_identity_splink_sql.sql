-- The SQL Splink generates to score a run's records (tasks/identity/resolve.py _splink_predictions), kept so
-- that later runs execute it instead of generating it again (0.2 s of Python a run). One row per step of one
-- prediction; cache_key is a hash of everything the SQL is made from (the model but its prior, the blocking
-- rules, the threshold, the kind of run, the input tables' columns and types, Splink's and sqlglot's
-- versions); the prior, which changes with the warehouse's size, is the parameter $prior_weight.
-- Safe to empty: the next run generates and stores it again.
create table if not exists meta.identity_splink_sql (
    cache_key   varchar not null,
    step        integer not null,   -- executed in this order, each into its table
    table_name  varchar not null,   -- the temp table the step creates (the last one: the predictions)
    sql         varchar not null
);

-- core.identity_keys keeps, beside the match keys, a 64-bit hash of the keys of each blocking rule that
-- compares two or more columns (tasks/identity/model.py BLOCKING_KEYS), and of the phone and LinkedIn URL;
-- null where a key is missing, as the rule then pairs nothing. An incremental run finds the records that can
-- pair with its new ones by one semi join per identifier and rule (sql/core/identity_neighbours.sql): DuckDB
-- builds a Bloom filter of the new records' values and applies it inside the scan of the key table, so the
-- wide columns are read only for the ~10% of records that pass. It does so for a join on one column, and
-- for strings that share a prefix (+1..., https://...) it picks a range filter that passes nearly all: those
-- join on these hashes. At 1M records the neighbour scan took 0.17 s instead of 0.29 s (docs/identity.md).
-- core.identity_key_hashes() is the one definition: sql/core/identity_keys.sql stores its values and the
-- neighbour scan computes the new records' with it. The columns start empty: a resolve run hashes every
-- record's keys when the stored values are not what this DuckDB's hash() gives, which is so on the first
-- run after this migration and after an upgrade of DuckDB that changes hash() (tasks/identity/resolve.py
-- hash_match_keys; a 1M warehouse: about 1 s).
create or replace macro core.identity_key_hashes(phone, linkedin_url, first_name_key, first_name_canon, last_name_key,
                                                 city_key, postal_key, company_key, email_org) as
    struct_pack(
        hash_phone := case when phone is not null then hash(phone) end,
        hash_linkedin := case when linkedin_url is not null then hash(linkedin_url) end,
        hash_name := case when first_name_canon is not null and last_name_key is not null
                          then hash(first_name_canon, last_name_key) end,
        hash_name_city := case when first_name_canon is not null and last_name_key is not null and city_key is not null
                               then hash(first_name_canon, last_name_key, city_key) end,
        hash_first_last := case when first_name_key is not null and last_name_key is not null
                                then hash(first_name_key, last_name_key) end,
        hash_first_postal := case when first_name_key is not null and postal_key is not null
                                  then hash(first_name_key, postal_key) end,
        hash_last_postal := case when last_name_key is not null and postal_key is not null
                                 then hash(last_name_key, postal_key) end,
        hash_first_company := case when first_name_key is not null and company_key is not null
                                   then hash(first_name_key, company_key) end,
        hash_last_company := case when last_name_key is not null and company_key is not null
                                  then hash(last_name_key, company_key) end,
        hash_last_org := case when last_name_key is not null and email_org is not null
                              then hash(last_name_key, email_org) end
    );
alter table core.identity_keys add column hash_phone ubigint;
alter table core.identity_keys add column hash_linkedin ubigint;
alter table core.identity_keys add column hash_name ubigint;
alter table core.identity_keys add column hash_name_city ubigint;
alter table core.identity_keys add column hash_first_last ubigint;
alter table core.identity_keys add column hash_first_postal ubigint;
alter table core.identity_keys add column hash_last_postal ubigint;
alter table core.identity_keys add column hash_first_company ubigint;
alter table core.identity_keys add column hash_last_company ubigint;
alter table core.identity_keys add column hash_last_org ubigint;

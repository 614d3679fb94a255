
  
    

  create  table "postgres"."analytics"."stg_fortnox__load_runs__dbt_tmp"
  
  
    as
  
  (
    -- one row per recorded load (run_id): which company, by whom (`run` profile or `sie load`), when
with source as (
    select
        "run_id",
        "profile",
        "company_id",
        "started_at",
        "ended_at",
        "outcome"
    from "postgres"."fortnox_raw"."load_runs"
),

renamed as (
    select
        cast(run_id as varchar) as run_id,
        cast(profile as varchar) as profile,
        cast(company_id as varchar) as company_id,
        cast(started_at as timestamptz) as started_at,
        cast(ended_at as timestamptz) as ended_at,
        cast(outcome as varchar) as outcome
    from source
)

select * from renamed
  );
  
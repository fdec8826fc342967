{#-
  Each feed's outcome per UTC day, as landing recorded it in raw._landing_status: what a BI user needs to
  tell a gap in a chart (unavailable, failed) from a quiet day. One row per provider, dataset and day up to
  end_date; rebuilt in full each run (about 30 rows a day).
-#}
with

statuses as (

    select * from {{ source('raw', '_landing_status') }}
    where {{ window_filter('partition_date', none) }}

),

final as (

    select
        cast(partition_date as date) as date,
        cast(provider as string) as provider,
        cast(dataset as string) as dataset,
        cast(status as string) as status,
        -- landing records why a day failed or was skipped; the other statuses say it by themselves
        cast(case
            when error is not null then error
            when status = 'unavailable' then 'the provider does not serve this day (history limit)'
            when status = 'no_rows' then 'the provider answered with no rows for this day'
        end as string) as reason

    from statuses

)

select * from final

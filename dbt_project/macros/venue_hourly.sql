{#-
  venue_hourly_ctes(venue)
  The shared part of every venue branch of int_derivatives__venue_hourly. Expects two CTEs to exist:
    <venue>_open_interest (observed_at TIMESTAMP, oi_btc DOUBLE, oi_usd DOUBLE)   either OI column may be null
    <venue>_funding       (funding_time TIMESTAMP, funding_rate DOUBLE, funding_interval_hours INTEGER)
  and emits CTEs <venue>_oi_hourly, <venue>_funding_hourly, <venue>_spine and <venue> (the branch), with:
    - OI at the hour's start = the first observation with observed_at in [hour, hour + 1 h);
    - the funding rate in force = the last settlement at or before the hour start, carried forward
      (the carry limit is applied once, on the union);
    - a spine of every hour of every UTC day on which the venue has any observation, so gaps are nulls.
  Call it inside a `with` list, followed by a comma.
-#}
{% macro venue_hourly_ctes(venue) -%}
{{ venue }}_oi_hourly as (

    select
        date_trunc('hour', observed_at) as hour,
        {{ arg_min_of('oi_btc', 'observed_at') }} as oi_btc,
        {{ arg_min_of('oi_usd', 'observed_at') }} as oi_usd,
        min(observed_at) as oi_observed_at,
        count(*) as oi_observations

    from {{ venue }}_open_interest
    where oi_btc is not null or oi_usd is not null
    group by 1

),

{{ venue }}_funding_hourly as (

    -- a settlement applies from the first hour start at or after it
    select
        date_trunc('hour', funding_time)
            + case when funding_time > date_trunc('hour', funding_time) then interval 1 hour else interval 0 hour end
            as hour,
        {{ arg_max_of('funding_time', 'funding_time') }} as funding_time,
        {{ arg_max_of('funding_rate', 'funding_time') }} as funding_rate,
        {{ arg_max_of('funding_interval_hours', 'funding_time') }} as funding_interval_hours

    from {{ venue }}_funding
    where funding_rate is not null
    group by 1

),

{{ venue }}_spine as (

    select {{ series('first_day', 'last_day + interval 23 hour', 'interval 1 hour') }} as hour
    from (
        select
            cast(min(day) as timestamp) as first_day,
            cast(max(day) as timestamp) as last_day
        from (
            select cast(hour as date) as day from {{ venue }}_oi_hourly
            union all
            select cast(funding_time as date) from {{ venue }}_funding_hourly
        )
    )
    where first_day is not null

),

{{ venue }} as (

    select
        '{{ venue }}' as venue,
        spine.hour,
        oi.oi_btc,
        oi.oi_usd,
        oi.oi_observed_at,
        coalesce(oi.oi_observations, 0) as oi_observations,
        {{ last_non_null('funding.funding_time') }} over carry as funding_settled_at,
        {{ last_non_null('funding.funding_rate') }} over carry as funding_rate,
        {{ last_non_null('funding.funding_interval_hours') }} over carry as funding_interval_hours

    from {{ venue }}_spine as spine
    left join {{ venue }}_funding_hourly as funding on spine.hour = funding.hour
    left join {{ venue }}_oi_hourly as oi on spine.hour = oi.hour
    window carry as (order by spine.hour rows between unbounded preceding and current row)

)
{%- endmacro %}

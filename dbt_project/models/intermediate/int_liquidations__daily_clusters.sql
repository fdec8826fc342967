{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='date',
        on_schema_change='append_new_columns',
    )
}}
{#-
  The project's own liquidation-cluster estimate (mart.md, "Liquidation clusters"), per UTC day D, POINT IN
  TIME (only hours up to D 23:00 are read):
    1. entries: at every hour start h, the like-for-like hourly OI change (venues with an hourly OI observation
       at h and h - 1 h) is a position flow; an increase opens positions at the price at h (close of the
       kline before h), split long / short by the funding lean (long share 0.5 + 0.25 tanh(funding_8h /
       liq_long_share_funding_scale)), spread across leverage tiers (liq_leverage_tiers: leverage -> weight);
    2. liquidation price per tier: entry * (1 - 1/L + mm) for longs, entry * (1 + 1/L - mm) for shorts
       (mm = liq_maintenance_margin);
    3. retirement: a fall in OI at a later hour retires that share of every open position (proportional), and
       a position is gone once the price crossed its liquidation price (low <= long's, high >= short's) in any
       hourly kline from its entry to D 23:00; entries older than liq_cluster_lookback_days are dropped;
    4. what remains with a liquidation price within +-liq_cluster_band of D's close is the cluster; its share
       of the same venues' OI at D 23:00 makes it comparable across coverage, and the USD figure is that
       share of the day's crypto-native OI (venues without hourly OI, e.g. Deribit, are counted at the
       same density; on the '1d' grain below, of the all-exchange OI it was built on).
  OI grain (oi_grain): the venues' hourly OI on a day they give hourly like-for-like changes ('1h'); on any
  other day the all-exchange aggregate's day end ('1d': one entry a day at 23:00 from the change since the
  previous observed day end; the day's share is of the all-exchange OI, CME included). What the coarser grain
  changes: fewer, larger entry points (only the net daily change opens positions, all at one price, the
  23:00 close, rather than spread over the day's range); intraday build-ups flushed within the day are
  invisible (they leave no position behind); a fall in OI retires positions once a day; retirement by price
  still reads every hourly kline. A stale or missing aggregate day opens nothing and has no estimate (no OI to
  size it); the next observed day carries the change since the last one. 4-hourly OI is not landed (the
  CoinGlass connector asks for daily bars), so there is no '4h' grain.
  Whether a day's clusters are dense is judged against the estimate's own history, in
  int_liquidations__cluster_density. Where a CoinGlass heatmap was landed for D, its
  notional within the band is shown beside the estimate (it is a snapshot, so only for the days a run caught).
  Incremental over the run window, reading liq_cluster_lookback_days + 1 days before it.
-#}
{%- set lookback = var('liq_cluster_lookback_days') | int -%}
{%- set band = var('liq_cluster_band') -%}
{%- set mm = var('liq_maintenance_margin') -%}
{%- set tiers = var('liq_leverage_tiers') -%}
{%- set carry = var('oi_carry_forward_days') | int -%}

with

venue_oi as (

    select venue, hour, oi_btc
    from {{ ref('int_derivatives__venue_hourly') }}
    where {{ window_filter('hour', lookback + 1) }}
      and oi_btc is not null

),

venue_changes as (

    select
        hour,
        venue,
        oi_btc,
        lag(oi_btc) over (partition by venue order by hour) as prev_oi_btc,
        lag(hour) over (partition by venue order by hour) as prev_hour

    from venue_oi

),

-- like-for-like flow: only venues observed at both hour starts (a venue appearing is no flow)
flows as (

    select
        hour,
        {{ ordered_agg('sum', 'oi_btc - prev_oi_btc', 'venue', filter='prev_hour = hour - interval 1 hour') }} as d_oi_btc,
        {{ ordered_agg('sum', 'prev_oi_btc', 'venue', filter='prev_hour = hour - interval 1 hour') }} as prev_oi_btc,
        {{ ordered_agg('sum', 'oi_btc', 'venue') }} as oi_btc

    from venue_changes
    group by hour

),

klines as (

    select open_time as hour, high_usd, low_usd, close_usd
    from {{ ref('stg_binance__spot_klines') }}
    where symbol = 'BTCUSDT'
      and kline_interval = '1h'
      and {{ window_filter('open_time', lookback + 1) }}

),

-- days the venues give hourly like-for-like OI changes
hourly_days as (

    select distinct cast(hour as date) as day from flows where d_oi_btc is not null

),

-- the coarser grain: on a day without them (recorded history: no venue's own OI), the all-exchange aggregate's
-- day end (as int_derivatives__market_daily observed it: a stale day is none), in BTC at the day's close, gives
-- ONE flow, the change since the previous observed day end (at most oi_carry_forward_days + 1 days back, as
-- the OI index links), entered at the day's last hour (23:00) at the price then
aggregate_day_ends as (

    select m.date, m.oi_usd_all_exchanges / k.close_usd as oi_btc
    from {{ ref('int_derivatives__market_daily') }} as m
    inner join klines as k on k.hour = cast(m.date as timestamp) + interval 23 hour
    where {{ window_filter('m.date', lookback + 1) }} and m.oi_usd_all_exchanges is not null

),

aggregate_flows as (

    select
        cast(date as timestamp) + interval 23 hour as hour,
        case when {{ dbt.datediff('lag(date) over by_date', 'date', 'day') }} <= {{ carry + 1 }} then oi_btc - lag(oi_btc) over by_date end
            as d_oi_btc,
        case when {{ dbt.datediff('lag(date) over by_date', 'date', 'day') }} <= {{ carry + 1 }} then lag(oi_btc) over by_date end
            as prev_oi_btc,
        oi_btc

    from aggregate_day_ends
    window by_date as (order by date)

),

flows_by_grain as (

    select hour, d_oi_btc, prev_oi_btc, oi_btc, '1h' as oi_grain
    from flows where cast(hour as date) in (select day from hourly_days)
    union all
    select hour, d_oi_btc, prev_oi_btc, oi_btc, '1d' as oi_grain
    from aggregate_flows where cast(hour as date) not in (select day from hourly_days)

),

funding as (

    select hour, funding_8h_oi_weighted
    from {{ ref('int_derivatives__market_hourly') }}
    where {{ window_filter('hour', lookback + 1) }}

),

-- one row per hour start h: the kline starting at h (the path after an entry at h), the price at h (close of
-- the kline before), the positions opened at h and the log share of positions kept through the OI change at h
hourly as (

    select
        k.hour,
        cast(k.hour as date) as day,
        k.high_usd,
        k.low_usd,
        k.close_usd,
        lag(k.close_usd) over (order by k.hour) as entry_price_usd,
        greatest(coalesce(f.d_oi_btc, 0), 0) as opened_btc,
        ln(1 - least(greatest(coalesce(-f.d_oi_btc / nullif(f.prev_oi_btc, 0), 0), 0), 0.999999)) as log_kept,
        f.oi_btc,
        f.oi_grain,
        0.5 + 0.25 * tanh(coalesce(u.funding_8h_oi_weighted, 0) / {{ var('liq_long_share_funding_scale') }})
            as long_share

    from klines as k
    left join flows_by_grain as f on f.hour = k.hour
    left join funding as u on u.hour = k.hour

),

day_ends as (

    select
        day as date,
        max(hour) as last_hour,
        {{ arg_max_of('close_usd', 'hour') }} as close_usd,
        {{ arg_max_of('oi_btc', 'hour') }} filter (where oi_btc is not null) as oi_btc,
        {{ arg_max_of('oi_grain', 'hour') }} filter (where oi_btc is not null) as oi_grain,
        count(*) as kline_hours

    from hourly
    where {{ window_filter('day') }}
    group by day

),

-- every (day, entry hour) pair within the lookback, with the path from the entry to the day's last hour
pairs as (

    select
        d.date,
        d.close_usd,
        h.hour as entry_hour,
        h.entry_price_usd,
        h.opened_btc * h.entry_price_usd as opened_usd,
        h.long_share,
        min(h.low_usd) over after_entry as low_after,
        max(h.high_usd) over after_entry as high_after,
        coalesce(sum(h.log_kept) over later_hours, 0) as log_kept_after

    from day_ends as d
    inner join hourly as h
        on h.hour > d.last_hour - interval {{ lookback }} day
       and h.hour <= d.last_hour
    window
        after_entry as (partition by d.date order by h.hour desc rows between unbounded preceding and current row),
        later_hours as (partition by d.date order by h.hour desc rows between unbounded preceding and 1 preceding)

),

tiers as (

    {%- for leverage, weight in tiers.items() %}
    select cast({{ leverage }} as double) as leverage, cast({{ weight }} as double) as weight
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}

),

positions as (

    select
        p.date,
        p.close_usd,
        side.side,
        p.opened_usd * t.weight * exp(p.log_kept_after)
            * case side.side when 'long' then p.long_share else 1 - p.long_share end as remaining_usd,
        case side.side
            when 'long' then p.entry_price_usd * (1 - 1 / t.leverage + {{ mm }})
            else p.entry_price_usd * (1 + 1 / t.leverage - {{ mm }})
        end as liquidation_price_usd,
        p.low_after,
        p.high_after

    from pairs as p
    cross join tiers as t
    cross join (values ('long'), ('short')) as side (side)
    where p.opened_usd > 0

),

clusters as (

    select
        date,
        {{ ordered_agg('sum', 'remaining_usd', 'liquidation_price_usd', filter="side = 'long'") }} as long_usd,
        {{ ordered_agg('sum', 'remaining_usd', 'liquidation_price_usd', filter="side = 'short'") }} as short_usd

    from positions
    where liquidation_price_usd between close_usd * (1 - {{ band }}) and close_usd * (1 + {{ band }})
      and case side when 'long' then low_after > liquidation_price_usd else high_after < liquidation_price_usd end
    group by date

),

heatmap as (

    select
        partition_date as date,
        {{ arg_max_of('liquidation_usd_within_band', 'snapshot_ts') }} as heatmap_usd_within_band

    from (
        select
            partition_date,
            snapshot_ts,
            sum(liquidation_usd) filter (
                where price_usd between last_price_usd * (1 - {{ band }}) and last_price_usd * (1 + {{ band }})
            ) as liquidation_usd_within_band
        from {{ ref('stg_coinglass__liquidation_heatmap') }}
        where {{ window_filter('partition_date') }}
        group by 1, 2
    )
    group by 1

),

history as (

    select min(hour) as first_hour from hourly

),

final as (

    select
        cast(d.date as date) as date,
        cast(d.close_usd as double) as close_usd,
        -- rounded (to the micro-dollar, 1e-9 of OI): float sums in another order must not flip a comparison
        cast(round(coalesce(c.long_usd, 0), 6) as double) as cluster_long_usd,
        cast(round(coalesce(c.short_usd, 0), 6) as double) as cluster_short_usd,
        cast(d.oi_btc * d.close_usd as double) as estimate_oi_usd,
        cast(round((coalesce(c.long_usd, 0) + coalesce(c.short_usd, 0)) / nullif(d.oi_btc * d.close_usd, 0), 9)
            as double) as liq_cluster_share_of_oi,
        -- the estimate needs the full lookback of hourly OI and klines behind the day
        cast(d.kline_hours = 24 and d.oi_btc is not null
            and (select first_hour from history) <= d.last_hour - interval {{ lookback }} day + interval 1 hour as boolean)
            as estimate_ok,
        cast(h.heatmap_usd_within_band as double) as heatmap_usd_within_band,
        cast(d.oi_grain as string) as oi_grain

    from day_ends as d
    left join clusters as c on c.date = d.date
    left join heatmap as h on h.date = d.date

)

select * from final

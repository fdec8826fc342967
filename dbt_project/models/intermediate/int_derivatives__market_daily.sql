{#-
  Market-wide open interest per UTC day, POINT IN TIME (day D uses only rows up to D's end):
    - per venue the day-end OI (last hourly observation of the day; CME: the latest released CFTC report);
      where a crypto venue's own API cannot serve the day (Deribit before the latest day, OKX beyond its
      history limits, a failed feed) the aggregator's per-venue series (Coinalyze, day-end close) fills it,
      named in oi_venues_from_aggregator, so total OI covers the same venues on every day; a venue missing
      from both keeps its last observed value for up to oi_carry_forward_days days (oi_venues_carried);
    - crypto-native / CME / total sums of the venues present (these jump when a venue appears or vanishes);
    - oi_index_usd, a LIKE-FOR-LIKE chain-linked index: the day-over-day link is computed only over the venues
      present on both D-1 and D, so a venue appearing (OKX at its 180-day history limit, Deribit's recent days)
      or missing for a day moves the index by nothing; scaled to the first day's total;
    - where no crypto venue's own OI (nor the aggregator's per-venue series) exists for a day, observed or
      carried, total OI is CoinGlass's ALL-EXCHANGE aggregate (oi_source 'coinglass_all_exchanges'; CME alone,
      a sixth of the market, stands in only when the aggregate is absent too): it counts CME and venues the
      project does not land, so oi_usd_crypto_native stays null (unknown, not invented; oi_usd_cme shows CME's
      report where one is known). The index's link on a day no crypto venue links like for like is the
      aggregate's own day-over-day ratio (oi_link_source), so a switch between the venues and the aggregate is
      never read as a move in OI; with neither comparable on both days, CME's link, else 1;
    - a STALE provider day (the aggregate repeating the day before exactly: CoinGlass's daily export repeats
      2022-11-07 on 2022-11-08) is not an observation: the day carries the last observed value (oi_source
      '..._carried'), its link is 1, the next observed day links to the last observed one, and stale_sources
      names it; oi_usd_all_exchanges is the aggregate observed that day (null when absent or stale), the one
      reading of it the cross-check and the cluster estimate use;
    - data_completeness over the (venue, dataset) pairs expected that day; on a day whose total OI is the
      aggregate, the crypto venues' own OI is expected and absent ('crypto_venues' in venues_missing), and a
      stale aggregate day does not count the aggregate as present.
  Small (one row a day): rebuilt in full each run from all history up to end_date (no lower bound).
-#}
{%- set expected_days = var('completeness_expected_days') | int -%}
{%- set carry = var('oi_carry_forward_days') | int -%}

with

-- what each venue's own API served per day, and its day-end OI as the total counts it
venue_daily as (

    select * from {{ ref('int_derivatives__venue_daily') }}
    where {{ window_filter('date', none) }}

),

venue_oi as (

    select * from {{ ref('int_derivatives__venue_day_end_oi') }}
    where {{ window_filter('date', none) }}

),

spot as (

    select * from {{ ref('int_spot__daily') }}
    where {{ window_filter('date', none) }}

),

-- CoinGlass's all-exchange OI, the fallback where no venue is observed; a day equal to the day before it
-- exactly is stale (a provider forward-fill), not a day without change
aggregate_oi as (

    select
        date,
        oi_usd,
        coalesce(oi_usd = lag(oi_usd) over (order by date) and lag(date) over (order by date) = date - 1, false)
            as is_stale

    from {{ ref('stg_coinglass__oi_aggregated') }}
    where {{ window_filter('date', none) }} and oi_usd is not null

),

-- the aggregators' own datasets, for sources_present and completeness (a keyless live run has none); a
-- stale aggregate OI day is no observation
aggregator_presence as (

    select p.date, p.provider as venue, p.dataset, 1.0 as share
    from {{ ref('int_aggregators__daily_presence') }} as p
    left join aggregate_oi as a on a.date = p.date
    where {{ window_filter('p.date', none) }}
      and not (p.provider = 'coinglass' and p.dataset = 'oi_aggregated' and coalesce(a.is_stale, false))

),

venue_oi_linked as (

    select
        *,
        -- the same venue's OI observed on the previous calendar day (null when absent or carried that day)
        {{ value_days_ago('case when not is_carried then oi_usd end', 1, partition_by='venue') }} as oi_usd_prev_day

    from venue_oi

),

oi_daily as (

    select
        date,
        -- float sums in a fixed venue order (deterministic across full and windowed builds)
        {{ ordered_agg('sum', 'oi_usd', 'venue', filter='not is_cme') }} as oi_usd_crypto_native,
        {{ ordered_agg('sum', 'oi_usd', 'venue', filter='is_cme') }} as oi_usd_cme,
        {{ ordered_agg('sum', 'oi_usd', 'venue') }} as oi_usd_total,
        -- like-for-like link: venues observed on both days only (a carried value is no observation);
        -- 1 (no change) when none is
        coalesce(
            {{ ordered_agg('sum', 'oi_usd', 'venue', filter='oi_usd_prev_day is not null and not is_carried') }}
                / nullif({{ ordered_agg('sum', 'oi_usd_prev_day', 'venue',
                                        filter='oi_usd_prev_day is not null and not is_carried') }}, 0),
            1.0
        ) as oi_link,
        count(*) filter (where oi_usd_prev_day is not null and not is_carried) as oi_venues_linked,
        count(*) filter (where oi_usd_prev_day is not null and not is_carried and not is_cme)
            as oi_crypto_venues_linked,
        {{ list_to_string(sorted_list('venue'), "','") }} as oi_venues_present,
        {{ list_to_string(sorted_list('venue', filter='is_carried'), "','") }} as oi_venues_carried,
        {{ list_to_string(sorted_list('venue', filter='from_aggregator'), "','") }} as oi_venues_from_aggregator

    from venue_oi_linked
    group by date

),

funding_daily as (

    select
        date,
        {{ list_to_string(sorted_list('venue'), "','") }} as funding_venues_present

    from venue_daily
    where funding_hours > 0
    group by date

),

-- (venue, dataset) observations and the share of the day they cover
presence as (

    select date, venue, 'open_interest' as dataset, 1.0 as share from venue_oi where not is_carried
    union all
    select date, venue, 'funding', least(funding_fresh_hours / 24.0, 1.0)
    from venue_daily where funding_fresh_hours > 0
    union all
    select date, 'binance_spot', 'klines', least(kline_hours / 24.0, 1.0) from spot where kline_hours > 0
    union all
    select date, venue, dataset, share from aggregator_presence

),

all_days as (

    select date from presence
    union
    select date from oi_daily
    union
    select date from aggregate_oi

),

-- per day: the aggregate observed that day (stale days are none), and the last one observed before and up to it
aggregate_daily as (

    select
        d.date,
        a.oi_usd,
        coalesce(a.is_stale, false) as is_stale,
        {{ last_non_null('case when not a.is_stale then a.oi_usd end') }} over before_today as prev_oi_usd,
        {{ last_non_null('case when not a.is_stale then a.date end') }} over before_today as prev_date,
        {{ last_non_null('case when not a.is_stale then a.oi_usd end') }} over up_to_today as last_oi_usd,
        {{ last_non_null('case when not a.is_stale then a.date end') }} over up_to_today as last_date

    from all_days as d
    left join aggregate_oi as a on a.date = d.date
    window
        before_today as (order by d.date rows between unbounded preceding and 1 preceding),
        up_to_today as (order by d.date rows between unbounded preceding and current row)

),

-- which source gives today's total and link: the venues where the crypto venues observed or carried cover the
-- market (at least oi_venues_min_share_of_aggregate of the all-exchange aggregate, or no usable aggregate: one
-- small venue alone, as recorded history holds for Hyperliquid, is no market total), else the all-exchange
-- aggregate, CME alone (~15 % of the market) only when neither exists; the link likewise from the crypto venues
-- observed on both days, else the aggregate's own change since its last observed day, else CME's, else 1
{%- set venues_cover -%}
    o.oi_usd_crypto_native is not null and (a.oi_usd is null or a.is_stale
        or o.oi_usd_crypto_native >= {{ var('oi_venues_min_share_of_aggregate') }} * a.oi_usd)
{%- endset %}
oi_choice as (

    select
        d.date,
        case
            when {{ venues_cover }} then 'venues'
            when a.oi_usd is not null and not a.is_stale then 'coinglass_all_exchanges'
            when {{ dbt.datediff('a.last_date', 'd.date', 'day') }} <= {{ carry }} then 'coinglass_all_exchanges_carried'
            when o.oi_usd_total is not null then 'venues'
        end as oi_source,
        case
            when {{ venues_cover }} and o.oi_crypto_venues_linked > 0 then 'venues'
            when a.oi_usd is not null and not a.is_stale and {{ dbt.datediff('a.prev_date', 'd.date', 'day') }} <= {{ carry }} + 1
                then 'coinglass_all_exchanges'
            when o.oi_venues_linked > 0 then 'venues'
            else 'none'
        end as oi_link_source

    from all_days as d
    left join oi_daily as o on o.date = d.date
    left join aggregate_daily as a on a.date = d.date

),

oi_combined as (

    select
        c.date,
        -- the venues' part of a total they give; under the aggregate it is unknown (not a partial sum)
        case when c.oi_source = 'venues' then o.oi_usd_crypto_native end as oi_usd_crypto_native,
        o.oi_usd_cme,
        o.oi_venues_linked,
        o.oi_venues_present,
        o.oi_venues_carried,
        o.oi_venues_from_aggregator,
        case when not a.is_stale then a.oi_usd end as oi_usd_all_exchanges,
        c.oi_source,
        case c.oi_source
            when 'venues' then o.oi_usd_total
            when 'coinglass_all_exchanges' then a.oi_usd
            when 'coinglass_all_exchanges_carried' then a.last_oi_usd
        end as oi_usd_total,
        c.oi_link_source,
        case c.oi_link_source
            when 'venues' then o.oi_link
            when 'coinglass_all_exchanges' then a.oi_usd / nullif(a.prev_oi_usd, 0)
            else 1.0
        end as oi_link,
        case when a.is_stale then 'coinglass_oi' else '' end as stale_sources

    from oi_choice as c
    left join oi_daily as o on o.date = c.date
    left join aggregate_daily as a on a.date = c.date

),

oi_indexed as (

    select
        *,
        {{ first_non_null('oi_usd_total') }} over running
            * exp(sum(ln(greatest(oi_link, 1e-12))) over running - first_value(ln(greatest(oi_link, 1e-12))) over running)
            as oi_index_raw

    from oi_combined
    window running as (order by date rows between unbounded preceding and current row)

),

-- expected on day D: every (venue, dataset) with data on D or in the completeness_expected_days before it,
-- CME's weekly report on every day (a day whose report in force is unknown is incomplete), and on a day whose
-- total OI is the all-exchange aggregate the crypto venues' own OI (absent: the aggregate stands in for it at
-- a coarser grain, without the per-venue split)
expected as (

    select distinct d.date, p.venue, p.dataset
    from all_days as d
    inner join presence as p
        on p.date between d.date - {{ expected_days }} and d.date
    union
    select date, 'cme', 'open_interest' from all_days
    union
    select date, 'crypto_venues', 'open_interest' from oi_combined where oi_source like 'coinglass_all_exchanges%'

),

completeness as (

    select
        e.date,
        {{ ordered_agg('sum', 'coalesce(p.share, 0)', 'e.venue, e.dataset') }} as observations_present,
        count(*) as observations_expected,
        {{ sorted_list('e.venue', filter='p.share is null', distinct=true) }} as missing,
        -- the sources of the venues present (Binance's spot klines count as Binance)
        {{ sorted_list("case when e.venue = 'binance_spot' then 'binance' else e.venue end",
                       filter='p.share is not null', distinct=true) }} as present_sources

    from expected as e
    left join presence as p
        on e.date = p.date and e.venue = p.venue and e.dataset = p.dataset
    group by e.date

),

final as (

    select
        cast(d.date as date) as date,
        cast(o.oi_usd_crypto_native as double) as oi_usd_crypto_native,
        cast(o.oi_usd_cme as double) as oi_usd_cme,
        cast(o.oi_usd_total as double) as oi_usd_total,
        cast(o.oi_usd_all_exchanges as double) as oi_usd_all_exchanges,
        -- unknown (null), not 1.0, while CME's report in force is unknown
        cast(case when o.oi_usd_cme is not null then o.oi_usd_crypto_native / nullif(o.oi_usd_total, 0) end
            as double) as crypto_native_share_of_oi,
        cast(o.oi_link as double) as oi_link,
        cast(o.oi_venues_linked as integer) as oi_venues_linked,
        cast(round(o.oi_index_raw, 6) as double) as oi_index_usd,
        cast(coalesce(o.oi_venues_present, '') as string) as oi_venues_present,
        cast(coalesce(o.oi_venues_carried, '') as string) as oi_venues_carried,
        cast(coalesce(o.oi_venues_from_aggregator, '') as string) as oi_venues_from_aggregator,
        cast(o.oi_source as string) as oi_source,
        cast(o.oi_link_source as string) as oi_link_source,
        cast(o.stale_sources as string) as stale_sources,
        cast(coalesce(f.funding_venues_present, '') as string) as funding_venues_present,
        cast(coalesce({{ list_to_string('c.present_sources', "','") }}, '') as string) as sources_present,
        cast(coalesce({{ list_to_string('c.missing', "','") }}, '') as string) as venues_missing,
        cast(c.observations_present as double) as observations_present,
        cast(c.observations_expected as integer) as observations_expected,
        cast(round(coalesce(c.observations_present / nullif(c.observations_expected, 0), 0), 6) as double)
            as data_completeness

    from all_days as d
    left join oi_indexed as o on d.date = o.date
    left join funding_daily as f on d.date = f.date
    left join completeness as c on d.date = c.date

)

select * from final

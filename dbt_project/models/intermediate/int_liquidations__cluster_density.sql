{#-
  Is a day's liquidation-cluster estimate dense? Judged against the estimate's OWN trailing distribution, as
  funding is judged against its own P90: dense on D when liq_cluster_share_of_oi is strictly above the
  liq_cluster_dense_percentile (P90) of the shares of the liq_cluster_dense_lookback_days days before D (D
  itself excluded), given at least liq_cluster_dense_min_history_days such days. A fixed share of OI cannot
  discriminate: the estimate's level depends on the OI grain and the era (real history at the '1d' grain sits
  near 2 %, the sample world's hourly grain near 5 %), so "above 5 % of OI" was true on 39 % of sample days and
  3.6 % of real ones. By construction the flag is up on about 1 day in 10 of a stationary history.
  Point in time: a day reads only the days before it. A table rebuilt in full from the incremental estimate
  (a few thousand rows): a rebuilt day is identical, so windowed runs agree with full ones.
-#}
{%- set lookback = var('liq_cluster_dense_lookback_days') | int -%}

with

estimates as (

    select * from {{ ref('int_liquidations__daily_clusters') }}

),

with_history as (

    select
        *,
        {{ percentile_disc_over('case when estimate_ok then liq_cluster_share_of_oi end',
                                var('liq_cluster_dense_percentile'), 'prior_days') }} as share_percentile_trailing,
        count(case when estimate_ok then liq_cluster_share_of_oi end) over prior_days as history_days

    from estimates
    window prior_days as (
        order by date range between interval {{ lookback }} day preceding and interval 1 day preceding
    )

)

select
    cast(date as date) as date,
    cast(liq_cluster_share_of_oi as double) as liq_cluster_share_of_oi,
    cast(estimate_ok as boolean) as estimate_ok,
    cast(oi_grain as string) as oi_grain,
    cast(heatmap_usd_within_band as double) as heatmap_usd_within_band,
    cast(share_percentile_trailing as double) as liq_cluster_share_p90_trailing,
    cast(history_days as integer) as liq_cluster_history_days,
    cast(case
        when estimate_ok and history_days >= {{ var('liq_cluster_dense_min_history_days') }}
            then liq_cluster_share_of_oi > share_percentile_trailing
    end as boolean) as liq_clusters_dense
from with_history

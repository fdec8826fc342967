{#-
  On-chain valuation and leverage per UTC day: MVRV (Glassnode, and CoinMetrics' CapMVRVCur as the free
  source and the cross-check), NUPL (Glassnode; else 1 - 1/MVRV from CoinMetrics, the same identity) and
  CryptoQuant's estimated leverage ratio (derivatives OI / exchange reserve), with CoinMetrics' price, supply
  and realized price (price / MVRV: CapRealUSD = CapMrktCurUSD / CapMVRVCur). mvrv_check_status compares the
  two MVRVs (macro agreement_status, relative tolerance mvrv_rel_tol): their market and realized caps differ
  slightly by method. Small: rebuilt in full each run.
-#}
with

glassnode_mvrv as (

    select date, mvrv from {{ ref('stg_glassnode__mvrv') }} where {{ window_filter('date', none) }}

),

glassnode_nupl as (

    select date, nupl from {{ ref('stg_glassnode__nupl') }} where {{ window_filter('date', none) }}

),

coinmetrics as (

    select date, price_usd, mvrv, supply_btc
    from {{ ref('stg_coinmetrics__asset_metrics') }}
    where {{ window_filter('date', none) }}

),

leverage as (

    select date, estimated_leverage_ratio
    from {{ ref('stg_cryptoquant__estimated_leverage_ratio') }}
    where {{ window_filter('date', none) }}

),

days as (

    select date from glassnode_mvrv
    union
    select date from glassnode_nupl
    union
    select date from coinmetrics
    union
    select date from leverage

),

joined as (

    select
        d.date,
        g.mvrv as mvrv_glassnode,
        c.mvrv as mvrv_coinmetrics,
        n.nupl as nupl_glassnode,
        c.price_usd,
        c.supply_btc,
        l.estimated_leverage_ratio

    from days as d
    left join glassnode_mvrv as g on g.date = d.date
    left join glassnode_nupl as n on n.date = d.date
    left join coinmetrics as c on c.date = d.date
    left join leverage as l on l.date = d.date

),

final as (

    select
        cast(date as date) as date,
        cast(coalesce(mvrv_glassnode, mvrv_coinmetrics) as double) as mvrv,
        cast(case when mvrv_glassnode is not null then 'glassnode'
                  when mvrv_coinmetrics is not null then 'coinmetrics' end as string) as mvrv_source,
        cast(mvrv_glassnode as double) as mvrv_glassnode,
        cast(mvrv_coinmetrics as double) as mvrv_coinmetrics,
        cast({{ agreement_status('mvrv_glassnode', 'mvrv_coinmetrics', 0, var('mvrv_rel_tol')) }} as string)
            as mvrv_check_status,
        cast(coalesce(nupl_glassnode, 1 - 1 / nullif(mvrv_coinmetrics, 0)) as double) as nupl,
        cast(case when nupl_glassnode is not null then 'glassnode'
                  when mvrv_coinmetrics is not null then 'coinmetrics' end as string) as nupl_source,
        cast(estimated_leverage_ratio as double) as estimated_leverage_ratio,
        cast(price_usd as double) as price_usd,
        cast(price_usd / nullif(mvrv_coinmetrics, 0) as double) as realized_price_usd,
        cast(supply_btc as double) as supply_btc

    from joined

)

select * from final

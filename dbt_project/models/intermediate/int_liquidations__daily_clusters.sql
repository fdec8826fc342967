{#-
  Placeholder, filled by the liquidation-cluster issue (mart.md, "Liquidation clusters"): estimated
  liquidation notional within +-liq_cluster_band of the close, per UTC day. It returns no rows for now, so
  the mart's liq_clusters_dense is null (not evaluated) on every day. Kept as a model, not a literal null in
  the mart, so the mart's scoring can be unit-tested with dense clusters present.
-#}
select
    cast(null as date) as date,
    cast(null as double) as liq_cluster_usd_within_band,
    cast(null as double) as liq_cluster_share_of_oi,
    cast(null as boolean) as liq_clusters_dense
where false

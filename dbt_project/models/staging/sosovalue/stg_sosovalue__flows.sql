{#- SoSoValue's daily totals are a daily series (one row per US trading day, USD): the shared staging. -#}
{{ stg_daily_series('sosovalue__flows', 'date', {
    'net_inflow_usd': 'total_net_inflow_usd',
    'value_traded_usd': 'total_value_traded_usd',
    'net_assets_usd': 'total_net_assets_usd',
    'cum_net_inflow_usd': 'cum_net_inflow_usd',
}) }}

{{ stg_daily_series('coinmetrics__asset_metrics', 'time', {
    'price_usd': 'price_usd',
    'mvrv': 'mvrv',
    'supply_btc': 'supply_btc',
    'supply_exchanges_btc': 'supply_exchanges_btc',
    'flow_in_exchanges_btc': 'flow_in_exchanges_btc',
    'flow_out_exchanges_btc': 'flow_out_exchanges_btc',
    'net_flow_exchanges_btc': 'flow_in_exchanges_btc - flow_out_exchanges_btc',
}) }}

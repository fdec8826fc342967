{{ stg_daily_series('glassnode__exchange_net_flow', 't', {'net_flow_btc': 'net_flow_btc'}) }}

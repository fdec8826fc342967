{{ stg_daily_series('glassnode__mvrv', 't', {'mvrv': 'mvrv'}) }}

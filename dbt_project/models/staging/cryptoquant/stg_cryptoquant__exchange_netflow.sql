{{ stg_daily_series('cryptoquant__exchange_netflow', 'date', {'netflow_btc': 'netflow_btc'}) }}

{{ stg_daily_series('glassnode__exchange_balance', 't', {'balance_btc': 'balance_btc'}) }}

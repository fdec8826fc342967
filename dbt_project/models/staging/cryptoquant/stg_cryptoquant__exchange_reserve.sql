{{ stg_daily_series('cryptoquant__exchange_reserve', 'date', {'reserve_btc': 'reserve_btc', 'reserve_usd': 'reserve_usd'}) }}

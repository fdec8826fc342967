{{ stg_daily_series('glassnode__nupl', 't', {'nupl': 'nupl'}) }}

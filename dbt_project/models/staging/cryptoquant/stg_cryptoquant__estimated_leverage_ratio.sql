{{ stg_daily_series('cryptoquant__estimated_leverage_ratio', 'date', {'estimated_leverage_ratio': 'estimated_leverage_ratio'}) }}

{{ stg_daily_series('defillama__stablecoin_supply', 'date', {
    'stablecoin_supply_usd': 'circulating_usd',
    'stablecoin_supply_units': 'circulating',
}) }}

{#-
  Which aggregator datasets (CoinGlass, Coinalyze) have data per UTC day: feeds sources_present and
  data_completeness in int_derivatives__market_daily. A keyless live run lands none, so they are never
  expected there and completeness is not lowered by a provider the user has no key for.
-#}
{%- set datasets = [
    ('coinglass', 'oi_aggregated', 'stg_coinglass__oi_aggregated'),
    ('coinglass', 'funding_oi_weighted', 'stg_coinglass__funding_oi_weighted'),
    ('coinglass', 'liquidations', 'stg_coinglass__liquidations'),
    ('coinalyze', 'open_interest', 'stg_coinalyze__open_interest'),
    ('coinalyze', 'funding', 'stg_coinalyze__funding'),
    ('coinalyze', 'liquidations', 'stg_coinalyze__liquidations'),
] -%}
{%- for provider, dataset, model in datasets %}
select distinct
    cast(date as date) as date,
    cast('{{ provider }}' as string) as provider,
    cast('{{ dataset }}' as string) as dataset
from {{ ref(model) }}
where {{ window_filter('date', none) }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}

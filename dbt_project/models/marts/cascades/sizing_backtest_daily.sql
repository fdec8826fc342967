{#-
  The sizing rule against constant size, day by day, for a leveraged BTC long (backtest_base_leverage, 2x:
  exposure as a multiple of equity, rebalanced daily).
  Timing, no look-ahead: day D's verdict (its position_size_multiplier, known at D's end) sets the exposure
  held through day D+1, which earns D+1's close-to-close return; the first day, and a day after a missing one,
  holds multiplier_default. Funding: a long pays the day's OI-weighted funding (funding_8h x 3 per day) on
  its exposure (receives it when negative). A change of size costs backtest_cost_per_change per unit of
  exposure changed. A day without a return (no close) is flat. Equity compounds from 1 and cannot go below 0
  (a daily loss beyond 100 % of equity is a liquidated account: it stays at ~0).
-#}
{%- set base = var('backtest_base_leverage') -%}

with

days as (

    select
        date,
        price_close_usd,
        return_1d,
        funding_8h_oi_weighted,
        position_size_multiplier,
        regime,
        {{ value_days_ago('position_size_multiplier', 1) }} as multiplier_set_yesterday
    from {{ ref('leverage_condition') }}

),

exposures as (

    select
        *,
        {{ base }} * coalesce(multiplier_set_yesterday, {{ var('multiplier_default') }}) as rule_exposure,
        cast({{ base }} as double) as constant_exposure,
        coalesce(return_1d, 0) as price_return,
        3 * coalesce(funding_8h_oi_weighted, 0) as funding_rate_1d
    from days

),

returns as (

    select
        *,
        abs(rule_exposure - coalesce(lag(rule_exposure) over (order by date), rule_exposure)) as exposure_change
    from exposures

),

daily as (

    select
        *,
        rule_exposure * (price_return - funding_rate_1d)
            - {{ var('backtest_cost_per_change') }} * exposure_change as rule_return,
        constant_exposure * (price_return - funding_rate_1d) as constant_return,
        rule_exposure * funding_rate_1d as rule_funding_paid,
        constant_exposure * funding_rate_1d as constant_funding_paid
    from returns

),

equity as (

    select
        *,
        exp(sum(ln(greatest(1 + rule_return, 1e-12))) over running) as rule_equity,
        exp(sum(ln(greatest(1 + constant_return, 1e-12))) over running) as constant_equity
    from daily
    window running as (order by date rows between unbounded preceding and current row)

)

select
    cast(date as date) as date,
    cast(price_close_usd as double) as price_close_usd,
    cast(return_1d as double) as return_1d,
    cast(funding_rate_1d as double) as funding_rate_1d,
    cast(position_size_multiplier as double) as position_size_multiplier,
    cast(regime as string) as regime,
    cast(rule_exposure as double) as rule_exposure,
    cast(constant_exposure as double) as constant_exposure,
    cast(exposure_change as double) as exposure_change,
    cast(rule_return as double) as rule_return,
    cast(constant_return as double) as constant_return,
    cast(rule_funding_paid as double) as rule_funding_paid,
    cast(constant_funding_paid as double) as constant_funding_paid,
    cast(rule_equity as double) as rule_equity,
    cast(constant_equity as double) as constant_equity,
    cast(rule_equity / greatest(max(rule_equity) over running, 1) - 1 as double) as rule_drawdown,
    cast(constant_equity / greatest(max(constant_equity) over running, 1) - 1 as double) as constant_drawdown
from equity
window running as (order by date rows between unbounded preceding and current row)

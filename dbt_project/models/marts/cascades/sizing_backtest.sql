{#-
  The sizing backtest's summary (sizing_backtest_daily): the rule against constant size over the whole span
  ('all'), each calendar year ('year') and each event's window of the cascade event study ('event': the
  event_window_days before its first day to the event_window_days after). Per period, for each book:
  compounded total return (and unlevered spot's, for scale), annualised return (days_per_year; periods of a
  year or more) and volatility, max drawdown within the period
  (from the period's start), worst day, funding paid; for the rule: days at reduced size, changes of size
  and their cost. The trade-off: return given up (constant's total return minus the rule's) against drawdown
  avoided (the rule's max drawdown minus constant's; positive when the rule's was shallower), in one line.
-#}
{%- set w = var('event_window_days') | int -%}
{%- set year = var('days_per_year') -%}

with

daily as (

    select * from {{ ref('sizing_backtest_daily') }}

),

periods as (

    select 'all' as period_kind, 'all' as period, min(date) as period_start, max(date) as period_end
    from daily
    union all
    select 'year', cast(year(date) as string), min(date), max(date)
    from daily
    group by year(date)
    union all
    select 'event', event_id || ' ' || event_kind, first_day - interval {{ w }} day, first_day + interval {{ w }} day
    from {{ ref('cascade_event_study') }}

),

in_period as (

    select
        p.period_kind,
        p.period,
        d.*,
        sum(ln(greatest(1 + d.rule_return, 1e-12))) over running as rule_log_equity,
        sum(ln(greatest(1 + d.constant_return, 1e-12))) over running as constant_log_equity
    from periods as p
    join daily as d on d.date between p.period_start and p.period_end
    window running as (partition by p.period_kind, p.period order by d.date
                       rows between unbounded preceding and current row)

),

drawdowns as (

    select
        *,
        exp(rule_log_equity - greatest(max(rule_log_equity) over running, 0)) - 1 as rule_drawdown_in_period,
        exp(constant_log_equity - greatest(max(constant_log_equity) over running, 0)) - 1
            as constant_drawdown_in_period
    from in_period
    window running as (partition by period_kind, period order by date
                       rows between unbounded preceding and current row)

),

summary as (

    select
        period_kind,
        period,
        min(date) as first_day,
        max(date) as last_day,
        count(*) as days,
        exp(sum(ln(greatest(1 + rule_return, 1e-12)))) - 1 as rule_total_return,
        exp(sum(ln(greatest(1 + constant_return, 1e-12)))) - 1 as constant_total_return,
        exp(sum(ln(1 + coalesce(return_1d, 0)))) - 1 as spot_total_return,
        stddev_samp(rule_return) * sqrt({{ year }}) as rule_volatility,
        stddev_samp(constant_return) * sqrt({{ year }}) as constant_volatility,
        min(rule_drawdown_in_period) as rule_max_drawdown,
        min(constant_drawdown_in_period) as constant_max_drawdown,
        min(rule_return) as rule_worst_day,
        min(constant_return) as constant_worst_day,
        sum(rule_funding_paid) as rule_funding_paid,
        sum(constant_funding_paid) as constant_funding_paid,
        count(*) filter (where rule_exposure < constant_exposure) as days_reduced,
        count(*) filter (where exposure_change > 0) as size_changes,
        sum(exposure_change) * {{ var('backtest_cost_per_change') }} as change_costs
    from drawdowns
    group by period_kind, period

)

select
    cast(period_kind as string) as period_kind,
    cast(period as string) as period,
    cast(first_day as date) as first_day,
    cast(last_day as date) as last_day,
    cast(days as integer) as days,
    cast({{ var('backtest_base_leverage') }} as double) as base_leverage,
    cast(rule_total_return as double) as rule_total_return,
    cast(constant_total_return as double) as constant_total_return,
    cast(spot_total_return as double) as spot_total_return,
    -- annualised over a year or more of days only (a 15-day event window compounded to a year says nothing)
    cast(case when days >= {{ year }} then power(1 + rule_total_return, {{ year }} / days) - 1 end as double)
        as rule_annualised_return,
    cast(case when days >= {{ year }} then power(1 + constant_total_return, {{ year }} / days) - 1 end as double)
        as constant_annualised_return,
    cast(rule_volatility as double) as rule_annualised_volatility,
    cast(constant_volatility as double) as constant_annualised_volatility,
    cast(rule_max_drawdown as double) as rule_max_drawdown,
    cast(constant_max_drawdown as double) as constant_max_drawdown,
    cast(rule_worst_day as double) as rule_worst_day,
    cast(constant_worst_day as double) as constant_worst_day,
    cast(rule_funding_paid as double) as rule_funding_paid,
    cast(constant_funding_paid as double) as constant_funding_paid,
    cast(days_reduced as integer) as days_reduced,
    cast(size_changes as integer) as size_changes,
    cast(change_costs as double) as change_costs,
    cast(constant_total_return - rule_total_return as double) as return_given_up,
    cast(rule_max_drawdown - constant_max_drawdown as double) as drawdown_avoided,
    cast(case
        when days_reduced = 0 then 'the rule never cut size: identical to constant size'
        else printf('cut size on %d of %d days: %s %.1f pp of return and %s %.1f pp of max drawdown',
                    days_reduced, days,
                    case when constant_total_return >= rule_total_return then 'gave up' else 'gained' end,
                    100 * abs(constant_total_return - rule_total_return),
                    case when rule_max_drawdown >= constant_max_drawdown then 'avoided' else 'added' end,
                    100 * abs(rule_max_drawdown - constant_max_drawdown))
    end as string) as trade_off
from summary

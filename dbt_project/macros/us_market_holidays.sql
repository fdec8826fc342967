{#-
  us_market_holidays(first_year, last_year)
  A subquery (one column, `day`) of the days the US stock market (NYSE) was or will be closed on a weekday
  in the given years: New Year's Day (a Sunday's on Monday; a Saturday's is not moved to the Friday before),
  Martin Luther King Jr. Day (3rd Monday of January), Washington's Birthday (3rd Monday of February), Good
  Friday, Memorial Day (last Monday of May), Juneteenth (from 2022), Independence Day, Labor Day (1st Monday
  of September), Thanksgiving (4th Thursday of November), Christmas (fixed dates on a Saturday move to the
  Friday, on a Sunday to the Monday), and the unscheduled closures (national days of mourning: 2018-12-05,
  2025-01-09). Why: spot bitcoin ETFs trade on US market days only, so a closed day has no flow rather than
  a flow of zero. The same calendar as orchestration.sample.etf.us_market_holidays (a test holds them equal
  and checks them against the real Farside page's holiday rows).
-#}
{% macro us_market_holidays(first_year, last_year) -%}
(
    with years as (
        select cast(y as integer) as y from (select {{ series(first_year, last_year) }} as y) as ys
    ),
    -- Gregorian Easter Sunday (the anonymous algorithm), two days after which is Good Friday
    easter_1 as (
        select y, y % 19 as a, {{ int_div('y', 100) }} as b, y % 100 as c from years
    ),
    easter_2 as (
        select y, a, {{ int_div('b', 4) }} as d, b % 4 as e, {{ int_div('b - ' ~ int_div('b + 8', 25) ~ ' + 1', 3) }} as g,
            b, {{ int_div('c', 4) }} as i, c % 4 as k
        from easter_1
    ),
    easter_3 as (
        select y, a, e, i, k, (19 * a + b - d - g + 15) % 30 as h from easter_2
    ),
    easter_4 as (
        select y, a, h, (32 + 2 * e + 2 * i - h - k) % 7 as l from easter_3
    ),
    easter as (
        {%- set m = 'h + l - 7 * ' ~ int_div('a + 11 * h + 22 * l', 451) ~ ' + 114' %}
        select make_date(y, {{ int_div(m, 31) }}, ({{ m }}) % 31 + 1) as sunday
        from easter_4
    ),
    fixed as (
        select make_date(y, m, d) as day
        from years, (values (1, 1), (6, 19), (7, 4), (12, 25)) as t(m, d)
        where not (m = 6 and y < 2022)
    ),
    -- the n-th weekday (ISO: 1 = Monday) of a month
    nth_weekday as (
        select make_date(y, m, 1)
            + cast((iso - {{ iso_dow('make_date(y, m, 1)') }} + 7) % 7 + 7 * (n - 1) as integer) as day
        from years, (values (1, 1, 3), (2, 1, 3), (9, 1, 1), (11, 4, 4)) as t(m, iso, n)
    ),
    last_monday_of_may as (
        select make_date(y, 5, 31) - cast({{ iso_dow('make_date(y, 5, 31)') }} - 1 as integer) as day from years
    )
    select case {{ iso_dow('day') }} when 7 then day + 1 when 6 then day - 1 else day end as day
    from fixed
    where not ({{ iso_dow('day') }} = 6 and month(day) = 1 and day(day) = 1)
    union
    select day from nth_weekday
    union
    select day from last_monday_of_may
    union
    select cast(sunday - 2 as date) from easter
    union
    select cast(day as date) from (values ('2018-12-05'), ('2025-01-09')) as closures(day)
    where year(cast(day as date)) between {{ first_year }} and {{ last_year }}
)
{%- endmacro %}

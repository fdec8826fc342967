{#-
  us_federal_holidays(first_year, last_year)
  A subquery (one column, `day`) of the US federal holidays as observed (Saturday -> Friday, Sunday ->
  Monday) in the given years: New Year, Martin Luther King Jr. (3rd Mon Jan), Presidents (3rd Mon Feb),
  Memorial (last Mon May), Juneteenth (from 2021), Independence, Labor (1st Mon Sep), Columbus (2nd Mon
  Oct), Veterans, Thanksgiving (4th Thu Nov), Christmas. Why: the CFTC delays its Friday release in a
  week with a federal holiday, and a report must not be used before it was out.
-#}
{% macro us_federal_holidays(first_year, last_year) -%}
(
    with years as (
        select {{ series(first_year, last_year) }} as y
    ),
    fixed as (
        select make_date(cast(y as integer), m, d) as day
        from years, (values (1, 1), (6, 19), (7, 4), (11, 11), (12, 25)) as t(m, d)
        where not (m = 6 and y < 2021)
    ),
    -- the n-th weekday (ISO: 1 = Monday) of a month
    nth_weekday as (
        select make_date(cast(y as integer), m, 1)
            + cast((iso - {{ iso_dow('make_date(cast(y as integer), m, 1)') }} + 7) % 7 + 7 * (n - 1) as integer) as day
        from years, (values (1, 1, 3), (2, 1, 3), (9, 1, 1), (10, 1, 2), (11, 4, 4)) as t(m, iso, n)
    ),
    last_monday_of_may as (
        select make_date(cast(y as integer), 5, 31)
            - cast({{ iso_dow('make_date(cast(y as integer), 5, 31)') }} - 1 as integer) as day
        from years
    )
    select case {{ iso_dow('day') }} when 6 then day - 1 when 7 then day + 1 else day end as day from fixed
    union
    select day from nth_weekday
    union
    select day from last_monday_of_may
)
{%- endmacro %}

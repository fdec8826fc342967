"""The US market (NYSE) calendar that tells a closed day (no ETF flow) from a trading day: the dbt macro
``us_market_holidays`` and the sample world's Python calendar are the same, they match NYSE's published
closures, and they explain every row of the real Farside page (its holiday rows, the holidays it leaves out,
and no trading day missing)."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import jinja2

from orchestration.config import DBT_PROJECT_DIR
from orchestration.feeds.farside import Flows
from orchestration.sample.etf import is_trading_day, us_market_holidays

NYSE = {  # full-day closures as NYSE published them
    2024: ["01-01", "01-15", "02-19", "03-29", "05-27", "06-19", "07-04", "09-02", "11-28", "12-25"],
    2025: ["01-01", "01-09", "01-20", "02-17", "04-18", "05-26", "06-19", "07-04", "09-01", "11-27", "12-25"],
    2026: ["01-01", "01-19", "02-16", "04-03", "05-25", "06-19", "07-03", "09-07", "11-26", "12-25"],
    2022: ["01-17", "02-21", "04-15", "05-30", "06-20", "07-04", "09-05", "11-24", "12-26"],  # no 2021-12-31
}


class DuckDBDispatch:
    """``adapter.dispatch`` as dbt resolves it on DuckDB: ``duckdb__<name>``, else ``default__<name>``."""

    module = None

    def dispatch(self, name: str):
        return getattr(self.module, f"duckdb__{name}", None) or getattr(self.module, f"default__{name}")


def macro_holidays(first: int, last: int) -> set[date]:
    macros = Path(DBT_PROJECT_DIR) / "macros"
    text = "\n".join(p.read_text() for p in (macros / "cross_db" / "dates.sql", macros / "us_market_holidays.sql"))
    env = jinja2.Environment()
    env.globals["adapter"] = adapter = DuckDBDispatch()  # the engine differences the macro calls (series, iso_dow, ...)
    adapter.module = env.from_string(text).module
    sql = adapter.module.us_market_holidays(first, last)
    return {row[0] for row in duckdb.sql(f"select day from {sql} as holidays").fetchall()}


def test_the_dbt_macro_and_the_python_calendar_agree():
    assert macro_holidays(2015, 2040) == set().union(*(us_market_holidays(y) for y in range(2015, 2041)))


def test_the_calendar_is_nyses():
    for year, days in NYSE.items():
        assert sorted(us_market_holidays(year)) == [date.fromisoformat(f"{year}-{d}") for d in days], year


def test_the_calendar_explains_every_row_of_the_real_page(realdata):
    table = Flows().read_table((realdata / "farside_html" / "farside_bitcoin_etf_flow_all_data_2025-10-14.html")
                               .read_bytes())
    first, last = min(table.days), max(table.days)
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    with_flows = {d for d, (values, _) in table.days.items() if values}
    holiday_rows = {d for d, (values, _) in table.days.items() if not values}
    assert with_flows == {d for d in span if is_trading_day(d)}  # every trading day, nothing else
    assert all(d.weekday() < 5 and not is_trading_day(d) for d in holiday_rows) and len(holiday_rows) == 16
    left_out = {d for d in span if d.weekday() < 5 and d not in table.days}
    assert left_out == {date(2025, 7, 4), date(2025, 9, 1)} and not any(map(is_trading_day, left_out))

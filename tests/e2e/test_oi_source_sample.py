"""End to end on the sample world: every venue has OI, so total OI is the venues' on every day; when every venue's
OI stops landing, the venues are carried for oi_carry_forward_days, then CoinGlass's all-exchange aggregate takes
over (oi_source), the OI index links across the switch on the aggregate's own change, the cluster estimate moves
to its daily grain and completeness says what is missing. Read on February 2024 of a copy of the pipeline window
(tests/e2e/conftest.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import dagster as dg
import duckdb
import pytest

from orchestration.feeds.base import Window
from runs import configure, copy_warehouse  # tests/e2e is on the path
from runs import query as rows

pytestmark = pytest.mark.e2e

WINDOW = Window(date(2024, 2, 1), date(2024, 3, 1))
OUTAGE = Window(date(2024, 2, 22), date(2024, 3, 1))  # no venue's OI lands, from its own API nor from Coinalyze
OI_TABLES = ("binance__open_interest", "okx__open_interest", "bybit__open_interest", "deribit__open_interest",
             "dydx__open_interest", "hyperliquid__open_interest", "coinalyze__open_interest")
MART_SQL = ("SELECT date, oi_source, oi_link_source, oi_usd_total, oi_usd_crypto_native, oi_index_like_for_like, "
            "oi_venues_carried, stale_sources, liq_cluster_oi_grain, data_completeness FROM leverage_condition "
            f"WHERE date >= DATE '{WINDOW.start}' ORDER BY date")


@pytest.fixture(scope="module")
def built(pipeline_window, tmp_path_factory):
    warehouse = copy_warehouse(pipeline_window, tmp_path_factory.mktemp("oi_source") / "warehouse")
    with pytest.MonkeyPatch.context() as mp:
        configure(mp, warehouse)
        from orchestration.definitions import MARTS_JOB, build_defs
        from orchestration.partitions import window_tags

        before = rows(warehouse / "published" / "marts.duckdb", MART_SQL)
        # the outage as landing records it: the days failed (after the last publish), no rows
        con = duckdb.connect(str(warehouse / "leverage.duckdb"))
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        for table in OI_TABLES:
            provider, dataset = table.split("__")
            con.execute(f"DELETE FROM raw.{table} WHERE partition_date BETWEEN ? AND ?", [OUTAGE.start, OUTAGE.end])
            con.execute("UPDATE raw._landing_status SET status = 'failed', error = 'outage', landed_at = ? "
                        "WHERE provider = ? AND dataset = ? AND partition_date BETWEEN ? AND ?",
                        [now, provider, dataset, OUTAGE.start, OUTAGE.end])
        con.close()
        outage = build_defs().resolve_job_def(MARTS_JOB).execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), tags=window_tags(OUTAGE), raise_on_error=False)
        after = rows(warehouse / "published" / "marts.duckdb", MART_SQL)
        aggregate = dict(rows(warehouse / "leverage.duckdb",
                              "SELECT date, oi_usd_all_exchanges FROM int_derivatives__market_daily"))
    return before, outage, after, aggregate


def test_with_every_venue_present_total_oi_is_the_venues_on_every_day(built):
    before, *_ = built
    assert [r[0] for r in before] == WINDOW.days()
    assert {(r[1], r[2], r[7], r[8]) for r in before} == {("venues", "venues", "", "1h")}
    assert all(r[4] is not None for r in before)


def test_an_outage_of_every_venue_hands_over_to_the_aggregate_without_a_move_in_the_index(built):
    before, outage, after, aggregate = built
    assert outage.success  # the gates pass and the mart is published
    by_day = {r[0]: r for r in after}
    assert after[:21] == before[:21]  # the days before the outage are untouched
    # carried for oi_carry_forward_days (3), linked on the aggregate's change; then the aggregate's total
    assert [(by_day[d][1], by_day[d][2]) for d in OUTAGE.days()[:3]] == [("venues", "coinglass_all_exchanges")] * 3
    assert all(by_day[d][6] for d in OUTAGE.days()[:3])  # the venues carried are named
    rest = OUTAGE.days()[3:]
    assert {(by_day[d][1], by_day[d][2], by_day[d][8]) for d in rest} == {
        ("coinglass_all_exchanges", "coinglass_all_exchanges", "1d")}
    assert all(by_day[d][4] is None and by_day[d][3] == aggregate[d] for d in rest)  # no invented native part
    # the index moves by the aggregate's own day-over-day change across the switch, whatever the level did
    previous = date(2024, 2, 21)
    for day in OUTAGE.days():
        assert by_day[day][5] / by_day[previous][5] == pytest.approx(aggregate[day] / aggregate[previous], rel=1e-9)
        previous = day
    switch = rest[0]
    assert by_day[switch][3] / by_day[OUTAGE.days()[2]][3] > 1.1  # the level jumps: all exchanges, CME included
    assert all(by_day[d][9] < min(r[9] for r in before) for d in rest)  # coarser: completeness falls

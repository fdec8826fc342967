"""Today's brief in words: the sentences are built from the row and the dbt vars, codes become words."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from orchestration.report import brief, frames
from orchestration.report.thresholds import dbt_vars


@pytest.fixture(scope="module")
def v():
    return dbt_vars()


def _row(**overrides):
    row = {
        "date": "2024-08-01", "position_size_multiplier": 1.0, "regime": "neutral", "conditions_met": 1,
        "conditions_evaluated": 3, "leverage_condition_score": 41.7,
        "oi_index_like_for_like": 9.5e9, "oi_high_90d": 10e9, "oi_at_local_high": False, "oi_change_7d": 0.042,
        "funding_8h_oi_weighted": 0.00012, "funding_p90_trailing_365d": 0.0001, "funding_hours_above_p90": 6,
        "funding_sustained_above_p90": False,
        "liq_cluster_share_of_oi": 0.081, "liq_cluster_share_p90_trailing": 0.075, "liq_clusters_dense": True,
        "etf_net_flow_5d_usd": -1.5e9, "spot_volume_vs_30d_median": 1.4, "exchange_balance_change_7d": 0.013,
        "stablecoin_supply_change_7d": 0.02,
        "confirmations": "oi_rising_7d,funding_above_p90,liq_clusters_dense,etf_outflows_5d",
        "cancellations": "oi_below_local_high,spot_volume_above_30d_median,stablecoin_supply_rising_7d",
    }
    row.update(overrides)
    return row


def test_each_condition_reads_its_value_against_the_threshold_of_the_vars(v):
    oi, funding, clusters = brief.conditions(_row(), v)
    assert (oi.held, funding.held, clusters.held) == (False, False, True)
    assert "5.0 % under its 90-day high" in oi.value and oi.threshold == "within 3 % of the high"
    assert funding.value.startswith("6 h above P90") and "0.0120 %/8h" in funding.value
    assert f"for {v['funding_sustained_hours']} h or more" in funding.threshold
    assert clusters.value.startswith("8.1 % of OI") and clusters.threshold.startswith("above 7.5 %")


def test_thresholds_come_from_the_vars_not_from_the_code(v):
    changed = {**v, "oi_local_high_window_days": 60, "oi_local_high_tolerance": 0.05, "funding_sustained_hours": 12}
    oi, funding, _ = brief.conditions(_row(), changed)
    assert oi.label == "OI at its 60-day high" and oi.threshold == "within 5 % of the high"
    assert funding.label.endswith("for 12 h")
    assert "funding above its P90 for 30 h" in brief.code_phrase("funding_above_p90_12h",
                                                                  _row(funding_hours_above_p90=30), changed)


def test_a_day_at_normal_size_names_what_holds_and_what_it_would_take(v):
    row = _row()
    assert brief.what_it_says(row, v) == (
        "Leverage is not crowded enough to cut size: 1 of the three conditions holds (Dense liquidation clusters "
        "within ±5 %), regime neutral, score 42/100; the multiplier stays at 1.0.")
    # at normal size the supporting data is the mart's cancellations, in words with today's figures
    confirm = brief.what_would_confirm(row, v)
    assert confirm.startswith("Confirmed by: OI more than 3 % under its 90-day high")
    assert "spot volume 1.40x its 30-day median" in confirm and "stablecoin supply up 2.0 % in 7 days" in confirm
    cancel = brief.what_would_cancel(row, v)
    assert "OI climbing back within 3 % of its 90-day high (now 5.0 % under it)" in cancel
    assert "funding staying above its P90 of 0.0100 %/8h for 24 h (now 6 h)" in cancel
    assert "cluster share" not in cancel.split(";")[0]  # the clusters already hold: not something it takes
    assert "spot ETF net outflows of $1.50bn over 5 trading days" in cancel  # the confirmations point that way


def test_a_cut_day_says_so_and_any_lapse_cancels_it(v):
    row = _row(position_size_multiplier=0.5, regime="deleveraging_precondition", conditions_met=3,
               oi_at_local_high=True, oi_index_like_for_like=10e9, funding_hours_above_p90=30,
               funding_sustained_above_p90=True, confirmations="oi_at_local_high,funding_above_p90_24h",
               cancellations="price_above_50d_ma")
    assert brief.crowded(row, v)
    assert brief.what_it_says(row, v).startswith("Leverage is crowded: OI at its 90-day high, Funding above its "
                                                 "P90 for 24 h and Dense liquidation clusters within ±5 % all hold")
    assert "cut to 0.5x" in brief.what_it_says(row, v)
    assert brief.what_would_confirm(row, v) == ("Confirmed by: OI within 3 % of its 90-day high and funding above "
                                                 "its P90 for 30 h (at least 24 h).")
    cancel = brief.what_would_cancel(row, v)
    assert cancel.startswith("Cancelled by any of: OI falling more than 3 % under its 90-day high, funding "
                             "dropping to its P90 of 0.0100 %/8h or below or the cluster share falling to 7.5 %")
    assert cancel.endswith("already pointing that way: price above its 50-day average.")


def test_missing_values_read_as_such_never_as_nan(v):
    row = _row(oi_index_like_for_like=None, funding_hours_above_p90=pd.NA, liq_cluster_share_of_oi=math.nan,
               liq_clusters_dense=None, oi_at_local_high=pd.NA, conditions_evaluated=1, confirmations="",
               cancellations=None)
    oi, funding, clusters = brief.conditions(row, v)
    assert oi.value == "no like-for-like OI today" and oi.held is None and clusters.held is None
    text = brief.what_it_says(row, v) + brief.what_would_confirm(row, v) + brief.what_would_cancel(row, v)
    assert "nan" not in text.lower() and "<NA>" not in text
    assert "cannot be evaluated yet" in brief.what_it_says(row, v)
    assert brief.what_would_confirm(row, v) == ("Confirmed by: nothing else in today's data beyond the conditions "
                                                "themselves.")


def test_an_unknown_code_is_shown_in_plain_words(v):
    assert brief.code_phrase("some_new_code", _row(), v) == "some new code"


def test_usd_and_percent_formats():
    assert (brief.usd(1.883e9), brief.usd(-9.7e6), brief.usd(None)) == ("$1.88bn", "-$9.70m", "n/a")
    assert (brief.pct(0.0866), brief.pct(0.01, signed=True), brief.funding_pct(0.0001)) == (
        "8.7 %", "+1.0 %", "0.0100 %/8h")
    # a small move keeps a significant digit instead of reading 0.0 %
    assert (brief.pct(0.0004), brief.pct(-0.00004), brief.pct(0.0)) == ("0.04 %", "-0.004 %", "0.0 %")


def test_runs_of_a_status_become_segments_with_an_exclusive_end():
    days = pd.date_range("2024-01-01", periods=6).date
    frame = pd.DataFrame({"date": days, "key": "c", "status": ["agreed", "agreed", "diverged", "agreed", "agreed",
                                                                "agreed"]})
    frame = frame.drop(index=4)  # a gap splits a run
    got = frames.segments(frame, "key", "status")
    assert got.values.tolist() == [["c", "2024-01-01", "2024-01-03", "agreed"],
                                   ["c", "2024-01-03", "2024-01-04", "diverged"],
                                   ["c", "2024-01-04", "2024-01-05", "agreed"],
                                   ["c", "2024-01-06", "2024-01-07", "agreed"]]


def test_the_oi_high_is_the_trailing_window_of_the_var():
    mart = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=5).date,
                         "oi_index_like_for_like": [10.0, 12.0, 11.0, 9.0, 8.0],
                         "liq_cluster_heatmap_usd_within_5pct": None, "oi_usd_total": 1.0})
    got = frames.with_oi_high(mart, {"oi_local_high_window_days": 2})
    assert got["oi_high_90d"].tolist() == [10.0, 12.0, 12.0, 11.0, 9.0]


def test_sources_present_become_runs_per_source():
    mart = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3).date,
                         "sources_present": ["binance,okx", "binance", ""]})
    got = frames.sources(mart)
    assert got.values.tolist() == [["binance", "2024-01-01", "2024-01-03", "present"],
                                   ["okx", "2024-01-01", "2024-01-02", "present"]]


def test_day_tables_are_cut_to_the_marts_days_and_other_tables_kept():

    from orchestration.report.snapshot import Snapshot, within_the_marts_days

    mart = pd.DataFrame({"date": pd.to_datetime(["2024-05-05", "2024-05-06"])})
    trailing = pd.DataFrame({"date": pd.to_datetime(["2024-02-18", "2024-05-05", "2024-05-06", "2024-05-07"]),
                             "status": ["agreed"] * 4})
    lift = pd.DataFrame({"condition": ["all_three"], "lift": [0.0]})
    cut = within_the_marts_days(Snapshot(Path("x"), {"leverage_condition": mart, "checks": trailing,
                                                     "cascade_condition_lift": lift}))
    assert [d.isoformat()[:10] for d in cut.tables["checks"]["date"]] == ["2024-05-05", "2024-05-06"]
    assert cut.tables["cascade_condition_lift"].equals(lift)

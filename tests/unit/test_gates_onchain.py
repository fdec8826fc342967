"""Great Expectations gates of the on-chain and stablecoin raw tables (Glassnode, CryptoQuant, CoinMetrics,
DefiLlama; that a landed sample window passes is tests/unit/test_raw_gates_contract.py's): CoinMetrics' coverage
break passes (a real provider behaviour the reconciliation shows); a unit error, a percent for a ratio, a day
twice, a level off its own history and a wrong asset fail on exactly what was broken. One module: the Great
Expectations import is paid once."""
from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pandas as pd
import pytest

from orchestration import gates
from orchestration.feeds import coinmetrics, cryptoquant, defillama, glassnode
from orchestration.feeds.base import Window
from tests.conftest import land_from_sample

NOW = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
WINDOW = Window(date(2025, 7, 20), date(2025, 9, 20))
DATASETS = {f"raw_{d.provider.name}__{d.name}": d
            for feed in (glassnode, cryptoquant, coinmetrics, defillama) for d in feed.DATASETS.values()}
BETWEEN = "expect_column_values_to_be_between"


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, pd.DataFrame]:
    tmp = tmp_path_factory.mktemp("onchain")
    con = duckdb.connect(str(tmp / "wh.duckdb"))
    frames = {}
    for suite, dataset in DATASETS.items():
        result, frames[suite] = land_from_sample(dataset, WINDOW, NOW, con, tmp / "raw")
        assert result.error is None and result.rows == len(WINDOW.days())
    return frames


def failures(frame: pd.DataFrame, suite: str):
    return gates.validate(frame, suite).failures_by_expectation()


def test_coinmetrics_coverage_break_passes_the_raw_gate(tmp_path):
    """2023-05-16: SplyExNtv x2.4 in a day (coverage, not coins): the raw table keeps it, the reconciliation
    names it; the gate must not stop the landing on a provider's documented behaviour."""
    now = datetime(2023, 6, 1, 0, 30, tzinfo=timezone.utc)
    window = Window(date(2023, 4, 15), date(2023, 5, 31))
    result, frame = land_from_sample(coinmetrics.DATASETS["asset_metrics"], window, now,
                                     duckdb.connect(str(tmp_path / "w.duckdb")), tmp_path / "raw")
    level = frame.set_index(pd.to_datetime(frame["partition_date"]))["supply_exchanges_btc"]
    assert result.error is None and level["2023-05-16"] / level["2023-05-15"] > 2.2
    assert gates.validate(frame, "raw_coinmetrics__asset_metrics").success


@pytest.mark.parametrize("suite, column, factor", [
    ("raw_glassnode__exchange_balance", "balance_btc", 1000),
    ("raw_cryptoquant__exchange_reserve", "reserve_btc", 1 / 1000),
    ("raw_glassnode__mvrv", "mvrv", 100),  # a percent for a ratio
    ("raw_glassnode__nupl", "nupl", 100),
    ("raw_cryptoquant__estimated_leverage_ratio", "estimated_leverage_ratio", 100),
    ("raw_coinmetrics__asset_metrics", "price_usd", 1000),
    ("raw_defillama__stablecoin_supply", "circulating_usd", 1e-6),  # millions read as USD
])
def test_a_unit_error_on_one_day_fails_its_bounds(landed, suite, column, factor):
    frame = landed[suite].copy()
    frame.loc[10, column] *= factor
    found = failures(frame, suite)
    assert found[(BETWEEN, column)].unexpected_count == 1
    assert all(kind == BETWEEN for kind, _ in found)


def test_a_level_off_its_history_inside_the_absolute_bounds_fails(landed):
    """CryptoQuant's reserve x3 on one day (7.4 M BTC: inside 1e5..1e7) is 3x the day before and its month."""
    frame = landed["raw_cryptoquant__exchange_reserve"].copy()
    frame.loc[30, "reserve_btc"] *= 3
    report = gates.validate(frame, "raw_cryptoquant__exchange_reserve")
    found = report.failures_by_expectation()
    assert set(found) == {(BETWEEN, "__vs_trailing_median__reserve_btc"), (BETWEEN, "__vs_previous_day__reserve_btc")}
    assert report.blocked_days == [pd.Timestamp(frame.loc[30, "partition_date"]).date().isoformat()]


def test_a_net_flow_far_off_its_history_fails(landed):
    frame = landed["raw_glassnode__exchange_net_flow"].copy()
    frame.loc[30, "net_flow_btc"] = 450_000.0  # inside +-5e5, but 450 k BTC in a day against a +-10 k month
    found = failures(frame, "raw_glassnode__exchange_net_flow")
    assert (BETWEEN, "__minus_trailing_median__net_flow_btc") in found and not any(
        column == "net_flow_btc" for _, column in found)


@pytest.mark.parametrize("suite, column", [
    ("raw_glassnode__mvrv", "t"), ("raw_cryptoquant__exchange_netflow", "date"),
    ("raw_coinmetrics__asset_metrics", "time"), ("raw_defillama__stablecoin_supply", "date")])
def test_a_day_twice_fails(landed, suite, column):
    frame = landed[suite]
    frame = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)
    found = failures(frame, suite)
    assert found[("expect_column_values_to_be_unique", column)].unexpected_count == 2


def test_coinmetrics_rows_must_be_btc_with_exchanges_holding_part_of_the_supply(landed):
    frame = landed["raw_coinmetrics__asset_metrics"].copy()
    frame.loc[3, "asset"] = "eth"
    frame.loc[4, "supply_btc"] = frame.loc[4, "supply_exchanges_btc"] - 1  # (fails its own bounds too)
    found = failures(frame, "raw_coinmetrics__asset_metrics")
    assert found[("expect_column_values_to_be_in_set", "asset")].sample_values == ["eth"]
    assert found[("expect_column_pair_values_a_to_be_greater_than_b",
                  "supply_btc,supply_exchanges_btc")].unexpected_count == 1

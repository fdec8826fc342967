"""The mart gate on what real history offers: total OI from CoinGlass's all-exchange aggregate (oi_source), the
crypto-native and CME parts unknown (null), a stale provider day carried and named, the cluster estimate on the
aggregate's daily grain; and the provenance columns themselves gated."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration import gates
from test_plausibility import mart  # the mart frame of the gate tests (tests/unit is on the path)


def real_aggregate_mart(realdata) -> pd.DataFrame:
    """The mart's OI, funding and liquidation series as recorded mode builds them from CoinGlass's real daily
    export, 2021-01-01..2025-09-08 (the 2021-05-19 -28 %, the 2022-11-08 stale day, 2022-11-09 -19 %)."""
    cg = pd.read_csv(realdata / "coinglass" / "btc_daily_oi_liq_funding.csv", parse_dates=["date_utc"])
    cg = cg[(cg["date_utc"] >= "2021-01-01") & cg["oi_all_exchanges_close_usd"].notna()].reset_index(drop=True)
    oi = cg["oi_all_exchanges_close_usd"]
    stale = oi.eq(oi.shift()).to_numpy()
    template = mart(days=1)
    frame = pd.DataFrame({column: template[column].iloc[0] for column in template.columns}, index=cg.index)
    return frame.assign(
        date=cg["date_utc"], oi_usd_total=oi, oi_usd_crypto_native=np.nan, oi_usd_cme=np.nan,
        crypto_native_share_of_oi=np.nan, oi_venues_present="", oi_venues_from_aggregator="",
        oi_source=np.where(stale, "coinglass_all_exchanges_carried", "coinglass_all_exchanges"),
        oi_link_source=np.where(stale, "none", "coinglass_all_exchanges"),
        stale_sources=np.where(stale, "coinglass_oi", ""),
        liq_cluster_oi_grain=np.where(stale, None, "1d"),
        liq_clusters_dense=np.where(stale, None, False),
        funding_8h_oi_weighted=cg["funding_oi_weighted_close_pct"] / 100,
        liq_long_usd=cg["liq_long_usd_binance_okx_bybit"], liq_short_usd=cg["liq_short_usd_binance_okx_bybit"],
        data_completeness=np.where(stale, 0.625, 0.75))


@pytest.mark.realdata
def test_a_mart_on_the_real_aggregate_passes_the_mart_suite(realdata):
    frame = real_aggregate_mart(realdata)
    assert len(frame) > 1_700
    assert frame.loc[frame["stale_sources"] != "", "date"].dt.date.astype(str).tolist() == ["2022-11-08"]
    report = gates.validate(frame, "leverage_condition")
    assert report.success, report.messages()


#: a corruption per provenance column, each on its own day (a null one is dbt's not_null test's to block)
CORRUPTIONS = [
    ("oi_source", "coinalyze"),          # not a source the mart knows
    ("oi_link_source", "coinalyze"),     # nor a link's
    ("liq_cluster_oi_grain", "4h"),      # 4-hourly OI is not landed
]


def test_the_provenance_columns_are_gated():
    df = mart()
    assert gates.validate(df, "leverage_condition").success
    for row, (column, value) in enumerate(CORRUPTIONS, start=1):
        df[column] = df[column].astype(object)
        df.loc[df.index[-row], column] = value
    failed = {f.column for f in gates.validate(df, "leverage_condition").failed}
    assert failed == {column for column, _ in CORRUPTIONS}

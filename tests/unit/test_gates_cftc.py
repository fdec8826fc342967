"""Great Expectations gate of raw.cftc__cme_open_interest: a good frame passes, a corrupted one fails on exactly
what was broken, and a landed sample window passes. One module, so the GE import is paid once."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd

from orchestration import gates

SHA = "ef" * 32
SUITE = "raw_cftc__cme_open_interest"


def cot_frame(weeks: int = 6) -> pd.DataFrame:
    tuesdays = pd.date_range("2024-01-02", periods=weeks, freq="7D")
    rows = []
    for i, day in enumerate(tuesdays):
        for code, size, name, oi in (("133741", 5.0, "BITCOIN - CHICAGO MERCANTILE EXCHANGE", 24_000.0 + 100 * i),
                                     ("133742", 0.1, "MICRO BITCOIN - CHICAGO MERCANTILE EXCHANGE", 60_000.0 - 50 * i)):
            rows.append({"partition_date": day.date(), "report_date": day, "contract_market_code": code,
                         "market_name": name, "open_interest_contracts": oi, "contract_size_btc": size,
                         "lev_money_long_contracts": oi * 0.22, "lev_money_short_contracts": oi * 0.51,
                         "payload_sha256": SHA})
    return pd.DataFrame(rows)


def failures(report: gates.GateReport) -> dict:
    return {(f.type, f.column): f for f in report.failed}


def test_suite_is_named_after_its_file():
    assert gates.load_suite_dict(SUITE)["name"] == SUITE


def test_good_frame_passes_also_with_nullable_columns_empty():
    report = gates.validate(cot_frame(), SUITE)
    assert report.success, report.to_metadata()["failed_expectations"]
    nulls = cot_frame().assign(market_name=None, lev_money_long_contracts=None, lev_money_short_contracts=None)
    assert gates.validate(nulls, SUITE).success


def test_corrupted_frame_fails_on_what_was_broken():
    df = cot_frame()
    df.loc[0, "contract_size_btc"] = 0.1  # standard contract with the micro size
    df.loc[1, "open_interest_contracts"] = -1.0
    df.loc[2, "lev_money_short_contracts"] = df.loc[2, "open_interest_contracts"] * 2  # more than all OI
    df.loc[3, "report_date"] = pd.Timestamp("2024-01-09 15:00")  # not a report-day midnight
    df.loc[4, "contract_market_code"] = "133743"
    df = pd.concat([df, df.iloc[[6]]], ignore_index=True)  # the same report twice
    f = failures(gates.validate(df, SUITE))
    pairs = f[("expect_column_pair_values_to_be_in_set", "contract_market_code,contract_size_btc")]
    assert pairs.unexpected_count == 2  # row 0, and row 4's unknown code
    assert f[("expect_column_values_to_be_between", "open_interest_contracts")].sample_values == [-1.0]
    assert f[("expect_column_pair_values_a_to_be_greater_than_b",
              "open_interest_contracts,lev_money_short_contracts")].unexpected_count == 2  # row 2, and row 1's -1
    assert f[("expect_column_values_to_match_regex", "report_date")].unexpected_count == 1
    assert f[("expect_column_values_to_be_in_set", "contract_market_code")].sample_values == ["133743"]
    assert f[("expect_compound_columns_to_be_unique", "contract_market_code,report_date")].unexpected_count == 2
    # -1 OI also breaks "OI >= leveraged funds" for both long and short
    assert f[("expect_column_pair_values_a_to_be_greater_than_b",
              "open_interest_contracts,lev_money_long_contracts")].unexpected_count == 1
    assert len(f) == 7


def test_landed_sample_window_passes_its_gate(tmp_path):
    import duckdb

    from orchestration.feeds import cftc
    from orchestration.feeds.base import Window
    from orchestration.feeds.http import FeedClient, RateLimiter
    from orchestration.raw_store import land, raw_table
    from orchestration.sample.transport import SampleTransport

    dataset = cftc.DATASETS["cme_open_interest"]
    moment = datetime(2025, 10, 15, 0, 30, tzinfo=timezone.utc)
    client = FeedClient(dataset.provider, SampleTransport(now=moment), rate_limiter=RateLimiter(0),
                        sleep=lambda s: None)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    result = land(dataset, Window(date(2021, 4, 1), date(2025, 10, 14)), client, tmp_path / "raw", con, moment)
    assert result.error is None and result.rows > 0
    statuses = dict(con.execute("select status, count(*) from raw._landing_status group by 1").fetchall())
    assert set(statuses) == {"landed", "no_rows", "unavailable"}  # weekly rows; the last days not released yet
    assert raw_table(dataset) == "raw.cftc__cme_open_interest"
    frame = con.execute(f"select * from {raw_table(dataset)}").df()
    assert list(frame.columns) == ["partition_date", *dataset.columns, "payload_sha256"]
    assert (pd.to_datetime(frame["report_date"]).dt.date == frame["partition_date"]).all()
    report = gates.validate(frame, SUITE)
    assert report.success, report.to_metadata()["failed_expectations"]

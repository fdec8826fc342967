"""Great Expectations gate of raw.cftc__cme_open_interest: a good frame passes, a corrupted one fails on exactly
what was broken (the landed sample window: test_raw_gates_contract.py)."""
from __future__ import annotations

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
    f = gates.validate(df, SUITE).failures_by_expectation()
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

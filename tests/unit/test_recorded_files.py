"""The recorded files' readers are strict: a malformed or repeated row names the file and the line."""
from __future__ import annotations

import gzip
from datetime import date

import numpy as np
import pytest

from orchestration.recorded import files
from orchestration.recorded.files import RecordedFileError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_binance_funding_reads_epoch_ms_and_keeps_the_stamps(tmp_path):
    path = write(tmp_path, "f.csv", "funding_time,funding_interval_hours,funding_rate\n"
                                    "1577836800000,8,-0.00012359\n1577865600002,8,0.0001\n")
    frame = files.binance_funding(path)
    assert frame["time_ms"].tolist() == [1577836800000, 1577865600002]
    assert frame["rate"].tolist() == [-0.00012359, 0.0001]


@pytest.mark.parametrize("row, message", [
    ("1577836800000,8,true", "funding_rate"),                 # a bool is no number
    ("1577836800000,8,nan", "not finite"),
    ("1577836800,8,0.0001", "funding_time"),                  # seconds where ms belong
    ("1577840400000,8,0.0001", "settlement grid"),            # 01:00 is no 8 h settlement
    ("1577836800000,8", "fields"),
    ("1577836800000,8,", "empty"),
])
def test_binance_funding_refuses_a_bad_row_naming_file_and_line(tmp_path, row, message):
    path = write(tmp_path, "f.csv", "funding_time,funding_interval_hours,funding_rate\n"
                                    f"1577808000000,8,0.0001\n{row}\n")
    with pytest.raises(RecordedFileError, match=message) as caught:
        files.binance_funding(path)
    assert f"{path}:3" in str(caught.value)


def test_a_repeated_row_names_both_lines(tmp_path):
    path = write(tmp_path, "f.csv", "funding_time,funding_interval_hours,funding_rate\n"
                                    "1577836800000,8,0.0001\n1577836800003,8,0.0001\n")
    with pytest.raises(RecordedFileError, match=r"f.csv:3: repeats .* \(first on line 2\)"):
        files.binance_funding(path)


def test_a_header_that_is_not_the_documented_one_is_refused(tmp_path):
    path = write(tmp_path, "f.csv", "time,rate\n1,2\n")
    with pytest.raises(RecordedFileError, match="f.csv:1: header"):
        files.binance_funding(path)


def test_bybit_stamps_written_in_utc_plus_3_are_shifted_to_utc(tmp_path):
    path = write(tmp_path, "b.csv", "Symbol,Date,Funding Rate\nBTC-USDT,2021-01-01 03:00:00,0.00034729\n")
    frame = files.bybit_funding(path)
    assert frame["time_ms"].tolist() == [1609459200000]  # 2021-01-01 00:00 UTC
    bad = write(tmp_path, "c.csv", "Symbol,Date,Funding Rate\nBTC-USDT,2021-01-01 04:00:00,0.0001\n")
    with pytest.raises(RecordedFileError, match="c.csv:2: .*not a Bybit 8 h settlement"):
        files.bybit_funding(bad)


def test_spot_hours_stop_where_another_venue_is_mixed_in_and_candles_are_checked(tmp_path):
    body = ("ts,open,high,low,close,volume\n"
            "2026-07-02 23:00:00+00:00,1,2,0.5,1.5,3\n"
            "2026-07-03 00:00:00+00:00,1,2,0.5,1.5,3\n")
    path = tmp_path / "h.csv.gz"
    path.write_bytes(gzip.compress(body.encode()))
    assert len(files.spot_hourly(path)) == 1
    path.write_bytes(gzip.compress(b"ts,open,high,low,close,volume\n2021-01-01 00:00:00+00:00,1,2,1.2,1.5,3\n"))
    with pytest.raises(RecordedFileError, match=r"h.csv.gz:2: bar .* is not a candle"):
        files.spot_hourly(path)
    path.write_bytes(gzip.compress(b"ts,open,high,low,close,volume\n2021-01-01 00:00:00+08:00,1,2,0.5,1.5,3\n"))
    with pytest.raises(RecordedFileError, match="offset"):
        files.spot_hourly(path)


def test_coinglass_daily_keeps_empty_fields_missing_and_drops_the_zero_padding(tmp_path):
    header = ("date_utc,oi_all_exchanges_close_usd,oi_stablecoin_margined_binance_okx_bybit_close_btc,"
              "oi_coin_margined_binance_okx_bybit_close_usd,liq_long_usd_binance_okx_bybit,"
              "liq_short_usd_binance_okx_bybit,funding_oi_weighted_close_pct\n")
    path = write(tmp_path, "cg.csv", header + "2020-02-27,3527345802.0,1,1,0.0,0.0,\n"
                                              "2020-02-28,3030810420.0,1,1,5.0,0.0,0.01\n"
                                              "2020-02-29,3030810421.0,1,1,0.0,0.0,0.01\n")
    frame = files.coinglass_daily(path)
    assert np.isnan(frame["liq_long_usd"].iat[0]) and np.isnan(frame["funding_pct"].iat[0])
    assert frame["liq_long_usd"].tolist()[1:] == [5.0, 0.0]  # a zero after the first figure is a real zero
    dup = write(tmp_path, "dup.csv", header + "2020-02-27,1,1,1,0,0,\n2020-02-27,1,1,1,0,0,\n")
    with pytest.raises(RecordedFileError, match=r"dup.csv:3: repeats 2020-02-27"):
        files.coinglass_daily(dup)


def test_cryptoquant_days_are_read_in_its_dotted_form(tmp_path):
    path = write(tmp_path, "r.csv", "\ufeffDate,Data\n2024.11.19,2580747.029\n")
    frame = files.cryptoquant_reserve(path)
    assert frame["date"].tolist() == [date(2024, 11, 19)] and frame["value"].tolist() == [2580747.029]
    with pytest.raises(RecordedFileError, match="r2.csv:2"):
        files.cryptoquant_reserve(write(tmp_path, "r2.csv", "Date,Data\n2024-11-19,1\n"))


def test_coinglass_4h_bars_must_match_their_two_stamps(tmp_path):
    header = "time_utc,time_ms,oi_open_usd,oi_high_usd,oi_low_usd,oi_close_usd,source_snapshot_folder\n"
    good = write(tmp_path, "a.csv", header + "2024-11-21T20:00:00Z,1732219200000,1,2,0.5,1.5,x\n")
    assert files.coinglass_4h(good, "oi")["close"].tolist() == [1.5]
    bad = write(tmp_path, "b.csv", header + "2024-11-21T20:00:00Z,1732222800000,1,2,0.5,1.5,x\n")
    with pytest.raises(RecordedFileError, match="b.csv:2: time_ms"):
        files.coinglass_4h(bad, "oi")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(RecordedFileError, match="not found"):
        files.defillama_supply(tmp_path / "none.csv")

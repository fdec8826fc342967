"""Farside connector: the real all-data page parses completely (every dated row, every ticker, every value),
its Total column equals the sum of its tickers on every row, a third party's scrape agrees with the parse on
the days both have; columns are read by header name (a new ticker parses); layouts it cannot read, the reader
service's text rendering and a Cloudflare challenge page are refused with a clear error; the CLI."""
from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import farside as fs
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpRequest, HttpResponse, RateLimiter
from orchestration.sample.transport import SampleTransport

PAGE = "farside_html/farside_bitcoin_etf_flow_all_data_2025-10-14.html"
JINA = "farside_html/farside_jina_markdown_2025-12-03.txt"
FLOWS = fs.Flows()


def page(header: list[str], rows: list[list[str]], summary: list[list[str]] = (), *, unit: str = "US$m",
         red: bool = True) -> bytes:
    """A minimal page in Farside's structure: ``rows`` are cell texts, negatives written ``(x)``."""
    def td(text: str) -> str:
        if red and text.startswith("("):
            text = f'<span class="redFont">{text}</span>'
        return f'<td><div align="right"><span class="tabletext">{text}</span></div></td>'

    head = "".join(f'<th><span class="tabletext">{h}</span></th>' for h in header)
    body = "".join("<tr>" + "".join(td(c) for c in row) + "</tr>\n" for row in [*rows, *summary])
    return (f"<!DOCTYPE html><html><head><title>Bitcoin ETF Flow</title></head><body>"
            f"<h1>Bitcoin ETF Flow &#8211; All Data ({unit})</h1><table class=\"etf\"><thead><tr>{head}</tr>"
            f"</thead><tbody><tr>\n{body}</tbody></table></body></html>").encode()


HEADER = ["Date", "IBIT", "FBTC", "GBTC", "Total"]
ROWS = [["11 Jan 2024", "111.7", "227.0", "(95.1)", "243.6"],
        ["15 Jan 2024", "-", "-", "-", "0.0"],
        ["16 Jan 2024", "1,212.7", "-", "(1,594.4)", "(381.7)"]]
SUMMARY = [["Total", "1,324.4", "227.0", "(1,689.5)", "(138.1)"], ["Average", "662.2", "227.0", "(844.8)", "(69.1)"]]


# -- the real page ----------------------------------------------------------------------------------------------
@pytest.fixture
def real_page(realdata) -> bytes:
    return (realdata / PAGE).read_bytes()


def test_the_real_page_parses_completely(real_page):
    """456 dated rows (11 Jan 2024 .. 13 Oct 2025), 11 tickers, 4701 values: counted independently of the
    parser, straight from the markup."""
    table = FLOWS.read_table(real_page)
    markup = real_page.decode()
    etf = markup[markup.index('<table class="etf">'): markup.index("</table>", markup.index('<table class="etf">'))]
    dated = re.findall(r'<td><span class="tabletext">(\d{2} \w{3} \d{4})</span></td>', etf)
    assert len(table.days) == len(dated) == 456
    assert [f"{d:%d %b %Y}" for d in table.days] == dated
    assert min(table.days) == date(2024, 1, 11) and max(table.days) == date(2025, 10, 13)
    assert table.tickers == ["IBIT", "FBTC", "BITB", "ARKB", "BTCO", "EZBC", "BRRR", "HODL", "BTCW", "GBTC", "BTC"]
    rows = [row for row in etf.split("</tr>") if re.search(r'<span class="tabletext">\d{2} \w{3} \d{4}<', row)]
    cells = [re.sub(r"<[^>]+>", "", c).strip()
             for row in rows for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1:-1]]  # tickers only
    assert len(cells) == 456 * 11 and table.values == sum(c != "-" for c in cells) == 4701
    assert table.summary_rows == ["Total", "Average", "Maximum", "Minimum"]
    parsed = FLOWS.parse(real_page)
    assert len(parsed) == 4701 and len({(r["date"], r["ticker"]) for r in parsed}) == 4701


def test_the_real_total_column_equals_the_sum_of_its_tickers_on_every_row(real_page):
    table = FLOWS.read_table(real_page)
    holidays = [day for day, (values, _) in table.days.items() if not values]
    assert len(holidays) == 16 and all(table.days[d][1] == 0.0 for d in holidays)
    for day, (values, total) in table.days.items():
        assert total == pytest.approx(sum(values.values()), abs=0.05 * (len(values) + 1)), day
    assert min(v for values, _ in table.days.values() for v in values.values()) == -642.5  # GBTC, (642.5)
    assert table.days[date(2025, 2, 25)][1] == -1113.7  # "(1,113.7)": parentheses and a separator


def test_the_third_party_scrape_agrees_on_every_day_both_have(real_page, realdata):
    """ciyberpunk/farside-etf zero-fills weekends and holidays and missed 2025-09-03 (all 0): every other day
    it has agrees with the parse, value for value (its 0.0 standing for the page's '-')."""
    table = FLOWS.read_table(real_page)
    with open(realdata / "etf" / "bitcoin_etf_flows_wide_daily.csv") as f:
        scrape = {date.fromisoformat(r.pop("date")): {k: float(v) for k, v in r.items()} for r in csv.DictReader(f)}
    common = sorted(set(table.days) & set(scrape))
    assert len(common) == 428 and common[-1] == date(2025, 9, 3)
    differing = [d for d in common
                 if any(abs(table.days[d][0].get(t, 0.0) - scrape[d][t]) > 1e-9 for t in table.tickers)
                 or abs((table.days[d][1] or 0.0) - scrape[d]["Total"]) > 1e-9]
    assert differing == [date(2025, 9, 3)]
    assert sum(table.days[date(2025, 9, 3)][0].values()) > 0 and not any(scrape[date(2025, 9, 3)].values())
    only_scrape = [d for d in scrape if d not in table.days and d <= max(table.days)]
    assert all(not any(scrape[d].values()) for d in only_scrape)  # its zero-filled weekends and holidays
    weekdays = [d for d in only_scrape if d.weekday() < 5]
    assert weekdays == [date(2025, 7, 4), date(2025, 9, 1)]  # holidays the page leaves out altogether


def test_the_jina_text_rendering_is_refused_clearly(realdata):
    with pytest.raises(FeedParseError, match="text rendering .* not Farside's HTML.* not a supported input"):
        FLOWS.parse((realdata / JINA).read_bytes())


# -- reading by name ------------------------------------------------------------------------------------------
def test_parentheses_separators_dashes_holidays_and_summary_rows():
    rows = FLOWS.parse(page(HEADER, ROWS, SUMMARY))
    assert [(r["date"], r["ticker"], r["flow_usd_m"]) for r in rows] == [
        (date(2024, 1, 11), "IBIT", 111.7), (date(2024, 1, 11), "FBTC", 227.0), (date(2024, 1, 11), "GBTC", -95.1),
        (date(2024, 1, 16), "IBIT", 1212.7), (date(2024, 1, 16), "GBTC", -1594.4)]
    assert {(r["date"], r["total_usd_m"], r["tickers_sum_usd_m"]) for r in rows} == {
        (date(2024, 1, 11), 243.6, 243.6), (date(2024, 1, 16), -381.7, -381.7)}


def test_a_ticker_column_that_did_not_exist_before_parses_by_name():
    """A new fund ("NEWB") appears between two existing columns and the others move: every value still lands
    under its own ticker."""
    header = ["Date", "FBTC", "NEWB", "IBIT", "GBTC", "Total"]
    rows = [["11 Jan 2024", "227.0", "-", "111.7", "(95.1)", "243.6"],
            ["02 Jan 2026", "(10.0)", "55.5", "100.0", "0.0", "145.5"]]
    parsed = {(r["date"], r["ticker"]): r["flow_usd_m"] for r in FLOWS.parse(page(header, rows))}
    assert parsed == {(date(2024, 1, 11), "FBTC"): 227.0, (date(2024, 1, 11), "IBIT"): 111.7,
                      (date(2024, 1, 11), "GBTC"): -95.1, (date(2026, 1, 2), "FBTC"): -10.0,
                      (date(2026, 1, 2), "NEWB"): 55.5, (date(2026, 1, 2), "IBIT"): 100.0,
                      (date(2026, 1, 2), "GBTC"): 0.0}
    assert FLOWS.read_table(page(header, rows)).tickers == ["FBTC", "NEWB", "IBIT", "GBTC"]


@pytest.mark.parametrize("header, rows, expected", [
    (["Date", "IBIT", "Fee %", "Total"], [], r"header 'Fee %' \(column 3\) is neither Date, Total nor a ticker"),
    (["Date", "IBIT", "IBIT", "Total"], [], "header 'IBIT' appears twice"),
    (["Date", "IBIT", "FBTC"], [], "no Total column"),
    (["Day", "IBIT", "Total"], [], "not a header starting with 'Date'"),
    (HEADER, [["11 Jan 2024", "1.0", "2.0", "3.0"]], r"row 2 \('11 Jan 2024'\) has 4 cells, the header 5"),
    (HEADER, [["2024-01-11", "1.0", "2.0", "0.0", "3.0"]], "neither a date like '11 Jan 2024' nor a summary label"),
    (HEADER, [["31 Feb 2024", "1.0", "2.0", "0.0", "3.0"]], "not a calendar date"),
    (HEADER, [["10 Jan 2024", "1.0", "2.0", "0.0", "3.0"]], "before the first US spot bitcoin ETF day"),
    (HEADER, [ROWS[0], ROWS[0]], "2024-01-11 appears twice"),
    (HEADER, [["11 Jan 2024", "1.2.3", "2.0", "0.0", "3.0"]], r"IBIT: '1.2.3' is not a value in Farside's form"),
    (HEADER, [["11 Jan 2024", "(95.1", "2.0", "0.0", "3.0"]], "not a value in Farside's form"),
    (HEADER, [["11 Jan 2024", "1,23.4", "2.0", "0.0", "3.0"]], "not a value in Farside's form"),
    (HEADER, [["11 Jan 2024", "(-9.0)", "2.0", "0.0", "3.0"]], "not a value in Farside's form"),
    (HEADER, [["11 Jan 2024", "", "2.0", "0.0", "3.0"]], "not a value in Farside's form"),
    (HEADER, [["11 Jan 2024", "n/a", "2.0", "0.0", "3.0"]], "not a value in Farside's form"),
    (HEADER, [["11 Jan 2024", "-", "-", "-", "12.0"]], "reports a Total of 12.0 but no ticker value"),
    (HEADER, [ROWS[0], ["Total", "1", "2", "3", "6"], ROWS[2]], "data row after the summary rows"),
    (HEADER, [["Total", "1", "2", "3", "6"]], "a header but no dated row"),
])
def test_a_layout_it_cannot_read_names_what_it_saw(header, rows, expected):
    with pytest.raises(FeedParseError, match=expected) as err:
        FLOWS.parse(page(header, rows))
    assert str(err.value).startswith("[farside/flows]")


def test_a_red_value_without_parentheses_and_another_unit_are_refused():
    body = page(HEADER, [["11 Jan 2024", "95.1", "2.0", "0.0", "97.1"]]).replace(
        b'<span class="tabletext">95.1', b'<span class="tabletext"><span class="redFont">95.1</span>')
    with pytest.raises(FeedParseError, match="shown in red .* without parentheses"):
        FLOWS.parse(body)
    with pytest.raises(FeedParseError, match=r"declares US\$bn, not US\$ millions"):
        FLOWS.parse(page(HEADER, ROWS, unit="US$bn"))
    assert FLOWS.parse(page(HEADER, ROWS, red=False)) == FLOWS.parse(page(HEADER, ROWS))  # red is styling


CHALLENGE = (b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
             b'<meta http-equiv="refresh" content="390"></head><body><noscript>Enable JavaScript and cookies to '
             b'continue</noscript><script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>'
             b"</body></html>")


@pytest.mark.parametrize("body, expected", [
    (CHALLENGE, r"a Cloudflare challenge page \(title 'Just a moment...'\), not Farside's table"),
    (b"<html><head><title>Farside Investors</title></head><body><p>maintenance</p></body></html>",
     r"no <table class=\"etf\"> in the payload \(an HTML page titled 'Farside Investors'\)"),
    (b'{"error": "not html"}', r"no <table class=\"etf\"> in the payload \(a page starting"),
    (b"\xff\xfe<html>", "not UTF-8"),
    (b'<table class="etf"></table>', "table.etf has no rows"),
])
def test_pages_that_are_not_the_table_are_refused_clearly(body, expected):
    with pytest.raises(FeedParseError, match=expected):
        FLOWS.parse(body)


def test_a_challenge_answered_with_403_is_named_not_dumped():
    request = HttpRequest("GET", fs.URL)
    with pytest.raises(FeedHttpError, match="HTTP 403 .* Cloudflare challenge page") as err:
        FLOWS.check(request, HttpResponse(403, CHALLENGE))
    assert "<html" not in str(err.value)
    with pytest.raises(FeedHttpError, match="HTTP 500"):
        FLOWS.check(request, HttpResponse(500, b"oops"))
    FLOWS.check(request, HttpResponse(200, b"<html></html>"))


# -- planning, the sample world, the CLI ------------------------------------------------------------------------
def test_one_get_of_the_all_data_page_covers_a_window():
    now = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
    (request,) = FLOWS.requests(Window(date(2024, 1, 1), date(2025, 9, 20)), now)
    assert (request.method, request.url, dict(request.params)) == ("GET", fs.URL, {})
    assert FLOWS.requests(Window(date(2023, 12, 1), date(2024, 1, 10)), now) == []
    assert not FLOWS.servable(date(2024, 1, 10), now) and FLOWS.servable(date(2025, 9, 21), now)
    assert fs.PROVIDER.api_key_env is None and not fs.PROVIDER.key_required


@pytest.mark.parametrize("now, tickers, last", [
    (datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc), 10, date(2024, 3, 1)),
    # the mini trust (BTC) listed on 2024-07-31; a Sunday's page ends on Friday
    (datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc), 11, date(2025, 9, 19)),
])
def test_the_sample_page_parses_and_gains_a_column_over_time(now, tickers, last):
    client = FeedClient(fs.PROVIDER, SampleTransport(now=now), rate_limiter=RateLimiter(0), sleep=lambda s: None)
    ((page_, rows),) = fetch(client, FLOWS, Window(date(2024, 1, 11), now.date()), now)
    table = FLOWS.read_table(page_.response.body)
    assert len(table.tickers) == tickers and table.summary_rows == ["Total", "Average", "Maximum", "Minimum"]
    assert max(table.days) == last and min(table.days) == date(2024, 1, 11)
    assert all(abs(r["total_usd_m"] - r["tickers_sum_usd_m"]) <= 0.05 * (tickers + 1) for r in rows)
    assert {r["date"].weekday() for r in rows} <= {0, 1, 2, 3, 4}


def test_cli_prints_date_ticker_flow_as_csv(tmp_path):
    saved = tmp_path / "farside.html"
    saved.write_bytes(page(HEADER, ROWS, SUMMARY))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.farside", "flows", str(saved)],
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[:3] == ["date,ticker,flow_usd_m", "2024-01-11,IBIT,111.7", "2024-01-11,FBTC,227.0"]
    assert len(list(csv.DictReader(io.StringIO(out)))) == 5
    saved.write_bytes(b"Title: Farside Investors\n\nURL Source: https://farside.co.uk/\n\nMarkdown Content:\n")
    failed = subprocess.run([sys.executable, "-m", "orchestration.feeds.farside", "flows", str(saved)],
                            capture_output=True, text=True)
    assert failed.returncode == 1 and "not a supported input" in failed.stderr and "Traceback" not in failed.stderr

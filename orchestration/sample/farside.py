"""Farside as seen in the sample world: the "all data" page (``/bitcoin-etf-flow-all-data/``) as HTML in the
real page's structure, so the connector's HTML parsing runs unchanged offline.

Structure copied from the real page (``shared/realdata/farside_html/``), not its data: a WordPress page whose
``<table class="etf">`` has a ``<thead>`` row of ``<th><div align="right"><span class="tabletext">TICKER``
cells (Date first, Total last), a ``<tbody>`` opened by a stray unclosed ``<tr>``, one row per day with the
date as ``11 Jan 2024``, values in US$ millions with one decimal and thousands separators, negatives as
``(95.1)`` inside ``<span class="redFont">``, ``-`` for no value; holiday rows (a weekday the US market was
closed) all ``-`` with Total ``0.0``; the latest day's row highlighted in green; four summary rows (Total,
Average, Maximum, Minimum) at the bottom.

Numbers come from ``orchestration.sample.etf``: each ticker's flow rounded to 0.1 US$m, and the row's Total
the exact day total rounded (so, as on any page that rounds its cells, the tickers add up to the Total within
rounding). A day appears from ``PUBLISHED_HOUR`` UTC on that day (after the US close); a ticker's column
appears once it is listed (the mini trust, BTC, from 2024-07-31: pages served before have no such column),
with ``-`` on the days before its listing. Other paths answer an HTML 404 page.
"""
from __future__ import annotations

import math
from datetime import date, datetime, timezone
from functools import cached_property

import numpy as np
import pandas as pd

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.etf import ETF_LAUNCH, ISSUERS, etf_flows, us_market_holidays
from orchestration.sample.lens import Lens
from orchestration.sample.world import SampleWorld

HOST = "farside.co.uk"
PATH = r"/bitcoin-etf-flow-all-data/"
PUBLISHED_HOUR = 22  # a day's row appears at 22:00 UTC that day

PAGE = """<!DOCTYPE html>
<html class="no-js" lang="en-GB">
<head>
<meta charset="UTF-8">
<title>Bitcoin ETF Flow &#8211; All Data &#8211; Farside Investors</title>
</head>
<body class="page-template-default page">
<table class="thead">
<tr><td><div id="headercss"><a href="https://farside.co.uk/">Farside</a></div></td></tr>
</table>
<main id="site-content" role="main">
<article class="post-2 page type-page status-publish hentry" id="post-2">
<header class="entry-header has-text-align-center">
	<div class="entry-header-inner section-inner medium">
		<h1 class="entry-title">Bitcoin ETF Flow &#8211; All Data (US$m)</h1>
	</div><!-- .entry-header-inner -->
</header><!-- .entry-header -->
	<div class="post-inner thin ">
		<div class="entry-content">
<figure>
<table class="etf">
<thead>
<tr bgcolor="#eaeffa">
    <th><span class="tabletext">Date</span></th>
{header}
</tr>
</thead>
<tbody>           \t\t
<tr>
{rows}
{summary}
</tbody>
</table>
</figure>
<p style="font-size:12px">Source: Farside Investors<br>Note: The above table is generated automatically, in real time. Farside Investors is not liable for any errors or inaccuracies in the data.</p>
		</div><!-- .entry-content -->
	</div><!-- .post-inner -->
</article><!-- .post -->
</main><!-- #site-content -->
<table class="tfooter">
<tr><td style="background-color: #f2f2f2"><h5 class="has-text-align-center">How can we assist you?</h5></td></tr></table>
</body>
</html>
"""
NOT_FOUND = """<!DOCTYPE html>
<html lang="en-GB"><head><title>Page not found &#8211; Farside Investors</title></head>
<body><h1 class="entry-title">Page Not Found</h1></body></html>
"""
SUMMARIES = ("Total", "Average", "Maximum", "Minimum")


def cell(value: float | None) -> str:
    """One value cell as the real page writes it: ``1,113.7``, ``(95.1)`` in red, ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        shown = "-"
    else:
        rounded = round(float(value), 1)
        shown = f"{rounded:,.1f}" if rounded >= 0 else f'<span class="redFont">({-rounded:,.1f})</span>'
    return f'\t<td><div align="right"><span class="tabletext">{shown}</span></div></td>'


def html_response(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(status, body.encode("utf-8"), {"Content-Type": "text/html; charset=UTF-8"})


class FarsideLens(Lens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, PATH, self.all_data)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return html_response(NOT_FOUND, 404)

    @cached_property
    def _flows_musd(self) -> pd.DataFrame:
        return etf_flows(self.world).flows_usd / 1e6

    def published(self, now_ms: int) -> tuple[list[date], pd.DataFrame]:
        """The page's dated rows as of ``now_ms``: trading days and weekday holidays up to the latest
        published day, and the trading days' flows (US$m)."""
        now = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).replace(tzinfo=None)
        flows = self._flows_musd
        shown = flows[flows.index + pd.Timedelta(hours=PUBLISHED_HOUR) <= pd.Timestamp(now)]
        if shown.empty:
            return [], shown
        last = shown.index[-1].date()
        holidays = {d for year in range(ETF_LAUNCH.year, last.year + 1) for d in us_market_holidays(year)
                    if ETF_LAUNCH <= d <= last and d.weekday() < 5}
        days = sorted({d.date() for d in shown.index} | holidays)
        return days, shown

    def all_data(self, params, now_ms: int, _match) -> HttpResponse:
        days, shown = self.published(now_ms)
        tickers = [i.ticker for i in ISSUERS if days and i.listed <= days[-1]]
        header = "\n".join(f'\t<th><div align="right"><span class="tabletext">{name}</span></div></th>'
                           for name in [*tickers, "Total"])
        rows = []
        for day in days:
            stamp = pd.Timestamp(day)
            latest = ' style="background-color: #99ff99 !important;"' if day == days[-1] else ""
            values = shown.loc[stamp, tickers] if stamp in shown.index else None
            total = 0.0 if values is None else float(np.nansum(values.to_numpy(float)))
            cells = [cell(None if values is None else values[t]) for t in tickers] + [cell(total)]
            rows.append(f' <tr{latest}> \t\n\t<td><span class="tabletext">{day:%d %b %Y}</span></td>\n'
                        + "\n".join(cells) + "\n</tr>\n")
        shown_values = shown[tickers].round(1) if len(shown) else shown
        totals = shown_values.sum(axis=1) if len(shown) else None
        summary = []
        if len(shown):
            for label, stat in zip(SUMMARIES, ("sum", "mean", "max", "min")):
                figures = [getattr(shown_values[t], stat)() for t in tickers] + [getattr(totals, stat)()]
                summary.append('<tr style="background-color: #eaeffa !important;">\n'
                               f'\t<td><span class="tabletext">{label}</span></td>\n'
                               + "\n".join(cell(v) for v in figures) + "\n</tr>\n")
        return html_response(PAGE.format(header=header, rows="".join(rows), summary="".join(summary)))


"""The report's charts as Vega-Lite specs (authored with Altair), reading the page's shared named datasets.

Time-series charts filter on the page-wide ``since`` parameter (a UTC timestamp in ms): the page opens on the
recent months and a control widens every chart to the whole history at once, without network.
"""
from __future__ import annotations

from typing import Any, Mapping

import altair as alt

SINCE = "since"
HEIGHT = 190
REGIME_COLORS = {"deleveraging_precondition": "#d62728", "elevated": "#ff7f0e", "reset": "#2ca02c"}
STATUS_COLORS = {"agreed": "#2ca02c", "landed": "#2ca02c", "present": "#2ca02c", "single_source": "#9ecae1",
                 "no_rows": "#d9d9d9", "no_trading": "#e7e7e7", "unavailable": "#969696", "missing": "#ff9896", "diverged": "#ff7f0e",
                 "failed": "#d62728", "skipped": "#9467bd"}
LONG, SHORT = "#d62728", "#2ca02c"


def _x(field: str = "date", title: str | None = None) -> alt.X:
    return alt.X(f"{field}:T", scale=alt.Scale(type="utc"), title=title, axis=alt.Axis(format="%Y-%m-%d",
                                                                                       labelOverlap=True))


def _recent(chart, field: str = "date"):
    return chart.transform_filter(f"time(toDate(datum.{field})) >= {SINCE}")


def _tip(*fields: str) -> list:
    return [alt.Tooltip("date:T", title="date", format="%Y-%m-%d")] + [alt.Tooltip(f"{f}:Q") for f in fields]


def _daily():
    return alt.Chart(alt.NamedData(name="daily"))


def _finish(chart, title: str, since_default: float, height: int = HEIGHT):
    """Top-level properties every chart shares: full container width, the ``since`` parameter, a title."""
    return (chart.add_params(alt.param(name=SINCE, value=since_default))
            .properties(title=title, width="container", height=height,
                        autosize=alt.AutoSizeParams(type="fit", contains="padding"))
            .configure_legend(orient="top", title=None)
            .configure_view(stroke=None))


def price(since: float, has_regimes: bool) -> dict:
    line = _recent(_daily().mark_line(color="#1f1f1f", strokeWidth=1.4)).encode(
        _x(), alt.Y("price:Q", title="BTC close, USD", scale=alt.Scale(zero=False)), tooltip=_tip("price", "score"))
    cut = _recent(_daily().transform_filter("datum.cut == 1").mark_point(
        shape="triangle-down", size=90, filled=True, color="#d62728")).encode(
        _x(), alt.Y("price:Q"), tooltip=_tip("price"))
    layers = [line, cut]
    if has_regimes:
        shade = _recent(alt.Chart(alt.NamedData(name="regimes")).mark_rect(opacity=0.18), "end").encode(
            alt.X("start:T", scale=alt.Scale(type="utc")), alt.X2("end:T"),
            alt.Color("value:N", title="regime", scale=alt.Scale(domain=list(REGIME_COLORS),
                                                                 range=list(REGIME_COLORS.values()))),
            tooltip=["value:N", "start:N", "end:N"])
        layers.insert(0, shade)
    return _finish(alt.layer(*layers), "Price, regime shading, ▼ multiplier-0.5 days", since).to_dict()


def oi(since: float, v: Mapping[str, Any]) -> dict:
    band = _recent(_daily().mark_area(color="#9ecae1", opacity=0.45)).encode(
        _x(), alt.Y("oi_low_bn:Q", title="like-for-like OI, USD bn", scale=alt.Scale(zero=False)),
        alt.Y2("oi_high_bn:Q"))
    line = _recent(_daily().mark_line(color="#08519c", strokeWidth=1.4)).encode(
        _x(), alt.Y("oi_bn:Q"), tooltip=_tip("oi_bn", "oi_high_bn", "oi_total_bn"))
    high = _recent(_daily().transform_filter("datum.oi_high == 1").mark_circle(size=22, color="#d62728")).encode(
        _x(), alt.Y("oi_bn:Q"))
    title = (f"Like-for-like OI; band: within {v['oi_local_high_tolerance']:.0%} of its "
             f"{v['oi_local_high_window_days']}-day high; ● condition held")
    return _finish(alt.layer(band, line, high), title, since).to_dict()


def venues(since: float, names: list[str]) -> dict:
    area = _recent(alt.Chart(alt.NamedData(name="venues")).transform_fold(names, as_=["venue", "oi"])
                   .mark_area()).encode(
        _x(), alt.Y("oi:Q", stack="zero", title="OI, USD bn"), alt.Color("venue:N", sort=names),
        tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d"), "venue:N", "oi:Q"])
    return _finish(area, "Open interest by venue (stacked, day-end USD)", since).to_dict()


def funding(since: float, v: Mapping[str, Any]) -> dict:
    p = round(v["funding_percentile"] * 100)
    rate = _recent(_daily().transform_fold(["funding", "funding_p90"], as_=["series", "value"])
                   .mark_line(strokeWidth=1.2)).encode(
        _x(), alt.Y("value:Q", title="% per 8 h"),
        alt.Color("series:N", scale=alt.Scale(domain=["funding", "funding_p90"], range=["#1f77b4", "#d62728"]),
                  legend=alt.Legend(labelExpr=f"datum.label == 'funding' ? 'OI-weighted funding' : "
                                              f"'trailing {v['funding_lookback_days']}-day P{p}'")),
        alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=["funding", "funding_p90"],
                                                                range=[[1, 0], [4, 3]])),
        tooltip=_tip("funding", "funding_p90", "streak_h"))
    return _finish(rate, f"Funding (OI-weighted, per 8 h) against its trailing P{p}", since).to_dict()


def funding_streak(since: float, v: Mapping[str, Any]) -> dict:
    p = round(v["funding_percentile"] * 100)
    streak = _recent(_daily().mark_bar(color="#ff7f0e")).encode(
        _x(), alt.Y("streak_h:Q", title="hours"), tooltip=_tip("streak_h", "funding", "funding_p90"))
    rule = alt.Chart(alt.NamedData(name="daily")).mark_rule(color="#d62728", strokeDash=[4, 3]).encode(
        y=alt.datum(v["funding_sustained_hours"]))
    return _finish(alt.layer(streak, rule), f"Hours in a row above the P{p} at each day's end (dashed: the "
                                            f"{v['funding_sustained_hours']} h the condition needs)", since,
                   height=110).to_dict()


def liquidations(since: float) -> dict:
    short = _recent(_daily().mark_bar(color=SHORT)).encode(
        _x(), alt.Y("liq_short_m:Q", title="USD m (longs below zero)"), tooltip=_tip("liq_long_m", "liq_short_m"))
    long = _recent(_daily().transform_calculate(neg="-datum.liq_long_m").mark_bar(color=LONG)).encode(
        _x(), alt.Y("neg:Q"), tooltip=_tip("liq_long_m", "liq_short_m"))
    return _finish(alt.layer(short, long), "Liquidations: shorts (up, green), longs (down, red)", since).to_dict()


def clusters(since: float, v: Mapping[str, Any], has_heatmap: bool) -> dict:
    series = ["cluster_pct", "cluster_p90_pct"]
    labels = {"cluster_pct": f"estimate within ±{v['liq_cluster_band']:.0%} of the close, share of OI",
              "cluster_p90_pct": f"dense threshold (P{round(v['liq_cluster_dense_percentile'] * 100)} of the "
                                 f"previous {v['liq_cluster_dense_lookback_days']} days)"}
    lines = _recent(_daily().transform_fold(series, as_=["series", "value"]).mark_line(strokeWidth=1.2)).encode(
        _x(), alt.Y("value:Q", title="% of OI"),
        alt.Color("series:N", scale=alt.Scale(domain=series, range=["#6a3d9a", "#d62728"]),
                  legend=alt.Legend(labelExpr=" : ".join(f"datum.label == '{k}' ? '{labels[k]}'" for k in series)
                                    + " : datum.label", labelLimit=400)),
        tooltip=_tip("cluster_pct", "cluster_p90_pct", "heatmap_pct"))
    dense = _recent(_daily().transform_filter("datum.dense == 1").mark_circle(size=20, color="#d62728")).encode(
        _x(), alt.Y("cluster_pct:Q"))
    layers = [lines, dense]
    title = "Liquidation clusters near price; ● dense days"
    if has_heatmap:
        layers.append(_recent(_daily().transform_filter("isValid(datum.heatmap_pct)").mark_point(
            shape="diamond", size=70, filled=True, color="#b15928")).encode(
            _x(), alt.Y("heatmap_pct:Q"), tooltip=_tip("heatmap_pct")))
        title += "; ◆ CoinGlass heatmap within the band, share of total OI (days it was served)"
    return _finish(alt.layer(*layers), title, since).to_dict()


def etf(since: float, v: Mapping[str, Any]) -> dict:
    trend = v["etf_flow_trend_5d_usd"] / 1e6
    base = _daily().transform_filter("isValid(datum.etf_m) || isValid(datum.etf_5d_m)")
    bars = _recent(base.mark_bar()).encode(
        _x(), alt.Y("etf_m:Q", title="USD m"),
        alt.Color("inflow:N", scale=alt.Scale(domain=[True, False], range=[SHORT, LONG]), legend=None),
        tooltip=_tip("etf_m", "etf_5d_m")).transform_calculate(inflow="datum.etf_m >= 0")
    five = _recent(base.mark_line(color="#1f1f1f", strokeWidth=1)).encode(_x(), alt.Y("etf_5d_m:Q"))
    rules = alt.Chart(alt.NamedData(name="daily")).mark_rule(strokeDash=[4, 3], color="#777").encode(
        y=alt.datum(trend)) + alt.Chart(alt.NamedData(name="daily")).mark_rule(
        strokeDash=[4, 3], color="#777").encode(y=alt.datum(-trend))
    return _finish(alt.layer(bars, five, rules), f"Spot ETF net flows: daily bars, 5-day sum line, ±{trend:,.0f} m "
                                                 "thresholds", since).to_dict()


def stablecoins(since: float) -> dict:
    line = _recent(_daily().mark_line(color="#17becf")).encode(
        _x(), alt.Y("stable_bn:Q", title="USD bn", scale=alt.Scale(zero=False)), tooltip=_tip("stable_bn"))
    return _finish(line, "Stablecoin supply", since, height=150).to_dict()


def exchange(since: float, v: Mapping[str, Any]) -> dict:
    trend = v["exchange_balance_trend_7d"] * 100
    bars = _recent(_daily().mark_bar(color="#8c564b")).encode(
        _x(), alt.Y("exch_chg_7d_pct:Q", title="% in 7 days"), tooltip=_tip("exch_chg_7d_pct"))
    rules = alt.layer(*(alt.Chart(alt.NamedData(name="daily")).mark_rule(strokeDash=[4, 3], color="#777")
                        .encode(y=alt.datum(level)) for level in (trend, -trend)))
    return _finish(alt.layer(bars, rules), f"BTC on exchanges, 7-day change (±{trend:g} % confirms / cancels)",
                   since, height=150).to_dict()


def _books(fields: list[str], title: str, y_title: str, log: bool) -> dict:
    lines = alt.Chart(alt.NamedData(name="backtest")).transform_fold(fields, as_=["book", "value"]).mark_line(
        strokeWidth=1.2).encode(
        _x(), alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log", nice=False) if log else alt.Scale()),
        alt.Color("book:N", scale=alt.Scale(domain=fields, range=["#d62728", "#1f77b4"]),
                  legend=alt.Legend(labelExpr="indexof(datum.label, 'rule') == 0 ? 'sizing rule' : 'constant size'")),
        alt.StrokeDash("book:N", legend=None, scale=alt.Scale(domain=fields, range=[[5, 3], [1, 0]])),
        alt.Order("book:N", sort="descending"),
        tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d"), "book:N", "value:Q"])
    return _finish(lines, title, 0).to_dict()


def equity(base_leverage: float) -> dict:
    return _books(["rule_equity", "constant_equity"], f"Backtest equity, {base_leverage:g}x long (log scale)",
                  "equity (start = 1)", True)


def drawdown() -> dict:
    return _books(["rule_drawdown", "constant_drawdown"], "Backtest drawdown from the running high", "%", False)


def completeness(since: float) -> dict:
    line = _recent(_daily().mark_area(color="#9ecae1", line={"color": "#08519c"})).encode(
        _x(), alt.Y("complete_pct:Q", title="%", scale=alt.Scale(domain=[0, 100])), tooltip=_tip("complete_pct"))
    return _finish(line, "Data completeness (share of expected observations present)", since, height=120).to_dict()


def status_strips(dataset: str, title: str, keys: int, statuses: list[str], since: float) -> dict:
    """One strip per key (a cross-check, a feed), coloured by its status day by day; a run that began before
    the window is drawn from the window's first day."""
    strips = _recent(alt.Chart(alt.NamedData(name=dataset)).transform_calculate(
        shown=f"max(time(toDate(datum.start)), {SINCE})").mark_rect(), "end").encode(
        alt.X("shown:T", scale=alt.Scale(type="utc"), title=None, axis=alt.Axis(format="%Y-%m-%d")), alt.X2("end:T"),
        alt.Y("key:N", title=None, axis=alt.Axis(labelLimit=260)),
        alt.Color("value:N", title="status", scale=alt.Scale(
            domain=statuses, range=[STATUS_COLORS.get(status, "#000000") for status in statuses])),
        tooltip=["key:N", "value:N", "start:N", "end:N"])
    return _finish(strips, title, since, height=60 + 18 * keys).to_dict()

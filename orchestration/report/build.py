"""Build ``report.html`` from the published snapshot and write it atomically (temp file + ``os.replace``)."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from orchestration.cli import CONDITION_LABELS
from orchestration.config import REPORT_FILE, cache_dir
from orchestration.report import brief, charts, frames
from orchestration.report.page import Section, render, table, vega_bundle
from orchestration.report.snapshot import Snapshot, read_snapshot
from orchestration.report.thresholds import dbt_vars

RECENT_DAYS = 180  # the page opens on the last six months; a button widens every chart to the whole history
SPANS = (("last 180 days", 180), ("last 365 days", 365), ("whole history", None))


@dataclass
class Report:
    path: Path
    bytes: int
    charts: int
    absent: list[str]  # sections that say what is missing instead of drawing
    as_of: str


def _ms(day: pd.Timestamp) -> float:
    return pd.Timestamp(day).tz_localize("UTC").timestamp() * 1000


def _fmt(value, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if kind == "pct":
        return f"{value * 100:.1f} %"
    if kind == "usd":
        return brief.usd(value)
    if kind == "num":
        return f"{value:.2f}"
    return str(value)[:10] if kind == "date" else str(value)


def _verdict_html(row: Mapping[str, Any], v: Mapping[str, Any]) -> str:
    cut = brief.crowded(row, v)
    tone = "#d62728" if cut else {"elevated": "#ff7f0e", "reset": "#2ca02c"}.get(row.get("regime"), "#555")
    rows = []
    for c in brief.conditions(row, v):
        mark = ('<span class="held">holds</span>' if c.held else '<span class="not">does not hold</span>'
                if c.held is False else "not computable yet")
        rows.append(f"<tr><td>{escape(c.label)}</td><td>{escape(c.value)}</td><td>{escape(c.threshold)}</td>"
                    f"<td>{mark}</td></tr>")
    return (f'<div class="verdict" style="--tone:{tone}"><div class="mult">{row["position_size_multiplier"]:.1f}x</div>'
            f'<div class="what"><b>{escape(str(row["date"])[:10])}: {"CUT leveraged size" if cut else "normal size"}'
            f'</b> &middot; regime <b>{escape(str(row["regime"]).replace("_", " "))}</b> &middot; '
            f'{row["conditions_met"]} of 3 conditions ({row["conditions_evaluated"]} evaluated) &middot; score '
            f'{brief.num(row.get("leverage_condition_score"), ".0f")}/100 &middot; completeness '
            f'{row["data_completeness"] * 100:.0f} %</div></div>'
            f'<div class="table"><table><thead><tr><th>condition</th><th>today</th><th>threshold</th><th></th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div>'
            '<div class="sentences">'
            f"<p><b>What it says</b> {escape(brief.what_it_says(row, v))}</p>"
            f"<p><b>What confirms it</b> {escape(brief.what_would_confirm(row, v))}</p>"
            f"<p><b>What cancels it</b> {escape(brief.what_would_cancel(row, v))}</p></div>")


def _absent(section: Section, snapshot: Snapshot, table_name: str, what: str, absent: list[str]) -> bool:
    """True (and the section says so) when the snapshot lacks ``table_name``."""
    if table_name in snapshot.missing:
        section.absent(f"{what}: this snapshot has no {table_name} table (published by an older version).")
        absent.append(table_name)
        return True
    return False


class _Builder:
    """Collects the sections, the shared datasets and the chart specs of one page."""

    def __init__(self, snapshot: Snapshot, v: Mapping[str, Any]):
        self.snapshot, self.v = snapshot, v
        self.mart = frames.with_oi_high(snapshot.tables["leverage_condition"], v)
        self.latest = self.mart.iloc[-1]
        self.since = _ms(pd.Timestamp(self.latest["date"]) - pd.Timedelta(days=RECENT_DAYS - 1))
        self.data: dict = {"daily": frames.columnar(frames.daily(self.mart, v))}
        self.specs: dict = {}
        self.absent: list[str] = []

    def add(self, section: Section, chart_id: str, spec: dict) -> None:
        self.specs[chart_id] = spec
        section.chart(chart_id)

    def has(self, column: str) -> bool:
        return self.mart[column].notna().any()

    def price(self) -> Section:
        s = Section("Price and regime", "Shaded: the mart's regime on each day (neutral unshaded); ▼ the days the "
                                        "multiplier was cut.")
        regimes = frames.regimes(self.mart)
        if not regimes.empty:
            self.data["regimes"] = frames.columnar(regimes)
        self.add(s, "chart-price", charts.price(self.since, not regimes.empty))
        return s

    def leverage(self) -> Section:
        s, v = Section("Leverage: open interest, funding, liquidations"), self.v
        self.add(s, "chart-oi", charts.oi(self.since, v))
        if not _absent(s, self.snapshot, "venue_daily", "OI by venue", self.absent):
            wide = frames.venues(self.snapshot.tables["venue_daily"])
            if wide is None:
                s.absent("OI by venue: no venue's own open interest in this data (the total is an aggregator's "
                         "all-exchange figure, e.g. on recorded history).")
                self.absent.append("venue_oi")
            else:
                self.data["venues"] = frames.columnar(wide)
                self.add(s, "chart-venues", charts.venues(self.since, [c for c in wide.columns if c != "date"]))
        self.add(s, "chart-funding", charts.funding(self.since, v))
        self.add(s, "chart-funding-streak", charts.funding_streak(self.since, v))
        if self.has("liq_long_usd") or self.has("liq_short_usd"):
            last = self.mart.loc[self.mart["liq_long_usd"].notna(), "date"].max()
            if pd.Timestamp(last) < pd.Timestamp(self.latest["date"]):
                s.absent(f"Liquidations end on {str(last)[:10]}: no source served later days.")
            self.add(s, "chart-liquidations", charts.liquidations(self.since))
        else:
            s.absent("Liquidations: no source served any day of this span.")
            self.absent.append("liquidations")
        if self.has("liq_cluster_share_of_oi"):
            self.add(s, "chart-clusters",
                     charts.clusters(self.since, v, self.has("liq_cluster_heatmap_usd_within_5pct")))
        else:
            s.absent("Liquidation clusters: the estimate has no day in this span.")
            self.absent.append("clusters")
        return s

    def liquidity(self) -> Section:
        s = Section("Liquidity: spot ETFs, stablecoins, exchange balances")
        for column, chart_id, spec, what in (
                ("etf_net_flow_usd", "chart-etf", lambda: charts.etf(self.since, self.v), "Spot ETF flows"),
                ("stablecoin_supply_usd", "chart-stablecoins", lambda: charts.stablecoins(self.since),
                 "Stablecoin supply"),
                ("exchange_balance_change_7d", "chart-exchange", lambda: charts.exchange(self.since, self.v),
                 "Exchange balance changes")):
            if self.has(column):
                self.add(s, chart_id, spec())
            else:
                s.absent(f"{what}: no day of this span has a figure.")
                self.absent.append(column)
        etf_days = int(self.mart["etf_net_flow_usd"].notna().sum())
        if 0 < etf_days < 30:
            s.absent(f"Spot ETF flows: only {etf_days} days with a figure in this span.")
        return s

    def evidence(self) -> Section:
        s = Section("Event study and backtest", "Does the rule pay? The conditions in the 7 days before each "
                                                "cascade, how often they held with no cascade after, and a "
                                                "backtest of the sizing rule against constant size.")
        t = self.snapshot.tables
        if not _absent(s, self.snapshot, "cascade_event_study", "Event study", self.absent):
            study = t["cascade_event_study"].sort_values("first_day")
            if study.empty:
                s.absent("Event study: no documented or detected cascade in this span.")
            else:
                s.html(table(["event", "kind", "name", "OI high (days of 7)", "funding 24 h+", "dense clusters",
                              "all three", "max score before", "regime on the day", "OI 1d", "long liq",
                              "return 1d", "deepest close 7d"],
                             [[_fmt(r.first_day, "date"), r.event_kind, _fmt(r.event_name, ""),
                               r.pre_days_oi_at_local_high, r.pre_days_funding_sustained, r.pre_days_liq_clusters_dense,
                               r.pre_days_all_three, _fmt(r.pre_max_score, "num"), _fmt(r.regime_on_the_day, ""),
                               _fmt(r.oi_change_1d, "pct"), _fmt(r.liq_long_usd, "usd"), _fmt(r.return_1d, "pct"),
                               _fmt(r.drawdown_next_7d, "pct")] for r in study.itertuples()], numeric_from=3))
        if not _absent(s, self.snapshot, "cascade_condition_lift", "Condition lift", self.absent):
            lift = t["cascade_condition_lift"].query("event_set == 'any'")
            s.html(table(["condition (any event)", "held on", "events preceded", "days held, no event in 7 d",
                          "hit rate", "lift"],
                         [[CONDITION_LABELS.get(r.condition, r.condition), _fmt(r.base_rate, "pct"),
                           f"{r.events_preceded} of {r.events}",
                           f"{r.days_held_not_followed} of {r.days_held}", _fmt(r.hit_rate, "pct"),
                           _fmt(r.lift, "num")] for r in lift.itertuples()]))
        if not _absent(s, self.snapshot, "sizing_backtest", "Backtest summary", self.absent):
            summary = t["sizing_backtest"].query("period_kind != 'event'").sort_values(["period_kind", "period"])
            s.html(table(["period", "days", "rule return", "constant return", "BTC", "rule max DD", "constant max DD",
                          "days cut", "trade-off"],
                         [[r.period, r.days, _fmt(r.rule_total_return, "pct"), _fmt(r.constant_total_return, "pct"),
                           _fmt(r.spot_total_return, "pct"), _fmt(r.rule_max_drawdown, "pct"),
                           _fmt(r.constant_max_drawdown, "pct"), r.days_reduced, r.trade_off]
                          for r in summary.itertuples()]))
        if not _absent(s, self.snapshot, "sizing_backtest_daily", "Backtest curves", self.absent):
            self.data["backtest"] = frames.columnar(frames.backtest(t["sizing_backtest_daily"]))
            self.add(s, "chart-equity", charts.equity(self.v["backtest_base_leverage"]))
            self.add(s, "chart-drawdown", charts.drawdown())
        return s

    def quality(self) -> Section:
        s = Section("Data quality", f"Today: sources present {self.latest['sources_present'] or 'none'}; "
                                    f"completeness {self.latest['data_completeness'] * 100:.0f} %.")
        t = self.snapshot.tables
        strips = [frames.segments(self.mart[["date", "oi_check_status", "funding_check_status",
                                             "liq_check_status", "exchange_balance_status"]]
                                  .rename(columns=lambda c: c.replace("_status", " (mart)"))
                                  .melt("date", var_name="key", value_name="status").dropna(), "key", "status")]
        if not _absent(s, self.snapshot, "int_etf_flows__reconciled", "ETF cross-check", self.absent):
            etf = t["int_etf_flows__reconciled"].assign(key="etf_flows_farside_vs_sosovalue")
            strips.append(frames.segments(etf[["date", "key", "status"]], "key", "status"))
        if not _absent(s, self.snapshot, "int_derivatives__aggregator_check", "Aggregator cross-checks", self.absent):
            strips.append(frames.checks(t["int_derivatives__aggregator_check"]))
        checks = pd.concat(strips, ignore_index=True)
        self.data["checks"] = frames.columnar(checks)
        self.add(s, "chart-checks", charts.status_strips("checks", "Cross-checks, status per day",
                                                          checks["key"].nunique(), _statuses(checks), self.since))
        self.add(s, "chart-completeness", charts.completeness(self.since))
        present = frames.sources(self.mart)
        self.data["sources"] = frames.columnar(present)
        self.add(s, "chart-sources", charts.status_strips("sources", "Sources present in the mart, per day",
                                                           present["key"].nunique(), _statuses(present), self.since))
        if not _absent(s, self.snapshot, "landing_status", "Feed landing status", self.absent):
            status = t["landing_status"]
            feeds = frames.landing(status)
            self.data["landing"] = frames.columnar(feeds)
            self.add(s, "chart-landing", charts.status_strips("landing", "Feeds, landing status per day",
                                                               feeds["key"].nunique(), _statuses(feeds), self.since))
            s.html(_landing_table(status))
        return s


def _statuses(segments: pd.DataFrame) -> list[str]:
    """The statuses present, in the legend's fixed order (unknown ones last)."""
    present = set(segments["value"])
    return [s for s in charts.STATUS_COLORS if s in present] + sorted(present - set(charts.STATUS_COLORS))


def _landing_table(status: pd.DataFrame) -> str:
    """Per feed: days by status, and the latest day that failed or was skipped with its reason."""
    frame = status.assign(feed=status["provider"] + "/" + status["dataset"])
    counts = frame.pivot_table(index="feed", columns="status", values="date", aggfunc="count", fill_value=0)
    bad = frame[frame["status"].isin(["failed", "skipped"])].sort_values("date").groupby("feed").last()
    columns = [c for c in ("landed", "no_rows", "unavailable", "failed", "skipped") if c in counts.columns]
    rows = []
    for feed, row in counts.iterrows():
        last = bad.loc[feed] if feed in bad.index else None
        rows.append([feed, *[int(row[c]) for c in columns],
                     "" if last is None else f"{str(last['date'])[:10]}: {last['status']}, {last['reason'] or ''}"])
    return table(["feed", *[f"days {c}" for c in columns], "latest failed / skipped day"], rows)


def build_report(published_dir: Path, out_path: Path | None = None, v: Mapping[str, Any] | None = None) -> Report:
    """Read the snapshot in ``published_dir``, render the page, write it atomically beside the snapshot."""
    published_dir = Path(published_dir)
    out_path = Path(out_path or published_dir / REPORT_FILE)
    v = dict(v or dbt_vars())
    snapshot = read_snapshot(published_dir)
    b = _Builder(snapshot, v)
    sections = [b.price(), b.leverage(), b.liquidity(), b.evidence(), b.quality()]
    latest_day = pd.Timestamp(b.latest["date"])
    spans = [(label, _ms(latest_day - pd.Timedelta(days=days - 1)) if days else 0.0) for label, days in SPANS]
    as_of = latest_day.strftime("%Y-%m-%d")
    html = render(title=f"BTC leverage condition, {as_of}",
                  meta=f"Built {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from the published snapshot "
                       f"({len(b.mart)} days, {str(b.mart['date'].min())[:10]} to {as_of}); every table shown "
                       "passed its gates. Hover a chart for values.",
                  verdict_html=_verdict_html(b.latest.to_dict(), v), sections=sections, data=b.data, specs=b.specs,
                  spans=spans, default_span=0, library=vega_bundle(cache_dir()))
    _write_atomically(out_path, html)
    return Report(out_path, out_path.stat().st_size, len(b.specs), b.absent, as_of)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)  # a page for people: readable like the snapshot beside it (mkstemp makes it 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

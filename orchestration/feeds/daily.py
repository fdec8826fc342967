"""Helpers of the daily-series connectors (Glassnode, CryptoQuant, CoinMetrics, DefiLlama): one value per UTC
day, stamped at the day's 00:00 UTC. Kept apart from ``base`` while those connectors settle; candidates for it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Mapping

from orchestration.feeds.base import Dataset, Row, Window, field, html_summary, looks_html
from orchestration.feeds.http import FeedHttpError, HttpRequest, HttpResponse


class PageRows(list):
    """Rows of one page plus the page's opaque cursor: ``fetch`` hands the parsed rows to ``next_request``,
    the only place that needs the cursor ("" when the provider said there is no next page)."""

    cursor: str = ""


def utc_today(now: datetime) -> date:
    """The UTC date of ``now`` (a naive ``now`` is taken as UTC)."""
    return (now.astimezone(timezone.utc) if now.tzinfo else now).date()


def spans(days: list[date], max_days: int) -> list[Window]:
    """Consecutive runs of sorted ``days``, cut into windows of at most ``max_days`` days."""
    out: list[Window] = []
    for day in days:
        last = out[-1] if out else None
        if last is not None and day - last.end == timedelta(days=1) and (day - last.start).days < max_days:
            out[-1] = Window(last.start, day)
        else:
            out.append(Window(day, day))
    return out


def day_stamp(dataset: Dataset, record: Mapping[str, Any], name: str, read: Callable[[Any], datetime], where: str,
              seen: set[datetime]) -> datetime:
    """``read(record[name])``, which must be a UTC midnight (a value stamped at another instant would land in the
    wrong day, or is not the daily series asked for) and a day not in ``seen`` (which it joins): an answer holding
    a day twice is refused rather than one of its values picked."""
    moment = field(dataset, record, name, read, where=where)
    if moment.time() != time():
        raise dataset.parse_error(f"field {name!r}{where} = {record[name]!r} ({moment}) is not 00:00 UTC: "
                                  "not a daily value")
    if moment in seen:
        raise dataset.parse_error(f"two rows for {moment:%Y-%m-%d}{where}: the answer repeats a day")
    seen.add(moment)
    return moment


def check_days(dataset: Dataset, rows: list[Row], column: str, first: date, last: date, asked: str) -> None:
    """Every row's day within [first, last]: what the request asked for."""
    for row in rows:
        if not first <= row[column].date() <= last:
            raise dataset.parse_error(f"row for {row[column]:%Y-%m-%d} lies outside the requested {asked}")


def window_of(start: str, end: str) -> tuple[date, date]:
    """(first, last) day of ISO day or timestamp texts, as a request's parameters spell them."""
    return date.fromisoformat(start[:10]), date.fromisoformat(end[:10])


class DailySeries(Dataset):
    """A provider's daily series from ``first_day``: a day is served once it has ended. Errors: HTTP >= 400
    with an HTML page (named as such), the provider's own error object (``provider_error``: by default a JSON
    object with ``error`` or ``message``) or its text, plus a ``hint`` for the status (a key, a plan)."""

    first_day: date

    def servable(self, day: date, now: datetime) -> bool:
        return self.first_day <= day < utc_today(now)

    def provider_error(self, payload: Any) -> str | None:
        if isinstance(payload, dict) and ("error" in payload or "message" in payload):
            return repr(payload.get("error") or payload.get("message"))
        return None

    def hint(self, status: int) -> str:
        return ""

    def check(self, request: HttpRequest, response: HttpResponse) -> None:
        if response.status < 400:
            return
        detail = (html_summary(response.body) if looks_html(response.body)
                  else self.provider_error(response.json_object()) or repr(response.text()[:200].strip()))
        hint = self.hint(response.status)
        raise FeedHttpError(self.provider.name, f"HTTP {response.status} on {request.path}: {detail}"
                            + (f" ({hint})" if hint else ""), dataset=self.name)

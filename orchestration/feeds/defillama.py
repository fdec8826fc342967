"""DefiLlama: total supply of USD stablecoins (all chains), one point per UTC day, free and without a key.

Shape follows ``shared/design/sources.md`` [checked]: ``GET https://stablecoins.llama.fi/stablecoincharts/all``
answers the whole history at once, ``[{"date": "1617235200", "totalCirculating": {"peggedUSD": n, ...},
"totalCirculatingUSD": {"peggedUSD": n, ...}, ...}]``: ``date`` is UNIX seconds AS TEXT at 00:00 UTC (a
number is accepted; milliseconds, fractions, bools and another time of day are refused, never truncated),
``totalCirculatingUSD.peggedUSD`` the USD value of every USD-pegged stablecoin and ``totalCirculating.peggedUSD``
the same in coin units (they differ by the pegs' deviations). Other pegs (``peggedEUR``, ...) are not landed.

There are no window parameters: every landing reads the whole chart once and keeps its window's days (the
payload is kept verbatim like any other). The point stamped D is the one DefiLlama publishes for day D
[unverified whether it is taken at D's start or refreshed during D: the point of the day in progress is never
landed, the schedule lands ended days only]. Errors: HTTP >= 400 (Cloudflare may answer with an HTML page,
named as such) or a JSON object with ``message`` / ``error`` where the list belongs.

What the payload cannot show: that the chart is the all-chains one (``/all``, the URL's; a single chain's chart
has the same shape). Nothing else is asked for: the days are the payload's own, kept as the window needs.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from orchestration.feeds.base import (DailySeries, Dataset, Row, Window, cli, day_stamp, epoch_s, field, load_json,
                                      number, require_list)
from orchestration.feeds.http import HttpRequest, ProviderSpec

URL = "https://stablecoins.llama.fi/stablecoincharts/all"
PEG = "peggedUSD"
FIRST_DAY = date(2017, 11, 29)  # DefiLlama's first point
PROVIDER = ProviderSpec("defillama", requests_per_second=1.0)


class StablecoinSupply(DailySeries):
    """``stablecoincharts/all``: the total of USD stablecoins over all chains per UTC day, USD and coin units."""

    provider = PROVIDER
    name = "stablecoin_supply"
    time_column = "date"
    first_day = FIRST_DAY
    columns = {"peg": "VARCHAR", "date": "TIMESTAMP", "circulating_usd": "DOUBLE", "circulating": "DOUBLE"}
    nullable = frozenset({"circulating"})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        return [HttpRequest("GET", URL)] if self.servable_days(window, now) else []

    def pegged(self, point: Mapping[str, Any], total: str, where: str, optional: bool) -> float | None:
        """``point[total][PEG]``: one peg's figure of a per-peg object."""
        pegs = field(self, point, total, lambda v: v, where=where, optional=optional)
        if pegs is None:
            return None
        if not isinstance(pegs, Mapping):
            raise self.parse_error(f"field {total!r}{where} should be an object of pegs, got {pegs!r:.80}")
        value = field(self, pegs, PEG, number, where=f" in {total}{where}", optional=optional)
        if value is not None and value < 0:
            raise self.parse_error(f"{total}.{PEG}{where} is negative: {value!r}")
        return value

    def parse(self, body: bytes) -> list[Row]:
        rows, seen = [], set()
        for i, point in enumerate(require_list(self, load_json(self, body), "a list of daily points")):
            where = f" in [{i}]"
            rows.append({"peg": PEG, "date": day_stamp(self, point, "date", epoch_s, where, seen),
                         "circulating_usd": self.pegged(point, "totalCirculatingUSD", where, optional=False),
                         "circulating": self.pegged(point, "totalCirculating", where, optional=True)})
        return rows


DATASETS: dict[str, Dataset] = {d.name: d for d in (StablecoinSupply(),)}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

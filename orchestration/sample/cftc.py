"""The CFTC lens: answers the Socrata COT endpoint (``/resource/gpe5-46if.json``) from the sample world.

CME OI comes from the world's ``cme_oi_btc`` and ``cme_micro_share`` at Tuesday 21:00 UTC (CME's close):
standard contracts = round(OI x (1 - micro) / 5), micro = round(OI x micro / 0.1). Leveraged funds hold a
plausible, deterministic share of it (short 40-60 %, long 15-30 %). A Tuesday's report appears from the
Friday after it, 20:30 UTC (15:30 ET in winter). Reports start at the later of the contract's launch and
the world's start (2020-01-01): the world does not reach back to CME's 2017 launch. No holiday shifts.

Only the SoQL the connector sends is understood (``$where`` with ``in(...)`` and ``between``, its
``$order``); anything else is a Socrata 400, as a query the compiler cannot read would be.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.base import to_ms
from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import DAY_MS, Lens, LensError, json_response
from orchestration.sample.world import CME_MICRO_LAUNCH, HOUR_MS, N_HOURS, START_MS, SampleWorld, hash_unit

EPOCH = date(1970, 1, 1)
HOST = "publicreporting.cftc.gov"
DATASET_ID = "gpe5-46if"
MAX_LIMIT = 50_000
RELEASE_MS = (3 * 24 + 20) * HOUR_MS + 30 * 60_000  # Friday 20:30 UTC after the Tuesday
CLOSE_HOUR = 21  # positions as of Tuesday's close
# code -> (contract size BTC, first day, market name, short name, units)
CONTRACTS = {
    "133741": (5.0, date(2017, 12, 17), "BITCOIN - CHICAGO MERCANTILE EXCHANGE", "BITCOIN",
               "(CONTRACTS OF 5 BITCOIN)"),
    "133742": (0.1, CME_MICRO_LAUNCH, "MICRO BITCOIN - CHICAGO MERCANTILE EXCHANGE", "MICRO BITCOIN",
               "(CONTRACTS OF 0.1 BITCOIN)"),
}
ORDERS = {"report_date_as_yyyy_mm_dd DESC, cftc_contract_market_code": True,
          "report_date_as_yyyy_mm_dd ASC, cftc_contract_market_code": False,
          "report_date_as_yyyy_mm_dd, cftc_contract_market_code": False}
_STAMP = r"'(?P<NAME>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)'"
WHERE = re.compile(r"\s*cftc_contract_market_code\s+in\s*\((?P<codes>\s*'\d+'\s*(?:,\s*'\d+'\s*)*)\)\s+AND\s+"
                   r"report_date_as_yyyy_mm_dd\s+between\s+" + _STAMP.replace("NAME", "lo") + r"\s+and\s+"
                   + _STAMP.replace("NAME", "hi") + r"\s*", re.IGNORECASE)


def socrata_error(message: str, code: str = "query.compiler.malformed", status: int = 400) -> HttpResponse:
    return json_response({"code": code, "error": True, "message": message}, status)


def tuesdays(first: date, last_ms: int) -> np.ndarray:
    """Epoch ms of every Tuesday midnight from ``first`` whose report is out by ``last_ms``."""
    start = first + timedelta(days=(1 - first.weekday()) % 7)
    first_ms = (start - EPOCH).days * DAY_MS
    return np.arange(first_ms, last_ms - RELEASE_MS + 1, 7 * DAY_MS, dtype=np.int64)


class CftcLens(Lens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, r"/resource/(?P<id>[a-z0-9]{4}-[a-z0-9]{4})\.json", self.resource)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return socrata_error(f"Not found: {request.path}", "not_found", 404)

    def bad_integer(self, name: str) -> HttpResponse:
        return socrata_error(f"Invalid value for {name}: must be a non-negative integer")

    @cached_property
    def _cme(self) -> tuple[np.ndarray, np.ndarray]:
        h = self.world.hourly
        return h["cme_oi_btc"].to_numpy(float), h["cme_micro_share"].to_numpy(float)

    def report(self, code: str, tuesday_ms: int) -> dict[str, str]:
        """One COT row (all values strings, as Socrata sends them)."""
        size, _, market, short, units = CONTRACTS[code]
        i = min(max((tuesday_ms - START_MS) // HOUR_MS + CLOSE_HOUR, 0), N_HOURS - 1)
        oi_btc, micro = self._cme[0][i], self._cme[1][i]
        contracts = int(round(oi_btc * (micro if size < 1 else 1 - micro) / size))
        week = int(tuesday_ms // (7 * DAY_MS)) * 2 + (code == "133742")
        short_share = 0.5 + 0.1 * hash_unit(week, self.world.seed, 31)
        long_share = 0.225 + 0.075 * hash_unit(week, self.world.seed, 32)
        day = EPOCH + timedelta(days=tuesday_ms // DAY_MS)
        stamp = f"{day.isoformat()}T00:00:00.000"
        return {
            "id": f"{day:%y%m%d}{code}F", "market_and_exchange_names": market,
            "report_date_as_yyyy_mm_dd": stamp, "yyyy_report_week_ww": f"{day.isocalendar()[0]} Report Week "
            f"{day.isocalendar()[1]:02d}", "contract_market_name": short, "cftc_contract_market_code": code,
            "cftc_market_code": "CME", "cftc_region_code": "CHI", "cftc_commodity_code": "133",
            "open_interest_all": str(contracts),
            "lev_money_positions_long": str(int(round(contracts * float(long_share)))),
            "lev_money_positions_short": str(int(round(contracts * float(short_share)))),
            "contract_units": units, "futonly_or_combined": "FutOnly",
        }

    # -- SoQL ------------------------------------------------------------------------------------------
    def _where(self, raw: str | None) -> tuple[set[str], int, int]:
        """(codes, first ms, last ms) from the one ``$where`` form the connector sends; absent = all."""
        if raw is None:
            return set(CONTRACTS), -2**62, 2**62
        match = WHERE.fullmatch(raw)
        if not match:
            raise LensError(socrata_error(f"Could not parse SoQL query \"select * where {raw}\""))
        codes = {c.strip().strip("'") for c in match["codes"].split(",")}
        lo, hi = (to_ms(datetime.fromisoformat(match[k])) for k in ("lo", "hi"))
        return codes, lo, hi

    def _int(self, params: Mapping[str, str], name: str, default: int) -> int:
        value = self.int_param(params, name, default)
        if value < 0:
            raise LensError(self.bad_integer(name))
        return value

    def resource(self, params: Mapping[str, str], now_ms: int, match) -> HttpResponse:
        if match["id"] != DATASET_ID:
            return socrata_error(f"Dataset {match['id']} not found", "not_found", 404)
        codes, lo, hi = self._where(params.get("$where"))
        order = params.get("$order", "report_date_as_yyyy_mm_dd DESC, cftc_contract_market_code")
        if order not in ORDERS:
            raise LensError(socrata_error(f"Could not parse SoQL order \"{order}\""))
        limit, offset = self._int(params, "$limit", 1000), self._int(params, "$offset", 0)
        if limit > MAX_LIMIT:
            raise LensError(socrata_error(f"$limit must be at most {MAX_LIMIT}", "query.execution.limitExceeded"))
        world_start = EPOCH + timedelta(days=START_MS // DAY_MS)
        keys = [(int(t), code) for code in sorted(codes) if code in CONTRACTS
                for t in tuesdays(max(CONTRACTS[code][1], world_start), now_ms) if lo <= t <= hi]
        keys.sort(key=lambda k: (-k[0] if ORDERS[order] else k[0], k[1]))
        return json_response([self.report(code, t) for t, code in keys[offset:offset + limit]])

"""The ``sample`` transport: answers the providers' real URLs from the in-process sample world, offline.

Routing is a plain host -> lens table, so adding a provider (OKX, Bybit, ...) means adding its lens to
``LENSES`` and nothing else.
"""
from __future__ import annotations

from datetime import datetime, timezone

from orchestration.feeds.base import to_ms, utc
from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.binance import BinanceLens
from orchestration.sample.bybit import BybitLens
from orchestration.sample.cftc import CftcLens
from orchestration.sample.coinalyze import CoinalyzeLens
from orchestration.sample.coinglass import CoinglassLens
from orchestration.sample.coinmetrics import CoinmetricsLens
from orchestration.sample.cryptoquant import CryptoquantLens
from orchestration.sample.defillama import DefillamaLens
from orchestration.sample.deribit import DeribitLens
from orchestration.sample.dydx import DydxLens
from orchestration.sample.farside import FarsideLens
from orchestration.sample.glassnode import GlassnodeLens
from orchestration.sample.hyperliquid import HyperliquidLens
from orchestration.sample.lens import Lens
from orchestration.sample.okx import OkxLens
from orchestration.sample.sosovalue import SosovalueLens
from orchestration.sample.world import SampleWorld, sample_world

LENSES: tuple[type[Lens], ...] = (BinanceLens, BybitLens, CftcLens, CoinalyzeLens, CoinglassLens, DeribitLens,
                                  DydxLens, OkxLens, FarsideLens, SosovalueLens, GlassnodeLens, CryptoquantLens,
                                  CoinmetricsLens, DefillamaLens, HyperliquidLens)


class SampleTransport:
    """Implements ``Transport``. ``now`` pins the world's clock (tz-aware or naive UTC); ``None`` follows the
    real UTC clock, read at each request."""

    def __init__(self, now: datetime | None = None, world: SampleWorld | None = None):
        self.world = world or sample_world()
        self.pinned = None if now is None else utc(now)
        self.lenses: dict[str, Lens] = {}
        for lens_type in LENSES:
            lens = lens_type(self.world)
            self.lenses.update({host: lens for host in lens.hosts})

    def now(self) -> datetime:
        return self.pinned or datetime.now(timezone.utc)

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        lens = self.lenses.get(request.host)
        if lens is None:
            raise OSError(f"sample world has no provider at {request.host}")
        return lens.handle(request, to_ms(self.now()))

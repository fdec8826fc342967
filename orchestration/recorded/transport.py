"""The ``recorded`` transport: answers the providers' real URLs from the recorded world, offline.

Like the sample transport, routing is host -> lens; unlike it, a transport over recorded history also says
which days each provider dataset holds (:meth:`RecordedTransport.days_held`), so landing records the days a
file does not cover as ``unavailable`` instead of asking a provider that has nothing to answer.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from orchestration.feeds.base import to_ms, utc
from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.recorded.lenses import RECORDED_LENSES
from orchestration.recorded.world import RecordedWorld
from orchestration.sample.lens import Lens


class RecordedTransport:
    """Implements ``Transport`` over ``world``; ``now`` as the sample transport's (None: the real clock)."""

    def __init__(self, world: RecordedWorld, now: datetime | None = None):
        self.world = world
        self.pinned = None if now is None else utc(now)
        self.lenses: dict[str, Lens] = {}
        for lens_type in RECORDED_LENSES:
            lens = lens_type(world)
            self.lenses.update({host: lens for host in lens.hosts})

    def now(self) -> datetime:
        return self.pinned or datetime.now(timezone.utc)

    def days_held(self, provider: str, dataset: str) -> frozenset[date]:
        return self.world.days_held(provider, dataset)

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        lens = self.lenses.get(request.host)
        if lens is None:
            raise OSError(f"nothing was recorded for {request.host} in {self.world.root}")
        return lens.handle(request, to_ms(self.now()))
